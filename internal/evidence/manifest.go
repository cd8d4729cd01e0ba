package evidence

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	intoto "github.com/in-toto/attestation/go/v1"

	"github.com/relproof/relproof/internal/attest"
	"github.com/relproof/relproof/internal/sign"
	"github.com/relproof/relproof/internal/subject"
)

// PackType is the predicate type of the statement MANIFEST.sigstore.json
// carries, and the manifest's version.
const PackType = "https://relproof.dev/evidence-pack/v1"

// The pack's own files, beside the six evidence directories.
const (
	ManifestFile = "MANIFEST.json"
	BundleFile   = "MANIFEST.sigstore.json"
	IndexFile    = "index.html"
)

// What the release was decided on, in 05-approvals: the gate decision as
// it was signed, its signed bundle, and the policy it was decided under
// (with the exceptions file its environment names beside it, by the name
// the policy gives it).
const (
	DecisionFile       = "05-approvals/decision.json"
	DecisionBundleFile = "05-approvals/decision.sigstore.json"
	PolicyDir          = "05-approvals/policy/"
	PolicyFile         = PolicyDir + "policy.yaml"
)

// Entry is one file of the pack as MANIFEST.json lists it.
type Entry struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	Class  string `json:"class"`
	// Missing, when set, says what evidence is missing and why; the file
	// then states the same.
	Missing string `json:"missing,omitempty"`
}

// Attested is one attestation in 04-attestations, as the gate verified it,
// or the decision's signature (Type "decision"): pack verify checks its
// signature again and that its signer is still the one recorded here,
// under the manifest's signature.
type Attested struct {
	Path   string `json:"path"`
	Line   int    `json:"line"`
	Digest string `json:"digest"` // sha256 of the line's bytes
	Type   string `json:"type"`
	Signer string `json:"signer"`
	// Evidence is the digest the gate decision lists the document under.
	Evidence string `json:"evidence"`
}

// Manifest is MANIFEST.json.
type Manifest struct {
	Version        string     `json:"version"`
	Subject        string     `json:"subject"`
	Digest         string     `json:"digest"`
	Environment    string     `json:"environment"`
	Decision       string     `json:"decision"`
	DecisionDigest string     `json:"decisionDigest"`
	Time           time.Time  `json:"time"`
	Files          []Entry    `json:"files"`
	Attestations   []Attested `json:"attestations"`
}

// Missing lists the entries whose evidence is missing.
func (m *Manifest) Missing() []Entry {
	var out []Entry
	for _, e := range m.Files {
		if e.Missing != "" {
			out = append(out, e)
		}
	}
	return out
}

// placed is a file of the pack and its evidence class.
type placed struct{ path, class string }

// The pack's evidence files, in order, with their evidence class. Beside
// them a pack holds the policy's exceptions file and, when the decision
// used attestations of other kinds, 04-attestations/other-attestations.jsonl.
var layout = []placed{
	{"01-source/pull-request-summary.md", "source-change"},
	{"01-source/commit-range.txt", "source-change"},
	{"02-build/build-log.txt", "build-log"},
	{"02-build/runner-metadata.json", "runner-metadata"},
	{"03-artifacts/image-digests.txt", "artifact-identity"},
	{"03-artifacts/sbom.spdx.json", "sbom"},
	{"04-attestations/provenance.jsonl", "provenance"},
	{"04-attestations/sbom-attestation.jsonl", "sbom-attestation"},
	{"04-attestations/vuln-scan-attestation.jsonl", "vulnerability-scan"},
	{"04-attestations/test-attestation.jsonl", "test-results"},
	{"04-attestations/signatures.jsonl", "signature"},
	{"04-attestations/approval-attestation.jsonl", "approval-attestation"},
	{approvalFile, "approval"},
	{"05-approvals/security-signoff.md", "gate-decision"},
	{DecisionFile, "gate-decision"},
	{DecisionBundleFile, "gate-decision-signature"},
	{PolicyFile, "policy"},
	{"06-deployment/deploy-record.json", "deployment"},
	{"06-deployment/rollback-plan.md", "rollback"},
}

// piece is one file's content, or the reason it is missing.
type piece struct {
	data    []byte
	missing string
}

func have(data []byte) piece { return piece{data: data} }

func missing(format string, a ...any) piece { return piece{missing: fmt.Sprintf(format, a...)} }

// placeholder is the content of a missing piece's file: it says what is
// missing and why, in the file's own format.
func placeholder(p, reason string) []byte {
	if strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".jsonl") {
		b, _ := json.Marshal(map[string]any{"missing": true, "path": p, "reason": reason})
		return append(b, '\n')
	}
	return []byte(fmt.Sprintf("MISSING: %s\n\nReason: %s\n", p, reason))
}

func entryFor(p, class string, data []byte, miss string) Entry {
	sum := sha256.Sum256(data)
	return Entry{Path: p, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)), Class: class, Missing: miss}
}

// digestOf is "sha256:HEX" of data.
func digestOf(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// sameJSON compares two values by their JSON encoding.
func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// signManifest signs the statement whose subjects are every file of the
// manifest, MANIFEST.json itself, and the release digest.
func signManifest(ctx context.Context, s sign.Signer, subj *subject.Subject, m *Manifest, manifestJSON []byte) ([]byte, error) {
	sum := sha256.Sum256(manifestJSON)
	subs := []*intoto.ResourceDescriptor{}
	for _, e := range m.Files {
		subs = append(subs, &intoto.ResourceDescriptor{Name: e.Path, Digest: map[string]string{"sha256": e.SHA256}})
	}
	subs = append(subs, &intoto.ResourceDescriptor{Name: ManifestFile, Digest: map[string]string{"sha256": hex.EncodeToString(sum[:])}})
	subs = append(subs, attest.SubjectDescriptor(subj))
	pred, err := attest.ToStruct(map[string]any{
		"subject": m.Subject, "digest": m.Digest, "environment": m.Environment,
		"decision": m.Decision, "decisionDigest": m.DecisionDigest, "manifest": ManifestFile,
		"time": m.Time.Format(time.RFC3339),
	})
	if err != nil {
		return nil, err
	}
	st := &intoto.Statement{Type: intoto.StatementTypeUri, Subject: subs, PredicateType: PackType, Predicate: pred}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("manifest statement: %w", err)
	}
	b, err := attest.Sign(ctx, s, st)
	if err != nil {
		return nil, fmt.Errorf("signing %s: %w", ManifestFile, err)
	}
	return b, nil
}
