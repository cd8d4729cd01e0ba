package fakegithub

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// An organization is the repositories its login owns: the fake keeps no
// organization of its own.

// orgRepos lists an organization's repositories as GET /orgs/{org}/repos
// does: ?type= (all, public, private, forks, sources; member and internal
// are all), ?sort= (created, the default, or full_name; updated and pushed
// sort as created) and ?direction= (desc by default, asc for full_name),
// paginated. An organization that owns no repository is not found.
func (f *Fake) orgRepos(w http.ResponseWriter, r *http.Request, s *State, _ *Repo) {
	org := r.PathValue("org")
	q := r.URL.Query()
	var repos []*Repo
	owns := false
	for _, repo := range s.Repos {
		if !strings.EqualFold(repo.Owner, org) {
			continue
		}
		owns = true
		switch q.Get("type") {
		case "public":
			if repo.Private {
				continue
			}
		case "private":
			if !repo.Private {
				continue
			}
		case "forks":
			if !repo.Fork {
				continue
			}
		case "sources":
			if repo.Fork {
				continue
			}
		}
		repos = append(repos, repo)
	}
	if !owns {
		f.notFound(w)
		return
	}
	byName := q.Get("sort") == "full_name"
	slices.SortFunc(repos, func(a, b *Repo) int {
		if byName {
			return strings.Compare(strings.ToLower(a.FullName()), strings.ToLower(b.FullName()))
		}
		return int(a.ID - b.ID)
	})
	if dir := q.Get("direction"); dir == "desc" || (dir == "" && !byName) {
		slices.Reverse(repos)
	}
	out := arr{}
	for _, repo := range page(w, r, repos) {
		out = append(out, repo.repository(base(r)))
	}
	f.ok(w, http.StatusOK, out)
}

// AddOrgRepos adds n repositories to org, service-000 onwards, each set up
// as a release pipeline is: a default branch with classic protection and a
// ruleset, CODEOWNERS over .github/workflows/, a release workflow (build and
// push an image by tag, attest it, deploy through the production
// environment) and a CI workflow, a production environment with required
// reviewers, a tag policy and relproof's protection rule, a staging
// environment, Actions secrets and a tight Actions policy, and two
// deployments to production carrying relproof's payload digest. seed, when
// given, then changes repository i (archive it, drop a setting). It returns
// the repositories, in order.
func (s *State) AddOrgRepos(org string, n int, seed func(i int, r *Repo)) []*Repo {
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	out := make([]*Repo, 0, n)
	for i := range n {
		r := s.Repo(fmt.Sprintf("%s/service-%03d", org, i))
		r.Description = fmt.Sprintf("Service %d", i)
		prev, head := sha(r.FullName()+"/v1.0.0"), sha(r.FullName()+"/v1.1.0")
		r.AddCommit(&Commit{SHA: prev, Message: "Release 1.0.0", AuthorLogin: "octocat", Date: at.Add(-72 * time.Hour), Verified: true,
			Files: []string{".github/workflows/release.yml", ".github/workflows/ci.yml", ".github/CODEOWNERS"}})
		r.AddCommit(&Commit{SHA: head, Message: "Merge pull request #2 from " + org + "/feature", AuthorLogin: "mona", CommitterLogin: "web-flow",
			Date: at.Add(-24 * time.Hour), Parents: []string{prev}, Files: []string{"main.go"}})
		r.Branches[r.DefaultBranch] = &Branch{Name: r.DefaultBranch, HeadSHA: head, Protection: &Protection{
			RequiredApprovingReviews: 1, RequireCodeOwnerReviews: true, DismissStaleReviews: true, EnforceAdmins: true,
			StatusChecks: []string{"test"}, BypassTeams: []string{"release"},
		}}
		r.Files[".github/workflows/release.yml"] = ReleaseWorkflow
		r.Files[".github/workflows/ci.yml"] = CIWorkflow
		r.Files[".github/CODEOWNERS"] = "*                    @" + org + "/dev\n/.github/workflows/  @" + org + "/release\n"
		r.AddRuleset(&Ruleset{Name: "default branch", Include: []string{"~DEFAULT_BRANCH"}, Rules: []Rule{
			{Type: "pull_request", Parameters: map[string]any{"required_approving_review_count": 1, "require_code_owner_review": true,
				"dismiss_stale_reviews_on_push": true, "require_last_push_approval": false, "required_review_thread_resolution": false}},
			{Type: "non_fast_forward"},
		}, BypassActors: []BypassActor{{ActorID: 5, ActorType: "RepositoryRole", Mode: "pull_request"}}}, r.DefaultBranch)
		r.Settings.Environments = append(r.Settings.Environments,
			&Environment{Name: "production", Reviewers: []string{"octocat", "team:release"}, PreventSelfReview: true,
				CustomBranches: true, BranchPolicies: []BranchPolicy{{Name: "v*", Type: "tag"}},
				ProtectionRules: []CustomRule{{App: "relproof"}}, Secrets: []string{"KUBECONFIG"}},
			&Environment{Name: "staging", ProtectedBranches: true, Secrets: []string{"STAGING_KUBECONFIG"}},
		)
		r.Settings.Secrets = []string{"SLACK_WEBHOOK"}
		r.Settings.Actions = &ActionsPermissions{AllowedActions: "selected", DefaultWorkflowPermissions: "read"}
		for j, d := range []struct {
			ref, sha string
			at       time.Time
		}{{"v1.0.0", prev, at.Add(-70 * time.Hour)}, {"v1.1.0", head, at.Add(-22 * time.Hour)}} {
			h := sha(r.FullName() + "/image/" + d.ref)
			digest := "sha256:" + h + h[:24]
			dep := &Deployment{ID: s.ID(), SHA: d.sha, Ref: d.ref, Task: "deploy", Environment: "production", Creator: "relproof[bot]",
				Payload:     []byte(`{"digest":"` + digest + `","subject":"ghcr.io/` + strings.ToLower(r.FullName()) + `"}`),
				Description: "Release " + d.ref, CreatedAt: d.at, UpdatedAt: d.at, Production: true}
			dep.Statuses = []*DeploymentStatus{{ID: s.ID(), State: "success", Description: "Deployed", EnvironmentURL: "https://" + r.Name + ".example.com",
				LogURL: fmt.Sprintf("https://github.com/%s/actions/runs/%d", r.FullName(), 1000+j), Creator: "relproof[bot]", CreatedAt: d.at}}
			if j == 0 { // the next release made it inactive
				dep.Statuses = append(dep.Statuses, &DeploymentStatus{ID: s.ID(), State: "inactive", Creator: "relproof[bot]", CreatedAt: at.Add(-22 * time.Hour)})
			}
			r.Deployments = append(r.Deployments, dep)
		}
		// Two GitHub releases with an archive each (GitHub's digest of it)
		// and its signature beside it.
		for j, tag := range []string{"v1.0.0", "v1.1.0"} {
			h := sha(r.FullName() + "/archive/" + tag)
			when := at.Add(time.Duration(j*48-72) * time.Hour)
			r.Releases = append(r.Releases, &GitHubRelease{ID: s.ID(), Tag: tag, Name: tag, CreatedAt: when, PublishedAt: when, Assets: []*ReleaseAsset{
				{ID: s.ID(), Name: r.Name + "_linux_amd64.tar.gz", ContentType: "application/gzip", Size: 4 << 20, Digest: "sha256:" + h + h[:24]},
				{ID: s.ID(), Name: r.Name + "_linux_amd64.tar.gz.sig", ContentType: "application/octet-stream", Size: 96},
			}})
		}
		if seed != nil {
			seed(i, r)
		}
		out = append(out, r)
	}
	return out
}

// ReleaseWorkflow is the release workflow AddOrgRepos gives every
// repository, as many repositories write one: the image is pushed and
// deployed by its tag, attested but never verified before the deploy job.
const ReleaseWorkflow = `name: Release
on:
  push:
    tags: ["v*"]
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-24.04
    permissions:
      contents: read
      packages: write # push the image
      id-token: write # keyless signing
      attestations: write # store the provenance
    outputs:
      digest: ${{ steps.push.outputs.digest }}
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - uses: docker/login-action@v3
        with:
          registry: ghcr.io
          username: ${{ github.actor }}
          password: ${{ secrets.GITHUB_TOKEN }}
      - id: push
        uses: docker/build-push-action@v6
        with:
          push: true
          tags: ghcr.io/${{ github.repository }}:${{ github.ref_name }}
      - uses: actions/attest-build-provenance@v2
        with:
          subject-name: ghcr.io/${{ github.repository }}
          subject-digest: ${{ steps.push.outputs.digest }}
          push-to-registry: true
  deploy:
    needs: build
    runs-on: ubuntu-24.04
    environment: production
    permissions:
      contents: read
      deployments: write
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - name: Deploy
        env:
          IMAGE: ghcr.io/${{ github.repository }}:${{ github.ref_name }}
          KUBECONFIG_DATA: ${{ secrets.KUBECONFIG }}
        run: ./deploy.sh "$IMAGE"
`

// CIWorkflow is the pull request workflow AddOrgRepos gives every
// repository.
const CIWorkflow = `name: CI
on:
  pull_request:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - uses: actions/setup-go@v5
        with:
          go-version-file: go.mod
      - run: go test ./...
`
