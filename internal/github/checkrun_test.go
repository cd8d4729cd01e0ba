package github

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/relproof/relproof/internal/testing/fakegithub"
)

func TestCheckRunExternalID(t *testing.T) {
	t.Parallel()
	id := CheckRunExternalID(42, 3, "production")
	if id != "relproof:42:3:production" {
		t.Fatalf("id = %q", id)
	}
	if run, attempt, env, ok := parseExternalID(id); !ok || run != 42 || attempt != 3 || env != "production" {
		t.Errorf("parsed %d %d %q %v", run, attempt, env, ok)
	}
	if _, _, env, ok := parseExternalID("relproof:42:1:prod:eu"); !ok || env != "prod:eu" {
		t.Errorf("an environment with a colon: %q %v", env, ok)
	}
	for _, bad := range []string{"", "sha256:" + strings.Repeat("ab", 32), "relproof:42:1:", "relproof:0:1:production", "relproof:42:0:production",
		"relproof:-1:1:production", "relproof:x:1:production", "other:42:1:production", "relproof:42:production"} {
		if _, _, _, ok := parseExternalID(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"relproof:42:1:production", "relproof:42:2:Production", true},
		{"relproof:42:1:production", "relproof:43:1:production", false},
		{"relproof:42:1:production", "relproof:42:1:staging", false},
		{"relproof:42:1:production", "", false},
		{"", "", true},
		{"x", "x", true},
	} {
		if samePoster(tc.a, tc.b) != tc.same {
			t.Errorf("samePoster(%q, %q) = %v", tc.a, tc.b, !tc.same)
		}
	}
}

// A run's check run is the one it posted: other runs' check runs of the
// same name, on the same commit, are neither updated nor found for it, and
// neither is one another app posted, however late.
func TestRunCheckRun(t *testing.T) {
	t.Parallel()
	f, srv, rel := fake(t)
	c := client(t, srv)
	ctx := context.Background()
	digest := "sha256:" + strings.Repeat("cd", 32)
	post := func(runID int64, attempt int) *CheckRun {
		t.Helper()
		cr, err := c.PostCheckRun(ctx, octo, CheckRunRequest{Name: CheckRunName("production"), HeadSHA: rel.Commit, Title: CheckRunTitle("production", digest),
			Summary: "s", ExternalID: CheckRunExternalID(runID, attempt, "production")})
		if err != nil {
			t.Fatal(err)
		}
		return cr
	}
	ours := post(rel.Run.ID, 1)
	again := post(rel.Run.ID, 2) // the prepare job re-run: the same check run
	other := post(777, 1)        // another run on the same commit: its own
	if again.ID != ours.ID || !again.Updated || again.ExternalID != CheckRunExternalID(rel.Run.ID, 2, "production") || again.App != ActionsApp {
		t.Errorf("re-posted = %+v", again)
	}
	if other.ID == ours.ID || other.Updated {
		t.Errorf("another run's post updated this run's check run: %+v", other)
	}
	// Another app posts a check run of the same name, later; pages of two
	// make the list span pages.
	f.Update(func(s *fakegithub.State) {
		r := s.Repo("octo-org/octo-repo")
		for range 3 {
			r.CheckRuns = append(r.CheckRuns, &fakegithub.CheckRun{ID: s.ID(), Name: CheckRunName("production"), HeadSHA: rel.Commit, Status: "completed", Conclusion: "success",
				Title: CheckRunTitle("production", digest), Summary: "s", App: "octoapp", ExternalID: CheckRunExternalID(rel.Run.ID, 1, "production"), StartedAt: at.Add(-48 * time.Hour)})
		}
	})
	want := RunCheckRun{Environment: "production", HeadSHA: rel.Commit, RunID: rel.Run.ID, Attempt: 2}
	got, err := c.FindRunCheckRun(ctx, octo, want)
	if err != nil || got.ID != ours.ID {
		t.Fatalf("found %+v, %v; want check run %d", got, err, ours.ID)
	}
	if latest, err := c.FindCheckRun(ctx, octo, rel.Commit, CheckRunName("production")); err != nil || latest.ID == ours.ID || latest.App != "octoapp" {
		t.Errorf("the latest of the name is another app's: %+v, %v", latest, err)
	}

	// Run 9's check run is none of these.
	_, err = c.FindRunCheckRun(ctx, octo, RunCheckRun{Environment: "production", HeadSHA: rel.Commit, RunID: 9, Attempt: 1})
	var me *CheckRunMismatchError
	if !errors.As(err, &me) || !errors.Is(err, ErrNotFound) || len(me.PassedOver) != 5 {
		t.Fatalf("err = %v", err)
	}
	for _, says := range []string{`no check run "relproof / production" on ` + rel.Commit + " was posted by run 9", "was posted for run 30433642, not run 9",
		"was posted for run 777, not run 9", `was posted by the app "octoapp", not by GitHub Actions (github-actions)`} {
		if !strings.Contains(err.Error(), says) {
			t.Errorf("%q does not say %q", err, says)
		}
	}

	// A check run that GitHub Actions posted (any workflow's GITHUB_TOKEN
	// may) claiming to be this run's as well: which one showed the digest
	// is unknown.
	f.Update(func(s *fakegithub.State) {
		r := s.Repo("octo-org/octo-repo")
		r.CheckRuns = append(r.CheckRuns, &fakegithub.CheckRun{ID: s.ID(), Name: CheckRunName("production"), HeadSHA: rel.Commit, Status: "completed",
			Title: CheckRunTitle("production", digest), Summary: "s", ExternalID: CheckRunExternalID(rel.Run.ID, 1, "production"), StartedAt: at.Add(-48 * time.Hour)})
	})
	_, err = c.FindRunCheckRun(ctx, octo, want)
	if !errors.As(err, &me) || errors.Is(err, ErrNotFound) || len(me.Claimants) != 2 || !strings.Contains(err.Error(), "all claim to be") {
		t.Errorf("two claimants: %v", err)
	}
	if _, err := c.FindRunCheckRun(ctx, octo, RunCheckRun{Environment: "production", RunID: 1}); !errors.Is(err, ErrConfig) {
		t.Errorf("no commit: %v", err)
	}
}

func TestRunCheckRunMismatch(t *testing.T) {
	t.Parallel()
	want := RunCheckRun{Environment: "production", HeadSHA: "abc", RunID: 42, Attempt: 2}
	ok := CheckRun{ID: 7, Name: "relproof / production", HeadSHA: "abc", App: ActionsApp, ExternalID: "relproof:42:2:production"}
	for _, tc := range []struct {
		name string
		mod  func(*CheckRun)
		says string
	}{
		{"this run's", func(*CheckRun) {}, ""},
		{"an earlier attempt's", func(c *CheckRun) { c.ExternalID = "relproof:42:1:production" }, ""},
		{"environment named in another case", func(c *CheckRun) { c.ExternalID = "relproof:42:1:Production" }, ""},
		{"another name", func(c *CheckRun) { c.Name = "relproof / staging" }, `check run 7 is not named "relproof / production"`},
		{"another commit", func(c *CheckRun) { c.HeadSHA = "def" }, "check run 7 is on commit def, not abc"},
		{"another app", func(c *CheckRun) { c.App = "octoapp" }, `posted by the app "octoapp"`},
		{"no app", func(c *CheckRun) { c.App = "" }, `posted by the app ""`},
		{"the digest as external id (before relproof named runs)", func(c *CheckRun) { c.ExternalID = "sha256:" + strings.Repeat("ab", 32) }, "no external id naming a relproof run"},
		{"another run", func(c *CheckRun) { c.ExternalID = "relproof:41:1:production" }, "posted for run 41, not run 42"},
		{"another environment", func(c *CheckRun) { c.ExternalID = "relproof:42:1:staging\nINJECTED" }, `posted for another environment than "production"`},
		{"a later attempt than the run has had", func(c *CheckRun) { c.ExternalID = "relproof:42:3:production" }, "names attempt 3 of run 42, which has had 2"},
	} {
		cr := ok
		tc.mod(&cr)
		if got := want.Mismatch(&cr); (tc.says == "" && got != "") || !strings.Contains(got, tc.says) || strings.Contains(got, "INJECTED") {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.says)
		}
	}
}
