package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	intoto "github.com/in-toto/attestation/go/v1"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

type signOptions struct {
	signing signingOptions
	store   storeOptions
	subject string
}

func newSignCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &signOptions{}
	cmd := &cobra.Command{
		Use:   "sign STATEMENT --subject SUBJECT (--bundle-out FILE | --push | --github-upload)",
		Short: "Sign an in-toto statement made elsewhere, for the digest it names",
		Long: `Sign an unsigned in-toto Statement v1 (from ` + "`relproof attest --unsigned-out`" + ` or
another tool) into a Sigstore bundle, after checking that the statement names
exactly the subject's digest: a signing job signs only what it was asked to.
This keeps signing apart from building, so that the job with the narrow
signing identity (or the HSM) is the only holder of signing power.

A statement that is not about exactly this subject is refused (exit 1): one
that does not name its digest, one that names other subjects besides, or one
whose subject gives a digest that cannot be checked here.

` + signingHelp,
		Example: `  # build job
  relproof attest ./dist/app --type provenance --unsigned-out app.statement.json
  # signing job, with its own identity or key
  relproof sign app.statement.json --subject ./dist/app --key awskms:///alias/release --bundle-out app.sigstore.json`,
		Args: exactArgs(1, "one STATEMENT file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSign(cmd.Context(), cmd.OutOrStdout(), env, g, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.subject, "subject", "", "the subject the statement must be about (a file, digest, oci:// reference…)")
	o.signing.addFlags(cmd)
	o.store.addFlags(cmd)
	_ = cmd.MarkFlagRequired("subject")
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
