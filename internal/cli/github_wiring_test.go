package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/relproof/relproof/internal/testing/fakegithub"
)

// attest --github-upload stores the bundle with the repository's artifact
// attestations; verify --from-github reads it back by digest and
// --check-run posts the verdict as "relproof / ENV", updated on re-runs.
func TestGitHubAttestUploadVerifyCheckRun(t *testing.T) {
	t.Parallel()
	w := newGHWorld(t)
	artifact := writeFile(t, w.dir, "app.bin", "the artifact")
	pred := writeFile(t, w.dir, "p.json", `{"ok":true}`)
	r := run(t, w.env, "attest", artifact, "--type", "custom", "--predicate", pred, "--predicate-type", "https://x.example/p", "--key", w.key, "--github-upload", "--output", "json")
	expect(t, r, 0)
	var rep attestReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.GitHubID == 0 || rep.BundleFile != "" {
		t.Errorf("report = %+v, want a GitHub attestation id and no file", rep)
	}

	r = run(t, w.env, "verify", artifact, "--from-github", "--key", w.pub, "--check-run", "--environment", "staging")
	expect(t, r, 0)
	if !strings.Contains(r.stdout, "github:octo-org/octo-repo/attestations/"+rep.Digest) {
		t.Errorf("verify did not read GitHub's attestation:\n%s", r.stdout)
	}
	_, otherPub := keys(t, w.env, w.dir, "other")
	expect(t, run(t, w.env, "verify", artifact, "--from-github", "--key", otherPub, "--check-run", "--environment", "staging"), 1)

	var runs []*fakegithub.CheckRun
	w.f.View(func(s *fakegithub.State) {
		for _, c := range s.Repo("octo-org/octo-repo").CheckRuns {
			if c.Name == "relproof / staging" {
				runs = append(runs, c)
			}
		}
	})
	if len(runs) != 1 {
		t.Fatalf("%d check runs named relproof / staging, want one updated in place", len(runs))
	}
	c := runs[0]
	if c.Conclusion != "failure" || !strings.Contains(c.Title, rep.Digest) || !strings.Contains(c.Summary, "not verified") {
		t.Errorf("check run = %+v, want the failed second verification titled with the digest", c)
	}
	for _, out := range []string{r.stdout, r.stderr, c.Summary} {
		if strings.Contains(out, ghToken) {
			t.Error("the token appears in an output")
		}
	}
	expect(t, run(t, w.env, "verify", artifact, "--key", w.pub, "--check-run"), 2, "check-run", "environment")
}
