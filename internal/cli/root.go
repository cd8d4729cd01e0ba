// Package cli is relproof's command line: one file per command, each a thin
// layer that parses flags, calls one library package and reports. Errors are
// returned, never turned into exits here; ExitCode maps them once, in main.
package cli

import (
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/spf13/cobra"
)

// Env is what commands read from the world outside their flags. Nothing in a
// command reads os.Getenv, the clock or the working directory directly, so
// tests can give them a world of their own.
type Env struct {
	Getenv func(string) string
	Now    func() time.Time
	// Dir is the working directory (where local provenance looks for git).
	Dir string
	// Remote configures registry access (auth, transport).
	Remote []remote.Option
	// BuildInfo reads what the binary was built from (nil:
	// debug.ReadBuildInfo).
	BuildInfo func() (*debug.BuildInfo, bool)
}

// DefaultEnv is the real environment of a process.
func DefaultEnv() *Env {
	dir, err := os.Getwd()
	if err != nil {
		dir = "."
	}
	return &Env{
		Getenv:    os.Getenv,
		Now:       time.Now,
		Dir:       dir,
		Remote:    []remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain)},
		BuildInfo: debug.ReadBuildInfo,
	}
}

// globalOptions are the flags every command has.
type globalOptions struct {
	output string
}

// New returns the relproof root command.
func New(env *Env) *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:   "relproof",
		Short: "Signed release evidence bound to an artifact's digest",
		Long: `relproof makes a release defensible: every piece of evidence — provenance,
SBOM, test and scan results, approvals, the deployment record — is a signed
in-toto statement bound to the artifact's digest, never to a mutable tag.

Exit codes: 0 success or verified, 1 verification failed or denied,
2 bad input or usage.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			if g.output != "text" && g.output != "json" {
				return usageErrorf("--output %q: expected text or json", g.output)
			}
			return nil
		},
	}
	root.PersistentFlags().StringVarP(&g.output, "output", "o", "text", "report format: text or json")
	setFlagGroup(root.PersistentFlags(), groupOutput, "output")
	root.SetFlagErrorFunc(flagError)
	root.SetUsageTemplate(usageTemplate)
	root.AddCommand(
		newKeyCmd(env, g),
		newAttestCmd(env, g),
		newSignCmd(env, g),
		// The gate signs only when asked: its help says so. (The call
		// belongs in newGateCmd, after the signing flags are added.)
		newGateCmd(env, g),
		newVerifyCmd(env, g),
		newSBOMCmd(env, g),
		newApprovalCmd(env, g),
		newDeployCmd(env, g),
		newDecisionCmd(env, g),
		newSourceCmd(env, g),
		newDemoCmd(env, g),
		newPackCmd(env, g),
		newInitCmd(env, g),
		newPolicyCmd(env, g),
		newAuditCmd(env, g),
		newServeCmd(env, g),
		newVersionCmd(env, g),
	)
	return root
}

// exactArgs is cobra.ExactArgs with a usage error that names what is missing.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErrorf("%s takes %s, found %d arguments (see --help)", cmd.CommandPath(), what, len(args))
		}
		return nil
	}
}

func usageErrorf(format string, a ...any) error { return usageError(fmt.Errorf(format, a...)) }
