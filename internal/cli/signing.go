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
	flags         *pflag.FlagSet
	key           string
	keyless       bool
	instance      string
	signingConfig string
	fulcioURL     string
	rekorURL      string
	rekorVersion  uint32
	tsaURL        string
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
                             with --rekor-url and/or --tsa-url (or --signing-config)
                             the signature is also logged and/or timestamped (by
                             default a key signs offline)
  --key awskms://… | gcpkms://… | azurekms://… | hashivault://…   a KMS key
  --key "pkcs11:token=…;object=…?module-path=…"   an HSM key (PIN in ` + keyref.PINEnv + `)
Sigstore services, instead of --sigstore:
  --signing-config FILE      a Sigstore signing_config.json (v0.2): one Fulcio, one
                             Rekor log (v2 before v1) and one timestamp authority
                             valid now, chosen as sigstore-go chooses (with --key,
                             only the log and the timestamp authority);
                             --fulcio-url, --rekor-url, --tsa-url each replace
                             only their own service
  --rekor-url URL --rekor-version 2   a Rekor v2 (tile-based) log: its entries
                             carry no time, so it needs a timestamp authority`

func (s *signingOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	s.flags = f
	f.StringVar(&s.key, "key", "", "signing key: a key file, a KMS URI or a PKCS#11 URI (default: keyless)")
	f.BoolVar(&s.keyless, "keyless", false, "sign keyless (the default when --key is not given)")
	f.StringVar(&s.instance, "sigstore", "public-good", "Sigstore instance for keyless signing: public-good or github")
	f.StringVar(&s.signingConfig, "signing-config", "", "Sigstore signing_config.json naming the Fulcio, Rekor log and timestamp authority to sign with (instead of --sigstore)")
	f.StringVar(&s.fulcioURL, "fulcio-url", "", "Fulcio URL (default: the instance's)")
	f.StringVar(&s.rekorURL, "rekor-url", "", "Rekor URL (default: the instance's; \"none\" records no log entry)")
	f.Uint32Var(&s.rekorVersion, "rekor-version", sign.RekorV1, "Rekor API `version` of --rekor-url: 1, or 2 for a Rekor v2 log (needs a timestamp authority)")
	f.StringVar(&s.tsaURL, "tsa-url", "", "RFC 3161 timestamp authority URL (default: the instance's)")
	setFlagGroup(f, groupSigning, "key", "keyless", "sigstore", "signing-config", "fulcio-url", "rekor-url", "rekor-version", "tsa-url")
	cmd.MarkFlagsMutuallyExclusive("key", "keyless")
	cmd.MarkFlagsMutuallyExclusive("signing-config", "sigstore")
}

// gateSigningHelp is the signing flags' help for the gate, which signs its
// decision only when --key or --keyless is given: without them the
// decision is written unsigned, not signed keyless as other commands sign.
func gateSigningHelp(cmd *cobra.Command) *cobra.Command {
	f := cmd.Flags()
	f.Lookup("key").Usage = "sign the decision (--decision-out) with this key: a key file, a KMS URI or a PKCS#11 URI; without --key or --keyless the decision is not signed"
	f.Lookup("keyless").Usage = "sign the decision (--decision-out) keyless; without --key or --keyless the decision is not signed"
	return cmd
}

// signer opens the signer the flags choose. close releases it (an HSM
// session); call it when signing is done.
func (s *signingOptions) signer(ctx context.Context, env *Env) (signer sign.Signer, closeFn func(), err error) {
	noop := func() {}
	if s.key == "" || s.keyless {
		o, err := s.keylessOptions(env)
		if err != nil {
			return nil, nil, err
		}
		k, err := sign.NewKeylessSigner(o)
		if err != nil {
			return nil, nil, usageError(err)
		}
		return k, noop, nil
	}
	// The flags are checked before the key is opened (a KMS call, an HSM
	// session).
	t, err := s.keyTransparency(env)
	if err != nil {
		return nil, nil, err
	}
	var k *sign.KeySigner
	closeFn = noop
	switch {
	case keyref.IsKMS(s.key):
		k, err = keyref.NewKMSSigner(ctx, s.key)
	case keyref.IsPKCS11(s.key):
		var hsm *keyref.PKCS11Signer
		if hsm, err = keyref.NewPKCS11Signer(s.key, env.Getenv(keyref.PINEnv)); err == nil {
			signer, k, closeFn = hsm, hsm.KeySigner, hsm.Close
		}
	default:
		k, err = loadKeySigner(env, s.key)
	}
	if err != nil {
		return nil, nil, err
	}
	if _, err := k.WithTransparency(t); err != nil {
		closeFn()
		return nil, nil, usageError(err)
	}
	if signer == nil {
		signer = k
	}
	return signer, closeFn, nil
}

// keyTransparency is where key signatures are logged and/or timestamped:
// nowhere by default (a key signs offline), the signing config's log and
// timestamp authority with --signing-config, and --rekor-url, --tsa-url
// over either.
func (s *signingOptions) keyTransparency(env *Env) (sign.Transparency, error) {
	var base sign.Transparency
	if s.signingConfig != "" {
		svc, err := s.configServices(env)
		if err != nil {
			return base, err
		}
		base = svc.Transparency
	}
	return s.transparency(base)
}

// transparency is base (the instance's or the signing config's log and
// timestamp authority) with --rekor-url, --rekor-version and --tsa-url over
// it.
func (s *signingOptions) transparency(base sign.Transparency) (sign.Transparency, error) {
	t := base
	if s.rekorVersion != sign.RekorV1 && s.rekorVersion != sign.RekorV2 {
		return t, usageErrorf("--rekor-version %d: expected %d or %d", s.rekorVersion, sign.RekorV1, sign.RekorV2)
	}
	switch s.rekorURL {
	case "":
		if s.flags != nil && s.flags.Changed("rekor-version") {
			return t, usageErrorf("--rekor-version is the API version of the log at --rekor-url: give --rekor-url too")
		}
	case "none":
		t.RekorURL, t.RekorVersion = "", 0
	default:
		t.RekorURL, t.RekorVersion = s.rekorURL, s.rekorVersion
	}
	if s.tsaURL != "" {
		t.TSAURL = s.tsaURL
	}
	return t, nil
}

// configServices reads --signing-config and chooses its services as of now.
func (s *signingOptions) configServices(env *Env) (sign.Services, error) {
	data, err := readInput(s.signingConfig, "signing config")
	if err != nil {
		return sign.Services{}, err
	}
	svc, err := sign.ServicesFromSigningConfig(data, env.Now())
	if err != nil {
		return sign.Services{}, usageErrorf("signing config %s: %w", s.signingConfig, err)
	}
	return svc, nil
}

func (s *signingOptions) keylessOptions(env *Env) (sign.KeylessOptions, error) {
	o := sign.KeylessOptions{Getenv: env.Getenv}
	var base sign.Transparency
	if s.signingConfig != "" {
		svc, err := s.configServices(env)
		if err != nil {
			return o, err
		}
		o.FulcioURL, base = svc.FulcioURL, svc.Transparency
		if o.FulcioURL == "" && s.fulcioURL == "" {
			return o, usageErrorf("signing config %s names no Fulcio (caUrls) for keyless signing: give --fulcio-url, or sign with --key", s.signingConfig)
		}
	} else {
		switch s.instance {
		case "public-good":
			o.FulcioURL, base.RekorURL = sign.PublicGoodFulcio, sign.PublicGoodRekor
		case "github":
			o.FulcioURL, base.TSAURL = sign.GitHubFulcio, sign.GitHubTSA
		default:
			return o, usageErrorf("--sigstore %q: expected public-good or github", s.instance)
		}
		if s.fulcioURL != "" && (s.flags == nil || !s.flags.Changed("sigstore")) {
			// Another Fulcio is another instance: its signatures must not
			// go to the public log unless asked for by name.
			base = sign.Transparency{}
		}
	}
	if s.fulcioURL != "" {
		o.FulcioURL = s.fulcioURL
	}
	t, err := s.transparency(base)
	if err != nil {
		return o, err
	}
	o.RekorURL, o.RekorVersion, o.TSAURL = t.RekorURL, t.RekorVersion, t.TSAURL
	return o, nil
}
