package cli

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relproof/relproof/internal/audit"
	"github.com/relproof/relproof/internal/gate"
	"github.com/relproof/relproof/internal/sign"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/testing/fakegithub"
	"github.com/relproof/relproof/internal/testing/fakesigstore"
	"github.com/relproof/relproof/internal/verify"
)

const badWorkflow = `on: push
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm publish
        env:
          NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}
`

// TestAuditDir: --dir alone audits the workflow files offline, in every
// format, and exits 1 only at or above --fail-on.
func TestAuditDir(t *testing.T) {
	t.Parallel()
	env := testEnv(t, nil)
	mkdirs(t, env.Dir, ".github/workflows")
	writeFile(t, env.Dir, ".github/workflows/publish.yml", badWorkflow)

	r := run(t, env, "audit")
	expect(t, r, 1, "a finding of severity high, at or above --fail-on high")
	for _, want := range []string{".github/workflows/publish.yml:3: high deploy-without-environment", ".github/workflows/publish.yml:9: high long-lived-secret", "missing-permissions", "build-isolation"} {
		if !strings.Contains(r.stdout, want) && !strings.Contains(r.stdout, "Build isolation") {
			t.Errorf("the report does not say %q:\n%s", want, r.stdout)
		}
	}
	expect(t, run(t, env, "audit", "--fail-on", "never"), 0)

	sarif, md := filepath.Join(env.Dir, "out.sarif"), filepath.Join(env.Dir, "out.md")
	r = run(t, env, "audit", "--dir", ".", "--format", "json", "--fail-on", "never", "--sarif", sarif, "--markdown", md)
	expect(t, r, 0)
	var rep audit.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("--format json: %v\n%s", err, r.stdout)
	}
	if len(rep.Findings) < 4 {
		t.Errorf("%d findings in JSON, want at least 4", len(rep.Findings))
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []json.RawMessage `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(readFile(t, sarif)), &log); err != nil || log.Version != "2.1.0" || len(log.Runs[0].Results) != len(rep.Findings) {
		t.Errorf("--sarif: version %q, %v results, err %v; want 2.1.0 and %d", log.Version, len(log.Runs), err, len(rep.Findings))
	}
	if m := readFile(t, md); !strings.Contains(m, "## relproof audit") || !strings.Contains(m, "`long-lived-secret`") {
		t.Errorf("--markdown:\n%s", m)
	}
	r = run(t, env, "audit", "--format", "sarif", "--fail-on", "never")
	expect(t, r, 0)
	if !strings.Contains(r.stdout, `"ruleId": "deploy-without-environment"`) {
		t.Errorf("--format sarif:\n%s", r.stdout)
	}
	expect(t, run(t, env, "audit", "--format", "markdown", "--fail-on", "low"), 1, "at or above --fail-on low")
	r = run(t, env, "audit", "--output", "json", "--fail-on", "never")
	expect(t, r, 0)
	if !strings.Contains(r.stdout, `"findings"`) {
		t.Errorf("--output json is not the JSON report:\n%s", r.stdout)
	}
}

// TestAuditBadInput: every way to call audit wrong exits 2 and says what
// was expected.
func TestAuditBadInput(t *testing.T) {
	t.Parallel()
	env := testEnv(t, map[string]string{GitHubTokenEnv: "t"})
	mkdirs(t, env.Dir, ".github/workflows")
	writeFile(t, env.Dir, ".github/workflows/ok.yml", "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: true\n")
	bad := t.TempDir()
	mkdirs(t, bad, ".github/workflows")
	writeFile(t, bad, ".github/workflows/list.yml", "- a\n- b\n")
	link := t.TempDir()
	if err := os.MkdirAll(filepath.Join(link, ".github", "workflows"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(link, ".github", "workflows", "x.yml")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"audit", "--format", "html"}, `--format "html": expected text, json, sarif or markdown`},
		{[]string{"audit", "--fail-on", "critical"}, `--fail-on: severity "critical": want low, medium or high, or never`},
		{[]string{"audit", "--dir", "no/such/dir"}, "--dir no/such/dir: expected a checkout"},
		{[]string{"audit", "--dir", bad}, "list.yml: not a GitHub Actions workflow"},
		{[]string{"audit", "--dir", link}, "x.yml: expected a regular file"},
		{[]string{"audit", "--releases", "-1"}, "--releases -1: expected 0 to 100"},
		{[]string{"audit", "--org", "acme", "--format", "sarif"}, "--org audits many repositories"},
		{[]string{"audit", "--org", "acme\nevil"}, "expected a GitHub organization's login"},
		{[]string{"audit", "--repo", "acme/app", "--org", "acme"}, "[org repo] were all set"},
		{[]string{"audit", "--check-run"}, "--check-run posts on the repository: give --repo"},
		{[]string{"audit", "--attest", "--key", "nokey.pem"}, "--attest: the statement is about OWNER/REPO at a commit"},
		{[]string{"audit", "stray"}, "takes no arguments"},
	} {
		r := run(t, env, tc.args...)
		expect(t, r, 2, tc.want)
	}
}

func mkdirs(t *testing.T, dir, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, path), 0o755); err != nil {
		t.Fatal(err)
	}
}

// auditWorld is the fake GitHub's acme/service-000, whose two deployments
// are of two files, and a private Sigstore to sign their evidence.
type auditWorld struct {
	f       *fakegithub.Fake
	stack   *fakesigstore.Stack
	root    string
	dir     string
	vars    map[string]string
	files   [2]string
	digests [2]string
}

func newAuditWorld(t *testing.T) *auditWorld {
	t.Helper()
	w := &auditWorld{stack: fakesigstore.New(t), dir: t.TempDir()}
	w.root = w.stack.WriteTrustedRoot(t)
	for i := range w.files {
		content := fmt.Sprintf("release %d", i)
		w.files[i] = writeFile(t, w.dir, fmt.Sprintf("app-%d.bin", i), content)
		sum := sha256.Sum256([]byte(content))
		w.digests[i] = "sha256:" + hex.EncodeToString(sum[:])
	}
	f, srv := fakegithub.Start(t, fakegithub.WithToken(ghToken), fakegithub.WithClock(func() time.Time { return fixedNow }))
	w.f = f
	f.Update(func(s *fakegithub.State) {
		s.AddOrgRepos("acme", 1, func(_ int, r *fakegithub.Repo) {
			// Each file is deployed, and released on GitHub.
			for i, d := range r.Deployments {
				d.Payload = []byte(`{"digest":"` + w.digests[i] + `"}`)
			}
			for i, rel := range r.Releases {
				rel.Assets[0].Digest = w.digests[i]
			}
		})
	})
	w.vars = map[string]string{GitHubAPIURLEnv: srv.URL, GitHubTokenEnv: ghToken, GitHubMaxWaitEnv: "5ms", GitHubTimeoutEnv: "10s"}
	return w
}

// evidence signs a statement of predicateType about file i, keyless, as a
// run of claims, and keeps it with acme/service-000's attestations.
func (w *auditWorld) evidence(t *testing.T, i int, claims fakesigstore.Claims, predicateType string, predicate map[string]any) {
	t.Helper()
	st := map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": filepath.Base(w.files[i]), "digest": map[string]string{"sha256": strings.TrimPrefix(w.digests[i], "sha256:")}}},
		"predicateType": predicateType,
		"predicate":     predicate,
	}
	b, _ := json.Marshal(st)
	stFile := writeFile(t, t.TempDir(), "statement.json", string(b))
	out := filepath.Join(t.TempDir(), "bundle.sigstore.json")
	env := testEnv(t, w.stack.ActionsEnv(claims))
	expect(t, run(t, env, "sign", stFile, "--subject", w.files[i], "--bundle-out", out,
		"--fulcio-url", w.stack.FulcioURL, "--rekor-url", w.stack.RekorURL, "--tsa-url", w.stack.TSAURL), 0)
	bundle := readFile(t, out)
	w.f.Update(func(s *fakegithub.State) {
		r := s.Repo("acme/service-000")
		r.Attestations = append(r.Attestations, &fakegithub.Attestation{ID: s.ID(), Bundle: json.RawMessage(bundle), Digests: []string{w.digests[i]}})
	})
}

func (w *auditWorld) audit(t *testing.T) map[string]audit.Control {
	t.Helper()
	env := testEnv(t, w.vars)
	r := run(t, env, "audit", "--repo", "acme/service-000", "--trusted-root", w.root, "--format", "json", "--fail-on", "never")
	expect(t, r, 0)
	var rep audit.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	out := map[string]audit.Control{}
	for _, c := range rep.Controls {
		out[c.ID] = c
	}
	return out
}

func runClaims(repo, jobWorkflow string) fakesigstore.Claims {
	return fakesigstore.Claims{
		Repository: repo, Ref: "refs/tags/v1.1.0", SHA: strings.Repeat("ab", 20),
		WorkflowRef:    repo + "/.github/workflows/release.yml@refs/tags/v1.1.0",
		JobWorkflowRef: jobWorkflow,
		EventName:      "push", RunnerEnvironment: "github-hosted", RunID: "77", RunAttempt: "1",
	}
}

// TestAuditRepoEvidence: the evidence controls count only what verifies
// offline and was signed by a run of the repository itself; provenance
// from relproof's reusable builder is Build L3; a decision counts for the
// digest and environment it allowed; another builder for a later release
// is drift.
func TestAuditRepoEvidence(t *testing.T) {
	t.Parallel()
	w := newAuditWorld(t)
	const builder = "relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1"
	own := runClaims("acme/service-000", builder)
	gateRun := runClaims("acme/service-000", "relproof/relproof/.github/workflows/deploy-gate.yml@refs/tags/v1")
	evil := runClaims("evil/fork", builder)
	prov := map[string]any{"buildDefinition": map[string]any{"buildType": "https://actions.github.io/buildtypes/workflow/v1"}, "runDetails": map[string]any{"builder": map[string]any{"id": "https://github.com/" + builder}}}
	sbom := map[string]any{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "app"}
	decision := func(i int, env string) map[string]any {
		return map[string]any{"decision": "allow", "digest": w.digests[i], "environment": env}
	}

	// Nothing yet: the digests are recorded, nothing verifies.
	c := w.audit(t)
	if c[audit.ControlArtifactIdentity].Level != audit.Minimum || c[audit.ControlDeploymentDecisions].Level != audit.Minimum {
		t.Fatalf("without evidence: %+v", c)
	}

	// An attacker's run signs everything for both digests: it vouches for
	// nothing in acme/service-000.
	for i := range 2 {
		w.evidence(t, i, evil, "https://slsa.dev/provenance/v1", prov)
		w.evidence(t, i, evil, "https://spdx.dev/Document", sbom)
		w.evidence(t, i, evil, gate.DecisionType, decision(i, "production"))
	}
	c = w.audit(t)
	if c[audit.ControlArtifactIdentity].Level != audit.Minimum || c[audit.ControlDeploymentDecisions].Level != audit.Minimum {
		t.Fatalf("evidence signed by another repository's run counted: %+v", c)
	}

	// The repository's own runs: SBOM and L3 provenance for both, a
	// decision for the first, and for the second a decision for staging.
	for i := range 2 {
		w.evidence(t, i, own, "https://slsa.dev/provenance/v1", prov)
		w.evidence(t, i, own, "https://spdx.dev/Document", sbom)
	}
	w.evidence(t, 0, gateRun, gate.DecisionType, decision(0, "production"))
	w.evidence(t, 1, gateRun, gate.DecisionType, decision(1, "staging"))
	c = w.audit(t)
	if got := c[audit.ControlArtifactIdentity]; got.Level != audit.Strong {
		t.Errorf("artifact identity %s, want strong: %+v", got.Level, got)
	}
	if got := c[audit.ControlDeploymentDecisions]; got.Level != audit.Better || !strings.Contains(strings.Join(got.Facts, "\n"), "for 1 of 2 deployments") {
		t.Errorf("decisions %s, want better (one of two deployments decided): %+v", got.Level, got)
	}

	// A later release's provenance from the caller's own workflow: drift.
	w.evidence(t, 1, runClaims("acme/service-000", ""), "https://slsa.dev/provenance/v1", prov)
	c = w.audit(t)
	if got := c[audit.ControlArtifactIdentity]; got.Level != audit.Better || !strings.Contains(strings.Join(got.Facts, "\n"), "signer drift") {
		t.Errorf("artifact identity %s, want better for signer drift: %+v", got.Level, got)
	}
}

// TestAuditAttest: --attest signs the result as an in-toto statement about
// the repository at its commit, which verifies with the signer's key.
func TestAuditAttest(t *testing.T) {
	t.Parallel()
	w := newAuditWorld(t)
	env := testEnv(t, w.vars)
	key, pub := keys(t, env, w.dir, "audit")
	out := filepath.Join(w.dir, "audit.sigstore.json")
	r := run(t, env, "audit", "--repo", "acme/service-000", "--releases", "0", "--fail-on", "never", "--attest", "--key", key, "--attest-out", out, "--format", "json")
	expect(t, r, 0)
	var rep audit.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	entries, err := verify.ReadBundles(out, []byte(readFile(t, out)))
	if err != nil {
		t.Fatal(err)
	}
	pk, err := sign.ParsePublicKey(pub, []byte(readFile(t, pub)))
	if err != nil {
		t.Fatal(err)
	}
	res, err := verify.Verify(&subject.Subject{Digest: subject.Digest{Algorithm: "gitCommit", Hex: rep.Commit}}, entries, verify.Policy{Key: pk})
	if err != nil {
		t.Fatalf("the audit statement does not verify for %s at %s: %v", rep.Repository, rep.Commit, err)
	}
	a := res.Verified[0]
	if a.PredicateType != AuditType {
		t.Errorf("predicate type %q, want %s", a.PredicateType, AuditType)
	}
	st := a.Statement
	if st.GetSubject()[0].GetName() != "https://github.com/acme/service-000" {
		t.Errorf("subject %q", st.GetSubject()[0].GetName())
	}
	pred := st.GetPredicate().AsMap()
	if pred["commit"] != rep.Commit || len(pred["findings"].([]any)) != len(rep.Findings) || len(pred["controls"].([]any)) != len(rep.Controls) {
		t.Errorf("the predicate does not carry the report: %v", pred)
	}
	// Another commit is not what was audited.
	if _, err := verify.Verify(&subject.Subject{Digest: subject.Digest{Algorithm: "gitCommit", Hex: strings.Repeat("0", 40)}}, entries, verify.Policy{Key: pk}); err == nil {
		t.Error("the audit statement verified for another commit")
	}
}

// TestAuditOrg: --org audits every repository of the organization but the
// archived ones, prints one table, and exits 2 when one could not be
// audited — after auditing the others.
func TestAuditOrg(t *testing.T) {
	t.Parallel()
	f, srv := fakegithub.Start(t, fakegithub.WithToken(ghToken), fakegithub.WithClock(func() time.Time { return fixedNow }))
	f.Update(func(s *fakegithub.State) {
		s.AddOrgRepos("acme", 3, func(i int, r *fakegithub.Repo) {
			if i == 1 {
				r.Archived = true
			}
		})
	})
	env := testEnv(t, map[string]string{GitHubAPIURLEnv: srv.URL, GitHubTokenEnv: ghToken, GitHubMaxWaitEnv: "5ms", GitHubTimeoutEnv: "10s"})
	r := run(t, env, "audit", "--org", "acme", "--fail-on", "never")
	expect(t, r, 0)
	for _, want := range []string{"2 repositories audited, 0 failed, 1 skipped", "acme/service-000", "acme/service-002"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the table does not say %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "acme/service-001 ") {
		t.Errorf("the archived repository was audited:\n%s", r.stdout)
	}
	// The fake's release workflow has high findings.
	expect(t, run(t, env, "audit", "--org", "acme"), 1, "a finding of severity high")
	r = run(t, env, "audit", "--org", "acme", "--format", "json", "--fail-on", "never")
	expect(t, r, 0)
	var rep audit.OrgReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Reports) != 2 {
		t.Fatalf("--format json: %v, %d reports\n%s", err, len(rep.Reports), r.stdout)
	}
	f.Update(func(s *fakegithub.State) {
		s.Repo("acme/service-002").Files[".github/workflows/broken.yml"] = "- not a workflow\n"
	})
	r = run(t, env, "audit", "--org", "acme", "--format", "markdown", "--fail-on", "never")
	expect(t, r, 2, "audit of acme: 1 of 2 repositories could not be audited")
	if !strings.Contains(r.stdout, "| acme/service-000 |") || !strings.Contains(r.stdout, "acme/service-002 | could not be audited") {
		t.Errorf("the table does not list both:\n%s", r.stdout)
	}
	expect(t, run(t, env, "audit", "--org", "no-such-org"), 2, "no-such-org")
}

// TestAuditOrgAsApp: --org as a GitHub App finds its installation on the
// organization, with no installation id given.
func TestAuditOrgAsApp(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	f, srv := fakegithub.Start(t, fakegithub.WithApp(99, &key.PublicKey), fakegithub.WithClock(time.Now))
	f.Update(func(s *fakegithub.State) {
		for _, r := range s.AddOrgRepos("acme", 2, nil) {
			r.Installation = 4242
		}
	})
	env := testEnv(t, map[string]string{GitHubAPIURLEnv: srv.URL, GitHubAppIDEnv: "99", GitHubAppKeyEnv: keyPEM, GitHubMaxWaitEnv: "5ms"})
	r := run(t, env, "audit", "--org", "acme", "--fail-on", "never")
	expect(t, r, 0)
	if !strings.Contains(r.stdout, "2 repositories audited") {
		t.Errorf("as an App:\n%s", r.stdout)
	}
	expect(t, run(t, env, "audit", "--org", "other"), 2, "other")
}
