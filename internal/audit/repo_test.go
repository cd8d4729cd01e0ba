package audit

import (
	"context"
	"strings"
	"testing"

	"github.com/relproof/relproof/internal/github"
	"github.com/relproof/relproof/internal/testing/fakegithub"
)

const token = "ghs_audit"

// orgFake is a fake GitHub with n repositories of the organization acme,
// and a client of it.
func orgFake(t testing.TB, n int, seed func(i int, r *fakegithub.Repo)) (*github.Client, []github.Repo) {
	t.Helper()
	_, c, repos := orgFakeWith(t, n, seed)
	return c, repos
}

func orgFakeWith(t testing.TB, n int, seed func(i int, r *fakegithub.Repo)) (*fakegithub.Fake, *github.Client, []github.Repo) {
	t.Helper()
	f, srv := fakegithub.Start(t, fakegithub.WithToken(token))
	var repos []github.Repo
	f.Update(func(s *fakegithub.State) {
		for _, r := range s.AddOrgRepos("acme", n, seed) {
			repos = append(repos, github.Repo{Owner: "acme", Name: r.Name})
		}
	})
	c, err := github.New(context.Background(), github.Options{APIURL: srv.URL, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return f, c, repos
}

func allowAll(_ context.Context, _ github.Repo, _ string) (*Evidence, error) {
	return &Evidence{SBOM: true, Signed: true, Builders: []Builder{l3}, AllowedIn: []string{"production"}}, nil
}

// TestAuditRepo reads a repository's workflows, settings and deployments
// from the fake and rates every control.
func TestAuditRepo(t *testing.T) {
	c, repos := orgFake(t, 1, nil)
	rep, err := AuditRepo(context.Background(), RepoOptions{Client: c, Repo: repos[0], Releases: 5, Verify: allowAll})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Commit) != 40 {
		t.Errorf("commit %q, want the default branch's head", rep.Commit)
	}
	got := levels(rep.Controls)
	for _, id := range []string{ControlSourceProtection, ControlDeploymentApproval, ControlActionsSettings, ControlBuildIsolation, ControlArtifactIdentity, ControlDeploymentDecisions} {
		if _, ok := got[id]; !ok {
			t.Errorf("no control %s: %v", id, got)
		}
	}
	if got[ControlArtifactIdentity] != Strong || got[ControlDeploymentDecisions] != Strong {
		t.Errorf("evidence controls %v, want strong with every digest verified and decided", got)
	}
	// The fake's release workflow: actions by tag, a deploy by tag,
	// provenance attested and never verified.
	rules := map[string]bool{}
	for _, f := range rep.Findings {
		rules[f.Rule] = true
		if !strings.HasPrefix(f.File, ".github/workflows/") {
			t.Errorf("finding in %q, want a path in the repository", f.File)
		}
	}
	for _, r := range []string{"unpinned-action", "attest-not-verified"} {
		if !rules[r] {
			t.Errorf("no %s finding in the fake's release workflow: %+v", r, rep.Findings)
		}
	}
}

// TestAuditRepoBadWorkflow: a file under .github/workflows that is no
// workflow is an error that names it, not an audit that skipped it.
func TestAuditRepoBadWorkflow(t *testing.T) {
	c, repos := orgFake(t, 1, func(_ int, r *fakegithub.Repo) {
		r.Files[".github/workflows/broken.yml"] = "- not\n- a workflow\n"
	})
	_, err := AuditRepo(context.Background(), RepoOptions{Client: c, Repo: repos[0]})
	if err == nil || !strings.Contains(err.Error(), ".github/workflows/broken.yml") {
		t.Fatalf("error %v, want one naming the broken workflow", err)
	}
}

// TestAuditOrg audits every repository but archived ones and forks, and
// lists one that cannot be audited without stopping the others.
func TestAuditOrg(t *testing.T) {
	c, _ := orgFake(t, 5, func(i int, r *fakegithub.Repo) {
		switch i {
		case 1:
			r.Archived = true
		case 2:
			r.Fork = true
		case 3:
			r.Files[".github/workflows/broken.yml"] = "[]"
		}
	})
	var progress []int
	rep, err := AuditOrg(context.Background(), OrgOptions{Client: c, Org: "acme", Releases: 2, Verify: allowAll, Workers: 2,
		Progress: func(done, total int) { progress = append(progress, done*10+total) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Reports) != 2 || len(rep.Skipped) != 2 || len(rep.Failed) != 1 {
		t.Fatalf("%d audited, %d skipped, %d failed; want 2, 2, 1: %+v", len(rep.Reports), len(rep.Skipped), len(rep.Failed), rep.Failed)
	}
	if len(progress) != 3 || progress[2] != 33 {
		t.Errorf("progress %v, want 3 calls ending at 3 of 3", progress)
	}
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"acme/service-000", "acme/service-003", "could not be audited", "source"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the summary does not say %q:\n%s", want, b.String())
		}
	}
	if !strings.Contains(rep.Markdown(), "| acme/service-004 |") {
		t.Errorf("the Markdown table has no row for service-004:\n%s", rep.Markdown())
	}
}
