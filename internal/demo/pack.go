package demo

import (
	"context"
	"fmt"
	"os"

	"github.com/relproof/relproof/internal/evidence"
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
		Subject:      r.pinned,
		Decision:     r.decision,
		DecisionJSON: r.decisionJSON,
		Bundles:      r.bundles,
		Signer:       r.signer,
		Out:          out,
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
	fmt.Fprintf(r.opts.Log, "      %s: %d files (%d marked missing, with why), signed and verified\n", out, len(p.Manifest.Files), missing)
	return nil
}
