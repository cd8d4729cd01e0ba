//go:build act

package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relproof/relproof/internal/testing/fakegithub"
	"github.com/relproof/relproof/internal/testing/fakesigstore"
	"github.com/relproof/relproof/internal/testing/registrytest"
)

// The third-party actions the workflows pin, and their local doubles.
var doubles = map[string]string{
	"actions/setup-go@d35c59abb061a4a6fb18e82ac0862c26744d6ab5":          "setup-go",
	"actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683":          "checkout",
	"actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02":   "upload-artifact",
	"actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093": "download-artifact",
	"anchore/scan-action@1638637db639e0ade3258b51db49a9a137574c3e":       "scan-action",
	"github/codeql-action@5d4e8d1aca955e8d8589aabd499c5cae939e33c7":      "codeql-action",
}

const (
	token   = "e2e-token"
	jobRef  = "relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1"
	builder = "https://github.com/" + jobRef
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// relproofBinary builds relproof once per test run: the binary the e2e's
// release of relproof/relproof@v1 serves (releaseRoot).
func relproofBinary(t *testing.T, root string) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "relproof-e2e-bin-")
		if buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, "relproof"), "./cmd/relproof")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/relproof: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

func actBinary(t *testing.T, root string) string {
	t.Helper()
	act := filepath.Join(root, "bin", "act")
	if _, err := os.Stat(act); err != nil {
		msg := "bin/act is not built: cd tools/act && go build -o ../../bin/act github.com/nektos/act"
		if os.Getenv("RELPROOF_REQUIRE_ACT") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return act
}

type scenario struct {
	name      string
	image     string // what build-attest attests
	subject   string // what deploy-gate is asked to approve
	approvals bool
	// caller is the repository whose run calls our reusable workflows, as
	// the signing certificates say it (default octo-org/octo-repo).
	caller string
	// weakPolicy commits, on a branch that is then deployed, a policy that
	// admits any caller; the default branch keeps the real one.
	weakPolicy bool
}

type world struct {
	root, act, bin string
	// actionRoot is relproof/relproof@v1 as a release; releaseURL serves
	// its binary over HTTPS, whose certificate is in caBundle.
	actionRoot, releaseURL, caBundle string
	gh                               *fakegithub.Fake
	ghURL                            string
	sig                              *fakesigstore.Stack
	reg                              *registrytest.Registry
	rel                              *fakegithub.Release
	imageA, imageB                   string // HOST/acme/app@sha256:…
	// imageC and imageD are built only by the attacker's scenarios, so no
	// genuine evidence for them is in the registry.
	imageC, imageD string
	tagA           string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{root: repoRoot(t)}
	w.act = actBinary(t, w.root)
	w.bin = relproofBinary(t, w.root)
	w.actionRoot, w.releaseURL, w.caBundle = releaseRoot(t, w.root, w.bin)
	var srv interface{ Close() }
	w.gh, srv = startGitHub(t)
	_ = srv
	w.sig = fakesigstore.New(t)
	w.sig.RefineClaims(jobClaims)
	w.reg = registrytest.New(t)
	w.imageA = strings.TrimPrefix(w.reg.PushRandomImage(t, "acme/app", "v1").String(), "")
	w.imageB = w.reg.PushRandomImage(t, "acme/app", "").String()
	w.imageC = w.reg.PushRandomImage(t, "acme/app", "").String()
	w.imageD = w.reg.PushRandomImage(t, "acme/app", "").String()
	w.tagA = w.reg.Host + "/acme/app:v1"
	return w
}

func startGitHub(t *testing.T) (*fakegithub.Fake, interface{ Close() }) {
	t.Helper()
	f, srv := fakegithub.Start(t, fakegithub.WithToken(token))
	ghURLs.Store(f, srv.URL)
	return f, srv
}

var ghURLs sync.Map

func (w *world) apiURL() string { v, _ := ghURLs.Load(w.gh); return v.(string) }

// e2ePolicy is the consumer's policy: our reusable workflows, at v1, may
// sign the build's evidence (build-attest.yml), the approvals and the
// decisions (deploy-gate.yml) and the deployment records
// (release-record.yml), when called from the consumer's repository
// (callers: its sourceRepository).
func (w *world) e2ePolicy(callers string) string {
	signerOf := func(workflow string) string {
		return fmt.Sprintf(`        - issuer: %s
          signerWorkflow: %q
          sourceRepository: %q
`, w.sig.IssuerURL, workflow, callers)
	}
	build, gate, record := signerOf(jobRef), signerOf(reusableJobs["approve"]), signerOf(reusableJobs["record"])
	return fmt.Sprintf(`apiVersion: relproof.dev/v1
kind: Policy
environments:
  production:
    level: minimum
    subject:
      requireDigest: true
      allowedRepositories: [%q]
    source:
      repositories: ["github.com/octo-org/octo-repo"]
    builder:
      ids: [%q]
    signers:
      build:
%s      approval:
%s      decision:
%s      deployment:
%s    require: [provenance, sbom]
    approvals:
      minimum: 1
      preventSelfReview: true
      tiedToEvidence: true
`, w.reg.Host+"/acme/*", builder, build, gate, gate, record)
}

// scratchRepo writes the consumer repository act runs in.
func (w *world) scratchRepo(t *testing.T, sc scenario) string {
	t.Helper()
	dir := t.TempDir()
	wf, err := os.ReadFile(filepath.Join(w.root, "internal/e2e/testdata/workflows/release.yml"))
	if err != nil {
		t.Fatal(err)
	}
	policy := w.e2ePolicy("octo-org/octo-repo")
	files := map[string][]byte{
		".github/workflows/release.yml":      wf,
		".github/relproof/policy.yaml":       []byte(policy),
		".github/relproof/trusted_root.json": w.sig.TrustedRootJSON,
		"README.md":                          []byte("a consumer repository\n"),
	}
	for p, b := range files {
		p = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-c", "user.email=e2e@example.com", "-c", "user.name=e2e"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q", "-b", "main")
	git("add", ".")
	git("commit", "-q", "-m", "consumer")
	if sc.weakPolicy {
		// Whoever can push a branch or a tag can change the policy in it.
		git("checkout", "-q", "-b", "release")
		if err := os.WriteFile(filepath.Join(dir, ".github/relproof/policy.yaml"), []byte(w.e2ePolicy("*/*")), 0o644); err != nil {
			t.Fatal(err)
		}
		git("commit", "-q", "-am", "admit every caller")
	}
	return dir
}

type result struct {
	needs map[string]struct {
		Result  string            `json:"result"`
		Outputs map[string]string `json:"outputs"`
	}
	artifacts string
	out       string
	log       string
	err       error
}

// run runs the consumer workflow with act and returns what it left.
func (w *world) run(t *testing.T, sc scenario) *result {
	t.Helper()
	repo := w.scratchRepo(t, sc)
	caller := sc.caller
	if caller == "" {
		caller = "octo-org/octo-repo"
	}
	out, artifacts := t.TempDir(), t.TempDir()
	claims := fakesigstore.Claims{
		Repository:     caller,
		Ref:            "refs/heads/main",
		SHA:            w.rel.Commit,
		WorkflowRef:    "octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main",
		JobWorkflowRef: jobRef,
		RunID:          fmt.Sprint(w.rel.Run.ID),
	}
	// The event, as GitHub sends it: the inputs and the repository with its
	// default branch (where the policy is read from).
	event := map[string]any{
		"inputs":     map[string]string{"image": sc.image, "subject": sc.subject},
		"repository": map[string]any{"full_name": "octo-org/octo-repo", "default_branch": "main"},
	}
	res := &result{artifacts: artifacts, out: out}
	res.log, res.err = w.runAct(t, actRun{repo: repo, eventName: "workflow_dispatch", event: event, claims: claims, out: out, artifacts: artifacts,
		args: []string{"--input", "image=" + sc.image, "--input", "subject=" + sc.subject}})
	// act runs the report job (if: always()) only when every job before it
	// succeeded; after a failure the log and the fakes are the evidence.
	b, err := os.ReadFile(filepath.Join(out, "needs.json"))
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &res.needs); err != nil {
			t.Fatalf("needs.json: %v\n%s", err, b)
		}
	case res.err == nil:
		t.Fatalf("act succeeded but left no needs.json; log:\n%s", tail(res.log, 200))
	}
	return res
}

// actRun is one run of a workflow with act.
type actRun struct {
	// workflow is the workflow file to run (default
	// .github/workflows/release.yml).
	workflow        string
	repo, eventName string
	event           map[string]any
	claims          fakesigstore.Claims
	out, artifacts  string
	args            []string
}

// runAct runs the repository's .github/workflows/release.yml with act, on the
// host, against the fakes, and returns its log.
func (w *world) runAct(t *testing.T, r actRun) (string, error) {
	t.Helper()
	env := w.sig.ActionsEnv(r.claims)
	event, err := json.Marshal(r.event)
	if err != nil {
		t.Fatal(err)
	}
	eventFile := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(eventFile, event, 0o644); err != nil {
		t.Fatal(err)
	}
	workflow := r.workflow
	if workflow == "" {
		workflow = ".github/workflows/release.yml"
	}
	args := []string{r.eventName,
		"-e", eventFile,
		"-W", workflow,
		"-P", "ubuntu-latest=-self-hosted",
		"--defaultbranch", "main",
		"--no-cache-server", "--action-offline-mode",
		"--action-cache-path", filepath.Join(t.TempDir(), "act-cache"),
		"--var", "RELPROOF_FULCIO_URL=" + w.sig.FulcioURL,
		"--var", "RELPROOF_REKOR_URL=" + w.sig.RekorURL,
		"--var", "RELPROOF_TSA_URL=" + w.sig.TSAURL,
		"-s", "GITHUB_TOKEN=" + token,
		"--local-repository", "relproof/relproof@v1=" + w.actionRoot,
	}
	args = append(args, r.args...)
	for ref, dir := range doubles {
		args = append(args, "--local-repository", ref+"="+filepath.Join(w.root, "testdata/actions", dir))
	}
	vars := map[string]string{
		"ACTIONS_ID_TOKEN_REQUEST_URL":   env["ACTIONS_ID_TOKEN_REQUEST_URL"],
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"],
		"GITHUB_API_URL":                 w.apiURL(),
		"GITHUB_REPOSITORY":              "octo-org/octo-repo",
		"GITHUB_REPOSITORY_OWNER":        "octo-org",
		"GITHUB_REF":                     r.claims.Ref,
		"SHA_REF":                        r.claims.SHA,
		"GITHUB_RUN_ID":                  r.claims.RunID,
		"GITHUB_WORKFLOW_REF":            r.claims.WorkflowRef,
		"RUNNER_ENVIRONMENT":             "github-hosted",
		"RELPROOF_RELEASE_URL":           w.releaseURL,
		"RELPROOF_E2E_ACTION_REPO":       w.actionRoot,
		"CURL_CA_BUNDLE":                 w.caBundle,
		"RELPROOF_E2E_ARTIFACTS":         r.artifacts,
		"RELPROOF_E2E_OUT":               r.out,
		"RELPROOF_E2E_REPO":              r.repo,
		"HOME":                           t.TempDir(),
	}
	// A job that builds Go shares the test's caches (its HOME is new).
	for _, k := range []string{"GOCACHE", "GOMODCACHE"} {
		if v, err := exec.Command("go", "env", k).Output(); err == nil {
			vars[k] = strings.TrimSpace(string(v))
		}
	}
	for k, v := range vars {
		args = append(args, "--env", k+"="+v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.act, args...)
	cmd.Dir = r.repo
	cmd.Env = append(os.Environ(), "HOME="+vars["HOME"])
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	err = cmd.Run()
	return log.String(), err
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func digestOf(ref string) string { return ref[strings.LastIndex(ref, "@")+1:] }

func (w *world) checkRuns(name string) []*fakegithub.CheckRun {
	var crs []*fakegithub.CheckRun
	w.gh.View(func(s *fakegithub.State) {
		for _, cr := range s.Repo("octo-org/octo-repo").CheckRuns {
			if cr.Name == name {
				crs = append(crs, cr)
			}
		}
	})
	return crs
}

func (w *world) deploymentsOf(digest string) int {
	n := 0
	w.gh.View(func(s *fakegithub.State) {
		for _, d := range s.Repo("octo-org/octo-repo").Deployments {
			if strings.Contains(string(d.Payload), digest) {
				n++
			}
		}
	})
	return n
}

func TestDeployGateWithAct(t *testing.T) {
	w := newWorld(t)
	// The release: a reviewed, merged commit and its run; GitHub made the
	// environment's deployment (which dates the review) well after the
	// check run the test's run will post now.
	w.gh.Update(func(s *fakegithub.State) {
		w.rel = fakegithub.Scenario(s, time.Now().Add(30*time.Minute))
		// The environment's earlier deployment has no signed deployment
		// record (relproof did not make it), so the change is counted from
		// the start of the history, which octocat, the reviewer, did not
		// write here.
		for _, c := range s.Repo("octo-org/octo-repo").Commits {
			if c.AuthorLogin == "octocat" {
				c.AuthorLogin, c.AuthorName, c.AuthorEmail = "hubot", "hubot", "hubot@users.noreply.github.com"
			}
			if c.CommitterLogin == "octocat" {
				c.CommitterLogin, c.CommitterName, c.CommitterEmail = "hubot", "hubot", "hubot@users.noreply.github.com"
			}
		}
	})

	scenarios := []scenario{
		{name: "approved digest is allowed", image: w.imageA, subject: w.imageA, approvals: true},
		{name: "a tag is refused before approval", image: w.imageA, subject: w.tagA, approvals: true},
		{name: "evidence for another digest is denied", image: w.imageA, subject: w.imageB, approvals: true},
		{name: "missing approval is denied", image: w.imageA, subject: w.imageA, approvals: false},
		{name: "our workflows called from another repository are denied", image: w.imageC, subject: w.imageC, approvals: true, caller: "evil/evil"},
		{name: "a policy changed in the deployed commit does not gate it", image: w.imageD, subject: w.imageD, approvals: true, caller: "evil/evil", weakPolicy: true},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			w.gh.Update(func(s *fakegithub.State) {
				repo := s.Repo("octo-org/octo-repo")
				repo.CheckRuns = repo.CheckRuns[:1] // the scenario's ci/test only
				if sc.approvals {
					w.rel.Run.Approvals = []*fakegithub.EnvApproval{{User: "octocat", State: "approved", Comment: "Ship it!", Environments: []string{"production"}}}
				} else {
					w.rel.Run.Approvals = nil
				}
			})
			deploymentsBefore := w.deploymentsOf(digestOf(sc.subject))
			start := time.Now()
			res := w.run(t, sc)
			t.Logf("act ran in %s", time.Since(start).Round(time.Second))
			n := res.needs
			if !strings.Contains(res.log, "[attest/relproof build-attest/attest] 🏁  Job succeeded") ||
				!strings.Contains(res.log, "::set-output:: digest="+digestOf(sc.image)) {
				t.Fatalf("build-attest did not succeed for %s\n%s", digestOf(sc.image), tail(res.log, 150))
			}
			approveRan := strings.Contains(res.log, "[gate/relproof deploy-gate/approve] ⭐ Run Main Approvals and the full gate")
			deployed, _ := os.ReadFile(filepath.Join(res.out, "deployed-digest"))
			crs := w.checkRuns("relproof / production")
			switch sc.name {
			case "approved digest is allowed":
				want := digestOf(sc.subject)
				if n["gate"].Result != "success" || n["gate"].Outputs["decision"] != "allow" || n["gate"].Outputs["digest"] != want {
					t.Fatalf("deploy-gate: result %q, outputs %v; want success, allow, %s\n%s", n["gate"].Result, n["gate"].Outputs, want, tail(res.log, 200))
				}
				if strings.TrimSpace(string(deployed)) != want {
					t.Errorf("the deploy job deployed %q, want %s", deployed, want)
				}
				// The reusable workflows ran relproof's actions from their
				// own checkout, and relproof itself as the release.
				for _, says := range []string{"checked out relproof/relproof at v1 (the e2e's release)", "mode=release", "version=v0.0.1"} {
					if !strings.Contains(res.log, says) {
						t.Errorf("the log does not say %q", says)
					}
				}
				if len(crs) != 1 || !strings.Contains(crs[0].Title, want) || crs[0].Conclusion != "success" {
					t.Errorf("check runs %q: want one, titled with %s, concluded success; got %+v", "relproof / production", want, crs)
				}
				if n["record"].Result != "success" || n["record"].Outputs["deployment-id"] == "" {
					t.Fatalf("release-record: result %q, outputs %v\n%s", n["record"].Result, n["record"].Outputs, tail(res.log, 150))
				}
				if got := w.deploymentsOf(want); got != deploymentsBefore+1 {
					t.Errorf("deployments of %s the fake received: %d, want %d", want, got-deploymentsBefore, 1)
				}
				w.verifyPack(t, res, filepath.Join(res.artifacts, fmt.Sprintf("relproof-release-evidence-production-%d", w.rel.Run.ID), "release-evidence.tar.gz"))
				// Both packs were pushed beside the image; from the digest
				// alone, the one made after the deployment is found.
				gateRef, recordRef := n["gate"].Outputs["pack-reference"], n["record"].Outputs["pack-reference"]
				if gateRef == "" || recordRef == "" || gateRef == recordRef {
					t.Errorf("pack references: deploy-gate %q, release-record %q; want two packs pushed", gateRef, recordRef)
				}
				w.verifyPack(t, res, "oci://"+recordRef)
				release := "oci://" + strings.TrimPrefix(sc.subject, "oci://")
				w.verifyPack(t, res, release)
				pulled, err := exec.Command(filepath.Join(w.bin, "relproof"), "pack", "pull", release, "--out", filepath.Join(t.TempDir(), "p.tar.gz"), "--output", "json").CombinedOutput()
				if err != nil || !strings.Contains(string(pulled), `"reference": "`+recordRef+`"`) {
					t.Errorf("pack pull %s: %v; want release-record's pack %s:\n%s", release, err, recordRef, pulled)
				}
				// The final pack holds the approvals and the deployment.
				shown, err := exec.Command(filepath.Join(w.bin, "relproof"), "pack", "show", "oci://"+recordRef, "--output", "json").Output()
				var m struct {
					Files []struct{ Path, Missing string }
				}
				if err != nil || json.Unmarshal(shown, &m) != nil {
					t.Fatalf("pack show %s: %v\n%s", recordRef, err, shown)
				}
				for _, f := range m.Files {
					if (f.Path == "05-approvals/environment-approval.md" || f.Path == "06-deployment/deploy-record.json") && f.Missing != "" {
						t.Errorf("release-record's pack: %s missing: %s", f.Path, f.Missing)
					}
				}
			case "a tag is refused before approval":
				if res.err == nil || approveRan {
					t.Errorf("deploy-gate for a tag: act err %v, approve job ran %v; want a failure before approval", res.err, approveRan)
				}
				if !strings.Contains(res.log, "a tag can move after it is approved") {
					t.Errorf("the log does not say why the tag was refused:\n%s", tail(res.log, 80))
				}
				if len(crs) != 0 {
					t.Errorf("a check run was posted for a tag: %+v", crs)
				}
			case "evidence for another digest is denied":
				if res.err == nil || approveRan || !strings.Contains(res.log, "::set-output:: decision=deny") {
					t.Errorf("deploy-gate with another digest's evidence: act err %v, approve ran %v; want a pre-approval deny\n%s", res.err, approveRan, tail(res.log, 80))
				}
				if len(crs) != 1 || !strings.Contains(crs[0].Title, digestOf(sc.subject)) || crs[0].Conclusion != "failure" {
					t.Errorf("check run: want one for %s concluding failure, got %+v", digestOf(sc.subject), crs)
				}
			case "our workflows called from another repository are denied", "a policy changed in the deployed commit does not gate it":
				if res.err == nil || approveRan || !strings.Contains(res.log, "::set-output:: decision=deny") {
					t.Errorf("deploy-gate called from evil/evil: act err %v, approve ran %v; want a pre-approval deny\n%s", res.err, approveRan, tail(res.log, 120))
				}
				if len(crs) != 1 || crs[0].Conclusion != "failure" || !strings.Contains(crs[0].Summary, "github.com/evil/evil") {
					t.Errorf("check run: want one concluding failure that names the caller github.com/evil/evil, got %+v", crs)
				}
				// The policy that gated it is the default branch's.
				main := sha256.Sum256([]byte(w.e2ePolicy("octo-org/octo-repo")))
				if want := "sha256:" + hex.EncodeToString(main[:]); len(crs) == 1 && !strings.Contains(crs[0].Summary, want) {
					t.Errorf("check run: the decision was made under another policy than the default branch's %s:\n%s", want, crs[0].Summary)
				}
			case "missing approval is denied":
				if res.err == nil || !approveRan || !strings.Contains(res.log, "[gate/relproof deploy-gate/approve]   ⚙  ::set-output:: decision=deny") {
					t.Errorf("deploy-gate without approval: act err %v, approve ran %v; want the approve job to deny\n%s", res.err, approveRan, tail(res.log, 80))
				}
				if !strings.Contains(res.log, "no approval") {
					t.Errorf("the log does not report the missing approval:\n%s", tail(res.log, 80))
				}
				if len(crs) != 1 || crs[0].Conclusion != "failure" {
					t.Errorf("check run: want one concluding failure after the final gate, got %+v", crs)
				}
			}
			if sc.name != "approved digest is allowed" {
				if len(deployed) != 0 {
					t.Errorf("the caller's deploy job ran and deployed %q", deployed)
				}
				if got := w.deploymentsOf(digestOf(sc.subject)); got != deploymentsBefore {
					t.Errorf("a deployment of %s was recorded", digestOf(sc.subject))
				}
			}
		})
	}
}

// verifyPack checks the pack offline: keyless, signed by the reusable workflow.
func (w *world) verifyPack(t *testing.T, res *result, pack string) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "trusted_root.json")
	if err := os.WriteFile(root, w.sig.TrustedRootJSON, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(w.bin, "relproof"), "pack", "verify", pack,
		"--cert-identity-regexp", `https://github\.com/relproof/relproof/\.github/workflows/.+@refs/tags/v1`,
		"--cert-oidc-issuer", w.sig.IssuerURL, "--trusted-root", root)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("relproof pack verify %s: %v\n%s", pack, err, out)
	}
}
