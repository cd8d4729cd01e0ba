package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// otherSpelling is another tool's name for a relproof flag.
type otherSpelling struct {
	tool string
	// flags are the relproof flags it may mean; the first the command has
	// is suggested.
	flags []string
}

// flagSpellings are cosign's, slsa-verifier's and gh attestation's names
// for relproof's flags.
var flagSpellings = map[string]otherSpelling{
	"certificate-identity":        {"cosign", []string{"cert-identity"}},
	"certificate-identity-regexp": {"cosign", []string{"cert-identity-regexp"}},
	"certificate-oidc-issuer":     {"cosign", []string{"cert-oidc-issuer"}},
	"timestamp-server-url":        {"cosign", []string{"tsa-url"}},
	"bundle":                      {"cosign", []string{"bundle-out"}}, // sign-blob --bundle writes the bundle
	"provenance-path":             {"slsa-verifier", []string{"bundle"}},
	"custom-trusted-root":         {"gh attestation", []string{"trusted-root"}},
	"format":                      {"gh attestation", []string{"output"}},
}

// flagError is the root command's flag error: always a usage error (exit
// 2), and for an unknown flag that another tool spells that way, a hint
// naming relproof's flag, when the command has it.
func flagError(cmd *cobra.Command, err error) error {
	var unknown *pflag.NotExistError
	if !errors.As(err, &unknown) || unknown.GetSpecifiedShortnames() != "" {
		return usageError(err)
	}
	name := unknown.GetSpecifiedName()
	other, ok := flagSpellings[name]
	if !ok {
		return usageError(err)
	}
	for _, want := range other.flags {
		if cmd.Flags().Lookup(want) != nil {
			return usageError(fmt.Errorf("%w (did you mean --%s? --%s is %s's name for it)", err, want, name, other.tool))
		}
	}
	return usageError(err)
}
