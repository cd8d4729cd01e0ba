package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relproof/relproof/internal/evidence"
	"github.com/relproof/relproof/internal/gate"
	"github.com/relproof/relproof/internal/testing/fakesigstore"
	"github.com/relproof/relproof/internal/testing/registrytest"
)

func compactJSON(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(strings.TrimSpace(s))); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// foreignProvenance attests provenance for another artifact and returns
// the bundle file, kept out of the evidence directory.
func (w *packWorld) foreignProvenance() string {
	w.t.Helper()
	other := writeFile(w.t, w.dir, "other.bin", "another artifact")
	out := filepath.Join(w.dir, "foreign.sigstore.json")
	expect(w.t, run(w.t, w.env, "attest", other, "--type", "provenance", "--key", w.key, "--bundle-out", out), 0)
	return out
}

// A pack whose builder was told (by a decision edited to list it, and
// signed again by the holder of the decision key) that a provenance for
// another digest is evidence: the manifest is signed and every file matches
// it, and pack verify still refuses the attestation.
func TestPackVerifyRefusesAttestationForAnotherDigest(t *testing.T) {
	t.Parallel()
	w := newPackWorld(t)
	foreign := w.foreignProvenance()
	var d gate.Decision
	if err := json.Unmarshal([]byte(readFile(t, w.decision)), &d); err != nil {
		t.Fatal(err)
	}
	d.Evidence = append(d.Evidence, gate.Evidence{Type: "provenance", Digest: "sha256:" + sha256Hex(strings.TrimSpace(readFile(t, foreign))), Signer: d.Evidence[0].Signer})
	forged := w.signDecision(&d, w.key)
	out := filepath.Join(w.dir, "pack")
	expect(t, run(t, w.env, "pack", "build", w.artifact, "--environment", "production", "--decision", forged, "--policy", w.policy,
		"--bundles-dir", w.bundles, "--bundle", foreign, "--key", w.key, "--out", out), 0)
	if n := strings.Count(readFile(t, filepath.Join(out, "04-attestations", "provenance.jsonl")), "\n"); n != 2 {
		t.Fatalf("provenance.jsonl holds %d lines, want the release's and the foreign one", n)
	}
	r := run(t, w.env, "pack", "verify", out, "--key", w.pub, "--attestation-key", w.approverPub())
	expect(t, r, 1, "04-attestations/provenance.jsonl:", "attestation does not verify for "+w.digest, "subject mismatch")
	if n := strings.Count(r.errText(), "04-attestations/provenance.jsonl:"); n != 1 {
		t.Errorf("%d lines named, want exactly the foreign one:\n%s", n, r.errText())
	}
}

// signDecision writes d as a decision file and signs it with key, as the
// gate would: decision.json and decision.json.sigstore.json.
func (w *packWorld) signDecision(d *gate.Decision, key string) string {
	w.t.Helper()
	b, _ := json.MarshalIndent(d, "", "  ")
	path := writeFile(w.t, w.dir, fmt.Sprintf("decision-%d.json", time.Now().UnixNano()), string(b)+"\n")
	_, hexDigest, _ := strings.Cut(w.digest, ":")
	stmt := writeFile(w.t, w.dir, "decision.statement.json", fmt.Sprintf(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app.bin","digest":{"sha256":%q}}],"predicateType":%q,"predicate":%s}`, hexDigest, gate.DecisionType, b))
	expect(w.t, run(w.t, w.env, "sign", stmt, "--subject", w.artifact, "--key", key, "--bundle-out", path+".sigstore.json"), 0)
	return path
}

// pack build trusts a decision only as signed by a decision signer of the
// policy, for this digest and environment, with checks: a hand-written
// "allow", a decision edited after signing, one signed by a key that may
// sign approvals but not decisions, and one with no checks are refused.
func TestPackBuildRefusesUnsignedDecisions(t *testing.T) {
	t.Parallel()
	w := newPackWorld(t)
	var genuine gate.Decision
	if err := json.Unmarshal([]byte(readFile(t, w.decision)), &genuine); err != nil {
		t.Fatal(err)
	}
	build := func(decision string) result {
		return run(t, w.env, "pack", "build", w.artifact, "--environment", "production", "--decision", decision, "--policy", w.policy,
			"--bundles-dir", w.bundles, "--key", w.key, "--out", filepath.Join(w.dir, fmt.Sprintf("pack-%d", time.Now().UnixNano())))
	}
	handWritten := writeFile(t, w.dir, "allow.json", fmt.Sprintf(`{"decision":"allow","digest":%q,"environment":"production","checks":[]}`, w.digest))
	expect(t, build(handWritten), 1, "no signed bundle for the decision")

	edited := writeFile(t, w.dir, "edited.json", strings.Replace(readFile(t, w.decision), "by alice", "by mallory", 1))
	if readFile(t, edited) == readFile(t, w.decision) {
		t.Fatal("the edit changed nothing")
	}
	if err := os.WriteFile(edited+".sigstore.json", []byte(readFile(t, w.decision+".sigstore.json")), 0o644); err != nil {
		t.Fatal(err)
	}
	expect(t, build(edited), 1, "is not the decision", "signed")

	// The genuine decision with a field the signature does not cover.
	padded := writeFile(t, w.dir, "padded.json", strings.Replace(readFile(t, w.decision), "{", `{"note":"<img src=x onerror=alert(1)>",`, 1))
	if err := os.WriteFile(padded+".sigstore.json", []byte(readFile(t, w.decision+".sigstore.json")), 0o644); err != nil {
		t.Fatal(err)
	}
	expect(t, build(padded), 1, "holds more than the decision", `unknown field "note"`)

	expect(t, build(w.signDecision(&genuine, w.approverKey)), 1, "but not decision")

	empty := genuine
	empty.Checks = nil
	expect(t, build(w.signDecision(&empty, w.key)), 1, "has no checks")

	expect(t, build(w.decision), 0)
}

// A keyless pack: the manifest signed through Fulcio and Rekor by the
// deploy workflow, the attestations inside key-signed by the release key.
func TestPackKeyless(t *testing.T) {
	t.Parallel()
	w := newPackWorld(t)
	stack := fakesigstore.New(t)
	root := stack.WriteTrustedRoot(t)
	claims := releaseClaims
	claims.WorkflowRef = "acme/app/.github/workflows/deploy.yml@refs/heads/main"
	claims.JobWorkflowRef = claims.WorkflowRef
	env := testEnv(t, merge(gateActionsEnv, stack.ActionsEnv(claims)))
	out := filepath.Join(w.dir, "keyless.tar.gz")
	expect(t, run(t, env, "pack", "build", w.artifact, "--environment", "production", "--decision", w.decision, "--policy", w.policy,
		"--bundles-dir", w.bundles, "--approvals", w.approval, "--out", out,
		"--fulcio-url", stack.FulcioURL, "--rekor-url", stack.RekorURL), 0)

	san := claims.SAN()
	base := []string{"pack", "verify", out, "--trusted-root", root, "--cert-oidc-issuer", stack.IssuerURL}
	r := run(t, w.env, append(base, "--cert-identity", san, "--attestation-key", w.pub, "--attestation-key", w.approverPub())...)
	expect(t, r, 0)
	if !strings.Contains(r.stdout, "verified "+out+": 21 files, 6 attestation(s)") || !strings.Contains(r.stdout, "05-approvals/decision.sigstore.json: the gate decision (allow), signed by key ") {
		t.Errorf("pack verify says %q", r.stdout)
	}
	expect(t, run(t, w.env, append(base, "--signer-workflow", "acme/app/.github/workflows/deploy.yml", "--attestation-key", w.pub, "--attestation-key", w.approverPub())...), 0)
	// Another workflow's identity: the manifest signature is refused.
	expect(t, run(t, w.env, append(base, "--signer-workflow", "acme/app/.github/workflows/release.yml", "--attestation-key", w.pub, "--attestation-key", w.approverPub())...), 1, "MANIFEST.sigstore.json", "identity")
	// Without the keys the attestations and the decision were signed with,
	// each is named.
	expect(t, run(t, w.env, append(base, "--cert-identity", san)...), 1, "04-attestations/provenance.jsonl:1", "04-attestations/sbom-attestation.jsonl:1", "04-attestations/test-attestation.jsonl:1",
		"04-attestations/vuln-scan-attestation.jsonl:1", "04-attestations/approval-attestation.jsonl:1", "05-approvals/decision.sigstore.json: the decision's signature does not verify")
	// Another key whose attestations verify is still not the recorded signer.
	_, otherPub := keys(t, w.env, w.dir, "other")
	expect(t, run(t, w.env, append(base, "--cert-identity", san, "--attestation-key", otherPub)...), 1, "04-attestations/provenance.jsonl:1")
}

// A pack for a multi-platform image: image-digests.txt lists each platform
// manifest; the pack is pushed as an artifact that refers to the release
// digest, pulled back byte for byte, and verified straight from the
// registry, with or without the referrers API.
func TestPackRegistry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []registrytest.Option
	}{{"referrers API", nil}, {"referrers tag schema", []registrytest.Option{registrytest.WithoutReferrersAPI()}}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			reg := registrytest.New(t, tc.opts...)
			w := &packWorld{gateWorld: newGateWorld(t)}
			idx, platformDigests := reg.PushRandomIndex(t, "acme/app", "linux/amd64", "linux/arm64", "linux/arm/v7")
			subj := "oci://" + idx.String()
			w.digest = idx.DigestStr()
			w.artifact = subj
			w.remove("")
			for kind, content := range map[string]string{"provenance": "", "sbom": sbomDoc("MIT"), "vuln": grypeReport(), "test": `{"Action":"pass","Package":"p","Test":"TestX"}` + "\n"} {
				w.attestFor(subj, kind, content)
			}
			bundle := w.approvals(nil, "alice")
			w.approval = filepath.Join(w.dir, "approvals.json")
			w.decision = filepath.Join(w.dir, "decision.json")
			r, d := w.gate("--approvals", bundle, "--rollback-digest", w.rollbackWithProvenance(), "--decision-out", w.decision, "--key", w.key)
			expect(t, r, 0)
			if !d.Allowed() {
				t.Fatalf("gate denied: %+v", d.Failed())
			}
			dir := w.build(filepath.Join(w.dir, "pack"))
			data, err := evidence.Archive(dir, readManifest(t, dir).Time)
			if err != nil {
				t.Fatal(err)
			}
			archive := writeFile(t, w.dir, "release.tar.gz", string(data))
			digests := readFile(t, filepath.Join(dir, "03-artifacts", "image-digests.txt"))
			want := idx.Context().String() + "@" + w.digest + " release\n"
			for i, p := range []string{"linux/amd64", "linux/arm64", "linux/arm/v7"} {
				want += idx.Context().String() + "@" + platformDigests[i] + " " + p + "\n"
			}
			if digests != want {
				t.Errorf("image-digests.txt:\n%s\nwant:\n%s", digests, want)
			}

			// Push the directory and the archive: the same artifact.
			r = run(t, w.env, "pack", "push", dir, subj, "--output", "json")
			expect(t, r, 0)
			var pushed struct{ Reference, Digest string }
			if err := json.Unmarshal([]byte(r.stdout), &pushed); err != nil {
				t.Fatal(err)
			}
			r = run(t, w.env, "pack", "push", archive, subj)
			expect(t, r, 0)
			if strings.TrimSpace(r.stdout) != pushed.Reference {
				t.Errorf("pushing the archive gave %q, the directory %q: want one reproducible artifact", r.stdout, pushed.Reference)
			}

			// A less complete pack for the same release (made before the
			// deployment, say) does not hide the complete one.
			lesser := filepath.Join(w.dir, "lesser")
			expect(t, run(t, w.env, "pack", "build", subj, "--environment", "production", "--decision", w.decision, "--policy", w.policy,
				"--bundles-dir", w.bundles, "--key", w.key, "--out", lesser), 0)
			expect(t, run(t, w.env, "pack", "push", lesser, subj), 0)

			pulled := filepath.Join(w.dir, "pulled.tar.gz")
			expect(t, run(t, w.env, "pack", "pull", subj, "--out", pulled), 0)
			if readFile(t, pulled) != readFile(t, archive) {
				t.Error("the pulled archive differs from the pushed one")
			}
			pulledDir := filepath.Join(w.dir, "pulled")
			expect(t, run(t, w.env, "pack", "pull", "oci://"+pushed.Reference, "--out", pulledDir), 0)
			expect(t, run(t, w.env, "pack", "verify", pulledDir, "--key", w.pub, "--attestation-key", w.approverPub()), 0)

			r = run(t, w.env, "pack", "verify", subj, "--key", w.pub, "--attestation-key", w.approverPub())
			expect(t, r, 0)
			if !strings.Contains(r.stdout, "verified "+subj) {
				t.Errorf("pack verify says %q", r.stdout)
			}
			expect(t, run(t, w.env, "pack", "verify", subj, "--key", w.pub, "--attestation-key", w.approverPub(), "--environment", "production"), 0)
			expect(t, run(t, w.env, "pack", "verify", "oci://"+pushed.Reference, "--key", w.pub, "--attestation-key", w.approverPub()), 0)
			if r := run(t, w.env, "pack", "show", subj); r.code != 0 || !strings.Contains(r.stdout, "ALLOW "+w.digest) {
				t.Errorf("pack show %s: exit %d, %q", subj, r.code, r.stdout)
			}
			expect(t, run(t, w.env, "pack", "verify", subj, "--key", w.pub, "--attestation-key", w.approverPub(), "--environment", "staging"), 1, "none for environment \"staging\"")
			// Two packs as complete as each other: ambiguous, both named.
			tie := w.build(filepath.Join(w.dir, "tie"), "--build-log", writeFile(t, w.dir, "build.log", "go build ./...\n"))
			expect(t, run(t, w.env, "pack", "push", tie, subj), 0)
			expect(t, run(t, w.env, "pack", "build", subj, "--environment", "production", "--decision", w.decision, "--policy", w.policy, "--bundles-dir", w.bundles,
				"--approvals", w.approval, "--key", w.key, "--out", filepath.Join(w.dir, "tie2"), "--build-log", writeFile(t, w.dir, "build2.log", "make\n")), 0)
			expect(t, run(t, w.env, "pack", "push", filepath.Join(w.dir, "tie2"), subj), 0)
			expect(t, run(t, w.env, "pack", "verify", subj, "--key", w.pub, "--attestation-key", w.approverPub()), 2, "expected one evidence pack, found 2", "--environment")

			// A platform manifest has no pack; a tag is refused; a pack
			// for another digest is not pushed there.
			platform := "oci://" + idx.Context().String() + "@" + platformDigests[0]
			expect(t, run(t, w.env, "pack", "verify", platform, "--key", w.pub, "--attestation-key", w.approverPub()), 1, "no evidence pack refers to")
			expect(t, run(t, w.env, "pack", "pull", "oci://"+idx.Context().String()+":latest", "--out", filepath.Join(w.dir, "x")), 2, "digest")
			expect(t, run(t, w.env, "pack", "push", dir, platform), 2, "expected a pack for "+platformDigests[0], "found one for "+w.digest)
			expect(t, run(t, w.env, "pack", "pull", subj, "--out", pulledDir), 2, "expected a new file or directory")
			if _, err := os.Stat(filepath.Join(w.dir, "x")); err == nil {
				t.Error("a refused pull left its output")
			}
		})
	}
}

// The sample pack in examples/ (what relproof demo writes) still verifies
// with the relproof of this tree, and a changed byte in it is caught.
func TestExampleEvidencePack(t *testing.T) {
	t.Parallel()
	env := testEnv(t, nil)
	src := filepath.Join("..", "..", "examples", "evidence-pack")
	pub := filepath.Join(src, "demo.pub")
	r := run(t, env, "pack", "verify", filepath.Join(src, "release-evidence"), "--key", pub)
	expect(t, r, 0)
	if !strings.Contains(r.stdout, "(allow to production)") {
		t.Errorf("pack verify says %q", r.stdout)
	}
	dir := filepath.Join(t.TempDir(), "copy")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(src, "release-evidence"))); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "03-artifacts", "image-digests.txt")
	b := []byte(readFile(t, p))
	b[0] ^= 1
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	expect(t, run(t, env, "pack", "verify", dir, "--key", pub), 1, "03-artifacts/image-digests.txt: changed")
}
