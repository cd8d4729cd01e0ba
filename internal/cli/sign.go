package cli

import (
	"context"
	"fmt"
	"io"

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

A statement that does not name the subject's digest is refused (exit 1).

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

// namesSubject checks that one of the statement's subjects carries the
// subject's digest (or, for a file, its sha512).
func namesSubject(st *intoto.Statement, s *subject.Subject) error {
	var named []string
	for _, d := range append([]subject.Digest{s.Digest}, s.Alternates...) {
		for _, sub := range st.GetSubject() {
			if h, ok := sub.GetDigest()[d.Algorithm]; ok {
				if h == d.Hex {
					return nil
				}
				named = append(named, d.Algorithm+":"+h)
			}
		}
	}
	if len(named) == 0 {
		return fmt.Errorf("%w: expected a subject with %s, the statement names none by that algorithm", verify.ErrSubjectMismatch, s.Digest)
	}
	return fmt.Errorf("%w: expected %s, the statement names %v; refusing to sign a statement about another artifact", verify.ErrSubjectMismatch, s.Digest, named)
}
