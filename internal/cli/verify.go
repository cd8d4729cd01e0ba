package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/relproof/relproof/internal/attest"
	"github.com/relproof/relproof/internal/oci"
	"github.com/relproof/relproof/internal/sign"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

type verifyOptions struct {
	bundles       []string
	key           string
	typ           string
	predicateType string
}

func newVerifyCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify SUBJECT --key FILE [--bundle FILE ...]",
		Short: "Verify signed evidence for a subject's digest",
		Long: `Verify Sigstore bundles for the subject's digest: the signature against the
key, and that the in-toto statement names exactly this digest. Bundles come
from --bundle files (a bundle, or JSON Lines of bundles) or, without --bundle,
from the OCI referrers of an oci:// subject.

SUBJECT must be pinned to a digest: a file path, sha256:HEX, sha512:HEX,
oci://HOST/REPO@sha256:HEX or oci-layout:DIR@sha256:HEX. A tag is refused,
with the digest it resolves to now, so you can pin it.

Exit 0 when at least one bundle verifies, 1 when none does (including
malformed or unsigned evidence), 2 on bad input.`,
		Example: `  relproof verify ./dist/app --bundle app.provenance.json --key release.pub
  relproof verify oci://ghcr.io/acme/app@sha256:… --key release.pub --type provenance`,
		Args: exactArgs(1, "one SUBJECT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerify(cmd.Context(), cmd.OutOrStdout(), env, g, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.bundles, "bundle", nil, "Sigstore bundle file, or JSON Lines of bundles (repeatable)")
	f.StringVar(&o.key, "key", "", "public key file (PEM) the evidence must be signed with")
	f.StringVar(&o.typ, "type", "", "require this evidence type: provenance, test or vuln")
	f.StringVar(&o.predicateType, "predicate-type", "", "require this predicate type URI")
	_ = cmd.MarkFlagRequired("key")
	cmd.MarkFlagsMutuallyExclusive("type", "predicate-type")
	return cmd
}

var predicateTypes = map[string]string{
	string(attest.TypeProvenance): attest.ProvenanceType,
	string(attest.TypeTest):       attest.TestResultType,
	string(attest.TypeVuln):       attest.VulnType,
}

func runVerify(ctx context.Context, w io.Writer, env *Env, g *globalOptions, o *verifyOptions, input string) error {
	predicateType := o.predicateType
	if o.typ != "" {
		t, ok := predicateTypes[o.typ]
		if !ok {
			return usageErrorf("--type %q: expected provenance, test or vuln (or --predicate-type URI)", o.typ)
		}
		predicateType = t
	}
	pubPEM, err := readInput(o.key, "public key")
	if err != nil {
		return err
	}
	pub, err := sign.ParsePublicKey(o.key, pubPEM)
	if err != nil {
		return err
	}
	subj, err := subject.Resolve(ctx, input, subject.RequireDigest(), subject.WithRemoteOptions(env.Remote...), subject.WithClock(env.Now))
	if err != nil {
		return err
	}
	entries, err := collectEntries(ctx, env, subj, o.bundles)
	if err != nil {
		return err
	}
	res, verr := verify.Verify(subj.Digest, entries, verify.Policy{Key: pub, PredicateType: predicateType})
	if res == nil {
		return verr
	}
	if err := g.report(w, res, func(w io.Writer) { verifyText(w, subj, res) }); err != nil {
		return err
	}
	return verr
}

// collectEntries reads the bundles to check: the files given, or the
// subject's referrers in its registry.
func collectEntries(ctx context.Context, env *Env, subj *subject.Subject, files []string) ([]verify.Entry, error) {
	if len(files) > 0 {
		var entries []verify.Entry
		for _, f := range files {
			data, err := readInput(f, "bundle")
			if err != nil {
				return nil, err
			}
			e, err := verify.ReadBundles(f, data)
			if err != nil {
				return nil, err
			}
			entries = append(entries, e...)
		}
		return entries, nil
	}
	ref, ok := subj.OCIReference()
	if !ok {
		return nil, usageErrorf("no --bundle given and %s subject %q has no registry to read referrers from: give --bundle FILE", subj.Kind, subj.Input)
	}
	refs, err := oci.FetchBundles(ctx, ref, env.Remote...)
	if err != nil {
		return nil, err
	}
	var entries []verify.Entry
	for _, r := range refs {
		e, err := verify.ReadBundles(r.Ref.String(), r.Bundle)
		if err != nil {
			// A referrer that is not a readable bundle is evidence that
			// fails, not a reason to stop reading the others.
			entries = append(entries, verify.Entry{Source: r.Ref.String(), Err: err})
			continue
		}
		entries = append(entries, e...)
	}
	return entries, nil
}

func verifyText(w io.Writer, subj *subject.Subject, res *verify.Result) {
	total := len(res.Verified) + len(res.Rejected)
	fmt.Fprintf(w, "%s\n", subj)
	for _, a := range res.Verified {
		fmt.Fprintf(w, "  ✓ %s\n      %s, signed by %s\n", a.Source, a.PredicateType, a.Signer)
	}
	for _, r := range res.Rejected {
		fmt.Fprintf(w, "  ✗ %s\n      %s\n", r.Source, r.Reason)
	}
	fmt.Fprintf(w, "%d of %d bundles verified\n", len(res.Verified), total)
}
