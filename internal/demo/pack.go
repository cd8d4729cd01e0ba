package demo

import (
	"bytes"
	"context"
	"fmt"
	"os"

	"github.com/relproof/relproof/internal/evidence"
	"github.com/relproof/relproof/internal/gate"
	"github.com/relproof/relproof/internal/verify"
)

// packEvidence writes the release evidence pack for the gated digest and
// verifies it back, offline, as an auditor would. The demo has no pull
// request, build log or deployment: the pack says so in those files.
func (r *run) packEvidence(ctx context.Context) error {
	out := r.path("release-evidence")
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	p, err := evidence.Build(ctx, evidence.Input{
		Subject:        r.pinned,
		Decision:       r.decision,
		DecisionJSON:   r.decisionJSON,
		DecisionBundle: &evidence.File{Name: r.res.Decision + ".sigstore.json", Data: r.decisionBundle},
		DecisionSignature: &gate.Evidence{Type: "decision", PredicateType: r.decisionSig.PredicateType, Digest: r.decisionSig.Digest,
			Source: r.decisionSig.Source, Signer: r.decisionSig.Signer},
		Policy:  &evidence.File{Name: r.res.Policy, Data: r.policyData},
		Bundles: r.bundles,
		Signer:  r.signer,
		Out:     out,
	})
	if err != nil {
		return err
	}
	if _, err := evidence.Verify(out, evidence.Options{Manifest: verify.Policy{Key: r.pub}}); err != nil {
		return err
	}
	missing := 0
	for _, e := range p.Manifest.Files {
		if e.Missing != "" {
			missing++
		}
	}
	r.res.Pack = out
	r.packManifest = p.Manifest
	fmt.Fprintf(r.opts.Log, "      %s: %d files (%d marked missing, with why), signed and verified\n", out, len(p.Manifest.Files), missing)
	return nil
}

// storePack pushes the pack as an artifact that refers to the image's
// digest, then finds it again from the digest alone and verifies what came
// back, as a later auditor with only the image reference would.
func (r *run) storePack(ctx context.Context) error {
	archive, err := evidence.Archive(r.res.Pack, r.packManifest.Time)
	if err != nil {
		return err
	}
	ref, err := evidence.Push(ctx, r.ref, r.packManifest, archive)
	if err != nil {
		return err
	}
	got, data, err := evidence.Fetch(ctx, r.ref, "production")
	if err != nil {
		return err
	}
	if got != ref || !bytes.Equal(data, archive) {
		return fmt.Errorf("fetched %s (%d bytes), pushed %s (%d bytes)", got, len(data), ref, len(archive))
	}
	dir := r.path("release-evidence-fetched")
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := evidence.ExtractFrom(got.String(), bytes.NewReader(data), dir); err != nil {
		return err
	}
	if _, err := evidence.Verify(dir, evidence.Options{Manifest: verify.Policy{Key: r.pub}}); err != nil {
		return err
	}
	r.res.PackRef = ref.String()
	fmt.Fprintf(r.opts.Log, "      %s (refers to %s), fetched back and verified\n", ref, r.ref.DigestStr())
	return nil
}
