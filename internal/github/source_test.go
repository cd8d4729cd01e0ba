package github

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/relproof/relproof/internal/testing/fakegithub"
)

func TestSourceEvidence(t *testing.T) {
	t.Parallel()
	_, srv, rel := fake(t)
	c := client(t, srv)
	ev, err := c.SourceEvidence(context.Background(), octo, rel.Commit, SourceOptions{Environment: "production"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.PullRequests) != 1 {
		t.Fatalf("pull requests = %+v", ev.PullRequests)
	}
	pr := ev.PullRequests[0]
	if pr.Number != 1347 || pr.Author != "mona" || !pr.Merged || pr.MergedBy != "octocat" || pr.MergeCommitSHA != rel.Commit || pr.BaseRef != "main" || pr.HeadSHA != rel.Feature || pr.MergedAt == nil {
		t.Errorf("pull request = %+v", pr)
	}
	wantReviews := []Review{
		{Reviewer: "octocat", State: "APPROVED", CommitID: rel.Feature, AtHead: true},
		{Reviewer: "hubot", State: "COMMENTED", CommitID: rel.Base},
	}
	for i := range pr.Reviews {
		pr.Reviews[i].SubmittedAt = nil
	}
	if diff := cmp.Diff(wantReviews, pr.Reviews); diff != "" {
		t.Errorf("reviews (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"octocat"}, pr.ApprovedAtHead); diff != "" {
		t.Errorf("approved at head: %s", diff)
	}
	if ev.Branch != "main" {
		t.Errorf("branch = %q, want the pull request's base", ev.Branch)
	}
	// The change's authors: the pull request's, and the range's commits'.
	if diff := cmp.Diff([]string{"mona", "hubot"}, ev.Authors); diff != "" {
		t.Errorf("authors: %s", diff)
	}
	r := ev.Range
	if r == nil || r.Base != rel.Base || r.PreviousDigest != rel.PrevDigest || r.PreviousDeploymentID != rel.PrevDeployment.ID || r.TotalCommits != 2 || r.Status != "ahead" || len(r.Commits) != 2 {
		t.Fatalf("range = %+v", r)
	}
	if r.Commits[0].SHA != rel.Feature || r.Commits[0].Author != "mona" || r.Commits[0].Subject != "Add the feature" {
		t.Errorf("first commit = %+v", r.Commits[0])
	}
	p := ev.Protection
	if !p.Protected || p.Rules == nil || p.Rules.RequiredApprovingReviews != 1 || !p.Rules.RequireCodeOwnerReviews || !p.Rules.EnforceAdmins || len(p.Rulesets) != 3 {
		t.Errorf("protection = %+v %+v", p, p.Rules)
	}
	if p.Rulesets[0].Type != "commit_message_pattern" || p.Rulesets[0].RulesetSourceType != "Organization" || !strings.Contains(string(p.Rulesets[0].Parameters), `"pattern":"issue"`) {
		t.Errorf("ruleset rule = %+v", p.Rulesets[0])
	}
	co := ev.CodeOwners
	if co.File != ".github/CODEOWNERS" || !co.CoversWorkflows || co.Rule != "/.github/ @octo-org/security" || len(co.Errors) != 1 {
		t.Errorf("codeowners = %+v", co)
	}

	md := ev.PullRequestSummary()
	for _, want := range []string{"# Source of `" + rel.Commit[:12] + "` in octo-org/octo-repo", "| branch protected | yes (branch protection: 1 approving reviews", "3 ruleset rules",
		"CODEOWNERS covers `.github/workflows/` | yes: `/.github/ @octo-org/security`", "merged by @octocat", "| @octocat | APPROVED | `" + rel.Feature[:12] + "` (head) |"} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
	txt := ev.CommitRangeText()
	if !strings.Contains(txt, rel.Base+".."+rel.Commit+": 2 commits to production") || !strings.Contains(txt, rel.Feature+" mona Add the feature\n") {
		t.Errorf("commit range:\n%s", txt)
	}
}

func TestSourceEvidenceUnprotectedDirectPush(t *testing.T) {
	t.Parallel()
	f, srv, rel := fake(t)
	direct := fakegithub.SHA("direct")
	f.Update(func(s *fakegithub.State) {
		r := s.Repo("octo-org/octo-repo")
		r.AddCommit(&fakegithub.Commit{SHA: direct, Message: "hotfix", AuthorLogin: "mallory", Parents: []string{rel.Commit}})
		r.Branches["hotfix"] = &fakegithub.Branch{Name: "hotfix", HeadSHA: direct}
		delete(r.Files, ".github/CODEOWNERS")
		r.Files["CODEOWNERS"] = "*.go @octo-org/dev\n.github/workflows/\n"
	})
	c := client(t, srv)
	ev, err := c.SourceEvidence(context.Background(), octo, direct, SourceOptions{Branch: "hotfix"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.PullRequests) != 0 || ev.Range != nil {
		t.Errorf("pull requests %v, range %v", ev.PullRequests, ev.Range)
	}
	if ev.Protection.Protected || ev.Protection.Rules != nil || ev.Protection.Note != "no branch protection rule" || len(ev.Protection.Rulesets) != 0 {
		t.Errorf("protection = %+v", ev.Protection)
	}
	if ev.CodeOwners.File != "CODEOWNERS" || ev.CodeOwners.CoversWorkflows || ev.CodeOwners.Rule != ".github/workflows/" {
		t.Errorf("codeowners = %+v", ev.CodeOwners)
	}
	if md := ev.PullRequestSummary(); !strings.Contains(md, "pushed directly") || !strings.Contains(md, "| branch protected | no (no branch protection rule) |") {
		t.Errorf("summary:\n%s", md)
	}
}

func TestCodeOwnersPatterns(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pattern string
		match   []string
		nomatch []string
	}{
		{"*", []string{".github/workflows/a.yml", "x"}, nil},
		{"/.github/", []string{".github/workflows/a.yml"}, []string{"src/.github/x", ".github"}},
		{".github/", []string{".github/workflows/a.yml", "src/.github/x"}, nil},
		{".github/workflows/", []string{".github/workflows/a.yml"}, []string{".github/a.yml"}},
		{"/.github/workflows/*.yml", []string{".github/workflows/a.yml"}, []string{".github/workflows/a.yaml", ".github/workflows/sub/a.yml"}},
		{"*.yml", []string{".github/workflows/a.yml", "a.yml"}, []string{"a.yaml"}},
		{"**/workflows/", []string{".github/workflows/a.yml"}, nil},
		{"/.github/**", []string{".github/workflows/a.yml"}, nil},
		{"docs/*", []string{"docs/a.md"}, []string{"docs/sub/a.md", "x/docs/a.md"}},
		{"apps/", []string{"apps/a", "x/apps/a"}, []string{"apps"}},
	} {
		re, ok := codeOwnersPattern(tc.pattern)
		if !ok {
			t.Errorf("%q: not parsed", tc.pattern)
			continue
		}
		for _, p := range tc.match {
			if !re.MatchString(p) {
				t.Errorf("%q does not match %q (%s)", tc.pattern, p, re)
			}
		}
		for _, p := range tc.nomatch {
			if re.MatchString(p) {
				t.Errorf("%q matches %q (%s)", tc.pattern, p, re)
			}
		}
	}
	for _, bad := range []string{"***/*.rb", "!x", "[ab]", "/"} {
		if _, ok := codeOwnersPattern(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
	rules := parseCodeOwners("# c\n* @all\n/.github/workflows/ @sec # trailing\n/.github/workflows/x.yml\n")
	if r := ownerRule(rules, ".github/workflows/release.yml"); r == nil || r.owners[0] != "@sec" {
		t.Errorf("rule = %+v", r)
	}
	if r := ownerRule(rules, ".github/workflows/x.yml"); r == nil || len(r.owners) != 0 {
		t.Errorf("a later rule without owners does not win: %+v", r)
	}
}
