//go:build act

package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/relproof/relproof/internal/testing/fakegithub"
	"github.com/relproof/relproof/internal/testing/fakesigstore"
)

// TestInitReleaseWithAct runs what `relproof init --kind binary` writes,
// unchanged but for the fake hosts (the private Sigstore's URLs, its
// trusted root and its OIDC issuer), through act: a first release to
// production is allowed with no rollback digest, in the protected deploy
// job; a second release rolls back to the first's digest, taken from
// GitHub's deployments that a signed deployment record vouches for (a
// forged later deployment is passed over); and with the scan step removed, policy check says
// the scan is missing and the gate denies, naming it.
func TestInitReleaseWithAct(t *testing.T) {
	w := newWorld(t)
	w.gh.Update(func(s *fakegithub.State) {
		w.rel = fakegithub.Scenario(s, time.Now().Add(30*time.Minute))
		r := s.Repo("octo-org/octo-repo")
		r.Deployments = r.Deployments[1:] // no earlier release: this is the first
		w.rel.Run.Approvals = []*fakegithub.EnvApproval{{User: "release-manager", State: "approved", Comment: "Ship it!", Environments: []string{"production"}}}
	})
	repo := w.initRepo(t)
	rp := filepath.Join(w.bin, "relproof")
	if out, err := exec.Command(rp, "policy", "check", filepath.Join(repo, ".github/relproof/policy.yaml"), "--repository", "octo-org/octo-repo").CombinedOutput(); err != nil {
		t.Fatalf("policy check on init's output: %v\n%s", err, out)
	}

	// The first release.
	first := w.release(t, repo, "v1.0.0", w.rel.Run)
	d1 := first.digest
	if first.err != nil || !strings.Contains(first.log, fmt.Sprintf("deploying dist/app (%s) to production", d1)) {
		t.Fatalf("first release: act %v; want the deploy job to deploy %s\n%s", first.err, d1, tail(first.log, 200))
	}
	dec := first.decision(t)
	if dec.Decision != "allow" || dec.RollbackDigest != "" {
		t.Errorf("first release: decision %q, rollback digest %q; want allow and none", dec.Decision, dec.RollbackDigest)
	}
	if c := dec.check("rollback"); c.Status != "warn" || !strings.Contains(c.Message, "first release to production") {
		t.Errorf("first release: rollback check %+v; want a warning that it is the first release", c)
	}
	if crs := w.checkRuns("relproof / production"); len(crs) == 0 || crs[len(crs)-1].Conclusion != "success" || !strings.Contains(crs[len(crs)-1].Title, d1) {
		t.Errorf("first release: check run %+v; want success for %s", crs, d1)
	}
	if n := w.deploymentsOf(d1); n != 1 {
		t.Errorf("first release: %d deployments of %s recorded, want 1", n, d1)
	}
	w.verifyPack(t, nil, first.pack(t))
	w.packHolds(t, first.pack(t))

	// The second release rolls back to the first, as GitHub's deployments
	// say, past a later "successful" deployment that any workflow with
	// deployments: write could post and that no deployment record vouches
	// for.
	forged := "sha256:" + strings.Repeat("f0", 32)
	w.gh.Update(func(s *fakegithub.State) {
		// Newer than any deployment the fake has made.
		s.AddDeployment(s.Repo("octo-org/octo-repo"), "production", w.rel.Commit, forged, "success", time.Now().Add(2*time.Hour))
	})
	run2 := w.newRun(30433643)
	second := w.release(t, repo, "v1.1.0", run2)
	d2 := second.digest
	if second.err != nil || d2 == d1 || !strings.Contains(second.log, fmt.Sprintf("deploying dist/app (%s) to production", d2)) {
		t.Fatalf("second release: act %v, digest %s; want %s deployed\n%s", second.err, d2, d2, tail(second.log, 200))
	}
	dec = second.decision(t)
	if c := dec.check("rollback"); dec.Decision != "allow" || dec.RollbackDigest != d1 || c.Status != "pass" {
		t.Errorf("second release: decision %q, rollback %q (%+v); want allow, rolling back to %s with verified provenance", dec.Decision, dec.RollbackDigest, c, d1)
	}
	w.gh.View(func(s *fakegithub.State) {
		deps := s.Repo("octo-org/octo-repo").Deployments
		if p := string(deps[len(deps)-1].Payload); !strings.Contains(p, d2) || !strings.Contains(p, `"rollback_digest":"`+d1+`"`) {
			t.Errorf("second release: the deployment's payload %s does not name %s and its rollback %s", p, d2, d1)
		}
	})
	w.verifyPack(t, nil, second.pack(t))

	// Without the scan: policy check warns, and the gate denies, naming it.
	wfPath := filepath.Join(repo, ".github/workflows/release.yml")
	wf, err := os.ReadFile(wfPath)
	if err != nil {
		t.Fatal(err)
	}
	noScan := removeScan(t, string(wf))
	if err := os.WriteFile(wfPath, []byte(noScan), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(rp, "policy", "check", filepath.Join(repo, ".github/relproof/policy.yaml"), "--repository", "octo-org/octo-repo").CombinedOutput()
	if code := exitCode(err); code != 1 || !strings.Contains(string(out), "MISSING vuln") {
		t.Errorf("policy check without the scan: exit %d; want 1 naming the missing vuln evidence\n%s", code, out)
	}
	third := w.release(t, repo, "v1.2.0", w.newRun(30433644))
	if third.err == nil || strings.Contains(third.log, "deploying dist/app") || !strings.Contains(third.log, "required-vuln") {
		t.Errorf("release without the scan: act %v; want a deny naming required-vuln before any deployment\n%s", third.err, tail(third.log, 120))
	}
	if n := w.deploymentsOf(third.digest); n != 0 {
		t.Errorf("release without the scan: %d deployments of %s recorded", n, third.digest)
	}
}

// initRepo makes the consumer repository: a small Go program and what
// relproof init writes for it, with the fake hosts put in.
func (w *world) initRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":       "module example.com/app\n\ngo 1.22\n",
		"main.go":      "package main\n\nimport \"fmt\"\n\nconst version = \"v1.0.0\"\n\nfunc main() { fmt.Println(greeting()) }\n\nfunc greeting() string { return \"app \" + version }\n",
		"main_test.go": "package main\n\nimport \"testing\"\n\nfunc TestGreeting(t *testing.T) {\n\tif greeting() != \"app \"+version {\n\t\tt.Fatal(greeting())\n\t}\n}\n",
	}
	for p, c := range files {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w.git(t, dir, "init", "-q", "-b", "main")
	cmd := exec.Command(filepath.Join(w.bin, "relproof"), "init", "--kind", "binary", "--repository", "octo-org/octo-repo", "--name", "app")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("relproof init: %v\n%s", err, out)
	}
	// The fake hosts: the private Sigstore's URLs and trusted root for
	// relproof's workflows and actions, its OIDC issuer in the policy.
	wfPath, polPath := filepath.Join(dir, ".github/workflows/release.yml"), filepath.Join(dir, ".github/relproof/policy.yaml")
	wf, err := os.ReadFile(wfPath)
	if err != nil {
		t.Fatal(err)
	}
	pol, err := os.ReadFile(polPath)
	if err != nil {
		t.Fatal(err)
	}
	for p, b := range map[string][]byte{
		wfPath:  withFakeHosts(t, wf),
		polPath: bytes.ReplaceAll(pol, []byte("https://token.actions.githubusercontent.com"), []byte(w.sig.IssuerURL)),
		filepath.Join(dir, ".github/relproof/trusted_root.json"): w.sig.TrustedRootJSON,
	} {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w.git(t, dir, "add", ".")
	w.git(t, dir, "commit", "-q", "-m", "relproof init")
	return dir
}

func (w *world) git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.email=e2e@example.com", "-c", "user.name=e2e"}, args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// withFakeHosts gives every call of relproof's reusable workflows and
// actions that signs or verifies the private Sigstore: its URLs (from the
// run's variables) and its trusted root, read beside the policy.
func withFakeHosts(t *testing.T, wf []byte) []byte {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(wf, &doc); err != nil {
		t.Fatal(err)
	}
	sigstore := [][2]string{{"fulcio-url", "${{ vars.RELPROOF_FULCIO_URL }}"}, {"rekor-url", "${{ vars.RELPROOF_REKOR_URL }}"}, {"tsa-url", "${{ vars.RELPROOF_TSA_URL }}"}}
	root := [][2]string{{"trusted-root", ".github/relproof/trusted_root.json"}}
	add := func(m *yaml.Node, uses string) {
		var kv [][2]string
		switch {
		case strings.Contains(uses, "/build-attest.yml@"), strings.Contains(uses, "/actions/gate-environment@"):
			kv = sigstore
		case strings.Contains(uses, "/deploy-gate.yml@"), strings.Contains(uses, "/release-record.yml@"):
			kv = append(append([][2]string{}, sigstore...), root...)
		case strings.Contains(uses, "/actions/policy@"):
			kv = root
		default:
			return
		}
		with := mapGet(m, "with")
		if with == nil {
			with = &yaml.Node{Kind: yaml.MappingNode}
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "with"}, with)
		}
		for _, p := range kv {
			with.Content = append(with.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: p[0]}, &yaml.Node{Kind: yaml.ScalarNode, Value: p[1]})
		}
	}
	jobs := mapGet(doc.Content[0], "jobs")
	for i := 1; i < len(jobs.Content); i += 2 {
		job := jobs.Content[i]
		if u := mapGet(job, "uses"); u != nil {
			add(job, u.Value)
		}
		if steps := mapGet(job, "steps"); steps != nil {
			for _, s := range steps.Content {
				if u := mapGet(s, "uses"); u != nil {
					add(s, u.Value)
				}
			}
		}
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func mapGet(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// removeScan takes the scan out of the workflow: its step, and the report
// build-attest was to attest.
func removeScan(t *testing.T, wf string) string {
	t.Helper()
	i := strings.Index(wf, "- name: Scan for vulnerabilities")
	j := strings.Index(wf[i:], "- uses: actions/upload-artifact")
	if i < 0 || j < 0 {
		t.Fatalf("no scan step in the workflow:\n%s", wf)
	}
	from := strings.LastIndex(wf[:i], "\n") + 1
	to := strings.LastIndex(wf[:i+j], "\n") + 1
	wf = wf[:from] + wf[to:]
	out := strings.Replace(wf, "      vuln-report: vulnerabilities.json\n", "", 1)
	if out == wf {
		t.Fatal("no vuln-report in the workflow")
	}
	return out
}

// newRun adds another run of the release workflow to the fake, with its
// environment deployment (which dates the review) and approval.
func (w *world) newRun(id int64) *fakegithub.Run {
	var run *fakegithub.Run
	w.gh.Update(func(s *fakegithub.State) {
		r := s.Repo("octo-org/octo-repo")
		at := time.Now()
		cp := *w.rel.Run
		run = &cp
		run.ID, run.CreatedAt, run.StartedAt = id, at.Add(-time.Minute), at.Add(-time.Minute)
		run.Approvals = []*fakegithub.EnvApproval{{User: "release-manager", State: "approved", Comment: "Ship it!", Environments: []string{"production"}}}
		r.Runs[id] = run
		dep := &fakegithub.Deployment{ID: s.ID(), SHA: w.rel.Commit, Ref: "main", Task: "deploy", Environment: "production", Creator: "octocat",
			CreatedAt: at.Add(20 * time.Minute), UpdatedAt: at.Add(20 * time.Minute), Production: true}
		dep.Statuses = []*fakegithub.DeploymentStatus{{ID: s.ID(), State: "waiting", Creator: "github-actions[bot]", CreatedAt: at.Add(20 * time.Minute)}}
		r.Deployments = append(r.Deployments, dep)
	})
	return run
}

type release struct {
	log, digest, artifacts string
	run                    *fakegithub.Run
	err                    error
}

// release commits a new version of the program, tags it and pushes the
// tag: act runs the workflow for the push.
func (w *world) release(t *testing.T, repo, tag string, run *fakegithub.Run) *release {
	t.Helper()
	main := filepath.Join(repo, "main.go")
	b, err := os.ReadFile(main)
	if err != nil {
		t.Fatal(err)
	}
	b = []byte(strings.Replace(string(b), `const version = "v1.0.0"`, fmt.Sprintf("const version = %q", tag), 1))
	if err := os.WriteFile(main, b, 0o644); err != nil {
		t.Fatal(err)
	}
	w.git(t, repo, "commit", "-q", "-am", "release "+tag, "--allow-empty")
	w.git(t, repo, "tag", tag)
	out, artifacts := t.TempDir(), t.TempDir()
	ref := "refs/tags/" + tag
	claims := fakesigstore.Claims{
		Repository:  "octo-org/octo-repo",
		Ref:         ref,
		SHA:         w.rel.Commit,
		WorkflowRef: "octo-org/octo-repo/.github/workflows/release.yml@" + ref,
		RunID:       fmt.Sprint(run.ID),
	}
	event := map[string]any{
		"ref":        ref,
		"repository": map[string]any{"full_name": "octo-org/octo-repo", "default_branch": "main"},
	}
	start := time.Now()
	r := &release{artifacts: artifacts, run: run}
	r.log, r.err = w.runAct(t, actRun{repo: repo, eventName: "push", event: event, claims: claims, out: out, artifacts: artifacts})
	t.Logf("%s: act ran in %s", tag, time.Since(start).Round(time.Second))
	if bin, err := os.ReadFile(filepath.Join(artifacts, "release", "app")); err == nil {
		sum := sha256.Sum256(bin)
		r.digest = "sha256:" + hex.EncodeToString(sum[:])
	} else {
		t.Fatalf("%s: the build left no release artifact: %v\n%s", tag, err, tail(r.log, 150))
	}
	return r
}

type e2eDecision struct {
	Decision       string `json:"decision"`
	RollbackDigest string `json:"rollbackDigest"`
	Checks         []struct {
		ID, Status, Message string
	} `json:"checks"`
}

func (d *e2eDecision) check(id string) (c struct{ ID, Status, Message string }) {
	for _, x := range d.Checks {
		if x.ID == id {
			return x
		}
	}
	return c
}

// decision reads the signed decision release-record made and packed (the
// deploy job signs nothing).
func (r *release) decision(t *testing.T) *e2eDecision {
	t.Helper()
	b, err := exec.Command("tar", "-xzOf", r.pack(t), "release-evidence/05-approvals/decision.json").Output()
	if err != nil {
		t.Fatalf("the pack holds no decision: %v\n%s", err, tail(r.log, 150))
	}
	var d e2eDecision
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return &d
}

// packHolds checks the pack holds what an auditor re-checks: the decision
// as signed with its bundle, the policy it was made under, and every
// attestation it used, the SBOM's and the approval's among them; and that
// pack verify fails once the SBOM attestation is taken out.
func (w *world) packHolds(t *testing.T, pack string) {
	t.Helper()
	rp := filepath.Join(w.bin, "relproof")
	out, err := exec.Command(rp, "pack", "show", pack, "--output", "json").Output()
	var m struct {
		Files []struct{ Path, Missing string }
	}
	if err != nil || json.Unmarshal(out, &m) != nil {
		t.Fatalf("pack show %s: %v\n%s", pack, err, out)
	}
	have := map[string]string{}
	for _, f := range m.Files {
		have[f.Path] = f.Missing
	}
	for _, want := range []string{"05-approvals/decision.json", "05-approvals/decision.sigstore.json", "05-approvals/policy/policy.yaml",
		"04-attestations/sbom-attestation.jsonl", "04-attestations/approval-attestation.jsonl", "04-attestations/provenance.jsonl"} {
		if missing, ok := have[want]; !ok || missing != "" {
			t.Errorf("the pack has no %s (missing: %q); files: %v", want, missing, have)
		}
	}
	// Without the SBOM attestation, the pack no longer verifies.
	dir := filepath.Join(t.TempDir(), "pack")
	if out, err := exec.Command("mkdir", "-p", dir).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	if out, err := exec.Command("tar", "-xzf", pack, "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	// The archive holds the pack's directory, release-evidence/.
	dir = filepath.Join(dir, "release-evidence")
	sbom := filepath.Join(dir, "04-attestations/sbom-attestation.jsonl")
	if _, err := os.Stat(sbom); err != nil {
		list, _ := exec.Command("tar", "-tzf", pack).CombinedOutput()
		t.Fatalf("the pack's archive has no 04-attestations/sbom-attestation.jsonl:\n%s", list)
	}
	if err := os.WriteFile(sbom, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "trusted_root.json")
	if err := os.WriteFile(root, w.sig.TrustedRootJSON, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(rp, "pack", "verify", dir, "--cert-identity-regexp", `https://github\.com/relproof/relproof/\.github/workflows/.+@refs/tags/v1`,
		"--cert-oidc-issuer", w.sig.IssuerURL, "--trusted-root", root).CombinedOutput()
	if exitCode(err) != 1 || !strings.Contains(string(out), "sbom-attestation.jsonl") {
		t.Errorf("pack verify of a pack without its SBOM attestation: exit %d; want 1 naming the file\n%s", exitCode(err), out)
	}
}

// pack is the evidence pack release-record kept.
func (r *release) pack(t *testing.T) string {
	t.Helper()
	p := filepath.Join(r.artifacts, fmt.Sprintf("relproof-release-evidence-production-%d", r.run.ID), "release-evidence.tar.gz")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("release-record kept no pack: %v", err)
	}
	return p
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}
