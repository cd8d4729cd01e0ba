package evidence

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	intoto "github.com/in-toto/attestation/go/v1"

	"github.com/relproof/relproof/internal/attest"
	"github.com/relproof/relproof/internal/attest/predicate"
	"github.com/relproof/relproof/internal/gate"
	"github.com/relproof/relproof/internal/report"
	"github.com/relproof/relproof/internal/report/safe"
	"github.com/relproof/relproof/internal/sign"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
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

// File is an input the caller read: its name (for errors and reports) and
// its bytes.
type File struct {
	Name string
	Data []byte
}

// Input is everything a pack is built from. Subject, Decision, Signer and
// Out are required; every other piece is optional, and a piece not given is
// recorded in the pack as missing, with the reason.
type Input struct {
	Subject *subject.Subject
	// Decision is the gate's decision; DecisionJSON the bytes it was read
	// from, whose digest the sign-off records.
	Decision     *gate.Decision
	DecisionJSON []byte
	// Bundles are evidence files (Sigstore bundles, DSSE envelopes, JSON
	// Lines of them); those the decision lists as verified go in the pack.
	Bundles []File
	// Approvals is the approval record (relproof approval record).
	Approvals *File
	// SourceDir holds pull-request-summary.md and commit-range.txt.
	SourceDir      string
	BuildLog       *File
	DeployRecord   *File
	RollbackDigest string
	// Platforms are the platform manifests of a multi-platform index
	// subject, listed in image-digests.txt beside the release digest.
	Platforms []Platform
	Signer    sign.Signer
	// Out is the pack directory to create; it must not exist, or be empty.
	Out string
}

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

// Platform is one platform manifest of a multi-platform image index.
type Platform struct {
	Platform string `json:"platform"` // os/arch[/variant]
	Digest   string `json:"digest"`
}

// Attested is one attestation in 04-attestations, as the gate verified it:
// pack verify checks its signature again and that its signer is still the
// one recorded here, under the manifest's signature.
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

// Pack is a built (or read) pack.
type Pack struct {
	Dir      string
	Manifest *Manifest
	// Verified are the attestations in 04-attestations that Verify
	// checked: signer, verified signing times, provenance.
	Verified []verify.Attestation
}

// The pack's evidence files, in order, with their evidence class.
var layout = []struct{ path, class string }{
	{"01-source/pull-request-summary.md", "source-change"},
	{"01-source/commit-range.txt", "source-change"},
	{"02-build/build-log.txt", "build-log"},
	{"02-build/runner-metadata.json", "runner-metadata"},
	{"03-artifacts/image-digests.txt", "artifact-identity"},
	{"03-artifacts/sbom.spdx.json", "sbom"},
	{"04-attestations/provenance.jsonl", "provenance"},
	{"04-attestations/vuln-scan-attestation.jsonl", "vulnerability-scan"},
	{"04-attestations/test-attestation.jsonl", "test-results"},
	{"04-attestations/signatures.jsonl", "signature"},
	{"05-approvals/environment-approval.md", "approval"},
	{"05-approvals/security-signoff.md", "gate-decision"},
	{"06-deployment/deploy-record.json", "deployment"},
	{"06-deployment/rollback-plan.md", "rollback"},
}

// attestationFiles maps an evidence type (gate.Type) to its JSONL file.
var attestationFiles = map[string]string{
	"provenance": "04-attestations/provenance.jsonl",
	"vuln":       "04-attestations/vuln-scan-attestation.jsonl",
	"test":       "04-attestations/test-attestation.jsonl",
	// Plain signatures over the release digest (cosign sign-blob --bundle).
	"signature": "04-attestations/signatures.jsonl",
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

// Build writes the pack for in.Subject into in.Out, atomically: in a
// temporary directory beside it, renamed into place when complete.
func Build(ctx context.Context, in Input) (*Pack, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	pieces, attested, err := gather(in)
	if err != nil {
		return nil, err
	}
	d := in.Decision
	when := d.Time.UTC()
	decSum := sha256.Sum256(in.DecisionJSON)
	m := &Manifest{
		Version:        PackType,
		Subject:        in.Subject.String(),
		Digest:         d.Digest,
		Environment:    d.Environment,
		Decision:       d.Decision,
		DecisionDigest: "sha256:" + hex.EncodeToString(decSum[:]),
		Time:           when,
		Attestations:   attested,
	}
	files := map[string][]byte{}
	for _, l := range layout {
		pc := pieces[l.path]
		data := pc.data
		if pc.missing != "" {
			data = placeholder(l.path, pc.missing)
		}
		files[l.path] = data
		m.Files = append(m.Files, entryFor(l.path, l.class, data, pc.missing))
	}
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Path < m.Files[j].Path })
	index, err := renderIndex(d, m)
	if err != nil {
		return nil, err
	}
	files[IndexFile] = index
	m.Files = append(m.Files, entryFor(IndexFile, "report", index, ""))
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Path < m.Files[j].Path })

	mj, err := marshalJSON(m)
	if err != nil {
		return nil, err
	}
	files[ManifestFile] = mj
	bundle, err := signManifest(ctx, in.Signer, in.Subject, m, mj)
	if err != nil {
		return nil, err
	}
	files[BundleFile] = append(bundle, '\n')
	if err := writeAtomic(in.Out, files, when); err != nil {
		return nil, err
	}
	return &Pack{Dir: in.Out, Manifest: m}, nil
}

func (in Input) check() error {
	switch {
	case in.Subject == nil:
		return errors.New("evidence pack: no subject given")
	case in.Decision == nil:
		return errors.New("evidence pack: no gate decision given")
	case in.Signer == nil:
		return errors.New("evidence pack: no signer given")
	case in.Out == "":
		return errors.New("evidence pack: no output directory given")
	}
	if in.Decision.Digest != in.Subject.Digest.String() {
		return fmt.Errorf("gate decision: expected a decision for %s, found one for %q", in.Subject.Digest, in.Decision.Digest)
	}
	if d := in.Decision.Decision; d != "allow" && d != "deny" {
		return fmt.Errorf("gate decision: expected a final decision, allow or deny, found %q (a pre-approval gate run is not a release's decision)", d)
	}
	if in.Decision.Time.IsZero() {
		return errors.New("gate decision: expected a decision time (the pack's timestamps come from it), found none")
	}
	return nil
}

func entryFor(p, class string, data []byte, miss string) Entry {
	sum := sha256.Sum256(data)
	return Entry{Path: p, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)), Class: class, Missing: miss}
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

// gather makes every piece of the layout from the input, and lists the
// attestations it put in 04-attestations.
func gather(in Input) (map[string]piece, []Attested, error) {
	d := in.Decision
	p := map[string]piece{}

	// 01-source
	for _, name := range []string{"pull-request-summary.md", "commit-range.txt"} {
		key := "01-source/" + name
		if in.SourceDir == "" {
			p[key] = missing("no source evidence directory was given (--source-evidence), so the source change is not recorded here")
			continue
		}
		data, err := os.ReadFile(filepath.Join(in.SourceDir, name))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			p[key] = missing("the source evidence directory %s has no %s", in.SourceDir, name)
		case err != nil:
			return nil, nil, fmt.Errorf("source evidence %s: %w", filepath.Join(in.SourceDir, name), err)
		default:
			p[key] = have(data)
		}
	}

	// 04-attestations and what comes from them.
	byType, err := selectBundles(d, in.Bundles)
	if err != nil {
		return nil, nil, err
	}
	var attested []Attested
	for _, typ := range sortedKeys(attestationFiles) {
		file, docs := attestationFiles[typ], byType[typ]
		if len(docs) == 0 {
			p[file] = missing("%s", absentReason(d, typ, len(in.Bundles)))
			continue
		}
		var b bytes.Buffer
		for i, doc := range docs {
			b.Write(doc.data)
			b.WriteByte('\n')
			sum := sha256.Sum256(doc.data)
			attested = append(attested, Attested{Path: file, Line: i + 1, Digest: "sha256:" + hex.EncodeToString(sum[:]), Type: typ, Signer: doc.signer, Evidence: doc.digest})
		}
		p[file] = have(b.Bytes())
	}
	if _, ok := p["01-source/commit-range.txt"]; !ok || p["01-source/commit-range.txt"].missing != "" {
		if pc, ok := commitFromProvenance(byType["provenance"]); ok {
			p["01-source/commit-range.txt"] = pc
		}
	}

	// 02-build
	if in.BuildLog != nil {
		p["02-build/build-log.txt"] = have(in.BuildLog.Data)
	} else {
		p["02-build/build-log.txt"] = missing("no build log was given (--build-log)")
	}
	p["02-build/runner-metadata.json"] = runnerMetadata(byType["provenance"])

	// 03-artifacts
	p["03-artifacts/image-digests.txt"] = have(imageDigests(in))
	p["03-artifacts/sbom.spdx.json"] = sbomPiece(byType["sbom"])

	// 05-approvals
	if in.Approvals != nil {
		md, err := approvalMarkdown(in.Approvals)
		if err != nil {
			return nil, nil, err
		}
		p["05-approvals/environment-approval.md"] = have(md)
	} else {
		p["05-approvals/environment-approval.md"] = missing("no environment approval record was given (--approvals)")
	}
	decSum := sha256.Sum256(in.DecisionJSON)
	signoff := fmt.Sprintf("# Security sign-off\n\nGate decision for `%s` to **%s**: **%s**.\n\nDecision JSON digest: `sha256:%s`\n\n",
		d.Digest, d.Environment, d.Decision, hex.EncodeToString(decSum[:])) + report.Markdown(d)
	p["05-approvals/security-signoff.md"] = have([]byte(signoff))

	// 06-deployment
	if in.DeployRecord != nil {
		if !json.Valid(in.DeployRecord.Data) {
			return nil, nil, fmt.Errorf("deploy record %s: expected JSON, found bytes that do not parse as JSON", in.DeployRecord.Name)
		}
		p["06-deployment/deploy-record.json"] = have(in.DeployRecord.Data)
	} else {
		p["06-deployment/deploy-record.json"] = missing("no deployment record was given (--deploy-record)")
	}
	p["06-deployment/rollback-plan.md"] = rollbackPlan(in)
	return p, attested, nil
}

// imageDigests lists the release by digest and, for a multi-platform
// index, each platform manifest: "NAME@DIGEST ROLE", one a line.
func imageDigests(in Input) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s release\n", in.Subject)
	for _, pl := range in.Platforms {
		ref := pl.Digest
		if in.Subject.Name != "" {
			ref = in.Subject.Name + "@" + pl.Digest
		}
		fmt.Fprintf(&b, "%s %s\n", ref, pl.Platform)
	}
	return []byte(b.String())
}

// commitFromProvenance records the built commit, from the verified
// provenance's resolved source, when no commit range was given: the end of
// the range is known, its start is not.
func commitFromProvenance(prov []doc) (piece, bool) {
	for _, pv := range prov {
		st, err := statementOf(pv.data)
		if err != nil {
			continue
		}
		pred, _ := st["predicate"].(map[string]any)
		bd, _ := pred["buildDefinition"].(map[string]any)
		deps, _ := bd["resolvedDependencies"].([]any)
		for _, dep := range deps {
			rd, _ := dep.(map[string]any)
			dg, _ := rd["digest"].(map[string]any)
			commit, _ := dg["gitCommit"].(string)
			if commit == "" {
				commit, _ = dg["sha1"].(string)
			}
			if commit == "" {
				continue
			}
			uri, _ := rd["uri"].(string)
			return have([]byte(fmt.Sprintf("# The built commit, from the verified provenance %s.\n"+
				"# The range's start is not recorded: no commit-range.txt was given (relproof source evidence writes one).\n"+
				"# source: %s\n%s\n", pv.digest, uri, commit))), true
		}
	}
	return piece{}, false
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func absentReason(d *gate.Decision, typ string, files int) string {
	n := 0
	for _, e := range d.Evidence {
		if e.Type == typ {
			n++
		}
	}
	if n == 0 && typ == "signature" {
		return fmt.Sprintf("the gate decision lists no verified signature over %s", d.Digest)
	}
	if n == 0 {
		return fmt.Sprintf("the gate decision lists no verified %s attestation for %s", typ, d.Digest)
	}
	return fmt.Sprintf("the gate decision lists %d verified %s attestation(s) for %s, but none of the %d bundle file(s) given holds them", n, typ, d.Digest, files)
}

// doc is one signed document from a bundle file.
type doc struct {
	digest string // as the gate decision lists it
	signer string // as the gate decision lists it
	data   []byte // compact JSON, one line
}

// selectBundles picks, from the given files, the documents the decision
// lists as verified evidence (by the digest of the document's bytes, as
// verify.ReadBundles computes it), grouped by evidence type and sorted.
func selectBundles(d *gate.Decision, files []File) (map[string][]doc, error) {
	want := map[string]gate.Evidence{}
	for _, e := range d.Evidence {
		want[e.Digest] = e
	}
	seen := map[string]bool{}
	out := map[string][]doc{}
	for _, f := range files {
		docs, err := splitDocs(f)
		if err != nil {
			return nil, err
		}
		for _, raw := range docs {
			sum := sha256.Sum256(raw)
			dg := "sha256:" + hex.EncodeToString(sum[:])
			ev, ok := want[dg]
			if !ok || seen[dg] {
				continue
			}
			seen[dg] = true
			var c bytes.Buffer
			if err := json.Compact(&c, raw); err != nil {
				return nil, fmt.Errorf("bundle %s: expected JSON, found: %w", f.Name, err)
			}
			out[ev.Type] = append(out[ev.Type], doc{digest: dg, signer: ev.Signer, data: c.Bytes()})
		}
	}
	for _, docs := range out {
		sort.Slice(docs, func(i, j int) bool { return docs[i].digest < docs[j].digest })
	}
	return out, nil
}

// splitDocs splits a file as verify.ReadBundles does: one JSON document, or
// JSON Lines.
func splitDocs(f File) ([][]byte, error) {
	trimmed := bytes.TrimSpace(f.Data)
	if len(trimmed) == 0 {
		return nil, nil
	}
	if json.Valid(trimmed) {
		return [][]byte{trimmed}, nil
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(trimmed))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		if t := bytes.TrimSpace(sc.Bytes()); len(t) > 0 && json.Valid(t) {
			out = append(out, append([]byte(nil), t...))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("bundle %s: expected JSON Lines, found: %w", f.Name, err)
	}
	return out, nil
}

// statementOf decodes the in-toto statement a bundle or envelope carries.
func statementOf(data []byte) (map[string]any, error) {
	var b struct {
		DsseEnvelope *struct {
			Payload string `json:"payload"`
		} `json:"dsseEnvelope"`
		Payload *string `json:"payload"`
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, err
	}
	var payload string
	switch {
	case b.DsseEnvelope != nil:
		payload = b.DsseEnvelope.Payload
	case b.Payload != nil:
		payload = *b.Payload
	default:
		return nil, errors.New("no DSSE envelope")
	}
	raw, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return nil, err
	}
	var st map[string]any
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, err
	}
	return st, nil
}

func runnerMetadata(prov []doc) piece {
	if len(prov) == 0 {
		return missing("no verified provenance in the pack, and the runner metadata is read from it")
	}
	st, err := statementOf(prov[0].data)
	if err != nil {
		return missing("the provenance statement could not be decoded: %v", err)
	}
	pred, _ := st["predicate"].(map[string]any)
	rd, _ := pred["runDetails"].(map[string]any)
	bd, _ := pred["buildDefinition"].(map[string]any)
	if rd == nil {
		return missing("the provenance (%s) has no runDetails", prov[0].digest)
	}
	meta := map[string]any{"provenance": prov[0].digest, "runDetails": rd}
	if bd != nil && bd["internalParameters"] != nil {
		meta["internalParameters"] = bd["internalParameters"]
	}
	b, err := marshalJSON(meta)
	if err != nil {
		return missing("the runner metadata could not be encoded: %v", err)
	}
	return have(b)
}

func sbomPiece(sboms []doc) piece {
	if len(sboms) == 0 {
		return missing("the gate decision lists no verified SBOM attestation for this digest")
	}
	for _, s := range sboms {
		st, err := statementOf(s.data)
		if err != nil {
			continue
		}
		pt, _ := st["predicateType"].(string)
		if !strings.HasPrefix(pt, "https://spdx.dev/Document") {
			continue
		}
		b, err := marshalJSON(st["predicate"])
		if err != nil {
			continue
		}
		return have(b)
	}
	return missing("the verified SBOM attestations hold no SPDX document (%d found, none with predicate type https://spdx.dev/Document)", len(sboms))
}

func approvalMarkdown(f *File) ([]byte, error) {
	var a predicate.Approval
	dec := json.NewDecoder(bytes.NewReader(f.Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("approvals %s: expected the approval record relproof approval record writes: %w", f.Name, err)
	}
	var b strings.Builder
	sum := sha256.Sum256(f.Data)
	fmt.Fprintf(&b, "# Environment approval\n\nEnvironment **%s**, digest `%s`, run %d.\n\n", safe.Markdown(a.Environment), safe.Code(a.Digest), a.RunID)
	verdict := "not approved"
	if a.Approved {
		verdict = "approved"
	}
	fmt.Fprintf(&b, "Verdict: **%s** (minimum %d, prevent self-review %t). %s\n\n", verdict, a.Minimum, a.PreventSelfReview, safe.Markdown(a.Reason))
	fmt.Fprintf(&b, "Approval record digest: `sha256:%s`, recorded %s.\n\n", hex.EncodeToString(sum[:]), a.RecordedAt.UTC().Format(time.RFC3339))
	b.WriteString("| reviewer | state | time | counts | reason |\n|---|---|---|---|---|\n")
	for _, r := range a.Reviews {
		fmt.Fprintf(&b, "| %s | %s | %s | %t | %s |\n", safe.Markdown(r.Reviewer), safe.Markdown(r.State), r.Time.UTC().Format(time.RFC3339), r.Counts, safe.Markdown(r.Reason))
	}
	return []byte(b.String()), nil
}

func rollbackPlan(in Input) piece {
	d := in.Decision
	rb := in.RollbackDigest
	if rb == "" {
		rb = d.RollbackDigest
	}
	if rb == "" {
		return missing("no rollback digest was given (--rollback-digest) and the gate decision names none")
	}
	status, msg := "not checked", "the gate decision has no rollback check"
	for _, c := range d.Checks {
		if c.ID == "rollback" {
			status, msg = string(c.Status), c.Message
		}
	}
	target := rb
	if in.Subject.Name != "" {
		target = in.Subject.Name + "@" + rb
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Rollback plan\n\nRelease `%s` to **%s**. Roll back to exactly:\n\n    %s\n\n", d.Digest, d.Environment, target)
	fmt.Fprintf(&b, "Rollback provenance, as the gate checked it: **%s** — %s\n\n", status, msg)
	b.WriteString("## Commands\n\n```sh\n")
	fmt.Fprintf(&b, "# 1. check the rollback digest's provenance still verifies\nrelproof verify %s --type provenance --key release.pub\n", target)
	fmt.Fprintf(&b, "# 2. gate the rollback like any deployment\nrelproof gate %s --environment %s --policy policy.yaml --decision-out rollback-decision.json\n", target, d.Environment)
	fmt.Fprintf(&b, "# 3. deploy %s by digest (never by tag) and record it\nrelproof deploy record %s --environment %s\n", rb, target, d.Environment)
	b.WriteString("```\n")
	return have([]byte(b.String()))
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

// writeAtomic writes files into a temporary directory beside out, with
// fixed modification times, and renames it to out.
func writeAtomic(out string, files map[string][]byte, when time.Time) (err error) {
	out = filepath.Clean(out)
	if ents, err := os.ReadDir(out); err == nil {
		if len(ents) > 0 {
			return fmt.Errorf("pack output %s: expected a new or empty directory, found one with %d entries", out, len(ents))
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("pack output %s: expected a new directory path: %w", out, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp-*")
	if err != nil {
		return fmt.Errorf("pack output %s: %w", out, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	dirs := map[string]bool{}
	for _, n := range names {
		p := filepath.Join(tmp, filepath.FromSlash(n))
		if dir := path.Dir(n); dir != "." && !dirs[dir] {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return fmt.Errorf("pack output %s: %w", out, err)
			}
			dirs[dir] = true
		}
		if err := writeSynced(p, files[n]); err != nil {
			return fmt.Errorf("pack output %s: writing %s: %w", out, n, err)
		}
		if err := os.Chtimes(p, when, when); err != nil {
			return err
		}
	}
	for dir := range dirs {
		if err := os.Chtimes(filepath.Join(tmp, dir), when, when); err != nil {
			return err
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := os.Chtimes(tmp, when, when); err != nil {
		return err
	}
	_ = os.Remove(out) // an empty directory given as --out
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("pack output %s: %w", out, err)
	}
	return nil
}

func writeSynced(p string, data []byte) error {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
