//go:build act

package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relproof/relproof/internal/testing/fakegithub"
	"github.com/relproof/relproof/internal/testing/fakesigstore"
)

// publishWithoutEnvironment is a consumer workflow with a high finding: a
// package published with a registry token, outside any environment.
const publishWithoutEnvironment = `name: Publish
on:
  push:
    tags: ["v*"]
permissions:
  contents: read
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - run: npm publish
        env:
          NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}
`

// TestAuditWithAct runs relproof's reusable audit.yml under act, as a
// repository of an organization that requires it would: for a clean
// repository it passes, posts the check run "relproof audit" and uploads
// SARIF; for one with a high finding it fails the job, and the check run
// and the SARIF (uploaded all the same) say where.
func TestAuditWithAct(t *testing.T) {
	w := newWorld(t)
	w.gh.Update(func(s *fakegithub.State) { w.rel = fakegithub.Scenario(s, time.Now().Add(30*time.Minute)) })
	caller, err := os.ReadFile(filepath.Join(w.root, "internal/e2e/testdata/workflows/audit-caller.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		files map[string]string
		pass  bool
		rules []string
	}{
		{"clean", nil, true, nil},
		{"a publish without an environment", map[string]string{".github/workflows/publish.yml": publishWithoutEnvironment}, false,
			[]string{"deploy-without-environment", "long-lived-secret"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{".github/workflows/audit.yml": string(caller), "README.md": "a consumer repository\n"}
			for p, s := range tc.files {
				files[p] = s
			}
			repo, head := gitRepoWith(t, files)
			w.gh.Update(func(s *fakegithub.State) {
				s.Repo("octo-org/octo-repo").AddCommit(&fakegithub.Commit{SHA: head, Message: "consumer", AuthorLogin: "octocat", Date: time.Now()})
			})
			out, artifacts := t.TempDir(), t.TempDir()
			claims := fakesigstore.Claims{Repository: "octo-org/octo-repo", Ref: "refs/heads/main", SHA: head,
				WorkflowRef: "octo-org/octo-repo/.github/workflows/audit.yml@refs/heads/main", RunID: "9100"}
			event := map[string]any{"repository": map[string]any{"full_name": "octo-org/octo-repo", "default_branch": "main"}}
			log, err := w.runAct(t, actRun{workflow: ".github/workflows/audit.yml", repo: repo, eventName: "workflow_dispatch", event: event,
				claims: claims, out: out, artifacts: artifacts})
			if (err == nil) != tc.pass {
				t.Fatalf("act: %v, want the run to pass: %v; log:\n%s", err, tc.pass, tail(log, 150))
			}
			// The check run a ruleset requires, on the audited commit.
			runs := w.checkRuns("relproof audit")
			var found *fakegithub.CheckRun
			for _, cr := range runs {
				if cr.HeadSHA == head {
					found = cr
				}
			}
			if found == nil {
				t.Fatalf("no check run \"relproof audit\" on %s; log:\n%s", head, tail(log, 150))
			}
			want := "success"
			if !tc.pass {
				want = "failure"
			}
			if found.Conclusion != want {
				t.Errorf("check run concluded %q, want %q", found.Conclusion, want)
			}
			// The SARIF reached code scanning, whatever the verdict.
			b, err := os.ReadFile(filepath.Join(out, "relproof-audit.sarif"))
			if err != nil {
				t.Fatalf("no SARIF was uploaded: %v; log:\n%s", err, tail(log, 150))
			}
			var sarif struct {
				Runs []struct {
					Results []struct {
						RuleID    string `json:"ruleId"`
						Locations []struct {
							PhysicalLocation struct {
								ArtifactLocation struct {
									URI string `json:"uri"`
								} `json:"artifactLocation"`
							} `json:"physicalLocation"`
						} `json:"locations"`
					} `json:"results"`
				} `json:"runs"`
			}
			if err := json.Unmarshal(b, &sarif); err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, r := range sarif.Runs[0].Results {
				got[r.RuleID] = r.Locations[0].PhysicalLocation.ArtifactLocation.URI
			}
			for _, rule := range tc.rules {
				if got[rule] != ".github/workflows/publish.yml" {
					t.Errorf("SARIF has %s at %q, want .github/workflows/publish.yml: %v", rule, got[rule], got)
				}
			}
			if tc.pass && !strings.Contains(found.Summary, "## relproof audit") {
				t.Errorf("the check run's summary is not the audit's Markdown:\n%s", found.Summary)
			}
		})
	}
}

// gitRepoWith makes a git repository with files committed on main, and
// returns it and its head.
func gitRepoWith(t *testing.T, files map[string]string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	for p, s := range files {
		p = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-c", "user.email=e2e@example.com", "-c", "user.name=e2e"}, args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q", "-b", "main")
	git("add", ".")
	git("commit", "-q", "-m", "consumer")
	return dir, git("rev-parse", "HEAD")
}
