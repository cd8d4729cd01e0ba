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
	p["05-approvals/security-signoff.md"] = have(signoffPage(in))

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
