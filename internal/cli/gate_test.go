package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/relproof/relproof/internal/attest"
	"github.com/relproof/relproof/internal/attest/predicate"
	"github.com/relproof/relproof/internal/gate"
	"github.com/relproof/relproof/internal/sign"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/testing/fakegithub"
	"github.com/relproof/relproof/internal/testing/keytest"
	"github.com/relproof/relproof/internal/testing/registrytest"
)

// gateWorld is a release with real evidence made by `relproof attest`: an
// artifact, provenance from a GitHub Actions run, an SBOM, a scan and tests,
// signed with the release key the policy lists.
type gateWorld struct {
	t           testing.TB
	dir         string
	env         *Env
	key, pub    string
	approverKey string
	artifact    string
	digest      string
	policy      string
	bundles     string // the evidence directory
}

var gateActionsEnv = map[string]string{
	"GITHUB_ACTIONS":      "true",
	"GITHUB_SERVER_URL":   "https://github.com",
	"GITHUB_REPOSITORY":   "acme/app",
	"GITHUB_SHA":          "0123456789abcdef0123456789abcdef01234567",
	"GITHUB_REF":          "refs/heads/main",
	"GITHUB_WORKFLOW_REF": "acme/app/.github/workflows/release.yml@refs/heads/main",
	"GITHUB_RUN_ID":       "4242",
	"GITHUB_RUN_ATTEMPT":  "1",
	"GITHUB_EVENT_NAME":   "push",
	"RUNNER_ENVIRONMENT":  "github-hosted",
}

const gatePolicy = `apiVersion: relproof.dev/v1
kind: Policy
environments:
  production:
    level: strong
    source:
      repositories: ["github.com/acme/app"]
      refs: ["refs/heads/main", "refs/tags/v*"]
    builder:
      ids: ["https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"]
    # The release key signs the build's evidence and the decisions, the
    # approver key the approvals.
    signers:
      build:
        - key: release.pub
      approval:
        - key: approver.pub
      decision:
        - key: release.pub
      deployment:
        - key: release.pub
    vulnerabilities:
      maxSeverity: high
      exceptions: exceptions.yaml
    approvals:
      minimum: 1
      preventSelfReview: true
    breakGlass:
      allowed: true
      requireJustification: true
    rules:
      - name: no-gpl3
        expr: "!sbom.packages.exists(p, p.license == 'GPL-3.0-only')"
        message: "GPL-3.0-only packages are not allowed in production"
  staging:
    level: better
    signers:
      - key: release.pub
`

const gateExceptions = `- id: CVE-2026-1111
  package: libfoo
  reason: not reachable from our code
  approver: security@acme.example
  expires: 2027-01-01
`

func newGateWorld(t testing.TB) *gateWorld {
	t.Helper()
	w := &gateWorld{t: t, dir: t.TempDir()}
	w.env = testEnv(t, gateActionsEnv)
	w.key, w.pub = keys(t, w.env, w.dir, "release")
	w.approverKey, _ = keys(t, w.env, w.dir, "approver")
	w.artifact = writeFile(t, w.dir, "app.bin", "the release artifact")
	w.digest = "sha256:cb8828660a6e9f2f863b92fd123b207b4307a5a30b70788c055a47ad30031489"
	w.policy = writeFile(t, w.dir, "policy.yaml", gatePolicy)
	writeFile(t, w.dir, "exceptions.yaml", gateExceptions)
	w.bundles = filepath.Join(w.dir, "evidence")
	if err := os.Mkdir(w.bundles, 0o755); err != nil {
		t.Fatal(err)
	}
	w.attest("provenance", "")
	w.attest("sbom", sbomDoc("MIT"))
	w.attest("vuln", grypeReport())
	w.attest("test", `{"Action":"pass","Package":"example.com/app","Test":"TestRelease"}`+"\n")
	// The release's own signature (relproof sign --blob, as cosign sign-blob).
	expect(t, run(t, w.env, "sign", "--blob", w.artifact, "--key", w.key, "--bundle-out", filepath.Join(w.bundles, "signature.sigstore.json")), 0)
	return w
}

// attest makes one piece of evidence for the artifact (or another file).
func (w *gateWorld) attest(kind, content string, extra ...string) string {
	w.t.Helper()
	return w.attestFor(w.artifact, kind, content, extra...)
}

func (w *gateWorld) attestFor(subject, kind, content string, extra ...string) string {
	w.t.Helper()
	out := filepath.Join(w.bundles, fmt.Sprintf("%s-%d.sigstore.json", kind, time.Now().UnixNano()))
	args := []string{"attest", subject, "--key", w.key, "--bundle-out", out}
	switch kind {
	case "provenance":
		args = append(args, "--type", "provenance")
	case "sbom":
		args = append(args, "--type", "custom", "--predicate-type", "https://spdx.dev/Document", "--predicate", writeFile(w.t, w.dir, "sbom.json", content))
	default:
		args = append(args, "--type", kind, "--predicate", writeFile(w.t, w.dir, kind+".report", content))
	}
	expect(w.t, run(w.t, w.env, append(args, extra...)...), 0)
	return out
}

func (w *gateWorld) remove(prefix string) {
	w.t.Helper()
	ents, _ := os.ReadDir(w.bundles)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			os.Remove(filepath.Join(w.bundles, e.Name()))
		}
	}
}

// approvals signs, with the approver key, the approval record of run 4242
// in which each reviewer approved production after the digest was shown;
// mona authored the change and bob pushed it. edit, when given, changes the
// record first. It returns the signed bundle (what gate --approvals takes)
// and writes the record beside it as approvals.json.
func (w *gateWorld) approvals(edit func(rec map[string]any), reviewers ...string) string {
	w.t.Helper()
	var reviews []map[string]any
	for _, r := range reviewers {
		reviews = append(reviews, map[string]any{"reviewer": r, "state": "approved", "time": "2026-11-26T11:10:00Z", "environments": []string{"production"}, "counts": true, "reason": "approved"})
	}
	rec := map[string]any{
		"environment": "production", "digest": w.digest, "repository": "acme/app", "runId": 4242,
		"checkRunPostedAt": "2026-11-26T11:00:00Z", "approved": true, "minimum": 1, "preventSelfReview": true,
		"reason": "approved", "recordedAt": "2026-11-26T11:30:00Z", "reviews": reviews,
		"actor": "bob", "triggeringActor": "bob", "changeAuthors": []string{"mona"}, "changeAuthorsKnown": true,
	}
	if edit != nil {
		edit(rec)
	}
	b, _ := json.Marshal(rec)
	writeFile(w.t, w.dir, "approvals.json", string(b))
	_, hexDigest, _ := strings.Cut(w.digest, ":")
	st := fmt.Sprintf(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app.bin","digest":{"sha256":%q}}],"predicateType":"https://relproof.dev/approval/v1","predicate":%s}`, hexDigest, b)
	stmt := writeFile(w.t, w.dir, "approval.statement.json", st)
	out := filepath.Join(w.dir, "approvals.sigstore.json")
	expect(w.t, run(w.t, w.env, "sign", stmt, "--subject", w.artifact, "--key", w.approverKey, "--bundle-out", out), 0)
	return out
}

// gate runs the gate and decodes its JSON decision.
func (w *gateWorld) gate(extra ...string) (result, *gate.Decision) {
	w.t.Helper()
	args := append([]string{"gate", w.artifact, "--environment", "production", "--policy", w.policy, "--bundles-dir", w.bundles, "--output", "json"}, extra...)
	r := run(w.t, w.env, args...)
	var d gate.Decision
	if r.code != 2 {
		if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
			w.t.Fatalf("gate --output json: %v\n%s\n%v", err, r.stdout, r.err)
		}
	}
	return r, &d
}

func sbomDoc(license string) string {
	return `{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"app","packages":[
 {"name":"libfoo","versionInfo":"1.2.3","licenseConcluded":"` + license + `","externalRefs":[{"referenceType":"purl","referenceLocator":"pkg:golang/example.com/libfoo@1.2.3"}]},
 {"name":"libbar","versionInfo":"0.9.0","licenseConcluded":"Apache-2.0"}]}`
}

// grypeReport is a grype report of a directory scan (no image digest to
// bind), with the given extra matches.
func grypeReport(matches ...string) string {
	return `{"matches":[` + strings.Join(matches, ",") + `],"source":{"type":"directory","target":"/src"},
"descriptor":{"name":"grype","version":"0.80.0","timestamp":"2026-11-26T10:00:00Z"}}`
}

func grypeMatch(id, pkg, severity string) string {
	return `{"vulnerability":{"id":"` + id + `","severity":"` + severity + `","fix":{"versions":["9.9.9"],"state":"fixed"}},"artifact":{"name":"` + pkg + `","version":"1.2.3"}}`
}

// checkStatus finds a check by id.
func checkStatus(d *gate.Decision, id string) (gate.Check, bool) {
	for _, c := range d.Checks {
		if c.ID == id {
			return c, true
		}
	}
	return gate.Check{}, false
}

func TestGateDecisions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		setup    func(w *gateWorld) []string // returns extra gate args
		decision string
		check    string // the check that decides
		status   gate.Status
		says     string
		alsoFail []string // checks that fail as a consequence
	}{
		{"all evidence present", func(w *gateWorld) []string {
			return []string{"--approvals", w.approvals(nil, "alice"), "--rollback-digest", w.rollbackWithProvenance()}
		}, "allow", "", gate.Pass, "", nil},
		{"provenance missing", func(w *gateWorld) []string { w.remove("provenance"); return w.standard() }, "deny", "required-provenance", gate.Fail, "no verified provenance", []string{"source"}},
		{"sbom missing", func(w *gateWorld) []string { w.remove("sbom"); return w.standard() }, "deny", "required-sbom", gate.Fail, "no verified sbom attestation", []string{"rule:no-gpl3"}},
		{"scan missing", func(w *gateWorld) []string { w.remove("vuln"); return w.standard() }, "deny", "required-vuln", gate.Fail, "no verified vuln attestation", nil},
		{"tests missing", func(w *gateWorld) []string { w.remove("test"); return w.standard() }, "deny", "required-test", gate.Fail, "no verified test attestation", nil},
		{"scan of another digest", func(w *gateWorld) []string {
			w.remove("vuln")
			other := writeFile(w.t, w.dir, "other.bin", "another build")
			w.attestFor(other, "vuln", grypeReport())
			return w.standard()
		}, "deny", "required-vuln", gate.Fail, "subject mismatch: expected " + "sha256:cb8828660a6e", nil},
		{"tests of another digest", func(w *gateWorld) []string {
			w.remove("test")
			other := writeFile(w.t, w.dir, "other.bin", "another build")
			w.attestFor(other, "test", `{"Action":"pass","Package":"p","Test":"TestX"}`+"\n")
			return w.standard()
		}, "deny", "required-test", gate.Fail, "the statement names sha256:", nil},
		{"unlisted builder", func(w *gateWorld) []string {
			w.remove("provenance")
			w.attest("provenance", "", "--builder-id", "https://github.com/mallory/ci/.github/workflows/build.yml@refs/heads/main")
			return w.standard()
		}, "deny", "builder", gate.Fail, "mallory", nil},
		{"unlisted source repository", func(w *gateWorld) []string {
			w.remove("provenance")
			w.env.Getenv = withVars(w.env.Getenv, map[string]string{"GITHUB_REPOSITORY": "mallory/app", "GITHUB_WORKFLOW_REF": "mallory/app/.github/workflows/release.yml@refs/heads/main"})
			w.attest("provenance", "", "--builder-id", "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main")
			return w.standard()
		}, "deny", "source-repository", gate.Fail, "mallory/app", []string{"rollback"}},
		{"unlisted ref", func(w *gateWorld) []string {
			w.remove("provenance")
			w.env.Getenv = withVars(w.env.Getenv, map[string]string{"GITHUB_REF": "refs/heads/feature-x"})
			w.attest("provenance", "")
			return w.standard()
		}, "deny", "source-ref", gate.Fail, "refs/heads/feature-x", []string{"rollback"}},
		{"unlisted signer", func(w *gateWorld) []string {
			w.remove("test")
			mallory, _ := keys(w.t, w.env, w.dir, "mallory")
			out := filepath.Join(w.bundles, "test-mallory.sigstore.json")
			expect(w.t, run(w.t, w.env, "attest", w.artifact, "--type", "test", "--predicate", writeFile(w.t, w.dir, "t.json", `{"Action":"pass","Package":"p","Test":"TestX"}`+"\n"), "--key", mallory, "--bundle-out", out), 0)
			return w.standard()
		}, "deny", "required-test", gate.Fail, "which the policy's signers do not list", nil},
		{"finding above threshold", func(w *gateWorld) []string {
			w.remove("vuln")
			w.attest("vuln", grypeReport(grypeMatch("CVE-2026-2222", "libbar", "Critical")))
			return w.standard()
		}, "deny", "vulnerabilities", gate.Fail, "CVE-2026-2222", nil},
		{"finding excepted", func(w *gateWorld) []string {
			w.remove("vuln")
			w.attest("vuln", grypeReport(grypeMatch("CVE-2026-1111", "libfoo", "Critical")))
			return w.standard()
		}, "allow", "vulnerabilities", gate.Warn, "CVE-2026-1111", nil},
		{"exception expired", func(w *gateWorld) []string {
			writeFile(w.t, w.dir, "exceptions.yaml", strings.Replace(gateExceptions, "2027-01-01", "2026-11-01", 1))
			w.remove("vuln")
			w.attest("vuln", grypeReport(grypeMatch("CVE-2026-1111", "libfoo", "Critical")))
			return w.standard()
		}, "deny", "vulnerabilities", gate.Fail, "expired", nil},
		{"no approvals", func(w *gateWorld) []string {
			return []string{"--rollback-digest", w.rollbackWithProvenance()}
		}, "deny", "approvals", gate.Fail, "no signed approval", nil},
		{"approvals given before the digest was shown", func(w *gateWorld) []string {
			early := func(rec map[string]any) { rec["reviews"].([]map[string]any)[0]["time"] = "2026-11-26T10:00:00Z" }
			return []string{"--approvals", w.approvals(early, "alice"), "--rollback-digest", w.rollbackWithProvenance()}
		}, "deny", "approvals", gate.Fail, "0 approval(s) count", nil},
		{"self-review: the change's author approves", func(w *gateWorld) []string {
			return []string{"--approvals", w.approvals(nil, "mona"), "--rollback-digest", w.rollbackWithProvenance()}
		}, "deny", "approvals", gate.Fail, "mona authored the change or ran it (wrote, committed, co-authored, pushed or re-ran it), and self-review is not allowed", nil},
		{"self-review: who pushed the tag approves", func(w *gateWorld) []string {
			return []string{"--approvals", w.approvals(nil, "BOB"), "--rollback-digest", w.rollbackWithProvenance()}
		}, "deny", "approvals", gate.Fail, "self-review is not allowed", nil},
		{"approvals signed by the release key", func(w *gateWorld) []string {
			w.approverKey = w.key
			return []string{"--approvals", w.approvals(nil, "alice"), "--rollback-digest", w.rollbackWithProvenance()}
		}, "deny", "approvals", gate.Fail, "but not approval", nil},
		{"rollback missing", func(w *gateWorld) []string {
			return []string{"--approvals", w.approvals(nil, "alice")}
		}, "deny", "rollback", gate.Fail, "no rollback digest", nil},
		{"rollback to a build the policy would not admit", func(w *gateWorld) []string {
			// Signed by the build key, but built from a feature branch.
			getenv := w.env.Getenv
			w.env.Getenv = withVars(getenv, map[string]string{"GITHUB_REF": "refs/heads/feature-x"})
			prev := writeFile(w.t, w.dir, "app-branch.bin", "a branch build")
			w.attestFor(prev, "provenance", "")
			w.env.Getenv = getenv
			return []string{"--approvals", w.approvals(nil, "alice"), "--rollback-digest", "sha256:" + sha256Hex("a branch build")}
		}, "deny", "rollback", gate.Fail, "not a build the policy admits", nil},
		{"rollback without provenance", func(w *gateWorld) []string {
			return []string{"--approvals", w.approvals(nil, "alice"), "--rollback-digest", "sha256:" + strings.Repeat("0", 64)}
		}, "deny", "rollback", gate.Fail, "has no provenance that verifies", nil},
		{"CEL rule fails", func(w *gateWorld) []string {
			w.remove("sbom")
			w.attest("sbom", sbomDoc("GPL-3.0-only"))
			return w.standard()
		}, "deny", "rule:no-gpl3", gate.Fail, "GPL-3.0-only packages are not allowed", nil},
		{"break-glass allowed", func(w *gateWorld) []string {
			w.remove("test")
			return append(w.standard(), "--break-glass", "INC-42: payment outage")
		}, "allow", "break-glass", gate.Warn, "BREAK-GLASS", nil},
		{"break-glass without justification", func(w *gateWorld) []string {
			w.remove("test")
			return append(w.standard(), "--break-glass", " ")
		}, "deny", "break-glass", gate.Fail, "needs a justification", []string{"required-test"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newGateWorld(t)
			r, d := w.gate(tc.setup(w)...)
			want := map[string]int{"allow": 0, "deny": 1}[tc.decision]
			if r.code != want || d.Decision != tc.decision {
				t.Fatalf("exit %d decision %q, want %d %q; failed: %+v\n%v", r.code, d.Decision, want, tc.decision, d.Failed(), r.err)
			}
			if tc.decision == "deny" && !errors.Is(r.err, ErrDenied) {
				t.Errorf("error is not ErrDenied: %v", r.err)
			}
			if tc.check == "" {
				if f := d.Failed(); len(f) > 0 {
					t.Errorf("failed checks on allow: %+v", f)
				}
				return
			}
			c, ok := checkStatus(d, tc.check)
			if !ok || c.Status != tc.status || !strings.Contains(c.Message, tc.says) {
				t.Errorf("check %s = %+v, want status %s saying %q", tc.check, c, tc.status, tc.says)
			}
			if tc.status == gate.Fail {
				for _, f := range d.Failed() {
					if f.ID != tc.check && !slices.Contains(tc.alsoFail, f.ID) {
						t.Errorf("another check failed too: %+v", f)
					}
				}
			}
		})
	}
}

// standard is the approvals and rollback every case but its own has.
func (w *gateWorld) standard() []string {
	return []string{"--approvals", w.approvals(nil, "alice"), "--rollback-digest", w.rollbackWithProvenance()}
}

// rollbackWithProvenance attests provenance for the previous release and
// returns its digest.
func (w *gateWorld) rollbackWithProvenance() string {
	w.t.Helper()
	prev := writeFile(w.t, w.dir, "app-1.0.0.bin", "the previous release")
	w.attestFor(prev, "provenance", "")
	return "sha256:" + sha256Hex("the previous release")
}

func withVars(getenv func(string) string, vars map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		return getenv(k)
	}
}

func TestGateBadInput(t *testing.T) {
	t.Parallel()
	w := newGateWorld(t)
	bad := writeFile(t, w.dir, "bad.yaml", strings.Replace(gatePolicy, "    source:\n", "    source:\n      branches: [main]\n", 1))
	expect(t, run(t, w.env, "gate", w.artifact, "--environment", "production", "--policy", bad), 2, "bad.yaml:7", "unknown field \"branches\"")
	expect(t, run(t, w.env, "gate", w.artifact, "--environment", "prod", "--policy", w.policy), 2, "production", "staging")
	expect(t, run(t, w.env, "gate", w.artifact, "--environment", "production", "--policy", filepath.Join(w.dir, "none.yaml")), 2, "none.yaml")
	expect(t, run(t, w.env, "gate", w.artifact, "--environment", "production", "--policy", w.policy, "--approvals", writeFile(t, w.dir, "a.json", `{"nope":1}`)), 2, "a.json")
	expect(t, run(t, w.env, "gate", w.artifact, "--environment", "production", "--policy", w.policy, "--rollback-digest", "sha256:abc"), 2, "--rollback-digest")
}

// The decision file, its signed bundle and the Markdown summary.
func TestGateOutputs(t *testing.T) {
	t.Parallel()
	w := newGateWorld(t)
	out := filepath.Join(w.dir, "decision.json")
	summary := filepath.Join(w.dir, "summary.md")
	r, d := w.gate(append(w.standard(), "--decision-out", out, "--summary-out", summary, "--key", w.key)...)
	expect(t, r, 0)
	var saved gate.Decision
	if err := json.Unmarshal([]byte(readFile(t, out)), &saved); err != nil || saved.Decision != "allow" || saved.Digest != w.digest || saved.PolicyDigest != d.PolicyDigest {
		t.Fatalf("decision file = %+v, %v", saved, err)
	}
	expect(t, run(t, w.env, "verify", w.artifact, "--bundle", out+".sigstore.json", "--key", w.pub, "--predicate-type", DecisionType), 0)
	md := readFile(t, summary)
	if !strings.HasPrefix(md, "✅ **allow** `"+w.digest+"` → **production**") || !strings.Contains(md, "```mermaid") {
		t.Errorf("summary:\n%s", md)
	}
	for _, q := range gate.Questions {
		if !strings.Contains(md, q) {
			t.Errorf("summary lacks question %q", q)
		}
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// BenchmarkGate is one full gate decision over four attestations (and the
// rollback digest's provenance) for one digest, evidence already on disk:
// policy load, verification of every bundle under the policy's signers, the
// decision and its summary.
func BenchmarkGate(b *testing.B) {
	w := newGateWorld(b)
	args := append([]string{"gate", w.artifact, "--environment", "production", "--policy", w.policy, "--bundles-dir", w.bundles, "--output", "json"}, w.standard()...)
	b.ReportAllocs()
	for b.Loop() {
		r := run(b, w.env, args...)
		if r.code != 0 {
			b.Fatalf("gate: exit %d: %v", r.code, r.err)
		}
	}
}

// For an oci:// subject the gate reads the registry's referrers as well as
// the evidence files: here the test attestation exists only in the registry.
func TestGateReadsFilesAndRegistry(t *testing.T) {
	t.Parallel()
	w := newGateWorld(t)
	reg := registrytest.New(t)
	img := reg.PushRandomImage(t, "acme/app", "")
	subj := "oci://" + img.String()
	w.digest, w.artifact = img.DigestStr(), subj
	w.remove("")
	for kind, content := range map[string]string{"provenance": "", "sbom": sbomDoc("MIT"), "vuln": grypeReport()} {
		w.attestFor(subj, kind, content)
	}
	expect(t, run(t, w.env, "attest", subj, "--type", "test", "--key", w.key, "--push",
		"--predicate", writeFile(t, w.dir, "t.json", `{"Action":"pass","Package":"p","Test":"TestX"}`+"\n")), 0)
	args := append([]string{"gate", subj, "--environment", "production", "--policy", w.policy, "--bundles-dir", w.bundles, "--output", "json"}, w.standard()...)
	r := run(t, w.env, args...)
	expect(t, r, 0)
	var d gate.Decision
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatal(err)
	}
	if c, _ := checkStatus(&d, "required-test"); c.Status != gate.Pass {
		t.Errorf("required-test = %+v, want pass from the registry's referrer", c)
	}
	if c, _ := checkStatus(&d, "rollback"); c.Status != gate.Pass {
		t.Errorf("rollback = %+v, want pass from the evidence files (the digest is not in the registry)", c)
	}
}

// --pending-approvals: before the reviewers are asked, the gate runs every
// other check, decides "pending" (never allow), exits 0, and leaves the
// check run in progress with the digest in its title; anything else that
// fails still denies, and a pending decision cannot make a pack.
func TestGatePendingApprovals(t *testing.T) {
	t.Parallel()
	w := newGateWorld(t)
	f, srv := fakegithub.Start(t, fakegithub.WithToken(ghToken), fakegithub.WithClock(func() time.Time { return fixedNow }))
	var commit string
	f.Update(func(s *fakegithub.State) { commit = fakegithub.Scenario(s, fixedNow).Commit })
	env := testEnv(t, merge(gateActionsEnv, map[string]string{
		GitHubAPIURLEnv: srv.URL, GitHubTokenEnv: ghToken, GitHubRepositoryEnv: "octo-org/octo-repo",
		GitHubMaxWaitEnv: "5ms", GitHubTimeoutEnv: "10s", "GITHUB_SHA": commit,
	}))
	rollback := w.rollbackWithProvenance()
	decision := filepath.Join(w.dir, "pending.json")
	args := []string{"gate", w.artifact, "--environment", "production", "--policy", w.policy, "--bundles-dir", w.bundles,
		"--rollback-digest", rollback, "--pending-approvals", "--check-run", "--decision-out", decision, "--output", "json"}
	r := run(t, env, args...)
	expect(t, r, 0)
	var d gate.Decision
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatal(err)
	}
	if d.Decision != gate.Pending || d.Allowed() {
		t.Fatalf("decision = %q, want pending", d.Decision)
	}
	if c, _ := checkStatus(&d, "approvals"); c.Status != gate.Warn || !strings.HasPrefix(c.Message, "pending:") {
		t.Errorf("approvals check = %+v, want pending", c)
	}
	var runs []*fakegithub.CheckRun
	f.View(func(s *fakegithub.State) {
		for _, c := range s.Repo("octo-org/octo-repo").CheckRuns {
			if c.Name == "relproof / production" {
				runs = append(runs, c)
			}
		}
	})
	if len(runs) != 1 || runs[0].Status != "in_progress" || runs[0].Conclusion != "" || !strings.Contains(runs[0].Title, w.digest) || !strings.Contains(runs[0].Summary, "awaiting approval") {
		t.Errorf("check runs = %+v, want one in progress showing %s", runs, w.digest)
	}
	// A pending decision is not a release's decision.
	expect(t, run(t, w.env, "pack", "build", w.artifact, "--environment", "production", "--decision", decision, "--policy", w.policy, "--key", w.key,
		"--out", filepath.Join(w.dir, "pack")), 2, "expected a final decision, allow or deny, found \"pending\"")
	// With the approvals, the same flag decides for real.
	r, d2 := w.gate("--rollback-digest", rollback, "--pending-approvals", "--approvals", w.approvals(nil, "alice"))
	expect(t, r, 0)
	if !d2.Allowed() {
		t.Errorf("with approvals: %q, want allow", d2.Decision)
	}
	// Anything else that fails still denies.
	w.remove("provenance-")
	r, d3 := w.gate("--rollback-digest", rollback, "--pending-approvals")
	expect(t, r, 1)
	if d3.Decision != "deny" {
		t.Errorf("without provenance: %q, want deny", d3.Decision)
	}
	expect(t, run(t, w.env, "gate", w.artifact, "--environment", "production", "--policy", w.policy, "--pending-approvals", "--break-glass", "x"), 2, "pending-approvals", "break-glass")
}

// TestGateRollbackFromDeployments: the rollback digest comes from the
// environment's last successful deployment on GitHub that a deployment
// record, signed by a deployment signer of the policy, vouches for (GitHub's
// deployments are any workflow's to write); with no deployment at all, it is
// a first release, which only a policy that allows one lets through.
func TestGateRollbackFromDeployments(t *testing.T) {
	t.Parallel()
	type world struct {
		*gateWorld
		f      *fakegithub.Fake
		commit string
		ghEnv  *Env // w.env with the fake GitHub's variables
	}
	// record deploys digest (a file's) to env with relproof deploy record,
	// signed with key and stored with the repository's attestations.
	record := func(w *world, file, env, key string, extra ...string) {
		w.t.Helper()
		expect(w.t, run(w.t, w.ghEnv, append([]string{"deploy", "record", file, "--environment", env, "--key", key, "--ref", w.commit, "--github-upload",
			"--out", filepath.Join(w.dir, "rec-"+env+".json"), "--bundle-out", filepath.Join(w.dir, "rec-"+env+".sigstore.json")}, extra...)...), 0)
	}
	// forge is what a workflow with deployments: write can do: a
	// successful deployment of any digest, with no record.
	forge := func(w *world, digest, env string) {
		w.f.Update(func(s *fakegithub.State) {
			s.AddDeployment(s.Repo("octo-org/octo-repo"), env, w.commit, digest, "success", fixedNow)
		})
	}
	previous := func(w *world) string { // a release with provenance
		w.rollbackWithProvenance()
		return filepath.Join(w.dir, "app-1.0.0.bin")
	}
	prevDigest := "sha256:" + sha256Hex("the previous release")
	for _, tc := range []struct {
		name   string
		setup  func(w *world)
		policy func(string) string
		exit   int
		status gate.Status
		says   string
	}{
		{"the recorded previous deployment's digest, whose provenance verifies", func(w *world) {
			record(w, previous(w), "production", w.key)
		}, nil, 0, gate.Pass, "rollback to " + prevDigest + ", deployed to production as deployment"},
		{"a deployment forged after the recorded one is passed over", func(w *world) {
			record(w, previous(w), "production", w.key)
			other := writeFile(w.t, w.dir, "app-0.9.0.bin", "an older release")
			w.attestFor(other, "provenance", "")
			forge(w, "sha256:"+sha256Hex("an older release"), "production")
		}, nil, 0, gate.Pass, "rollback to " + prevDigest + ", deployed to production as deployment"},
		{"the recorded deployment's digest has no provenance", func(w *world) {
			record(w, writeFile(w.t, w.dir, "unattested.bin", "never built here"), "production", w.key)
		}, nil, 1, gate.Fail, "has no provenance that verifies"},
		{"only deployments nobody recorded", nil, nil, 1, gate.Fail, "no rollback digest: none of the 1 deployment(s) to production that GitHub lists is a success that a deployment record signed by a signer of signers.deployment vouches for"},
		{"only deployments nobody recorded, where the policy does not require a rollback", nil, func(p string) string {
			return strings.Replace(p, "    breakGlass:\n", "    rollback:\n      required: false\n    breakGlass:\n", 1)
		}, 0, gate.Warn, "no rollback digest: none of the 1 deployment(s)"},
		{"a record signed by a key that may not sign deployment records", func(w *world) {
			record(w, previous(w), "production", w.approverKey)
		}, nil, 1, gate.Fail, "which may sign approval but not deployment"},
		{"a staging record does not vouch for a production deployment of the digest", func(w *world) {
			record(w, previous(w), "staging", w.key)
			forge(w, prevDigest, "production")
		}, nil, 1, gate.Fail, "records deployment"},
		{"a record of a failed deployment, marked a success afterwards", func(w *world) {
			record(w, previous(w), "production", w.key, "--state", "failure")
			w.f.Update(func(s *fakegithub.State) {
				deps := s.Repo("octo-org/octo-repo").Deployments
				last := deps[len(deps)-1]
				last.Statuses = append(last.Statuses, &fakegithub.DeploymentStatus{ID: s.ID(), State: "success", CreatedAt: fixedNow})
			})
		}, nil, 1, gate.Fail, `its record says "failure"`},
		{"a first release where the policy requires a rollback", func(w *world) {
			w.f.Update(func(s *fakegithub.State) { s.Repo("octo-org/octo-repo").Deployments = nil })
		}, nil, 1, gate.Fail, "first release to production: no earlier successful deployment to roll back to"},
		{"a first release the policy allows", func(w *world) {
			w.f.Update(func(s *fakegithub.State) { s.Repo("octo-org/octo-repo").Deployments = nil })
		}, func(p string) string {
			return strings.Replace(p, "    breakGlass:\n", "    rollback:\n      allowFirstRelease: true\n    breakGlass:\n", 1)
		}, 0, gate.Warn, "first release to production"},
		// GitHub's statuses are anyone's to post: a failure does not make a
		// first release of an environment deployed to before.
		{"a failed deployment nobody recorded is no first release", func(w *world) {
			w.f.Update(func(s *fakegithub.State) {
				for _, d := range s.Repo("octo-org/octo-repo").Deployments {
					d.Statuses = append(d.Statuses, &fakegithub.DeploymentStatus{ID: s.ID(), State: "failure", CreatedAt: fixedNow})
				}
			})
		}, nil, 1, gate.Fail, "deployment 4 of sha256:d2451a0552c59a85d2451a0552c59a85d2451a05d2451a0552c59a85d2451a05: no deployment record for it was found"},
		{"a recorded deployment that failed since is not one to roll back to", func(w *world) {
			record(w, previous(w), "production", w.key)
			w.f.Update(func(s *fakegithub.State) {
				deps := s.Repo("octo-org/octo-repo").Deployments
				last := deps[len(deps)-1]
				last.Statuses = append(last.Statuses, &fakegithub.DeploymentStatus{ID: s.ID(), State: "failure", CreatedAt: fixedNow})
			})
		}, nil, 1, gate.Fail, "recorded as a success, and GitHub's statuses of it say it did not succeed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, srv := fakegithub.Start(t, fakegithub.WithToken(ghToken), fakegithub.WithClock(func() time.Time { return fixedNow }))
			w := &world{gateWorld: newGateWorld(t), f: f}
			f.Update(func(s *fakegithub.State) { w.commit = fakegithub.Scenario(s, fixedNow).Commit })
			if tc.policy != nil {
				writeFile(t, w.dir, "policy.yaml", tc.policy(gatePolicy))
			}
			gh := withVars(w.env.Getenv, map[string]string{
				GitHubAPIURLEnv: srv.URL, GitHubTokenEnv: ghToken, GitHubRepositoryEnv: "octo-org/octo-repo", GitHubTimeoutEnv: "10s",
				"GITHUB_OUTPUT": "", "GITHUB_STEP_SUMMARY": "",
			})
			ghEnv := *w.env
			ghEnv.Getenv, w.ghEnv = gh, &ghEnv
			// The build's evidence is made before the gate reads GitHub, in
			// acme/app's build (the policy's source).
			if tc.setup != nil {
				tc.setup(w)
			}
			w.env.Getenv = gh
			r, d := w.gate("--approvals", w.approvals(nil, "alice"), "--rollback-from-deployments", "--from-github")
			c, ok := checkStatus(d, "rollback")
			if r.code != tc.exit || !ok || c.Status != tc.status || !strings.Contains(c.Message, tc.says) {
				t.Fatalf("exit %d, rollback check %+v; want exit %d, %s saying %q\n%v", r.code, c, tc.exit, tc.status, tc.says, r.err)
			}
			if tc.status == gate.Pass && (len(c.Evidence) < 2 || d.RollbackDigest != prevDigest) {
				t.Errorf("rollback check evidence %v, decision's rollback %q; want the deployment record and the provenance, %s", c.Evidence, d.RollbackDigest, prevDigest)
			}
		})
	}
	t.Run("not with --rollback-digest", func(t *testing.T) {
		t.Parallel()
		w := newGateWorld(t)
		r, _ := w.gate("--rollback-from-deployments", "--rollback-digest", w.rollbackWithProvenance())
		if r.code != 2 || !strings.Contains(r.err.Error(), "rollback-digest") {
			t.Errorf("both rollback flags: exit %d, %v; want 2 naming them", r.code, r.err)
		}
	})
}

// TestGateApprovalsFromGitHub: the final gate in a deploy job reads the
// run's approvals from GitHub itself, as approval record does, and signs
// nothing; who made or ran the change still cannot approve it.
func TestGateApprovalsFromGitHub(t *testing.T) {
	t.Parallel()
	const pol = `apiVersion: relproof.dev/v1
kind: Policy
environments:
  production:
    require: []
    approvals: {minimum: 1, preventSelfReview: true, tiedToEvidence: true}
    signers:
      deployment: [{key: deploy.pub}]
`
	// eve committed part of the change and approves it.
	eve := func(w *ghWorld, s *fakegithub.State) {
		s.Repo("octo-org/octo-repo").Commits[w.rel.Feature].CommitterLogin = "eve"
		w.rel.Run.Approvals = []*fakegithub.EnvApproval{{User: "eve", State: "approved", Environments: []string{"production"}}}
	}
	for _, tc := range []struct {
		name     string
		setup    func(w *ghWorld, s *fakegithub.State)
		unrecord bool // the previous deployment has no signed deployment record
		args     []string
		status   gate.Status
		says     string
	}{
		{"the environment's reviewer approved after the digest was shown", nil, false, nil, gate.Pass, "approved for production by octocat"},
		{"the run's actor approved", func(w *ghWorld, s *fakegithub.State) { w.rel.Run.Actor = "octocat" }, false, nil, gate.Fail,
			"counts; 1 required; the run's approvals on GitHub: not approved for sha256:5a5a"},
		{"nobody approved", func(w *ghWorld, s *fakegithub.State) { w.rel.Run.Approvals = nil }, false, nil, gate.Fail, "the run's approvals on GitHub: not approved"},
		{"who committed part of the change approved", eve, false, nil, gate.Fail, "eve authored the change or ran it"},
		// Any workflow with deployments: write can post a deployment at the
		// very commit: counted from there, the change would be nobody's.
		{"a deployment forged at the commit does not make the change nobody's", func(w *ghWorld, s *fakegithub.State) {
			eve(w, s)
			s.AddDeployment(s.Repo("octo-org/octo-repo"), "production", w.rel.Commit, "sha256:"+strings.Repeat("e0", 32), "success", fixedNow)
		}, false, nil, gate.Fail, "eve authored the change or ran it"},
		// With no recorded deployment to count from, the change is the whole
		// history, and octocat wrote its first commits.
		{"the previous deployment nobody recorded", nil, true, nil, gate.Fail, "octocat authored the change or ran it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newGHWorld(t)
			if tc.setup != nil {
				w.f.Update(func(s *fakegithub.State) { tc.setup(w, s) })
			}
			p := writeFile(t, w.dir, "policy.yaml", pol)
			w.recordPrevious(t, !tc.unrecord)
			r := run(t, w.env, append([]string{"gate", w.digest, "--environment", "production", "--policy", p, "--approvals-from-github", "--from-github",
				"--run-id", fmt.Sprint(w.rel.Run.ID), "--output", "json"}, tc.args...)...)
			var d gate.Decision
			if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
				t.Fatalf("exit %d: %v\n%s\n%v", r.code, err, r.stdout, r.err)
			}
			// No provenance here: only the approvals check is looked at
			// (and that nothing was bad input).
			c, _ := checkStatus(&d, "approvals")
			if r.code == 2 || c.Status != tc.status || !strings.Contains(c.Message, tc.says) {
				t.Errorf("exit %d, approvals %+v; want %s saying %q", r.code, c, tc.status, tc.says)
			}
			noSecrets(t, r, w.dir)
		})
	}
	t.Run("no run to read", func(t *testing.T) {
		t.Parallel()
		w := newGHWorld(t)
		p := writeFile(t, w.dir, "policy.yaml", pol)
		deploymentSigner(t, w.dir)
		expect(t, run(t, w.env, "gate", w.digest, "--environment", "production", "--policy", p, "--approvals-from-github"), 2, "--approvals-from-github: no run")
	})
	t.Run("not with a signed attestation too", func(t *testing.T) {
		t.Parallel()
		w := newGHWorld(t)
		p := writeFile(t, w.dir, "policy.yaml", pol)
		expect(t, run(t, w.env, "gate", w.digest, "--environment", "production", "--policy", p, "--approvals-from-github", "--approvals", p), 2, "approvals")
	})
}

// An image's deployment record is pushed beside it (deploy record --push),
// where the next release's gate finds it among the registry's referrers.
func TestGateRollbackFromAnImagesDeployments(t *testing.T) {
	t.Parallel()
	w := newGateWorld(t)
	reg := registrytest.New(t)
	prev, next := reg.PushRandomImage(t, "acme/app", ""), reg.PushRandomImage(t, "acme/app", "")
	w.digest, w.artifact = next.DigestStr(), "oci://"+next.String()
	w.remove("")
	for kind, content := range map[string]string{"provenance": "", "sbom": sbomDoc("MIT"), "vuln": grypeReport(), "test": `{"Action":"pass","Package":"p","Test":"TestX"}` + "\n"} {
		w.attestFor(w.artifact, kind, content)
	}
	w.attestFor("oci://"+prev.String(), "provenance", "")
	approvals := w.approvals(nil, "alice")

	f, srv := fakegithub.Start(t, fakegithub.WithToken(ghToken), fakegithub.WithClock(func() time.Time { return fixedNow }))
	var commit string
	f.Update(func(s *fakegithub.State) {
		commit = fakegithub.Scenario(s, fixedNow).Commit
		s.Repo("octo-org/octo-repo").Deployments = nil
	})
	w.env.Getenv = withVars(w.env.Getenv, map[string]string{
		GitHubAPIURLEnv: srv.URL, GitHubTokenEnv: ghToken, GitHubRepositoryEnv: "octo-org/octo-repo", GitHubTimeoutEnv: "10s",
		"GITHUB_OUTPUT": "", "GITHUB_STEP_SUMMARY": "",
	})
	rec := []string{"deploy", "record", "oci://" + prev.String(), "--environment", "production", "--key", w.key, "--ref", commit,
		"--out", filepath.Join(w.dir, "rec.json"), "--bundle-out", filepath.Join(w.dir, "rec.sigstore.json")}
	// Recorded, but kept nowhere the gate looks: no rollback target.
	expect(t, run(t, w.env, rec...), 0)
	r, d := w.gate("--approvals", approvals, "--rollback-from-deployments")
	if c, _ := checkStatus(d, "rollback"); r.code != 1 || c.Status != gate.Fail || !strings.Contains(c.Message, "no deployment record for it was found") {
		t.Fatalf("record kept nowhere: exit %d, rollback %+v", r.code, c)
	}
	// Pushed beside the image: found, and its provenance verifies.
	r = run(t, w.env, append(rec, "--push")...)
	expect(t, r, 0)
	if !strings.Contains(r.stdout, "referrer:   "+reg.Host+"/acme/app@sha256:") {
		t.Errorf("deploy record --push:\n%s", r.stdout)
	}
	r, d = w.gate("--approvals", approvals, "--rollback-from-deployments")
	if c, _ := checkStatus(d, "rollback"); r.code != 0 || c.Status != gate.Pass || d.RollbackDigest != prev.DigestStr() {
		t.Fatalf("record pushed: exit %d, rollback %+v (%s); want a pass for %s\n%v", r.code, c, d.RollbackDigest, prev.DigestStr(), r.err)
	}
	// --push is for images.
	expect(t, run(t, w.env, "deploy", "record", prev.DigestStr(), "--environment", "production", "--key", w.key, "--ref", commit, "--push",
		"--out", filepath.Join(w.dir, "x.json"), "--bundle-out", filepath.Join(w.dir, "x.sigstore.json")), 2, "--push: "+prev.DigestStr()+" is not an image")
	absent(t, filepath.Join(w.dir, "x.json"))
}

// deploymentSigner is a new key, its public key written to dir/deploy.pub.
func deploymentSigner(t *testing.T, dir string) sign.Signer {
	t.Helper()
	signer, pub := keytest.Signer(t)
	writeFile(t, dir, "deploy.pub", string(pub))
	return signer
}

// recordPrevious writes the deployment signer's key (deploy.pub, which the
// policies of these tests list under signers.deployment) and, when record
// is true, relproof's signed record of the scenario's previous deployment,
// kept with the repository's attestations.
func (w *ghWorld) recordPrevious(t *testing.T, record bool) {
	t.Helper()
	signer := deploymentSigner(t, w.dir)
	if record {
		w.recordPreviousWith(t, signer)
	}
}

// recordPreviousWith keeps relproof's record of the scenario's previous
// deployment, signed by signer, with the repository's attestations.
func (w *ghWorld) recordPreviousWith(t *testing.T, signer sign.Signer) {
	t.Helper()
	recordDeployment(t, w.f, signer, &predicate.Deployment{Environment: "production", Digest: w.rel.PrevDigest, Repository: "octo-org/octo-repo",
		DeploymentID: w.rel.PrevDeployment.ID, DeploymentURL: "https://api.github.com/repos/octo-org/octo-repo/deployments/1", State: "success", Time: fixedNow})
}

// recordDeployment signs pred, a deployment record, and keeps it with the
// fake repository's attestations, as relproof deploy record --github-upload
// does.
func recordDeployment(t *testing.T, f *fakegithub.Fake, signer sign.Signer, pred *predicate.Deployment) {
	t.Helper()
	d, err := subject.ParseDigest(pred.Digest)
	if err != nil {
		t.Fatal(err)
	}
	b, err := attest.SignPredicate(context.Background(), signer, &subject.Subject{Kind: subject.KindDigest, Digest: d}, predicate.DeploymentType, pred)
	if err != nil {
		t.Fatal(err)
	}
	f.Update(func(s *fakegithub.State) {
		r := s.Repo("octo-org/octo-repo")
		r.Attestations = append(r.Attestations, &fakegithub.Attestation{ID: s.ID(), Bundle: b, Digests: []string{pred.Digest}})
	})
}
