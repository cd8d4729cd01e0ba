package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/relproof/relproof/internal/attest"
	"github.com/relproof/relproof/internal/attest/predicate"
	"github.com/relproof/relproof/internal/decide"
	"github.com/relproof/relproof/internal/github"
	"github.com/relproof/relproof/internal/oci"
	"github.com/relproof/relproof/internal/subject"
)

func newDeployCmd(env *Env, g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deploy",
		Short: "Deployment records bound to a digest",
	}
	cmd.AddCommand(newDeployRecordCmd(env, g))
	return cmd
}

type deployRecordOptions struct {
	gh             githubFlags
	environment    string
	url            string
	rollbackDigest string
	ref            string
	state          string
	description    string
	signing        signingOptions
	out            string
	bundleOut      string
	githubUpload   bool
	push           bool
	breakGlass     bool
	// records find the previous deployment: one a signed record vouches
	// for, never GitHub's listing alone.
	records recordFlags
}

// deployRecord is deploy-record.json: the deployment GitHub recorded and
// where its attestation is.
type deployRecord struct {
	Subject    string             `json:"subject"`
	Deployment *github.Deployment `json:"deployment"`
	Signer     string             `json:"signer"`
	BundleFile string             `json:"bundleFile"`
	RecordFile string             `json:"recordFile"`
	// PreviousNote says why no previous deployment is named, when none is.
	PreviousNote string `json:"previousNote,omitempty"`
	// GitHubID is the attestation's id among the repository's artifact
	// attestations (--github-upload), where the gate looks for it when it
	// takes this deployment as a rollback target.
	GitHubID int64 `json:"githubAttestationId,omitempty"`
	// Referrer is the attestation pushed beside the image (--push).
	Referrer string `json:"referrer,omitempty"`
}

func newDeployRecordCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &deployRecordOptions{}
	cmd := &cobra.Command{
		Use:   "record SUBJECT --environment ENV [--key FILE]",
		Short: "Record a deployment of a digest in GitHub and sign it",
		Long: `Create a GitHub deployment of the subject's digest to the environment (the
digest travels in the deployment's payload), post its status, and sign a
deployment attestation (https://relproof.dev/deployment/v1) that names the
deployment, the environment's previous successful digest, and the rollback
digest: --rollback-digest, or by default that previous digest.

The previous deployment is the environment's newest successful deployment
of another digest that a deployment record signed by a deployment signer of
--policy vouches for (found beside the image and, with --from-github, with
the repository's artifact attestations). Without --policy none is named:
GitHub's deployments are anyone's with deployments: write to post, and a
signed record must not repeat what nobody vouched for.

Writes --out (deploy-record.json) and the signed bundle (--bundle-out),
atomically, after GitHub has recorded the deployment. --github-upload also
stores the signed bundle with the repository's artifact attestations, and
--push (an oci:// subject) pushes it beside the image as an OCI 1.1
referrer: the gate's --rollback-from-deployments takes an earlier deployment
as the rollback target only when such a record of it, signed by a deployment
signer of the policy, is found there. SUBJECT must name a
digest. The deployed commit is --ref (default: GITHUB_SHA). Reads
GITHUB_API_URL, GITHUB_TOKEN (or a GitHub App) and GITHUB_REPOSITORY; in
GitHub Actions the result is also set as step outputs (deployment-id,
deployment-url, digest, previous-digest, rollback-digest, record-file,
bundle-file) and written to the step summary.`,
		Example: `  relproof deploy record oci://ghcr.io/acme/app@sha256:… --environment production \
    --url https://app.example.com --key release.key --push \
    --policy .github/relproof/policy.yaml --rollback-digest sha256:…`,
		Args: exactArgs(1, "one SUBJECT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDeployRecord(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), env, g, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.environment, "environment", "", "the deployment environment")
	f.StringVar(&o.url, "url", "", "the environment's URL, shown on the deployment")
	f.StringVar(&o.rollbackDigest, "rollback-digest", "", "the digest to roll back to, or none (default: the previous deployment's digest, found with --policy, else none; in a pipeline, pass the one the gate checked)")
	f.StringVar(&o.ref, "ref", "", "the commit deployed (default: GITHUB_SHA)")
	f.StringVar(&o.state, "state", github.DeploymentSuccess, "the deployment status to post: "+strings.Join(github.DeploymentStates, ", "))
	f.StringVar(&o.description, "description", "", "the deployment's description")
	f.StringVar(&o.out, "out", "deploy-record.json", "write the deployment record here")
	f.StringVar(&o.bundleOut, "bundle-out", "deployment.sigstore.json", "write the signed deployment attestation here")
	f.BoolVar(&o.push, "push", false, "also push the signed deployment attestation beside the image, as an OCI 1.1 referrer (oci:// subjects), where the gate finds it when this deployment is the rollback target")
	f.BoolVar(&o.breakGlass, "break-glass", false, "the deployment goes out on a break-glass decision (failing checks overridden): the record says so, and a later change is counted from the last recorded deployment that did not")
	f.BoolVar(&o.githubUpload, "github-upload", false, "also store the signed deployment attestation with the repository's GitHub artifact attestations (needs attestations: write), where the gate finds it when this deployment is the rollback target")
	o.records.add(f, "name as the previous deployment the environment's newest successful deployment of another digest that a deployment record signed by a deployment signer of this policy vouches for (without it, none is named)")
	addGitHubFlags(f, &o.gh)
	_ = cmd.MarkFlagRequired("environment")
	o.signing.addFlags(cmd)
	return cmd
}

func runDeployRecord(ctx context.Context, w, stderr io.Writer, env *Env, g *globalOptions, o *deployRecordOptions, input string) error {
	if !slices.Contains(github.DeploymentStates, o.state) {
		return usageErrorf("--state %q: expected one of %s", o.state, strings.Join(github.DeploymentStates, ", "))
	}
	if o.rollbackDigest != "" && o.rollbackDigest != "none" {
		if _, err := subject.ParseDigest(o.rollbackDigest); err != nil {
			return usageErrorf("--rollback-digest: %w (or none)", err)
		}
	}
	if o.out == o.bundleOut {
		return usageErrorf("--out and --bundle-out are the same file %q", o.out)
	}
	ref := o.ref
	if ref == "" {
		ref = env.Getenv("GITHUB_SHA")
	}
	if ref == "" {
		return usageErrorf("no commit: give --ref or set GITHUB_SHA")
	}
	vouch, err := o.records.lookup(o.environment)
	if err != nil {
		return err
	}
	signer, closeSigner, err := o.signing.signer(ctx, env)
	if err != nil {
		return err
	}
	defer closeSigner()
	subj, err := subject.Resolve(ctx, input, subject.RequireDigest(), subject.WithRemoteOptions(env.Remote...), subject.WithClock(env.Now))
	if err != nil {
		return err
	}
	image, isOCI := subj.OCIReference()
	if o.push && !isOCI {
		return usageErrorf("--push: %s is not an image (oci://…); keep a release file's deployment record with --github-upload", input)
	}
	c, repo, err := githubClient(ctx, env, &o.gh)
	if err != nil {
		return err
	}
	digest := subj.Digest.String()
	var prev *github.PreviousDeployment
	previousNote := "not looked up: give --policy to name the newest deployment a signed record vouches for"
	if vouch != nil {
		t, err := vouch.find(ctx, env, c, repo, subj, o.environment, false)
		if errors.Is(err, decide.ErrInput) {
			return usageError(err)
		}
		if err != nil {
			return fmt.Errorf("the environment's deployments: %w", err)
		}
		switch {
		case t.Deployment != nil:
			prev = previousDeployment(t.Deployment)
		case t.FirstRelease:
			previousNote = "a first release"
		default:
			previousNote = "GitHub lists deployments, and none is a success a signed deployment record vouches for"
		}
	}
	previous, rollback := "", o.rollbackDigest
	if prev != nil {
		previous = prev.Digest
		if rollback == "" {
			rollback = prev.Digest
		}
	}
	if rollback == "none" {
		rollback = ""
	}
	pred := &predicate.Deployment{
		Environment: o.environment, Digest: digest, Repository: repo.String(), Ref: ref,
		EnvironmentURL: o.url, PreviousDigest: previous, RollbackDigest: rollback, State: o.state, BreakGlass: o.breakGlass, Time: env.Now().UTC(),
	}
	// Whatever the record would refuse is refused before GitHub records a
	// deployment it could not then sign for.
	probe := *pred
	probe.DeploymentID = 1
	if err := probe.Validate(); err != nil {
		return usageError(err)
	}
	logURL := ""
	if srv, run := env.Getenv("GITHUB_SERVER_URL"), env.Getenv("GITHUB_RUN_ID"); srv != "" && run != "" {
		logURL = fmt.Sprintf("%s/%s/actions/runs/%s", strings.TrimSuffix(srv, "/"), repo, run)
	}
	d, err := c.CreateDeployment(ctx, repo, github.DeploymentRequest{
		Environment: o.environment, Ref: ref, Description: o.description, State: o.state,
		Payload:        github.DeploymentPayload{Digest: digest, Subject: subj.String(), RollbackDigest: rollback},
		EnvironmentURL: o.url, LogURL: logURL, StatusDescription: "relproof: " + digest,
	})
	if err != nil {
		return err
	}
	d.Previous, d.RollbackDigest = prev, rollback

	pred.DeploymentID, pred.DeploymentURL = d.ID, d.URL
	if err := pred.Validate(); err != nil {
		return err
	}
	bundle, err := attest.SignPredicate(ctx, signer, subj, predicate.DeploymentType, pred)
	if err != nil {
		return fmt.Errorf("deployment %d is recorded in GitHub, but signing its attestation failed: %w", d.ID, err)
	}
	rec := deployRecord{Subject: subj.String(), Deployment: d, Signer: signer.Identity(), BundleFile: o.bundleOut, RecordFile: o.out}
	if prev == nil {
		rec.PreviousNote = previousNote
	}
	recJSON, err := indentJSON(rec)
	if err != nil {
		return err
	}
	if err := writeAll([]outFile{{o.out, recJSON}, {o.bundleOut, append(bundle, '\n')}}); err != nil {
		return fmt.Errorf("deployment %d is recorded in GitHub, but: %w", d.ID, err)
	}
	if o.push {
		pushed, err := oci.PushBundle(ctx, image, bundle, predicate.DeploymentType, env.Now().UTC().Format(time.RFC3339), env.Remote...)
		if err != nil {
			return fmt.Errorf("deployment %d is recorded in GitHub and its signed attestation written to %s, but pushing it beside the image failed (push that file, or record the deployment again): %w", d.ID, o.bundleOut, err)
		}
		rec.Referrer = pushed.String()
	}
	if o.githubUpload {
		if rec.GitHubID, err = c.UploadAttestation(ctx, repo, bundle); err != nil {
			return fmt.Errorf("deployment %d is recorded in GitHub and its signed attestation written to %s, but storing it with the repository's artifact attestations failed (upload that file, or record the deployment again): %w", d.ID, o.bundleOut, err)
		}
	}
	if o.push || o.githubUpload {
		// The record says where the attestation is kept.
		if recJSON, err = indentJSON(rec); err != nil {
			return err
		}
		if err := writeAll([]outFile{{o.out, recJSON}}); err != nil {
			return err
		}
	}
	x := actions(env, stderr)
	if err := publish(x, []string{"deployment-id", "deployment-url", "digest", "previous-digest", "rollback-digest", "record-file", "bundle-file"}, map[string]string{
		"deployment-id": fmt.Sprint(d.ID), "deployment-url": d.URL, "digest": digest, "previous-digest": previous,
		"rollback-digest": rollback, "record-file": o.out, "bundle-file": o.bundleOut,
	}, rec.markdown()); err != nil {
		return err
	}
	return g.report(w, rec, rec.text)
}

func (r deployRecord) text(w io.Writer) {
	d := r.Deployment
	state := ""
	if len(d.Statuses) > 0 {
		state = d.Statuses[0].State
	}
	fmt.Fprintf(w, "deployed %s to %s\n  deployment: %d (%s) %s\n", r.Subject, d.Environment, d.ID, state, d.URL)
	if d.Previous != nil {
		fmt.Fprintf(w, "  previous:   %s (deployment %d, %s)\n", d.Previous.Digest, d.Previous.ID, d.Previous.CreatedAt.Format(time.RFC3339))
	} else {
		fmt.Fprintf(w, "  previous:   none (%s)\n", r.PreviousNote)
	}
	fmt.Fprintf(w, "  rollback:   %s\n  signer:     %s\n  record:     %s\n  bundle:     %s\n", orNone(d.RollbackDigest), r.Signer, r.RecordFile, r.BundleFile)
	if r.GitHubID != 0 {
		fmt.Fprintf(w, "  github:     artifact attestation %d\n", r.GitHubID)
	}
	if r.Referrer != "" {
		fmt.Fprintf(w, "  referrer:   %s\n", r.Referrer)
	}
}

func (r deployRecord) markdown() string {
	d := r.Deployment
	prev := "none"
	if d.Previous != nil {
		prev = fmt.Sprintf("`%s` (deployment %d)", d.Previous.Digest, d.Previous.ID)
	}
	return fmt.Sprintf("### relproof deployment: %s → %s\n\n| | |\n|---|---|\n| deployment | [%d](%s) |\n| digest | `%s` |\n| previous | %s |\n| rollback | `%s` |\n",
		d.Digest, d.Environment, d.ID, d.URL, d.Digest, prev, orNone(d.RollbackDigest))
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
