package github

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/relproof/relproof/internal/testing/fakegithub"
)

func TestSettingsReads(t *testing.T) {
	t.Parallel()
	f, srv, _ := fake(t)
	f.Update(func(s *fakegithub.State) {
		fakegithub.SettingsScenario(s)
		r := s.Repo("octo-org/octo-repo")
		// A name that needs escaping in the path, and enough secrets to
		// span pages of two.
		r.Settings.Environments = append(r.Settings.Environments, &fakegithub.Environment{Name: "prod eu", Reviewers: []string{"mona"}})
		r.Settings.Secrets = append(r.Settings.Secrets, "A", "B", "C")
	})
	c := client(t, srv)
	ctx := context.Background()

	p, err := c.ClassicProtection(ctx, octo, "main")
	if err != nil || p == nil || !p.PullRequestRequired || !p.EnforceAdmins || p.RequiredApprovingReviews != 1 || len(p.BypassPullRequest) != 0 {
		t.Errorf("protection = %+v, %v", p, err)
	}
	if p, err := c.ClassicProtection(ctx, octo, "feature"); p != nil || err != nil {
		t.Errorf("unprotected branch: %+v, %v", p, err)
	}

	envs, err := c.Environments(ctx, octo)
	if err != nil {
		t.Fatal(err)
	}
	want := []Environment{
		{Name: "production", Reviewers: []string{"User octocat", "Team release"}, PreventSelfReview: true, WaitTimer: 30, BranchPolicy: &DeploymentBranchPolicy{CustomBranchPolicies: true}},
		{Name: "staging", Reviewers: []string{}, BranchPolicy: &DeploymentBranchPolicy{ProtectedBranches: true}},
		{Name: "prod eu", Reviewers: []string{"User mona"}},
	}
	if diff := cmp.Diff(want, envs); diff != "" {
		t.Errorf("environments (-want +got):\n%s", diff)
	}
	bp, err := c.DeploymentBranchPolicies(ctx, octo, "production")
	if diff := cmp.Diff([]BranchPolicy{{Name: "main", Type: "branch"}, {Name: "v*", Type: "tag"}}, bp); diff != "" || err != nil {
		t.Errorf("branch policies: %v %s", err, diff)
	}
	rules, err := c.DeploymentProtectionRules(ctx, octo, "production")
	if err != nil || len(rules) != 1 || rules[0].AppSlug != "relproof" || !rules[0].Enabled {
		t.Errorf("custom rules = %+v, %v", rules, err)
	}
	if sec, err := c.EnvironmentSecrets(ctx, octo, "prod eu"); err != nil || len(sec) != 0 {
		t.Errorf("secrets of %q = %v, %v", "prod eu", sec, err)
	}
	if sec, err := c.RepoSecrets(ctx, octo); err != nil || len(sec) != 5 {
		t.Errorf("repository secrets = %v, %v", sec, err)
	}

	sets, err := c.Rulesets(ctx, octo)
	if err != nil || len(sets) != 2 || sets[0].BypassActors != nil {
		t.Errorf("rulesets = %+v, %v", sets, err)
	}
	rs, err := c.Ruleset(ctx, octo, 42)
	if err != nil || len(rs.BypassActors) != 1 || rs.BypassActors[0].String() != "RepositoryRole 5 (pull_request)" || len(rs.Rules) != 1 {
		t.Fatalf("ruleset 42 = %+v, %v", rs, err)
	}
	if pr, err := rs.Rules[0].PullRequestParams(); err != nil || pr.RequiredApprovingReviewCount != 1 || !pr.RequireCodeOwnerReview {
		t.Errorf("pull_request parameters = %+v, %v", pr, err)
	}

	a, err := c.ActionsPermissions(ctx, octo)
	if err != nil || !a.Enabled || a.AllowedActions != "selected" || a.SHAPinningRequired == nil || !*a.SHAPinningRequired {
		t.Errorf("actions permissions = %+v, %v", a, err)
	}
	w, err := c.WorkflowPermissions(ctx, octo)
	if err != nil || *w != (WorkflowPermissions{DefaultWorkflowPermissions: "read"}) {
		t.Errorf("workflow permissions = %+v, %v", w, err)
	}
}

// A token without administration: read gets 403 or 404; IsDenied tells it
// from GitHub failing or limiting the rate.
func TestSettingsDenied(t *testing.T) {
	t.Parallel()
	f, srv, _ := fake(t)
	f.Inject(fakegithub.Fault{Path: "/protection", Status: http.StatusForbidden, Message: "Resource not accessible by integration"},
		fakegithub.Fault{Path: "/actions/permissions", Status: http.StatusNotFound, Message: "Not Found"},
		fakegithub.SecondaryRateLimit("/actions/secrets", 0, "1"),
		fakegithub.ServerErrors("/environments", 0))
	c := client(t, srv)
	ctx := context.Background()
	_, err := c.ClassicProtection(ctx, octo, "main")
	if !IsDenied(err) || !errors.Is(err, ErrForbidden) {
		t.Errorf("403: %v", err)
	}
	if _, err := c.ActionsPermissions(ctx, octo); !IsDenied(err) {
		t.Errorf("404: %v", err)
	}
	if _, err := c.RepoSecrets(ctx, octo); err == nil || IsDenied(err) {
		t.Errorf("secondary rate limit: %v", err)
	}
	if _, err := c.Environments(ctx, octo); err == nil || IsDenied(err) {
		t.Errorf("502: %v", err)
	}
}
