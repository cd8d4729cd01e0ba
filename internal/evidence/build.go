package evidence

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/relproof/relproof/internal/gate"
	"github.com/relproof/relproof/internal/sign"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
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
	// DecisionBundle is the decision's signed bundle; DecisionSignature
	// names the document in it that signs the decision (by its digest, as
	// verify.ReadBundles computes it) and who signed it, as the caller
	// verified them under the policy's decision signers. Without them the
	// pack records the decision's signature missing.
	DecisionBundle    *File
	DecisionSignature *gate.Evidence
	// Policy is the policy file the decision was made under; Exceptions are
	// the exceptions files its environment names, each by the name the
	// policy gives it (relative to the policy file). A policy whose digest
	// is not the decision's is recorded missing, with the reason.
	Policy     *File
	Exceptions []File
	// Approvals is the approval record (relproof approval record). The
	// environment approval page is made from the signed approval
	// attestation the decision used, when one is among Bundles, and from
	// this record only when it is not.
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

// Platform is one platform manifest of a multi-platform image index.
type Platform struct {
	Platform string `json:"platform"` // os/arch[/variant]
	Digest   string `json:"digest"`
}

// Pack is a built (or read) pack.
type Pack struct {
	Dir      string
	Manifest *Manifest
	// Verified are the attestations in 04-attestations that Verify
	// checked: signer, verified signing times, provenance.
	Verified []verify.Attestation
	// Decision is the gate decision the pack holds (05-approvals/
	// decision.json), as Verify checked it; nil for a pack built before
	// packs held it, whose attestations Verify cannot check against it.
	Decision *gate.Decision
	// DecisionSignature is the decision's signature as Verify checked it;
	// nil when the pack records it missing.
	DecisionSignature *verify.Attestation
}

// Build writes the pack for in.Subject into in.Out, atomically: in a
// temporary directory beside it, renamed into place when complete.
func Build(ctx context.Context, in Input) (*Pack, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	pieces, extra, attested, err := gather(in)
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
	for _, l := range append(append([]placed{}, layout...), extra...) {
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
	// decision.json goes into the pack whole: it must be the decision the
	// pack is built on, and nothing more.
	var file gate.Decision
	dec := json.NewDecoder(bytes.NewReader(in.DecisionJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return fmt.Errorf("gate decision: expected the decision's JSON, found: %w", err)
	}
	if !sameJSON(&file, in.Decision) {
		return errors.New("gate decision: expected the JSON the decision was read from, found JSON of another decision")
	}
	if (in.DecisionBundle == nil) != (in.DecisionSignature == nil) {
		return errors.New("gate decision: expected its signed bundle and the signature the caller verified in it together, found one without the other")
	}
	return nil
}

// gather makes every piece of the layout from the input, the files beside
// the layout that this pack has (the policy's exceptions, attestations of
// other kinds), and lists the signed documents it put in the pack.
func gather(in Input) (map[string]piece, []placed, []Attested, error) {
	d := in.Decision
	p := map[string]piece{}
	var extra []placed

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
			return nil, nil, nil, fmt.Errorf("source evidence %s: %w", filepath.Join(in.SourceDir, name), err)
		default:
			p[key] = have(data)
		}
	}

	// 04-attestations and what comes from them.
	byType, err := selectBundles(d, in.Bundles)
	if err != nil {
		return nil, nil, nil, err
	}
	byFile := map[string][]doc{}
	for typ, docs := range byType {
		byFile[attestationFile(typ)] = append(byFile[attestationFile(typ)], docs...)
	}
	var attested []Attested
	for _, file := range append(sortedValues(attestationFiles), otherAttestations) {
		docs := byFile[file]
		sort.Slice(docs, func(i, j int) bool { return docs[i].digest < docs[j].digest })
		switch {
		case len(docs) == 0 && file == otherAttestations && !usesOther(d):
			continue // a file only packs that have such evidence hold
		case file == otherAttestations:
			extra = append(extra, placed{otherAttestations, "attestation"})
		}
		if len(docs) == 0 {
			p[file] = missing("%s", absentReason(d, file, len(in.Bundles)))
			continue
		}
		var b bytes.Buffer
		for i, doc := range docs {
			b.Write(doc.data)
			b.WriteByte('\n')
			attested = append(attested, Attested{Path: file, Line: i + 1, Digest: digestOf(doc.data), Type: doc.typ, Signer: doc.signer, Evidence: doc.digest})
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
	page, err := approvalPage(in, byType["approval"])
	if err != nil {
		return nil, nil, nil, err
	}
	p[approvalFile] = page
	p["05-approvals/security-signoff.md"] = have(signoffPage(in))
	p[DecisionFile] = have(in.DecisionJSON)
	sig, att, err := decisionSignature(in)
	if err != nil {
		return nil, nil, nil, err
	}
	p[DecisionBundleFile] = sig
	if att != nil {
		attested = append(attested, *att)
	}
	pol, exceptions, err := policyPieces(in)
	if err != nil {
		return nil, nil, nil, err
	}
	p[PolicyFile] = pol
	for _, x := range exceptions {
		p[x.path] = x.piece
		extra = append(extra, placed{x.path, "policy-exceptions"})
	}

	// 06-deployment
	if in.DeployRecord != nil {
		if !json.Valid(in.DeployRecord.Data) {
			return nil, nil, nil, fmt.Errorf("deploy record %s: expected JSON, found bytes that do not parse as JSON", in.DeployRecord.Name)
		}
		p["06-deployment/deploy-record.json"] = have(in.DeployRecord.Data)
	} else {
		p["06-deployment/deploy-record.json"] = missing("no deployment record was given (--deploy-record)")
	}
	p["06-deployment/rollback-plan.md"] = rollbackPlan(in)
	return p, extra, attested, nil
}
