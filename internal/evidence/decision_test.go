package evidence

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relproof/relproof/internal/attest"
	"github.com/relproof/relproof/internal/attest/predicate"
	"github.com/relproof/relproof/internal/gate"
	"github.com/relproof/relproof/internal/sign"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

// signer is a key that signs one kind of evidence in a release, and
// verifies what it signed.
type signer struct {
	sign.Signer
	pub verify.Policy
}

func newSigner(t *testing.T) signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.NewKeySigner(k)
	if err != nil {
		t.Fatal(err)
	}
	return signer{Signer: s, pub: verify.Policy{Key: &k.PublicKey}}
}

// release is a release as the gate saw it: each attestation signed by the
// key that may sign it, a decision that used them all, signed by the gate's
// key, and the policy it was made under; and a pack signer apart from all.
type release struct {
	subj                          *subject.Subject
	build, approver, gateKey, pak signer
	bundles                       map[string][]byte // by evidence type
	used                          map[string]gate.Evidence
	in                            Input
}

const testPolicy = "apiVersion: relproof.dev/v1\nkind: Policy\nenvironments:\n  production:\n    vulnerabilities: {exceptions: exceptions.yaml}\n"

func newRelease(t *testing.T) *release {
	t.Helper()
	ctx := context.Background()
	dg, err := subject.ParseDigest("sha256:" + strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	r := &release{
		subj:  &subject.Subject{Kind: subject.KindDigest, Name: "app.bin", Digest: dg},
		build: newSigner(t), approver: newSigner(t), gateKey: newSigner(t), pak: newSigner(t),
		bundles: map[string][]byte{}, used: map[string]gate.Evidence{},
	}
	preds := []struct {
		typ, predicateType string
		by                 signer
		pred               any
	}{
		{"provenance", "https://slsa.dev/provenance/v1", r.build, map[string]any{"buildDefinition": map[string]any{"buildType": "https://example.com/build"}}},
		{"sbom", "https://spdx.dev/Document", r.build, map[string]any{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "app"}},
		{"test", predicate.TestResultType, r.build, map[string]any{"result": "PASSED"}},
		{"approval", predicate.ApprovalType, r.approver, map[string]any{"environment": "production", "digest": dg.String(), "runId": 42, "approved": true, "minimum": 1,
			"reviews": []any{map[string]any{"reviewer": "alice", "state": "approved"}}}},
	}
	d := &gate.Decision{
		SchemaVersion: gate.SchemaVersion, Decision: "allow", Subject: r.subj.String(), Digest: dg.String(), Environment: "production",
		PolicyDigest: digestOf([]byte(testPolicy)), Time: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC),
		Checks: []gate.Check{{Question: gate.QDigest, ID: "subject-pinned", Status: gate.Pass, Message: "pinned"}},
	}
	for _, p := range preds {
		b, err := attest.SignPredicate(ctx, p.by, r.subj, p.predicateType, p.pred)
		if err != nil {
			t.Fatal(err)
		}
		a := verifiedAs(t, r.subj, b, p.by)
		r.bundles[p.typ] = b
		ev := gate.Evidence{Type: p.typ, PredicateType: a.PredicateType, Digest: a.Digest, Source: p.typ + ".sigstore.json", Signer: a.Signer}
		r.used[p.typ] = ev
		d.Evidence = append(d.Evidence, ev)
	}
	decJSON, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	decBundle, err := attest.SignPredicate(ctx, r.gateKey, r.subj, gate.DecisionType, json.RawMessage(decJSON))
	if err != nil {
		t.Fatal(err)
	}
	signed := verifiedAs(t, r.subj, decBundle, r.gateKey)
	r.in = Input{
		Subject: r.subj, Decision: d, DecisionJSON: append(decJSON, '\n'),
		DecisionBundle:    &File{Name: "decision.json.sigstore.json", Data: decBundle},
		DecisionSignature: &gate.Evidence{Type: "decision", Digest: signed.Digest, Signer: signed.Signer},
		Policy:            &File{Name: "policy.yaml", Data: []byte(testPolicy)},
		Exceptions:        []File{{Name: "exceptions.yaml", Data: []byte("- id: CVE-2026-1\n")}},
		Signer:            r.pak,
	}
	for typ, b := range r.bundles {
		r.in.Bundles = append(r.in.Bundles, File{Name: typ + ".sigstore.json", Data: b})
	}
	return r
}

// verifiedAs verifies a bundle for the subject under by's key.
func verifiedAs(t *testing.T, s *subject.Subject, bundle []byte, by signer) verify.Attestation {
	t.Helper()
	entries, err := verify.ReadBundles("bundle", bundle)
	if err != nil {
		t.Fatal(err)
	}
	res, err := verify.Verify(s, entries, by.pub)
	if err != nil || len(res.Verified) != 1 {
		t.Fatalf("verifying a bundle the test signed: %v %+v", err, res)
	}
	return res.Verified[0]
}

// options are what an auditor gives pack verify: the pack signer's key,
// and the keys the attestations and the decision were signed with.
func (r *release) options() Options {
	return Options{Manifest: r.pak.pub, Attestations: []verify.Policy{r.build.pub, r.approver.pub, r.gateKey.pub}}
}

func (r *release) pack(t *testing.T) string {
	t.Helper()
	in := r.in
	in.Out = filepath.Join(t.TempDir(), "pack")
	if _, err := Build(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	return in.Out
}

// rewrite is the holder of the pack signer's key rewriting a pack: the
// files as they now are, the manifest edited, and signed again.
func (r *release) rewrite(t *testing.T, dir string, edit func(m *Manifest)) {
	t.Helper()
	pack, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := pack.Manifest
	for i, e := range m.Files {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(e.Path)))
		if err != nil {
			t.Fatal(err)
		}
		m.Files[i] = entryFor(e.Path, e.Class, data, e.Missing)
	}
	if edit != nil {
		edit(m)
	}
	mj, err := marshalJSON(m)
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := signManifest(context.Background(), r.pak, r.subj, m, mj)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{ManifestFile: mj, BundleFile: append(bundle, '\n')} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func writeTo(t *testing.T, dir, p string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(p)), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func compact(t *testing.T, b []byte) []byte {
	t.Helper()
	var c bytes.Buffer
	if err := json.Compact(&c, b); err != nil {
		t.Fatal(err)
	}
	return append(c.Bytes(), '\n')
}

// A release's pack holds what it was decided on — every attestation the
// decision used, the decision, its signature, the policy and its
// exceptions — and verifies, the decision and its signature with it.
func TestPackHoldsWhatTheDecisionUsed(t *testing.T) {
	t.Parallel()
	r := newRelease(t)
	dir := r.pack(t)
	pack, err := Verify(dir, r.options())
	if err != nil {
		t.Fatal(err)
	}
	if pack.Decision == nil || pack.DecisionSignature == nil || pack.DecisionSignature.Signer != r.in.DecisionSignature.Signer {
		t.Errorf("verified decision %+v, signature %+v", pack.Decision, pack.DecisionSignature)
	}
	if len(pack.Verified) != 4 {
		t.Errorf("%d attestations verified, want the 4 the decision used", len(pack.Verified))
	}
	for file, want := range map[string][]byte{
		"04-attestations/sbom-attestation.jsonl":     compact(t, r.bundles["sbom"]),
		"04-attestations/approval-attestation.jsonl": compact(t, r.bundles["approval"]),
		DecisionFile:                          r.in.DecisionJSON,
		DecisionBundleFile:                    compact(t, r.in.DecisionBundle.Data),
		PolicyFile:                            []byte(testPolicy),
		"05-approvals/policy/exceptions.yaml": r.in.Exceptions[0].Data,
	} {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(file)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s = %q (%v), want %q", file, got, err, want)
		}
	}
	if page, _ := os.ReadFile(filepath.Join(dir, approvalFile)); !bytes.Contains(page, []byte("From the signed approval attestation `"+r.used["approval"].Digest)) || !bytes.Contains(page, []byte("alice")) {
		t.Errorf("the approval page is not the signed record:\n%s", page)
	}
}

// An SBOM attestation swapped, removed or re-signed is caught, and named:
// by anyone (the manifest no longer matches), and by the holder of the
// pack signer's key who writes and signs the manifest again (the pack no
// longer holds what the decision used, or the decision no longer matches
// its signature).
func TestPackVerifyCatchesSBOMAttestationAttacks(t *testing.T) {
	t.Parallel()
	r := newRelease(t)
	const sbomFile = "04-attestations/sbom-attestation.jsonl"
	used := r.used["sbom"]
	ctx := context.Background()
	other, _ := subject.ParseDigest("sha256:" + strings.Repeat("cd", 32))
	foreign, err := attest.SignPredicate(ctx, r.build, &subject.Subject{Kind: subject.KindDigest, Name: "other.bin", Digest: other}, "https://spdx.dev/Document", map[string]any{"spdxVersion": "SPDX-2.3", "name": "other"})
	if err != nil {
		t.Fatal(err)
	}
	resigned, err := attest.SignPredicate(ctx, r.approver, r.subj, "https://spdx.dev/Document", map[string]any{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "app"})
	if err != nil {
		t.Fatal(err)
	}
	resignedBy := verifiedAs(t, r.subj, resigned, r.approver)
	// swap puts line in place of the SBOM attestation, recorded as the one
	// the decision used, signed by signer.
	swap := func(line []byte, signer string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			line = compact(t, line)
			writeTo(t, dir, sbomFile, line)
			r.rewrite(t, dir, func(m *Manifest) {
				for i, a := range m.Attestations {
					if a.Path == sbomFile {
						m.Attestations[i].Digest, m.Attestations[i].Signer = digestOf(bytes.TrimSpace(line)), signer
					}
				}
			})
		}
	}
	for _, tc := range []struct {
		name   string
		attack func(t *testing.T, dir string)
		says   []string
	}{
		{"removed", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, filepath.FromSlash(sbomFile)))
		}, []string{sbomFile + ": missing: expected sha256:"}},
		{"swapped for one over another digest", func(t *testing.T, dir string) {
			writeTo(t, dir, sbomFile, compact(t, foreign))
		}, []string{sbomFile + ": changed: expected sha256:"}},
		{"re-signed by another key", func(t *testing.T, dir string) {
			writeTo(t, dir, sbomFile, compact(t, resigned))
		}, []string{sbomFile + ": changed: expected sha256:"}},
		{"removed, by the pack signer", func(t *testing.T, dir string) {
			reason := "not given"
			writeTo(t, dir, sbomFile, placeholder(sbomFile, reason))
			r.rewrite(t, dir, func(m *Manifest) {
				for i, e := range m.Files {
					if e.Path == sbomFile {
						m.Files[i] = entryFor(sbomFile, e.Class, placeholder(sbomFile, reason), reason)
					}
				}
				var kept []Attested
				for _, a := range m.Attestations {
					if a.Path != sbomFile {
						kept = append(kept, a)
					}
				}
				m.Attestations = kept
			})
		}, []string{sbomFile + ": expected the sbom attestation the decision used, " + used.Digest + " signed by " + `"` + used.Signer + `"` + ", found none"}},
		{"swapped for one over another digest, by the pack signer", swap(foreign, used.Signer),
			[]string{sbomFile + ":1: attestation does not verify for " + r.subj.Digest.String()}},
		{"re-signed by another key, by the pack signer", swap(resigned, resignedBy.Signer),
			[]string{sbomFile + ":1: expected the signer the decision names for " + used.Digest + `, "` + used.Signer + `", found "` + resignedBy.Signer + `"`}},
		{"re-signed by another key, the decision edited to match, by the pack signer", func(t *testing.T, dir string) {
			swap(resigned, resignedBy.Signer)(t, dir)
			d := *r.in.Decision
			d.Evidence = append([]gate.Evidence{}, d.Evidence...)
			for i, e := range d.Evidence {
				if e.Type == "sbom" {
					d.Evidence[i].Digest, d.Evidence[i].Signer = resignedBy.Digest, resignedBy.Signer
				}
			}
			decJSON, _ := json.MarshalIndent(&d, "", "  ")
			writeTo(t, dir, DecisionFile, decJSON)
			r.rewrite(t, dir, func(m *Manifest) {
				m.DecisionDigest = digestOf(decJSON)
				for i, a := range m.Attestations {
					if a.Path == sbomFile {
						m.Attestations[i].Evidence = resignedBy.Digest
					}
				}
			})
		}, []string{DecisionBundleFile + ": expected the signature over " + DecisionFile + ", found one over another decision"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := r.pack(t)
			tc.attack(t, dir)
			_, err := Verify(dir, r.options())
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Verify after the attack: %v, want an *Error", err)
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("the error does not say %q:\n%v", s, err)
				}
			}
		})
	}
}

// The decision and what lies beside it: a decision that is not the one the
// manifest names, a signature by another key than the one recorded, a
// policy that is not the decision's, an attestation the decision did not
// use.
func TestPackVerifyChecksTheDecision(t *testing.T) {
	t.Parallel()
	r := newRelease(t)
	for _, tc := range []struct {
		name   string
		attack func(t *testing.T, dir string)
		says   string
	}{
		{"decision edited", func(t *testing.T, dir string) {
			b, _ := os.ReadFile(filepath.Join(dir, DecisionFile))
			writeTo(t, dir, DecisionFile, bytes.Replace(b, []byte(`"pinned"`), []byte(`"pinned!"`), 1))
			r.rewrite(t, dir, nil)
		}, DecisionFile + ": expected the decision MANIFEST.json names"},
		{"decision re-signed by another key", func(t *testing.T, dir string) {
			b, err := attest.SignPredicate(context.Background(), r.approver, r.subj, gate.DecisionType, json.RawMessage(r.in.DecisionJSON))
			if err != nil {
				t.Fatal(err)
			}
			line := compact(t, b)
			writeTo(t, dir, DecisionBundleFile, line)
			r.rewrite(t, dir, func(m *Manifest) {
				for i, a := range m.Attestations {
					if a.Path == DecisionBundleFile {
						m.Attestations[i].Digest = digestOf(bytes.TrimSpace(line))
					}
				}
			})
		}, DecisionBundleFile + `: expected the signer MANIFEST.json records, "` + r.in.DecisionSignature.Signer + `"`},
		{"another policy", func(t *testing.T, dir string) {
			writeTo(t, dir, PolicyFile, []byte(testPolicy+"# edited\n"))
			r.rewrite(t, dir, nil)
		}, PolicyFile + ": expected the policy the decision was made under, " + r.in.Decision.PolicyDigest},
		{"an attestation the decision did not use", func(t *testing.T, dir string) {
			const file = "04-attestations/test-attestation.jsonl"
			b, _ := os.ReadFile(filepath.Join(dir, file))
			extra, err := attest.SignPredicate(context.Background(), r.build, r.subj, predicate.TestResultType, map[string]any{"result": "FAILED"})
			if err != nil {
				t.Fatal(err)
			}
			line := compact(t, extra)
			writeTo(t, dir, file, append(b, line...))
			r.rewrite(t, dir, func(m *Manifest) {
				m.Attestations = append(m.Attestations, Attested{Path: file, Line: 2, Digest: digestOf(bytes.TrimSpace(line)), Type: "test", Signer: r.used["test"].Signer, Evidence: digestOf(extra)})
			})
		}, "04-attestations/test-attestation.jsonl:2: expected only attestations the decision used"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := r.pack(t)
			tc.attack(t, dir)
			_, err := Verify(dir, r.options())
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("Verify: %v\nwant it to say %q", err, tc.says)
			}
		})
	}
}

// A pack whose decision was not signed (a caller that gave no bundle)
// records the signature missing, and does not verify: a decision nobody
// signed cannot be re-checked.
func TestPackWithoutDecisionSignature(t *testing.T) {
	t.Parallel()
	r := newRelease(t)
	r.in.DecisionBundle, r.in.DecisionSignature = nil, nil
	dir := r.pack(t)
	_, err := Verify(dir, r.options())
	if err == nil || !strings.Contains(err.Error(), DecisionBundleFile+": expected the decision's signed bundle, found it recorded missing: the gate decision's signed bundle was not given") {
		t.Errorf("Verify of a pack with an unsigned decision: %v", err)
	}
}

// The policy is kept with the exceptions it names: by their names when
// they are plain and inside the policy's directory, by their digest when
// not; a policy that is not the decision's is recorded missing, with why.
func TestPackPolicyFiles(t *testing.T) {
	t.Parallel()
	r := newRelease(t)
	in := r.in
	in.Exceptions = []File{{Name: "security/exceptions.yaml", Data: []byte("a")}, {Name: "../shared/x.yaml", Data: []byte("b")}, {Name: "/etc/x\n.yaml", Data: []byte("c")}}
	p, xs, err := policyPieces(in)
	if err != nil || p.missing != "" {
		t.Fatalf("policyPieces: %v %q", err, p.missing)
	}
	var got []string
	for _, x := range xs {
		got = append(got, x.path)
	}
	want := []string{PolicyDir + "security/exceptions.yaml", PolicyDir + "exceptions-" + strings.TrimPrefix(digestOf([]byte("b")), "sha256:")[:12] + ".yaml", PolicyDir + "exceptions-" + strings.TrimPrefix(digestOf([]byte("c")), "sha256:")[:12] + ".yaml"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("exceptions kept at %q, want %q", got, want)
	}
	in.Policy = &File{Name: "other.yaml", Data: []byte(testPolicy + "# another\n")}
	p, xs, _ = policyPieces(in)
	if !strings.Contains(p.missing, "not the policy the decision was made under") || len(xs) != 0 {
		t.Errorf("another policy: missing %q, %d exceptions kept", p.missing, len(xs))
	}
}

// Build refuses decision JSON that is not the decision it is given.
func TestPackBuildRefusesAnotherDecisionJSON(t *testing.T) {
	t.Parallel()
	r := newRelease(t)
	in := r.in
	in.Out = filepath.Join(t.TempDir(), "pack")
	in.DecisionJSON = bytes.Replace(in.DecisionJSON, []byte(`"allow"`), []byte(`"deny"`), 1)
	if _, err := Build(context.Background(), in); err == nil || !strings.Contains(err.Error(), "JSON of another decision") {
		t.Errorf("Build: %v", err)
	}
	in.DecisionJSON = append(bytes.Clone(bytes.TrimSuffix(r.in.DecisionJSON, []byte("}\n"))), []byte(`,"note":"x"}`)...)
	if _, err := Build(context.Background(), in); err == nil || !strings.Contains(err.Error(), `unknown field "note"`) {
		t.Errorf("Build: %v", err)
	}
	// The decision's bundle must hold the signature the caller verified,
	// and come with it.
	in.DecisionJSON = r.in.DecisionJSON
	in.DecisionSignature = &gate.Evidence{Type: "decision", Digest: "sha256:" + strings.Repeat("0", 64), Signer: "key K"}
	if _, err := Build(context.Background(), in); err == nil || !strings.Contains(err.Error(), "found no such document in it") {
		t.Errorf("Build with a signature its bundle does not hold: %v", err)
	}
	in.DecisionSignature = nil
	if _, err := Build(context.Background(), in); err == nil || !strings.Contains(err.Error(), "found one without the other") {
		t.Errorf("Build with a bundle and no signature: %v", err)
	}
}
