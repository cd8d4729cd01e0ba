package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	intoto "github.com/in-toto/attestation/go/v1"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/relproof/relproof/internal/attest"
	"github.com/relproof/relproof/internal/fsutil"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

type signOptions struct {
	signing signingOptions
	store   storeOptions
	subject string
	blob    bool
}

func newSignCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &signOptions{}
	cmd := &cobra.Command{
		Use:   "sign (STATEMENT --subject SUBJECT | --blob FILE) (--bundle-out FILE | --push | --github-upload)",
		Short: "Sign an in-toto statement made elsewhere, for the digest it names, or a file itself",
		Long: `Sign an unsigned in-toto Statement v1 (from ` + "`relproof attest --unsigned-out`" + ` or
another tool) into a Sigstore bundle, after checking that the statement names
exactly the subject's digest: a signing job signs only what it was asked to.
This keeps signing apart from building, so that the job with the narrow
signing identity (or the HSM) is the only holder of signing power.

A statement that is not about exactly this subject is refused (exit 1): one
that does not name its digest, one that names other subjects besides, or one
whose subject gives a digest that cannot be checked here.

With --blob, FILE itself is signed: a Sigstore bundle holding a plain
signature over its SHA-256 (what cosign sign-blob --bundle makes, and what a
policy's require: [signature] asks for), written to --bundle-out.

` + signingHelp,
		Example: `  # build job
  relproof attest ./dist/app --type provenance --unsigned-out app.statement.json
  # signing job, with its own identity or key
  relproof sign app.statement.json --subject ./dist/app --key awskms:///alias/release --bundle-out app.sigstore.json
  # a release binary's own signature
  relproof sign --blob ./dist/app --keyless --bundle-out app.sig.sigstore.json`,
		Args: exactArgs(1, "one STATEMENT file (or, with --blob, the FILE to sign)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.blob {
				return runSignBlob(cmd.Context(), cmd.OutOrStdout(), env, g, o, args[0])
			}
			if o.subject == "" {
				return usageErrorf("--subject is required: the subject the statement must be about (or --blob to sign a file itself)")
			}
			return runSign(cmd.Context(), cmd.OutOrStdout(), env, g, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.subject, "subject", "", "the subject the statement must be about (a file, digest, oci:// reference…)")
	f.BoolVar(&o.blob, "blob", false, "sign the FILE itself: a plain signature over its SHA-256 (cosign sign-blob --bundle's format), to --bundle-out")
	o.signing.addFlags(cmd)
	o.store.addFlags(cmd)
	cmd.MarkFlagsMutuallyExclusive("blob", "subject")
	cmd.MarkFlagsMutuallyExclusive("blob", "push")
	cmd.MarkFlagsMutuallyExclusive("blob", "github-upload")
	cmd.MarkFlagsOneRequired("bundle-out", "push", "github-upload")
	return cmd
}

func runSign(ctx context.Context, w io.Writer, env *Env, g *globalOptions, o *signOptions, path string) error {
	signer, closeSigner, err := o.signing.signer(ctx, env)
	if err != nil {
		return err
	}
	defer closeSigner()
	data, err := readInput(path, "statement")
	if err != nil {
		return err
	}
	st := &intoto.Statement{}
	if err := protojson.Unmarshal(data, st); err != nil {
		return usageErrorf("statement %s: expected an in-toto Statement v1 (JSON): %w", path, err)
	}
	if err := st.Validate(); err != nil {
		return usageErrorf("statement %s: not a valid in-toto Statement v1: %w", path, err)
	}
	subj, err := subject.Resolve(ctx, o.subject, subject.RequireDigest(), subject.WithSHA512(), subject.WithRemoteOptions(env.Remote...), subject.WithClock(env.Now))
	if err != nil {
		return err
	}
	if err := namesSubject(st, subj); err != nil {
		return fmt.Errorf("statement %s: %w", path, err)
	}
	r := attestReport{
		Subject:       subj.String(),
		Digest:        subj.Digest.String(),
		Type:          "statement",
		PredicateType: st.GetPredicateType(),
	}
	return signAndStore(ctx, w, env, g, signer, st, subj, &o.store, r)
}

// maxBlob bounds what sign --blob reads into memory to sign.
const maxBlob = 4 << 30

func runSignBlob(ctx context.Context, w io.Writer, env *Env, g *globalOptions, o *signOptions, path string) error {
	if o.store.bundleOut == "" {
		return usageErrorf("--blob writes its bundle to --bundle-out, which is not given")
	}
	subj, err := subject.Resolve(ctx, path, subject.RequireDigest(), subject.WithClock(env.Now))
	if err != nil {
		return err
	}
	if subj.Kind != subject.KindFile {
		return usageErrorf("--blob %s: expected a file to sign, found a %s subject", path, subj.Kind)
	}
	if fi, err := os.Stat(path); err == nil && fi.Size() > maxBlob {
		return usageErrorf("--blob %s: %d bytes, more than the %d this signs in memory; sign its digest's statement instead (relproof attest)", path, fi.Size(), int64(maxBlob))
	}
	data, err := readInput(path, "file to sign")
	if err != nil {
		return err
	}
	signer, closeSigner, err := o.signing.signer(ctx, env)
	if err != nil {
		return err
	}
	defer closeSigner()
	b, err := signer.SignBlob(ctx, data)
	if err != nil {
		return err
	}
	bundleJSON, err := attest.Marshal(b)
	if err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(o.store.bundleOut, append(bundleJSON, '\n'), 0o644); err != nil {
		return err
	}
	r := attestReport{Subject: subj.String(), Digest: subj.Digest.String(), Type: "signature", Signer: signer.Identity(), BundleFile: o.store.bundleOut}
	return g.report(w, r, func(w io.Writer) {
		fmt.Fprintf(w, "signed %s\n  digest:    %s\n  signer:    %s\n  bundle:    %s\n", path, r.Digest, r.Signer, r.BundleFile)
	})
}

// namesSubject checks that the statement is about the subject and nothing
// else: exactly one subject, and every digest it gives for it is one of
// the subject's own (sha256, and sha512 for a file). A statement that names
// other subjects besides would make the signature vouch for artifacts the
// signer was never asked about; a digest by an algorithm that cannot be
// checked here could name another artifact.
func namesSubject(st *intoto.Statement, s *subject.Subject) error {
	known := map[string]string{}
	for _, d := range append([]subject.Digest{s.Digest}, s.Alternates...) {
		known[d.Algorithm] = d.Hex
	}
	subs := st.GetSubject()
	if len(subs) != 1 {
		var named []string
		for _, sub := range subs {
			for alg, h := range sub.GetDigest() {
				named = append(named, alg+":"+h)
			}
		}
		sort.Strings(named)
		return fmt.Errorf("%w: expected exactly one subject, %s, the statement names %d (%s); refusing to sign for artifacts it was not asked about", verify.ErrSubjectMismatch, s.Digest, len(subs), strings.Join(named, ", "))
	}
	matched := false
	for alg, h := range subs[0].GetDigest() {
		want, ok := known[alg]
		switch {
		case !ok:
			return fmt.Errorf("%w: the statement's subject gives a %s digest, which cannot be checked against %s; refusing to sign it", verify.ErrSubjectMismatch, alg, s.Digest)
		case h != want:
			return fmt.Errorf("%w: expected %s:%s, the statement names %s:%s; refusing to sign a statement about another artifact", verify.ErrSubjectMismatch, alg, want, alg, h)
		}
		matched = true
	}
	if !matched {
		return fmt.Errorf("%w: expected a subject with %s, the statement's subject has no digest", verify.ErrSubjectMismatch, s.Digest)
	}
	return nil
}
