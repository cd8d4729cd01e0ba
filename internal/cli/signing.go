package cli

import (
	"context"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/relproof/relproof/internal/sign"
	"github.com/relproof/relproof/internal/sign/keyref"
)

// signingOptions are the flags of every command that signs evidence.
type signingOptions struct {
	flags     *pflag.FlagSet
	key       string
	keyless   bool
	instance  string
	fulcioURL string
	rekorURL  string
	tsaURL    string
}

const signingHelp = `Signing, one of:
  keyless (the default without --key): a short-lived Fulcio certificate for the
    GitHub Actions OIDC identity (needs permissions: id-token: write), or for
    SIGSTORE_ID_TOKEN; the signature is logged in Rekor and/or timestamped.
    --sigstore public-good (default) or github (GitHub's instance, for private
    repositories: https://fulcio.githubapp.com and its timestamp authority, no
    public log); --fulcio-url, --rekor-url, --tsa-url override. Another
    --fulcio-url is another instance: give its --rekor-url and/or --tsa-url
    (nothing goes to the public log unless --sigstore public-good is named).
  --key FILE                 ECDSA key file (PEM; encrypted keys read ` + PasswordEnv + `);
                             with --rekor-url and/or --tsa-url the signature is also
                             logged and/or timestamped (by default a key signs offline)
  --key awskms://… | gcpkms://… | azurekms://… | hashivault://…   a KMS key
  --key "pkcs11:token=…;object=…?module-path=…"   an HSM key (PIN in ` + keyref.PINEnv + `)`

func (s *signingOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	s.flags = f
	f.StringVar(&s.key, "key", "", "signing key: a key file, a KMS URI or a PKCS#11 URI (default: keyless)")
	f.BoolVar(&s.keyless, "keyless", false, "sign keyless (the default when --key is not given)")
	f.StringVar(&s.instance, "sigstore", "public-good", "Sigstore instance for keyless signing: public-good or github")
	f.StringVar(&s.fulcioURL, "fulcio-url", "", "Fulcio URL (default: the instance's)")
	f.StringVar(&s.rekorURL, "rekor-url", "", "Rekor URL (default: the instance's; \"none\" records no log entry)")
	f.StringVar(&s.tsaURL, "tsa-url", "", "RFC 3161 timestamp authority URL (default: the instance's)")
	cmd.MarkFlagsMutuallyExclusive("key", "keyless")
}

// signer opens the signer the flags choose. close releases it (an HSM
// session); call it when signing is done.
func (s *signingOptions) signer(ctx context.Context, env *Env) (signer sign.Signer, closeFn func(), err error) {
	noop := func() {}
	switch {
	case s.key == "" || s.keyless:
		o, err := s.keylessOptions(env)
		if err != nil {
			return nil, nil, err
		}
		k, err := sign.NewKeylessSigner(o)
		if err != nil {
			return nil, nil, usageError(err)
		}
		return k, noop, nil
	case keyref.IsKMS(s.key):
		k, err := keyref.NewKMSSigner(ctx, s.key)
		if err != nil {
			return nil, nil, err
		}
		return s.withTransparency(k), noop, nil
	case keyref.IsPKCS11(s.key):
		k, err := keyref.NewPKCS11Signer(s.key, env.Getenv(keyref.PINEnv))
		if err != nil {
			return nil, nil, err
		}
		s.withTransparency(k.KeySigner)
		return k, k.Close, nil
	default:
		k, err := loadKeySigner(env, s.key)
		if err != nil {
			return nil, nil, err
		}
		return s.withTransparency(k), noop, nil
	}
}

// withTransparency logs and/or timestamps key signatures when --rekor-url
// or --tsa-url is given with --key (by default a key signs offline).
func (s *signingOptions) withTransparency(k *sign.KeySigner) *sign.KeySigner {
	rekor := s.rekorURL
	if rekor == "none" {
		rekor = ""
	}
	return k.WithTransparency(rekor, s.tsaURL)
}

func (s *signingOptions) keylessOptions(env *Env) (sign.KeylessOptions, error) {
	o := sign.KeylessOptions{Getenv: env.Getenv}
	switch s.instance {
	case "public-good":
		o.FulcioURL, o.RekorURL = sign.PublicGoodFulcio, sign.PublicGoodRekor
	case "github":
		o.FulcioURL, o.TSAURL = sign.GitHubFulcio, sign.GitHubTSA
	default:
		return o, usageErrorf("--sigstore %q: expected public-good or github", s.instance)
	}
	if s.fulcioURL != "" {
		o.FulcioURL = s.fulcioURL
		if s.flags == nil || !s.flags.Changed("sigstore") {
			// Another Fulcio is another instance: its signatures must not
			// go to the public log unless asked for by name.
			o.RekorURL, o.TSAURL = "", ""
		}
	}
	switch s.rekorURL {
	case "":
	case "none":
		o.RekorURL = ""
	default:
		o.RekorURL = s.rekorURL
	}
	if s.tsaURL != "" {
		o.TSAURL = s.tsaURL
	}
	return o, nil
}
