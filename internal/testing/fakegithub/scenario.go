package fakegithub

import (
	"time"
)

// Scenario fills the state with one release of "octo-org/octo-repo": a
// commit merged through a reviewed pull request into a protected branch, the
// workflow run that built it, its environment reviews, an earlier
// deployment, and a check run. Every list it fills has entries, so every
// field GitHub's examples show is in the fake's answers (the contract test
// reads it). Times are relative to at.
func Scenario(s *State, at time.Time) *Release {
	repo := s.Repo("octo-org/octo-repo")
	repo.Description, repo.Homepage = "The octo service", "https://octo.example.com"
	rel := &Release{Repo: repo, Base: sha("base"), Commit: sha("head"), Feature: sha("feature"), PrevDigest: "sha256:" + sha("previous-digest") + sha("previous-digest")[:24]}
	root := sha("root")
	repo.AddCommit(&Commit{SHA: root, Message: "Initial commit", AuthorLogin: "octocat", Date: at.Add(-96 * time.Hour), Files: []string{"README.md"}})
	repo.AddCommit(&Commit{SHA: rel.Base, Message: "Release 1.0", AuthorLogin: "octocat", Date: at.Add(-72 * time.Hour), Verified: true, Parents: []string{root}, Files: []string{"README.md"}})
	repo.AddCommit(&Commit{SHA: rel.Feature, Message: "Add the feature\n\nLonger text.", AuthorLogin: "mona", Date: at.Add(-26 * time.Hour), Parents: []string{rel.Base}, Files: []string{"main.go", ".github/workflows/release.yml"}})
	repo.AddCommit(&Commit{SHA: rel.Commit, Message: "Merge pull request #1347 from octo-org/feature", AuthorLogin: "hubot", CommitterLogin: "web-flow", Date: at.Add(-24 * time.Hour), Parents: []string{rel.Base, rel.Feature}, Files: []string{"main.go"}})
	repo.Branches["main"] = &Branch{
		Name: "main", HeadSHA: rel.Commit,
		Protection: &Protection{
			RequiredApprovingReviews: 1, RequireCodeOwnerReviews: true, DismissStaleReviews: true, RequireLastPushApproval: true,
			EnforceAdmins: true, RequiredLinearHistory: false, StatusChecks: []string{"ci/test"},
			PushUsers: []string{"octocat"}, PushTeams: []string{"release"}, PushApps: []string{"relproof"},
			DismissalUsers: []string{"octocat"}, DismissalTeams: []string{"release"}, DismissalApps: []string{"relproof"},
		},
		Rules: []Rule{
			{Type: "commit_message_pattern", RulesetID: 73, Source: "octo-org", SourceType: "Organization", Parameters: map[string]any{"operator": "starts_with", "pattern": "issue", "name": "", "negate": false}},
			{Type: "pull_request", RulesetID: 42, Source: "octo-org/octo-repo", SourceType: "Repository", Parameters: map[string]any{
				"required_approving_review_count": 1, "require_code_owner_review": true, "dismiss_stale_reviews_on_push": true,
				"require_last_push_approval": true, "required_review_thread_resolution": false,
			}},
			{Type: "non_fast_forward", RulesetID: 73, Source: "octo-org", SourceType: "Organization"},
		},
	}
	repo.Branches["feature"] = &Branch{Name: "feature", HeadSHA: rel.Feature}
	repo.Pulls = append(repo.Pulls, &Pull{
		Number: 1347, Title: "Add the feature", Body: "Adds the feature.", Author: "mona", State: "closed",
		Merged: true, MergedBy: "octocat", MergedAt: at.Add(-24 * time.Hour), MergeCommitSHA: rel.Commit,
		Base: "main", BaseSHA: rel.Base, Head: "feature", HeadSHA: rel.Feature, Commits: []string{rel.Feature},
		Labels: []string{"release"}, Assignees: []string{"mona"}, RequestedReviewers: []string{"hubot"}, RequestedTeams: []string{"release"},
		Milestone: "v1.1", CreatedAt: at.Add(-30 * time.Hour),
		Reviews: []*PullReview{
			{ID: s.ID(), User: "octocat", State: "APPROVED", Body: "LGTM", CommitID: rel.Feature, SubmittedAt: at.Add(-25 * time.Hour)},
			{ID: s.ID(), User: "hubot", State: "COMMENTED", Body: "nit", CommitID: rel.Base, SubmittedAt: at.Add(-29 * time.Hour)},
		},
	})
	repo.Files[".github/CODEOWNERS"] = "# Owners\n*       @octo-org/dev\n/.github/ @octo-org/security\n***/*.rb @monalisa\n"
	repo.CodeownersErrors = []CodeownersError{{Line: 4, Column: 1, Kind: "Invalid pattern", Source: "***/*.rb @monalisa", Suggestion: "Did you mean `**/*.rb`?",
		Message: "Invalid pattern on line 4: Did you mean `**/*.rb`?\n\n  ***/*.rb @monalisa\n  ^", Path: ".github/CODEOWNERS"}}

	// The earlier release, deployed to production.
	prev := &Deployment{ID: s.ID(), SHA: rel.Base, Ref: rel.Base, Task: "deploy", Environment: "production", Creator: "relproof[bot]",
		Payload: []byte(`{"digest":"` + rel.PrevDigest + `"}`), CreatedAt: at.Add(-70 * time.Hour), UpdatedAt: at.Add(-70 * time.Hour), Production: true, Description: "Release 1.0"}
	prev.Statuses = []*DeploymentStatus{{ID: s.ID(), State: "success", Description: "Deployed", EnvironmentURL: "https://app.example.com", LogURL: "https://github.com/octo-org/octo-repo/actions/runs/1", Creator: "relproof[bot]", CreatedAt: at.Add(-70 * time.Hour)}}
	repo.Deployments = append(repo.Deployments, prev)
	rel.PrevDeployment = prev

	// The run that built and now deploys the release: hubot pushed the
	// merge. Its reviewer, octocat, neither made the change nor ran it.
	run := &Run{ID: 30433642, WorkflowID: 159038, Attempt: 1, RunNumber: 562, Name: "Release", Path: ".github/workflows/release.yml", Event: "push",
		HeadBranch: "main", HeadSHA: rel.Commit, Actor: "hubot", Status: "in_progress", CreatedAt: at.Add(-20 * time.Minute), StartedAt: at.Add(-20 * time.Minute)}
	run.Jobs = []*Job{
		{ID: s.ID(), Attempt: 1, Name: "build", Labels: []string{"ubuntu-24.04"}, RunnerID: 7, RunnerName: "GitHub Actions 7", RunnerGroupID: 2, RunnerGroupName: "GitHub Actions",
			Status: "completed", Conclusion: "success", CreatedAt: at.Add(-20 * time.Minute), StartedAt: at.Add(-19 * time.Minute), CompletedAt: at.Add(-15 * time.Minute),
			Steps: []Step{{Number: 1, Name: "Set up job", Status: "completed", Conclusion: "success", StartedAt: at.Add(-19 * time.Minute), CompletedAt: at.Add(-18 * time.Minute)}},
			Log:   "2026-11-26T11:41:00.0000000Z ##[group]Runner Image\n2026-11-26T11:41:00.0000000Z Image: ubuntu-24.04\n2026-11-26T11:41:00.0000000Z Version: 20261120.1.0\n2026-11-26T11:41:00.0000000Z ##[endgroup]\n2026-11-26T11:42:00.0000000Z go build ./...\n"},
		{ID: s.ID(), Attempt: 1, Name: "deploy", Labels: []string{"self-hosted", "deploy"}, RunnerID: 9, RunnerName: "deployer-1", RunnerGroupID: 3, RunnerGroupName: "deployers",
			Status: "in_progress", CreatedAt: at.Add(-10 * time.Minute), StartedAt: at.Add(-time.Minute),
			Steps: []Step{{Number: 1, Name: "Set up job", Status: "completed", Conclusion: "success", StartedAt: at.Add(-time.Minute), CompletedAt: at.Add(-time.Minute)}}},
	}
	run.Approvals = []*EnvApproval{{User: "octocat", State: "approved", Comment: "Ship it!", Environments: []string{"production"}}}
	repo.Runs[run.ID] = run
	rel.Run = run

	// GitHub's deployment for the run's deploy job: made when the job
	// reached the environment, before the review.
	envDep := &Deployment{ID: s.ID(), SHA: rel.Commit, Ref: "main", Task: "deploy", Environment: "production", Creator: "octocat",
		CreatedAt: at.Add(-10 * time.Minute), UpdatedAt: at.Add(-time.Minute), Production: true}
	envDep.Statuses = []*DeploymentStatus{
		{ID: s.ID(), State: "waiting", Creator: "github-actions[bot]", CreatedAt: at.Add(-10 * time.Minute), LogURL: "https://github.com/octo-org/octo-repo/actions/runs/30433642"},
		{ID: s.ID(), State: "in_progress", Creator: "github-actions[bot]", CreatedAt: at.Add(-time.Minute), LogURL: "https://github.com/octo-org/octo-repo/actions/runs/30433642"},
	}
	repo.Deployments = append(repo.Deployments, envDep)
	rel.EnvDeployment = envDep

	repo.CheckRuns = append(repo.CheckRuns, &CheckRun{ID: s.ID(), Name: "ci/test", HeadSHA: rel.Feature, Status: "completed", Conclusion: "success",
		Title: "Tests", Summary: "All passed", Text: "42 tests", DetailsURL: "https://example.com/ci", ExternalID: "ci-1",
		StartedAt: at.Add(-26 * time.Hour), CompletedAt: at.Add(-26 * time.Hour), Writes: 1,
		Annotations: nil})
	repo.Installation = 4242
	return rel
}

// Release is what Scenario made.
type Release struct {
	Repo           *Repo
	Base           string // the commit deployed before
	Feature        string // the pull request's head
	Commit         string // the merge commit being released
	PrevDigest     string
	PrevDeployment *Deployment
	EnvDeployment  *Deployment
	Run            *Run
}

// sha returns a fake commit SHA derived from a name.
func sha(name string) string {
	const hexdigits = "0123456789abcdef"
	b := make([]byte, 40)
	h := uint32(2166136261)
	for i := range b {
		for _, c := range []byte(name) {
			h = (h ^ uint32(c)) * 16777619
		}
		h = (h ^ uint32(i)) * 16777619
		b[i] = hexdigits[h%16]
	}
	return string(b)
}

// SHA returns a fake commit SHA derived from a name, for tests.
func SHA(name string) string { return sha(name) }
