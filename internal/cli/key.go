package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/relproof/relproof/internal/fsutil"
	"github.com/relproof/relproof/internal/sign"
)

// PasswordEnv holds the password of an encrypted private key.
const PasswordEnv = "RELPROOF_KEY_PASSWORD"

func newKeyCmd(env *Env, g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Manage signing keys",
	}
	cmd.AddCommand(newKeyGenerateCmd(env, g))
	return cmd
}

type keyGenerateOptions struct {
	out   string
	force bool
}

type keyGenerateReport struct {
	PrivateKey string `json:"privateKey"`
	PublicKey  string `json:"publicKey"`
	KeyID      string `json:"keyId"`
	Encrypted  bool   `json:"encrypted"`
}

func newKeyGenerateCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &keyGenerateOptions{}
	cmd := &cobra.Command{
		Use:   "generate --out PREFIX",
		Short: "Generate an ECDSA P-256 signing key pair",
		Long: `Generate an ECDSA P-256 key pair: PREFIX.key (private, PEM, mode 0600) and
PREFIX.pub (public, PEM). When ` + PasswordEnv + ` is set, the private key is
encrypted with it in the format cosign uses, so cosign can use the key too.

Prefer keyless signing or a KMS/HSM key in CI; a key file is for local use
and tests.`,
		Example: `  RELPROOF_KEY_PASSWORD=… relproof key generate --out release
  relproof attest ./app --type provenance --key release.key --bundle-out app.sigstore.json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runKeyGenerate(cmd.OutOrStdout(), env, g, o)
		},
	}
	cmd.Flags().StringVar(&o.out, "out", "", "path prefix of the key files (writes PREFIX.key and PREFIX.pub)")
	cmd.Flags().BoolVar(&o.force, "force", false, "overwrite existing key files")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func runKeyGenerate(w io.Writer, env *Env, g *globalOptions, o *keyGenerateOptions) error {
	privPath, pubPath := o.out+".key", o.out+".pub"
	if !o.force {
		for _, p := range []string{privPath, pubPath} {
			if _, err := os.Stat(p); err == nil {
				return usageErrorf("%s exists; refusing to overwrite a key (use --force)", p)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("checking %s: %w", p, err)
			}
		}
	}
	kp, err := sign.GenerateKeyPair([]byte(env.Getenv(PasswordEnv)))
	if err != nil {
		return err
	}
	pub, err := sign.ParsePublicKey(pubPath, kp.PublicPEM)
	if err != nil {
		return err
	}
	keyID, err := sign.KeyID(pub)
	if err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(privPath, kp.PrivatePEM, 0o600); err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(pubPath, kp.PublicPEM, 0o644); err != nil {
		return err
	}
	r := keyGenerateReport{PrivateKey: privPath, PublicKey: pubPath, KeyID: keyID, Encrypted: kp.Encrypted}
	return g.report(w, r, func(w io.Writer) {
		fmt.Fprintf(w, "private key: %s", privPath)
		if !kp.Encrypted {
			fmt.Fprintf(w, " (not encrypted; set %s to encrypt)", PasswordEnv)
		}
		fmt.Fprintf(w, "\npublic key:  %s\nkey id:      %s\n", pubPath, keyID)
	})
}
