package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relproof/relproof/internal/gate"
)

// usedEvidence is the evidence of type typ the pack world's decision used.
func (w *packWorld) usedEvidence(typ string) gate.Evidence {
	w.t.Helper()
	var d gate.Decision
	if err := json.Unmarshal([]byte(readFile(w.t, w.decision)), &d); err != nil {
		w.t.Fatal(err)
	}
	for _, e := range d.Evidence {
		if e.Type == typ {
			return e
		}
	}
	w.t.Fatalf("the decision used no %s attestation: %+v", typ, d.Evidence)
	return gate.Evidence{}
}

// bundlesBut lists the world's evidence files as --bundle flags, but
// those whose name starts with prefix.
func (w *packWorld) bundlesBut(prefix string) []string {
	w.t.Helper()
	ents, err := os.ReadDir(w.bundles)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), prefix) {
			out = append(out, "--bundle", filepath.Join(w.bundles, e.Name()))
		}
	}
	return out
}

// The release's SBOM attestation swapped for one over another digest,
// removed, or re-signed by another key: pack verify fails (exit 1) naming
// it — whether someone changed a genuine pack, or the pack was built from
// evidence that had been tampered with, and so does not hold the SBOM
// attestation the decision used.
func TestPackVerifyCatchesSBOMAttacks(t *testing.T) {
	t.Parallel()
	w := newPackWorld(t)
	const sbomFile = "04-attestations/sbom-attestation.jsonl"
	used := w.usedEvidence("sbom")
	attackDir := filepath.Join(w.dir, "attack")
	if err := os.Mkdir(attackDir, 0o755); err != nil {
		t.Fatal(err)
	}
	sbom := writeFile(t, w.dir, "attack-sbom.json", sbomDoc("MIT"))
	other := writeFile(t, w.dir, "other.bin", "another artifact")
	foreign := filepath.Join(attackDir, "foreign-sbom.sigstore.json")
	expect(t, run(t, w.env, "attest", other, "--type", "custom", "--predicate-type", "https://spdx.dev/Document", "--predicate", sbom, "--key", w.key, "--bundle-out", foreign), 0)
	otherKey, otherPub := keys(t, w.env, w.dir, "other")
	resigned := filepath.Join(attackDir, "resigned-sbom.sigstore.json")
	expect(t, run(t, w.env, "attest", w.artifact, "--type", "custom", "--predicate-type", "https://spdx.dev/Document", "--predicate", sbom, "--key", otherKey, "--bundle-out", resigned), 0)

	notHeld := fmt.Sprintf("%s: expected the sbom attestation the decision used, %s signed by %q, found none: the pack does not hold it", sbomFile, used.Digest, used.Signer)
	for _, tc := range []struct {
		name string
		pack func(t *testing.T, out string) string
		says string
	}{
		{"removed from the pack", func(t *testing.T, out string) string {
			w.build(out)
			os.Remove(filepath.Join(out, filepath.FromSlash(sbomFile)))
			return out
		}, sbomFile + ": missing: expected sha256:"},
		{"swapped in the pack for one over another digest", func(t *testing.T, out string) string {
			w.build(out)
			writeFile(t, filepath.Join(out, "04-attestations"), "sbom-attestation.jsonl", compactJSON(t, readFile(t, foreign))+"\n")
			return out
		}, sbomFile + ": changed: expected sha256:"},
		{"re-signed in the pack by another key", func(t *testing.T, out string) string {
			w.build(out)
			writeFile(t, filepath.Join(out, "04-attestations"), "sbom-attestation.jsonl", compactJSON(t, readFile(t, resigned))+"\n")
			return out
		}, sbomFile + ": changed: expected sha256:"},
		{"removed from the evidence the pack is built from", func(t *testing.T, out string) string {
			return w.buildFrom(out, w.bundlesBut("sbom-"))
		}, notHeld},
		{"swapped in the evidence for one over another digest", func(t *testing.T, out string) string {
			return w.buildFrom(out, append(w.bundlesBut("sbom-"), "--bundle", foreign))
		}, notHeld},
		{"re-signed in the evidence by another key", func(t *testing.T, out string) string {
			return w.buildFrom(out, append(w.bundlesBut("sbom-"), "--bundle", resigned))
		}, notHeld},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.pack(t, filepath.Join(w.dir, strings.ReplaceAll(tc.name, " ", "-")))
			r := run(t, w.env, "pack", "verify", dir, "--key", w.pub, "--attestation-key", w.approverPub(), "--attestation-key", otherPub)
			expect(t, r, 1, tc.says)
		})
	}
}

// buildFrom builds a pack from these evidence files (and the approval
// record, whose signed attestation is read from beside it).
func (w *packWorld) buildFrom(out string, bundles []string) string {
	w.t.Helper()
	args := append([]string{"pack", "build", w.artifact, "--environment", "production", "--decision", w.decision, "--policy", w.policy,
		"--approvals", w.approval, "--key", w.key, "--out", out}, bundles...)
	r := run(w.t, w.env, args...)
	expect(w.t, r, 0)
	if !strings.Contains(r.stdout, "missing 04-attestations/sbom-attestation.jsonl: ") || !strings.Contains(r.stdout, "pack verify fails until the pack holds every attestation the decision used") {
		w.t.Errorf("pack build does not say the SBOM attestation is missing, and what follows:\n%s", r.stdout)
	}
	return out
}

// The signed approval attestation is read from beside the approval record,
// or from --approvals-bundle; one named that is not there is bad input.
// Without it the approval page is made from the record, and says it is not
// signed, and pack verify fails: the decision used the attestation.
func TestPackApprovalsBundle(t *testing.T) {
	t.Parallel()
	w := newPackWorld(t)
	signed := filepath.Join(w.dir, "approvals.sigstore.json")
	moved := filepath.Join(w.dir, "elsewhere.sigstore.json")
	if err := os.Rename(signed, moved); err != nil {
		t.Fatal(err)
	}
	unsigned := w.build(filepath.Join(w.dir, "unsigned"))
	if page := readFile(t, filepath.Join(unsigned, "05-approvals", "environment-approval.md")); !strings.Contains(page, "It is not signed") || !strings.Contains(page, "alice") {
		t.Errorf("the approval page from the record alone:\n%s", page)
	}
	expect(t, run(t, w.env, "pack", "verify", unsigned, "--key", w.pub, "--attestation-key", w.approverPub()), 1,
		"04-attestations/approval-attestation.jsonl: expected the approval attestation the decision used, "+w.usedEvidence("approval").Digest)

	withFlag := w.build(filepath.Join(w.dir, "flag"), "--approvals-bundle", moved)
	expect(t, run(t, w.env, "pack", "verify", withFlag, "--key", w.pub, "--attestation-key", w.approverPub()), 0)

	nowhere := filepath.Join(w.dir, "nowhere.sigstore.json")
	expect(t, run(t, w.env, "pack", "build", w.artifact, "--environment", "production", "--decision", w.decision, "--policy", w.policy,
		"--bundles-dir", w.bundles, "--approvals", w.approval, "--approvals-bundle", nowhere, "--key", w.key, "--out", filepath.Join(w.dir, "bad")), 2, nowhere, "no such file")
}

// pack build with a policy that is not the one the decision was made
// under (its decision signers still sign the decision): the pack records
// the policy missing and says why; the decision's evidence still verifies.
func TestPackPolicyNotTheDecisions(t *testing.T) {
	t.Parallel()
	w := newPackWorld(t)
	edited := writeFile(t, w.dir, "edited-policy.yaml", readFile(t, w.policy)+"# edited after the decision\n")
	out := filepath.Join(w.dir, "pack")
	r := run(t, w.env, "pack", "build", w.artifact, "--environment", "production", "--decision", w.decision, "--policy", edited,
		"--bundles-dir", w.bundles, "--approvals", w.approval, "--key", w.key, "--out", out)
	expect(t, r, 0)
	if !strings.Contains(r.stdout, "missing 05-approvals/policy/policy.yaml: the policy given ("+edited+") is sha256:") || !strings.Contains(r.stdout, "not the policy the decision was made under") {
		t.Errorf("pack build does not say the policy is not the decision's:\n%s", r.stdout)
	}
	if _, err := os.Stat(filepath.Join(out, "05-approvals", "policy", "exceptions.yaml")); err == nil {
		t.Error("the exceptions of a policy that is not the decision's went into the pack")
	}
	r = run(t, w.env, "pack", "verify", out, "--key", w.pub, "--attestation-key", w.approverPub(), "--output", "json")
	expect(t, r, 0)
	var rep struct {
		DecisionSignature *struct{ Signer string } `json:"decisionSignature"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.DecisionSignature == nil || !strings.HasPrefix(rep.DecisionSignature.Signer, "key ") {
		t.Errorf("pack verify --output json: decisionSignature %+v (%v)\n%s", rep.DecisionSignature, err, r.stdout)
	}
}
