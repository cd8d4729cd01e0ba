package cli

import (
	"context"
	"net/url"
	"strings"

	"github.com/spf13/pflag"

	"github.com/relproof/relproof/internal/attest"
	"github.com/relproof/relproof/internal/fsutil"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

// writeVSA signs a verification summary of res for the subject and writes
// its bundle to --vsa-out.
func writeVSA(ctx context.Context, env *Env, o *verifyOptions, flags *pflag.FlagSet, subj *subject.Subject, res *verify.Result) error {
	signer, err := loadKeySigner(env, o.vsaKey)
	if err != nil {
		return err
	}
	policy := url.Values{}
	flags.Visit(func(f *pflag.Flag) {
		switch f.Name {
		case "bundle", "vsa-out", "vsa-key", "output":
			return // where things are, not what was required
		}
		policy[f.Name] = []string{strings.Trim(f.Value.String(), "[]")}
	})
	resource := subj.Input
	if ref, ok := subj.OCIReference(); ok {
		resource = "oci://" + ref.String()
	}
	b, err := attest.SignPredicate(ctx, signer, subj, verify.VSAType, verify.Summary(res, resource, policy, env.Now()))
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(o.vsaOut, append(b, '\n'), 0o644)
}
