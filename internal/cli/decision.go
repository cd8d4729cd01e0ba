package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/relproof/relproof/internal/decide"
	"github.com/relproof/relproof/internal/gate"
	"github.com/relproof/relproof/internal/policy"
	"github.com/relproof/relproof/internal/subject"
)

// decisionFlags name a signed gate decision and what it is trusted under.
type decisionFlags struct {
	environment    string
	decision       string
	decisionBundle string
	policy         string
	trustedRoot    string
}

func (df *decisionFlags) add(f *pflag.FlagSet) {
	f.StringVar(&df.environment, "environment", "", "the environment the decision is for")
	f.StringVar(&df.decision, "decision", "", "the gate decision (JSON from relproof gate --decision-out)")
	f.StringVar(&df.decisionBundle, "decision-bundle", "", "the decision's signed bundle (default: DECISION.sigstore.json)")
	f.StringVar(&df.policy, "policy", "", "the policy whose decision signers (signers.decision) may sign the decision")
	f.StringVar(&df.trustedRoot, "trusted-root", "", "trusted_root.json for a keyless decision signature (default: Sigstore public-good, embedded)")
	setFlagGroup(f, groupTrust, "trusted-root")
}

func (df *decisionFlags) require(cmd *cobra.Command) {
	for _, name := range []string{"environment", "decision", "policy"} {
		_ = cmd.MarkFlagRequired(name)
	}
}

// signedDecision is a decision as its signer signed it, and what it was
// verified under.
type signedDecision struct {
	decision *gate.Decision
	subject  *subject.Subject
	json     []byte // the file's bytes
	policy   *policy.Policy
	root     root.TrustedMaterial
}

// signedDecision reads the decision and trusts it only as signed: what the
// file says is checked for plain mistakes first (bad input, exit 2: another
// environment or digest, a pending decision), then it must be exactly what
// a decision signer of the policy signed for the subject (exit 1 when not).
func (df *decisionFlags) signedDecision(resolve func() (*subject.Subject, error)) (*signedDecision, error) {
	decJSON, err := readInput(df.decision, "decision")
	if err != nil {
		return nil, err
	}
	var probe gate.Decision
	if err := json.Unmarshal(decJSON, &probe); err != nil {
		return nil, usageErrorf("decision %s: expected the gate decision JSON (relproof gate --decision-out), found: %w", df.decision, err)
	}
	switch {
	case probe.Environment != df.environment:
		return nil, usageErrorf("decision %s: expected a decision for environment %q (--environment), found one for %q", df.decision, df.environment, probe.Environment)
	case probe.Decision != "allow" && probe.Decision != "deny":
		return nil, usageErrorf("decision %s: expected a final decision, allow or deny, found %q", df.decision, probe.Decision)
	}
	pol, err := policy.Load(df.policy)
	if err != nil {
		return nil, err
	}
	bundlePath := df.decisionBundle
	if bundlePath == "" {
		bundlePath = df.decision + ".sigstore.json"
	}
	bundle, err := os.ReadFile(bundlePath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, usageErrorf("decision bundle %s: %w", bundlePath, err)
	}
	tr, err := (&verifyOptions{trustedRoot: df.trustedRoot}).trustedRootMaterial()
	if err != nil {
		return nil, err
	}
	subj, err := resolve()
	if err != nil {
		return nil, err
	}
	if probe.Digest != subj.Digest.String() {
		return nil, usageErrorf("decision %s: gate decision: expected a decision for %s, found one for %q", df.decision, subj.Digest, probe.Digest)
	}
	d, err := decide.VerifyDecision(subj, pol, df.environment, decJSON, bundle, bundlePath, tr)
	if errors.Is(err, decide.ErrInput) {
		return nil, usageError(err)
	}
	if err != nil {
		return nil, fmt.Errorf("decision %s: %w", df.decision, err)
	}
	return &signedDecision{decision: d, subject: subj, json: decJSON, policy: pol, root: tr}, nil
}

func newDecisionCmd(env *Env, g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "decision",
		Short: "Gate decisions: check one before acting on it",
	}
	cmd.AddCommand(newDecisionVerifyCmd(env, g))
	return cmd
}

type decisionVerifyOptions struct {
	decisionFlags
	allow      bool
	current    bool
	fromGitHub bool
	gh         githubFlags
}

func newDecisionVerifyCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &decisionVerifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify SUBJECT --environment ENV --decision FILE --policy FILE",
		Short: "Check that a gate decision was signed by a decision signer of the policy",
		Long: `Check a gate decision (relproof gate --decision-out) before anything acts on
it — recording a deployment, building a pack: its signed bundle
(--decision-bundle, default DECISION.sigstore.json) must verify for the
subject's digest as a decision statement signed by a signer the policy lists
for decisions (signers.decision), the file must be exactly what was signed,
for --environment, with checks. With --allow the decision must also be allow.

With --current the decision must also be the environment's to act on: made
after the environment's newest deployment of another digest that a
deployment record signed by a deployment signer of the policy
(signers.deployment) vouches for, whatever state it records, and after any
such record of its own digest (a decision is for one deployment). The
deployments are read from GitHub (GITHUB_TOKEN, --repo or
GITHUB_REPOSITORY), the records beside the image and, with --from-github or
for a release file (whose records are kept nowhere else), with the
repository's artifact attestations; a record of the decision's
own digest is found by the digest, so deleting GitHub's deployment does not
hide it. A re-run of a release's record job, after it or a newer release was
recorded, is refused so; a deployment nobody recorded (which any workflow
with deployments: write can post) does not count.

Exit 0 verified (and allowed, with --allow; current, with --current); 1
unsigned, signed by someone else, edited, not allow, or overtaken; 2 bad
input (another environment or digest, a pending decision, an unreadable
file, --current under a policy with no deployment signers).`,
		Example: `  relproof decision verify oci://ghcr.io/acme/app@sha256:… --environment production \
    --decision decision.json --policy .github/relproof/policy.yaml --allow

  # Before recording the deployment: the decision is not overtaken.
  relproof decision verify oci://ghcr.io/acme/app@sha256:… --environment production \
    --decision decision.json --policy .github/relproof/policy.yaml --allow --current --from-github`,
		Args: exactArgs(1, "one SUBJECT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDecisionVerify(cmd.Context(), cmd.OutOrStdout(), env, g, o, args[0])
		},
	}
	o.add(cmd.Flags())
	cmd.Flags().BoolVar(&o.allow, "allow", false, "require the decision to be allow")
	cmd.Flags().BoolVar(&o.current, "current", false, "require the decision to be newer than the environment's newest recorded deployment, of another digest or its own, as signed deployment records say (read from GitHub and the registry)")
	cmd.Flags().BoolVar(&o.fromGitHub, "from-github", false, "with --current, also look for the deployment records with the repository's artifact attestations (always, for a release file)")
	addGitHubFlags(cmd.Flags(), &o.gh)
	o.require(cmd)
	return cmd
}

func runDecisionVerify(ctx context.Context, w io.Writer, env *Env, g *globalOptions, o *decisionVerifyOptions, input string) error {
	if o.fromGitHub && !o.current {
		return usageErrorf("--from-github says where --current looks for deployment records: give --current too")
	}
	signed, err := o.signedDecision(func() (*subject.Subject, error) {
		return subject.Resolve(ctx, input, subject.RequireDigest(), subject.WithRemoteOptions(env.Remote...), subject.WithClock(env.Now))
	})
	if err != nil {
		return err
	}
	d := signed.decision
	overtaken := ""
	if o.current {
		if overtaken, err = o.overtaken(ctx, env, signed); err != nil {
			return err
		}
	}
	if err := g.report(w, d, func(w io.Writer) {
		fmt.Fprintf(w, "%s: the gate's signed decision for %s is %s (policy %s)\n", d.Environment, d.Digest, d.Decision, d.PolicyDigest)
		if o.current && overtaken == "" {
			fmt.Fprintf(w, "%s: no deployment recorded since the decision (%s): it is current\n", d.Environment, d.Time.UTC().Format(time.RFC3339))
		}
	}); err != nil {
		return err
	}
	if o.allow && !d.Allowed() {
		return denied{fmt.Errorf("the signed decision for %s to %s is %s, not allow", d.Digest, d.Environment, d.Decision)}
	}
	if overtaken != "" {
		return denied{fmt.Errorf("the signed decision for %s to %s is overtaken: %s; start a new run, so the gate decides again", d.Digest, d.Environment, overtaken)}
	}
	return nil
}

// overtaken says why the verified decision d is no longer the
// environment's to act on (decide.RollbackTarget.Overtaken), or "". A
// policy with no deployment signers is bad input, refused before GitHub is
// read: no record could say what the environment did since the decision.
func (o *decisionVerifyOptions) overtaken(ctx context.Context, env *Env, d *signedDecision) (string, error) {
	envPol, err := d.policy.EffectiveEnvironment(o.environment)
	if err != nil {
		return "", usageErrorf("--policy %s: %w", o.policy, err)
	}
	if len(envPol.SignersFor(policy.KindDeployment)) == 0 {
		return "", usageErrorf("--current: the policy %s lists no signer under signers.deployment for %s, so no signed deployment record can say whether the environment was deployed to after the decision; list the workflow that records deployments (release-record.yml) there (relproof policy check says how)", o.policy, o.environment)
	}
	c, repo, err := githubClient(ctx, env, &o.gh)
	if err != nil {
		return "", err
	}
	// Wherever a record may be kept: one not looked for would leave the
	// decision current. An image's are always pushed beside it; a release
	// file's are kept only with the repository's attestations.
	_, image := d.subject.OCIReference()
	l := &rollbackLookup{pol: d.policy, tr: d.root, fromGitHub: o.fromGitHub || !image}
	t, err := l.find(ctx, env, c, repo, d.subject, o.environment, true)
	if errors.Is(err, decide.ErrInput) {
		return "", usageError(err)
	}
	if err != nil {
		return "", fmt.Errorf("the environment's deployments: %w", err)
	}
	return t.Overtaken(d.decision.Time), nil
}
