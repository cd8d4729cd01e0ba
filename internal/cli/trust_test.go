package cli

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/relproof/relproof/internal/gate"
	"github.com/relproof/relproof/internal/testing/fakegithub"
	"github.com/relproof/relproof/internal/verify"
)

// Attack 5: a signing job asked to sign a statement about one artifact
// must not vouch for others it names besides, nor for digests it cannot
// check.
func TestSignRefusesStatementsAboutMore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := testEnv(t, nil)
	key, pub := keys(t, env, dir, "k")
	artifact := writeFile(t, dir, "app.bin", "the artifact")
	other := writeFile(t, dir, "other.bin", "another artifact")
	statement := func(name string, subjects ...string) string {
		return writeFile(t, dir, name, fmt.Sprintf(`{"_type":"https://in-toto.io/Statement/v1","subject":[%s],"predicateType":"https://example.com/check/v1","predicate":{"ok":true}}`, strings.Join(subjects, ",")))
	}
	subj := func(name, alg, hex string) string {
		return fmt.Sprintf(`{"name":%q,"digest":{%q:%q}}`, name, alg, hex)
	}
	out := filepath.Join(dir, "out.sigstore.json")
	for _, tc := range []struct {
		name string
		stmt string
		says string
	}{
		{"another subject besides", statement("two.json", subj("app.bin", "sha256", sha256Hex("the artifact")), subj("other.bin", "sha256", sha256Hex("another artifact"))), "expected exactly one subject"},
		{"another digest for the same subject", statement("sha512.json", fmt.Sprintf(`{"name":"app.bin","digest":{"sha256":%q,"sha512":%q}}`, sha256Hex("the artifact"), strings.Repeat("ab", 64))), "expected sha512:"},
		{"a digest that cannot be checked", statement("sha1.json", fmt.Sprintf(`{"name":"app.bin","digest":{"sha256":%q,"sha1":%q}}`, sha256Hex("the artifact"), strings.Repeat("ab", 20))), "gives a sha1 digest, which cannot be checked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, env, "sign", tc.stmt, "--subject", artifact, "--key", key, "--bundle-out", out)
			expect(t, r, 1, "subject mismatch", tc.says)
			if !errors.Is(r.err, verify.ErrSubjectMismatch) {
				t.Errorf("error is not a subject mismatch: %v", r.err)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Fatal("a refused statement was signed")
			}
		})
	}
	// The statement names exactly the artifact: it is signed, and it
	// verifies for that artifact only.
	expect(t, run(t, env, "sign", statement("one.json", subj("app.bin", "sha256", sha256Hex("the artifact"))), "--subject", artifact, "--key", key, "--bundle-out", out), 0)
	expect(t, run(t, env, "verify", artifact, "--bundle", out, "--key", pub), 0)
	expect(t, run(t, env, "verify", other, "--bundle", out, "--key", pub), 1, "subject mismatch")
}

// Attack 3's tool: attest --type custom does not write relproof's own
// predicates.
func TestAttestCustomRefusesOwnPredicates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := testEnv(t, nil)
	key, _ := keys(t, env, dir, "build")
	artifact := writeFile(t, dir, "app.bin", "x")
	pred := writeFile(t, dir, "p.json", `{"environment":"production","approved":true}`)
	for _, pt := range []string{"https://relproof.dev/approval/v1", "https://relproof.dev/deployment/v1", "https://relproof.dev/decision/v1", "https://slsa.dev/verification_summary/v1"} {
		out := filepath.Join(dir, "out.json")
		expect(t, run(t, env, "attest", artifact, "--type", "custom", "--predicate-type", pt, "--predicate", pred, "--key", key, "--bundle-out", out), 2, pt, "is relproof's own")
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Fatalf("%s: a bundle was written", pt)
		}
	}
}

// Attack 4: the gate takes approvals only as a signed attestation; the
// unsigned record anyone can write is refused, with how to get a signed one.
func TestGateRefusesUnsignedApprovals(t *testing.T) {
	t.Parallel()
	w := newGateWorld(t)
	w.approvals(nil, "alice")
	record := filepath.Join(w.dir, "approvals.json")
	r, _ := w.gate("--approvals", record, "--rollback-digest", w.rollbackWithProvenance())
	expect(t, r, 2, "--approvals "+record, "found an unsigned approval record", "approval record --bundle-out")
}

// A gate decision that cannot be signed is not written at all: no
// unsigned "allow" is left behind, nor a stale one.
func TestGateWritesNoUnsignedDecision(t *testing.T) {
	t.Parallel()
	w := newGateWorld(t)
	out := filepath.Join(w.dir, "decision.json")
	writeFile(t, w.dir, "decision.json", `{"decision":"allow"}`)
	writeFile(t, w.dir, "decision.json.sigstore.json", `{}`)
	r, _ := w.gate(append(w.standard(), "--decision-out", out, "--keyless")...)
	expect(t, r, 2, "keyless signing needs an OIDC token")
	for _, f := range []string{out, out + ".sigstore.json"} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s is left behind after the decision could not be signed", f)
		}
	}
	// Signed, both are written, and the bundle verifies for the digest.
	r, d := w.gate(append(w.standard(), "--decision-out", out, "--key", w.key)...)
	expect(t, r, 0)
	var saved map[string]any
	if err := json.Unmarshal([]byte(readFile(t, out)), &saved); err != nil || saved["decision"] != d.Decision {
		t.Fatalf("decision file: %v %v", saved, err)
	}
	// It names its shape and the relproof that decided, and key-signed
	// evidence made offline has no time rather than the zero time.
	if saved["schemaVersion"] != gate.SchemaVersion || saved["relproof"] == nil || saved["relproof"] == "" {
		t.Errorf("decision file: schemaVersion %v, relproof %v", saved["schemaVersion"], saved["relproof"])
	}
	if strings.Contains(readFile(t, out), "0001-01-01") {
		t.Errorf("decision file shows the zero time:\n%s", readFile(t, out))
	}
	expect(t, run(t, w.env, "verify", w.artifact, "--bundle", out+".sigstore.json", "--key", w.pub, "--predicate-type", DecisionType), 0)
}

// decision verify: what release-record runs before it records a
// deployment. The gate's signed allow passes; a hand-written one, one
// signed by a key that may not sign decisions, and a signed deny under
// --allow do not.
func TestDecisionVerify(t *testing.T) {
	t.Parallel()
	w := newPackWorld(t)
	verify := func(decision string, extra ...string) result {
		return run(t, w.env, append([]string{"decision", "verify", w.artifact, "--environment", "production", "--decision", decision, "--policy", w.policy}, extra...)...)
	}
	expect(t, verify(w.decision, "--allow"), 0)
	handWritten := writeFile(t, w.dir, "allow.json", fmt.Sprintf(`{"decision":"allow","digest":%q,"environment":"production","checks":[]}`, w.digest))
	expect(t, verify(handWritten, "--allow"), 1, "no signed bundle for the decision")
	var d gate.Decision
	if err := json.Unmarshal([]byte(readFile(t, w.decision)), &d); err != nil {
		t.Fatal(err)
	}
	expect(t, verify(w.signDecision(&d, w.approverKey)), 1, "but not decision")
	d.Decision = "deny"
	denied := w.signDecision(&d, w.key)
	expect(t, verify(denied), 0)
	expect(t, verify(denied, "--allow"), 1, "is deny, not allow")
	expect(t, verify(w.decision, "--environment", "staging"), 2, `expected a decision for environment "staging"`)
}

// decision verify --current: what release-record runs before it records a
// deployment on another job's decision. A decision made before the
// environment's newest recorded deployment of another digest is overtaken
// (a re-run of an old release's record job), however that deployment's
// statuses were changed since; a deployment nobody recorded overtakes
// nothing; a policy with no deployment signers cannot say.
func TestDecisionVerifyCurrent(t *testing.T) {
	t.Parallel()
	earlier, later := fixedNow.Add(-time.Hour), fixedNow.Add(time.Hour) // the decision's time, before or after the record
	for _, tc := range []struct {
		name    string
		record  bool      // the previous release is recorded (at fixedNow) before the decision is checked
		fail    bool      // a failure is posted on that deployment since
		decided time.Time // when the decision says it was made
		policy  func(string) string
		args    []string
		exit    int
		says    string
	}{
		{"no deployment recorded since the decision", true, false, later, nil, nil, 0, "production: no deployment recorded since the decision (2026-11-26T13:00:00Z): it is current"},
		{"a release recorded after the decision", true, false, earlier, nil, nil, 1, "is overtaken: the decision was made at 2026-11-26T11:00:00Z, and the environment was deployed to after it: deployment"},
		{"a failure posted since on the release recorded after it", true, true, earlier, nil, nil, 1, "is overtaken"},
		{"only a deployment nobody recorded", false, false, earlier, nil, nil, 0, "no deployment recorded since the decision"},
		// A decision is for one deployment: a re-run of the record job that
		// used it finds the record by the digest, even with GitHub's
		// deployments deleted.
		{"its own digest recorded after the decision, the deployments deleted", false, false, earlier, nil, []string{"own"}, 1, "a decision is for one deployment"},
		{"a policy without deployment signers", true, false, later, func(p string) string {
			return strings.Replace(p, "      deployment:\n        - key: release.pub\n", "", 1)
		}, nil, 2, "lists no signer under signers.deployment for production"},
		{"no repository", false, false, later, nil, []string{"--repo", ""}, 2, "no repository"},
		{"--from-github without --current", false, false, later, nil, []string{"--from-github", "nocurrent"}, 2, "--from-github says where --current looks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, srv := fakegithub.Start(t, fakegithub.WithToken(ghToken), fakegithub.WithClock(func() time.Time { return fixedNow }))
			w := newPackWorld(t)
			var commit string
			f.Update(func(s *fakegithub.State) { commit = fakegithub.Scenario(s, fixedNow).Commit })
			vars := map[string]string{GitHubAPIURLEnv: srv.URL, GitHubTokenEnv: ghToken, GitHubRepositoryEnv: "octo-org/octo-repo", GitHubTimeoutEnv: "10s"}
			if slices.Contains(tc.args, "--repo") {
				vars[GitHubRepositoryEnv] = "" // and --repo "": none named
			}
			ghEnv := *w.env
			ghEnv.Getenv = withVars(w.env.Getenv, vars)
			if tc.record {
				expect(t, run(t, &ghEnv, "deploy", "record", filepath.Join(w.dir, "app-1.0.0.bin"), "--environment", "production", "--key", w.key, "--ref", commit,
					"--github-upload", "--out", filepath.Join(w.dir, "rec.json"), "--bundle-out", filepath.Join(w.dir, "rec.sigstore.json")), 0)
			}
			if tc.fail {
				f.Update(func(s *fakegithub.State) {
					deps := s.Repo("octo-org/octo-repo").Deployments
					last := deps[len(deps)-1]
					last.Statuses = append(last.Statuses, &fakegithub.DeploymentStatus{ID: s.ID(), State: "failure", CreatedAt: fixedNow})
				})
			}
			if slices.Contains(tc.args, "own") {
				tc.args = nil
				expect(t, run(t, &ghEnv, "deploy", "record", w.artifact, "--environment", "production", "--key", w.key, "--ref", commit,
					"--github-upload", "--out", filepath.Join(w.dir, "own.json"), "--bundle-out", filepath.Join(w.dir, "own.sigstore.json")), 0)
				f.Update(func(s *fakegithub.State) { s.Repo("octo-org/octo-repo").Deployments = nil })
			}
			if tc.policy != nil {
				writeFile(t, w.dir, "policy.yaml", tc.policy(readFile(t, w.policy)))
			}
			var d gate.Decision
			if err := json.Unmarshal([]byte(readFile(t, w.decision)), &d); err != nil {
				t.Fatal(err)
			}
			d.Time = tc.decided
			decision := w.signDecision(&d, w.key)
			args := []string{"decision", "verify", w.artifact, "--environment", "production", "--decision", decision, "--policy", w.policy, "--allow", "--current"}
			if i := slices.Index(tc.args, "nocurrent"); i >= 0 {
				args, tc.args = slices.DeleteFunc(args, func(a string) bool { return a == "--current" }), slices.Delete(slices.Clone(tc.args), i, i+1)
			}
			r := run(t, &ghEnv, append(args, tc.args...)...)
			if tc.exit == 0 {
				expect(t, r, 0)
				if !strings.Contains(r.stdout, tc.says) {
					t.Errorf("stdout %q does not say %q", r.stdout, tc.says)
				}
				return
			}
			expect(t, r, tc.exit, tc.says)
		})
	}
}

// An unsigned bundle whose statement names its subject with newlines,
// workflow commands and HTML: nothing of what it says reaches the gate's
// report, its summary or its decision file, and no line it prints can
// become a workflow command.
func TestGateNeverQuotesUnverifiedContent(t *testing.T) {
	t.Parallel()
	w := newGateWorld(t)
	name := "app\n::add-mask::hunter2\n::error title=pwned::owned\n<!-- hidden --><img src=x>"
	payload := fmt.Sprintf(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":%q,"digest":{"sha256":%q,"evil\n::warning::x":"zz"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}`,
		name, strings.Repeat("ab", 32))
	env := fmt.Sprintf(`{"payloadType":"application/vnd.in-toto+json","payload":%q,"signatures":[{"keyid":"","sig":"AAAA"}]}`, base64.StdEncoding.EncodeToString([]byte(payload)))
	writeFile(t, w.bundles, "hostile.json", env)
	summary := filepath.Join(w.dir, "summary.md")
	decision := filepath.Join(w.dir, "decision.json")
	r, _ := w.gate(append(w.standard(), "--summary-out", summary, "--decision-out", decision)...)
	text := run(t, w.env, append([]string{"gate", w.artifact, "--environment", "production", "--policy", w.policy, "--bundles-dir", w.bundles}, w.standard()...)...)
	for what, out := range map[string]string{"json": r.stdout, "text": text.stdout + text.errText(), "summary": readFile(t, summary), "decision": readFile(t, decision)} {
		for _, bad := range []string{"hunter2", "add-mask", "pwned", "<!--", "<img", "::warning"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s output quotes the unverified statement (%q):\n%s", what, bad, out)
			}
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "::") {
				t.Errorf("%s output has a line that is a workflow command: %q", what, line)
			}
		}
	}
}

// pack verify under a key that did not sign says so, once per file, and
// does not try the keyless path on key-signed attestations.
func TestPackVerifyWrongKeySaysSo(t *testing.T) {
	t.Parallel()
	env := testEnv(t, nil)
	_, other := keys(t, env, t.TempDir(), "other")
	r := run(t, env, "pack", "verify", "../../examples/evidence-pack/release-evidence", "--key", other)
	expect(t, r, 1, "04-attestations/provenance.jsonl:1: attestation does not verify", "which is neither --key nor an --attestation-key")
	if strings.Contains(r.errText(), "no trusted signing time") || strings.Contains(r.errText(), "%!w") {
		t.Errorf("pack verify tried the keyless path on key-signed attestations:\n%s", r.errText())
	}
}

// gate, like verify, takes a --bundle file that holds no evidence at all
// as bad input (exit 2), naming it.
func TestGateBundleWithNoEvidence(t *testing.T) {
	t.Parallel()
	w := newGateWorld(t)
	for name, content := range map[string]string{"empty.json": "", "notes.json": `{"hello":"world"}`} {
		f := writeFile(t, w.dir, name, content)
		r, _ := w.gate(append(w.standard(), "--bundle", f)...)
		expect(t, r, 2, "--bundle "+f, "holds no evidence")
	}
}
