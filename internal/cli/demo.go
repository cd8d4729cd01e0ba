package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/relproof/relproof/internal/demo"
)

type demoOptions struct {
	dir string
}

func newDemoCmd(_ *Env, g *globalOptions) *cobra.Command {
	o := &demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole evidence chain offline on this machine",
		Long: `Run relproof's chain end to end, offline: start an OCI registry in-process on
loopback, make a git repository with one commit, build a small OCI image from
it and push it by tag, resolve the tag once to a digest, then attest
provenance, an SBOM (syft), image tests and a scan for that digest with an
ephemeral key, push each bundle as an OCI referrer of the digest, verify them
back from the registry, and gate the digest for production under a policy
written beside the evidence (examples/policy.yaml's production environment,
adapted to a laptop build as the policy file says), and write the signed
release evidence pack.

The key, the bundles, the reports and an OCI layout copy of the image stay in
--dir, so you can verify the evidence again after the demo ends.`,
		Example: `  go run ./cmd/relproof demo
  relproof demo --dir ./demo-evidence --output json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), g, o)
		},
	}
	cmd.Flags().StringVar(&o.dir, "dir", "", "directory for the demo's evidence (default: a new temporary directory)")
	return cmd
}

func runDemo(ctx context.Context, w, progress io.Writer, g *globalOptions, o *demoOptions) error {
	dir := o.dir
	if dir == "" {
		d, err := os.MkdirTemp("", "relproof-demo-")
		if err != nil {
			return fmt.Errorf("making the demo directory: %w", err)
		}
		dir = d
	}
	logTo := w
	if g.output == "json" {
		logTo = progress
	}
	res, err := demo.Run(ctx, demo.Options{Dir: dir, Log: logTo})
	if err != nil {
		return err
	}
	return g.report(w, res, func(w io.Writer) { demoText(w, res) })
}

func demoText(w io.Writer, r *demo.Result) {
	fmt.Fprintf(w, "\nRelease %s\n  built from commit %s\n  tag %s resolved to the digest at %s\n\n",
		r.Image, r.Commit, r.Tag, r.Resolution.At.UTC().Format("2006-01-02T15:04:05Z"))
	fmt.Fprintf(w, "Evidence, each a signed in-toto statement bound to %s (signer %s):\n", r.Digest, r.Signer)
	for _, e := range r.Evidence {
		fmt.Fprintf(w, "  %-10s %s\n             referrer %s\n             bundle   %s\n", e.Type, e.PredicateType, e.Referrer, e.BundleFile)
		if e.Input != "" {
			fmt.Fprintf(w, "             report   %s\n", e.Input)
		}
	}
	fmt.Fprintf(w, "\n%d of %d verified back from the registry.\n", r.Verified, len(r.Evidence))
	fmt.Fprintf(w, "Gate for production: %s\n  decision %s\n  summary  %s (Markdown, as a check run shows it)\n  policy   %s\nRelease evidence pack: %s (open %s)\n  stored as %s, an OCI artifact that refers to the image digest\n",
		strings.ToUpper(r.Verdict), r.Decision, r.Summary, r.Policy, r.Pack, filepath.Join(r.Pack, "index.html"), r.PackRef)
	fmt.Fprintf(w, "\nThe registry is gone when the demo ends; the evidence is in %s. Verify it again:\n", r.Dir)
	fmt.Fprintf(w, "  relproof verify oci-layout:%s@%s --key %s", r.Layout, r.Digest, r.PublicKey)
	for _, e := range r.Evidence {
		fmt.Fprintf(w, " \\\n      --bundle %s", e.BundleFile)
	}
	fmt.Fprintf(w, "\n  relproof pack verify %s --key %s\n", r.Pack, r.PublicKey)
}
