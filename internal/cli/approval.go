package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/relproof/relproof/internal/actionsio"
	"github.com/relproof/relproof/internal/approval"
	"github.com/relproof/relproof/internal/attest"
	"github.com/relproof/relproof/internal/attest/predicate"
	"github.com/relproof/relproof/internal/decide"
	"github.com/relproof/relproof/internal/fsutil"
	"github.com/relproof/relproof/internal/github"
	"github.com/relproof/relproof/internal/policy"
	"github.com/relproof/relproof/internal/report/safe"
	"github.com/relproof/relproof/internal/subject"
)

func newApprovalCmd(env *Env, g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "approval",
		Short: "Environment approvals bound to a digest",
	}
	cmd.AddCommand(newApprovalRecordCmd(env, g))
	return cmd
}

type approvalRecordOptions struct {
	gh                githubFlags
	environment       string
	runID             int64
	signing           signingOptions
	out               string
	bundleOut         string
	checkRunID        int64
	headSHA           string
	minimum           int
	preventSelfReview bool
	changeAuthors     []string
	policyDigest      string
	// records look up the deployment the change is counted from: the
	// newest one a signed deployment record vouches for.
	records recordFlags
	// since, when set, is that deployment as the gate already found it.
	since *decide.RollbackTarget
}

// approvalReport is what `approval record` reports.
type approvalReport struct {
	Subject     string           `json:"subject"`
	Digest      string           `json:"digest"`
	Environment string           `json:"environment"`
	Repository  string           `json:"repository"`
	RunID       int64            `json:"runId"`
	RunAttempt  int              `json:"runAttempt"`
	CheckRun    *github.CheckRun `json:"checkRun,omitempty"`
	Approved    bool             `json:"approved"`
	Reason      string           `json:"reason"`
	// Who may not review under --prevent-self-review: the run's actor and
	// triggering actor, and the change's authors (and whether they are
	// all known, and if not why).
	Actor           string             `json:"actor,omitempty"`
	TriggeringActor string             `json:"triggeringActor,omitempty"`
	Authors         []string           `json:"changeAuthors,omitempty"`
	AuthorsKnown    bool               `json:"changeAuthorsKnown"`
	AuthorsNote     string             `json:"changeAuthorsNote,omitempty"`
	Approvals       []approval.Verdict `json:"approvals"`
	Signer          string             `json:"signer,omitempty"`
	ApprovalFile    string             `json:"approvalFile,omitempty"`
	BundleFile      string             `json:"bundleFile,omitempty"`
}

func newApprovalRecordCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &approvalRecordOptions{}
	cmd := &cobra.Command{
		Use:   "record SUBJECT --environment ENV [--run-id N] [--key FILE]",
		Short: "Bind a run's environment approvals to a digest and sign them",
		Long: `Read the environment reviews of a workflow run from GitHub, bind them to
the subject's digest, and sign an approval attestation
(https://relproof.dev/approval/v1).

An approval counts when it was given for this run and environment, after the
check run "relproof / ENV" showed the digest (its title names the digest, and
the digest must be this one), by a reviewer other than those who made or ran
the change when --prevent-self-review is set. A rejection denies. GitHub's
review log carries no times: a review is dated by the deployment GitHub made
when the run reached the environment (the review cannot be older); reviews
that cannot be dated do not count.

The check run is the one this run posted: on the commit, named
"relproof / ENV", posted by GitHub Actions (the workflow's GITHUB_TOKEN), with
the external id relproof:RUN_ID:ATTEMPT:ENV naming this run (any of its
attempts: re-running only the failed jobs keeps the check run the first
attempt posted). A check run of that name that another app or another run
posted is passed over, however late it came; when none, or more than one,
is this run's, nothing is approved. --check-run-id names it instead, and the
same checks apply.

Those who made or ran the change are the run's actor and triggering actor
(who pushed, and who re-ran it), the authors of the pull requests that
brought the commit, and for every commit since the environment's last
recorded deployment (for a first deployment, every commit up to it) the
GitHub accounts of its author, its committer and its Co-authored-by
trailers (never the names git records, which the committer writes). That
deployment is the newest one a deployment record signed by a signer of
--policy's signers.deployment vouches for (any workflow with deployments:
write can post a deployment at the very commit, leaving the change
nobody's); with none, or without --policy, the change is every commit up
to the commit. With --policy, a review given before the environment's
newest recorded deployment (of another digest, whatever its record's state,
or of this digest, found by the digest) approved a run a newer release has
overtaken or was spent on that deployment (a re-run of a release's later
jobs), and does not count. Those who made or ran the change are recorded
in the predicate. When they cannot all be known (a range or
history longer than GitHub lists or relproof reads, a commit or co-author
GitHub matches to no account), the predicate says why, and under
--prevent-self-review no approval counts.

When the digest is approved, the predicate is written to --out (for the
evidence pack's approval page) and the signed bundle to --bundle-out (what
` + "`relproof gate --approvals`" + ` reads: the gate counts only a signed approval).
Otherwise nothing is written (an earlier file at --out or --bundle-out is
removed, so that no stale approval can be read) and the command exits 1,
listing why each review does not count.

SUBJECT must name a digest (a tag is refused). Reads GITHUB_API_URL,
GITHUB_TOKEN (or a GitHub App), GITHUB_REPOSITORY, GITHUB_RUN_ID and
GITHUB_SHA. In GitHub Actions the result is also set as step outputs
(approved, digest, approval-file, bundle-file) and written to the step
summary.`,
		Example: `  relproof approval record oci://ghcr.io/acme/app@sha256:… --environment production \
    --run-id "$GITHUB_RUN_ID" --key release.key --prevent-self-review \
    --policy .github/relproof/policy.yaml`,
		Args: exactArgs(1, "one SUBJECT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runApprovalRecord(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), env, g, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.environment, "environment", "", "the deployment environment")
	f.Int64Var(&o.runID, "run-id", 0, "the workflow run whose approvals to read (default: GITHUB_RUN_ID)")
	f.StringVar(&o.out, "out", "approval.json", "write the approval predicate (JSON) here")
	f.StringVar(&o.bundleOut, "bundle-out", "approval.sigstore.json", "write the signed approval attestation here")
	f.Int64Var(&o.checkRunID, "check-run-id", 0, "the check run that showed the digest (default: the \"relproof / ENV\" check run this run posted on the commit)")
	f.StringVar(&o.headSHA, "head-sha", "", "the commit the check run is on (default: GITHUB_SHA, else the run's head)")
	f.IntVar(&o.minimum, "minimum-approvals", 1, "distinct reviewers required")
	f.BoolVar(&o.preventSelfReview, "prevent-self-review", false, "do not count approvals by those who made or ran the change, and none when they are not all known")
	f.StringSliceVar(&o.changeAuthors, "change-author", nil, "a login that authored the change (besides those GitHub names: the run's actors, pull request authors, commit authors, committers and co-authors)")
	f.StringVar(&o.policyDigest, "policy-digest", "", "the digest of the policy that required the approvals, recorded in the predicate")
	o.records.add(f, "count the change from the environment's newest deployment that a deployment record signed by a deployment signer of this policy vouches for (without it, the change is the whole history up to the commit: GitHub's deployments are anyone's to post)")
	addGitHubFlags(f, &o.gh)
	_ = cmd.MarkFlagRequired("environment")
	o.signing.addFlags(cmd)
	return cmd
}

func runApprovalRecord(ctx context.Context, w, stderr io.Writer, env *Env, g *globalOptions, o *approvalRecordOptions, input string) error {
	if o.runID == 0 {
		v := env.Getenv("GITHUB_RUN_ID")
		n, err := strconv.ParseInt(v, 10, 64)
		if v == "" || err != nil || n <= 0 {
			return usageErrorf("no run: give --run-id N or set GITHUB_RUN_ID")
		}
		o.runID = n
	}
	if o.minimum < 1 {
		return usageErrorf("--minimum-approvals %d: expected at least 1; an environment that needs no approval needs no approval record (the gate's approvals check is then not applicable)", o.minimum)
	}
	if o.policyDigest != "" {
		if _, err := subject.ParseDigest(o.policyDigest); err != nil {
			return usageErrorf("--policy-digest: %w", err)
		}
	}
	if o.out == o.bundleOut {
		return usageErrorf("--out and --bundle-out are the same file %q", o.out)
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
	x := actions(env, stderr)
	if vouch != nil {
		// The change is counted from the deployment a record vouches for.
		c, repo, err := githubClient(ctx, env, &o.gh)
		if err != nil {
			return err
		}
		if o.since, err = vouch.find(ctx, env, c, repo, subj, o.environment, true); err != nil {
			return err
		}
	}
	rep, pred, denial, err := readRunApprovals(ctx, env, o, subj)
	if err != nil {
		return err
	}
	if pred == nil {
		return rep.deny(w, x, g, o, denial)
	}
	predJSON, err := indentJSON(pred)
	if err != nil {
		return err
	}
	bundle, err := attest.SignPredicate(ctx, signer, subj, predicate.ApprovalType, pred)
	if err != nil {
		return err
	}
	if err := writeAll([]outFile{{o.out, predJSON}, {o.bundleOut, append(bundle, '\n')}}); err != nil {
		return err
	}
	rep.Signer, rep.ApprovalFile, rep.BundleFile = signer.Identity(), o.out, o.bundleOut
	if err := publish(x, []string{"approved", "digest", "approval-file", "bundle-file"},
		map[string]string{"approved": "true", "digest": rep.Digest, "approval-file": o.out, "bundle-file": o.bundleOut}, rep.markdown()); err != nil {
		return err
	}
	return g.report(w, rep, rep.text)
}

// readRunApprovals reads, from GitHub, the run's approvals of subj's digest
// for the environment: the check run this run posted to show the digest,
// the reviews given after it, who made or ran the change. It returns the
// approval predicate when they approve, else why not (the report's Reason
// and the denial); an error is a failed read.
func readRunApprovals(ctx context.Context, env *Env, o *approvalRecordOptions, subj *subject.Subject) (approvalReport, *predicate.Approval, string, error) {
	c, repo, err := githubClient(ctx, env, &o.gh)
	if err != nil {
		return approvalReport{}, nil, "", err
	}
	digest := subj.Digest.String()
	rep := approvalReport{Subject: subj.String(), Digest: digest, Environment: o.environment, Repository: repo.String(), RunID: o.runID, Approvals: []approval.Verdict{}}

	ra, err := c.RunApprovals(ctx, repo, o.runID)
	if err != nil {
		return approvalReport{}, nil, "", err
	}
	rep.RunAttempt, rep.Actor, rep.TriggeringActor = ra.Run.Attempt, ra.Run.Actor, ra.Run.TriggeringActor
	head := o.headSHA
	if head == "" {
		head = env.Getenv("GITHUB_SHA")
	}
	if head == "" {
		head = ra.Run.HeadSHA
	}
	cr, why, err := runCheckRun(ctx, c, repo, o, github.RunCheckRun{Environment: o.environment, HeadSHA: head, RunID: o.runID, Attempt: ra.Run.Attempt})
	if err != nil {
		return approvalReport{}, nil, "", err
	}
	if why != "" {
		rep.Reason = "denied: " + why
		return rep, nil, rep.Reason, nil
	}
	rep.CheckRun = cr
	if shown := github.DigestOfTitle(cr.Title); shown != digest {
		rep.Reason = fmt.Sprintf("denied: check run %d (%q) showed the reviewers %q, not %s", cr.ID, cr.Name, shown, digest)
		return rep, nil, rep.Reason, nil
	}
	// Who may not review their own change: read whatever the flag says, so
	// that the predicate records it and the gate can recompute.
	// The change is counted from a deployment a signed record vouches for
	// (o.since, found under the policy). GitHub's deployments are anyone's
	// with deployments: write to post, and one at the commit would leave
	// the change nobody's: without a policy, the change is the history.
	prev, why := (*github.PreviousDeployment)(nil), "no --policy names who may vouch for a deployment, and GitHub's own are anyone's to post"
	if o.since != nil {
		prev, why = countFrom(o.since)
	}
	found, err := c.ChangeAuthorsSince(ctx, repo, head, o.environment, prev, why)
	if err != nil {
		return approvalReport{}, nil, "", err
	}
	rep.Authors = addLogins(addLogins(nil, o.changeAuthors...), found.Logins...)
	rep.AuthorsKnown, rep.AuthorsNote = found.Known, found.Note
	if ra.Run.Actor == "" || ra.Run.TriggeringActor == "" {
		rep.AuthorsKnown = false
		rep.AuthorsNote = strings.TrimPrefix(rep.AuthorsNote+fmt.Sprintf("; GitHub names no actor or triggering actor of run %d", o.runID), "; ")
	}
	unknown := ""
	if !rep.AuthorsKnown {
		unknown = rep.AuthorsNote
	}
	// Reviews given before the environment's last recorded deployment
	// approved a run a newer release has overtaken (another digest's,
	// whatever its record's state or GitHub's statuses of it say), or the
	// deployment they were given for (this digest's, found by the digest,
	// so that deleting GitHub's deployment does not hide it).
	var notBefore time.Time
	notBeforeWhat := ""
	if o.since != nil {
		if dep := o.since.Latest; dep != nil {
			notBefore, notBeforeWhat = dep.CreatedAt, fmt.Sprintf("the environment's last recorded deployment (deployment %d of %s)", dep.ID, dep.Digest)
		}
		if own := o.since.Own; own != nil && own.Time.After(notBefore) {
			notBefore, notBeforeWhat = own.Time, fmt.Sprintf("the environment's last recorded deployment of this digest (deployment %d)", own.DeploymentID)
		}
	}
	d, err := approval.Bind(ra.Approvals, approval.Context{
		Digest: digest, Environment: o.environment, RunID: o.runID, CheckRunPostedAt: cr.PostedAt,
		NotBefore: notBefore, NotBeforeWhat: notBeforeWhat,
		ChangeAuthors: addLogins([]string{ra.Run.Actor, ra.Run.TriggeringActor}, rep.Authors...), AuthorsUnknown: unknown,
		PreventSelfReview: o.preventSelfReview, Minimum: o.minimum,
	})
	if err != nil {
		return approvalReport{}, nil, "", err
	}
	rep.Approvals, rep.Approved, rep.Reason = d.Approvals, d.Approved, d.Reason
	if !d.Approved {
		return rep, nil, d.Err().Error(), nil
	}

	pred := predicate.NewApproval(d, predicate.ApprovalInput{
		PolicyDigest: o.policyDigest, Repository: repo.String(), RunAttempt: ra.Run.Attempt, CheckRunID: cr.ID, RecordedAt: env.Now(),
		Actor: ra.Run.Actor, TriggeringActor: ra.Run.TriggeringActor,
		ChangeAuthors: rep.Authors, ChangeAuthorsKnown: rep.AuthorsKnown, ChangeAuthorsNote: rep.AuthorsNote,
	})
	if err := pred.Validate(); err != nil {
		return approvalReport{}, nil, "", err
	}
	return rep, pred, "", nil
}

// recordFlags say where an environment's recorded deployments are
// verified and found: the policy whose deployment signers vouch for them
// (--policy), the trusted root their keyless signatures verify under, and
// whether the repository's artifact attestations are read besides the
// image's referrers.
type recordFlags struct {
	policy      string
	trustedRoot string
	fromGitHub  bool
}

func (r *recordFlags) add(f *pflag.FlagSet, policyUsage string) {
	f.StringVar(&r.policy, "policy", "", policyUsage)
	f.StringVar(&r.trustedRoot, "trusted-root", "", "with --policy: the trusted_root.json that verifies the deployment records (default: Sigstore public-good)")
	f.BoolVar(&r.fromGitHub, "from-github", false, "with --policy: also look for the deployment records among the repository's GitHub artifact attestations (a release file's)")
}

// rollbackLookup is what the environment's recorded deployments are found
// with (recordFlags, read).
type rollbackLookup struct {
	pol        *policy.Policy
	tr         root.TrustedMaterial
	fromGitHub bool
}

// lookup reads --policy and --trusted-root, before anything is read from
// GitHub; nil without --policy.
func (r *recordFlags) lookup(environment string) (*rollbackLookup, error) {
	if r.policy == "" {
		if r.trustedRoot != "" || r.fromGitHub {
			return nil, usageErrorf("--trusted-root and --from-github say where --policy's deployment records are verified and found: give --policy")
		}
		return nil, nil
	}
	pol, err := policy.Load(r.policy)
	if err != nil {
		return nil, err
	}
	if _, err := pol.EffectiveEnvironment(environment); err != nil {
		return nil, usageErrorf("--policy %s: %w", r.policy, err)
	}
	tr, err := (&verifyOptions{trustedRoot: r.trustedRoot}).trustedRootMaterial()
	if err != nil {
		return nil, err
	}
	return &rollbackLookup{pol: pol, tr: tr, fromGitHub: r.fromGitHub}, nil
}

// find is the environment's newest deployment of another digest that a
// signed deployment record vouches for, read from the image's referrers
// and, with --from-github, the repository's attestations; with own, also
// the subject's own newest record (RollbackTarget.Own).
func (l *rollbackLookup) find(ctx context.Context, env *Env, c *github.Client, repo github.Repo, subj *subject.Subject, environment string, own bool) (*decide.RollbackTarget, error) {
	sources := []decide.Source{decide.Registry(env.Remote...)}
	if l.fromGitHub {
		sources = append(sources, decide.GitHubAttestations(c, repo))
	}
	return decide.FindRollbackTarget(ctx, decide.RollbackRequest{Subject: subj, Policy: l.pol, Environment: environment,
		TrustedRoot: l.tr, Sources: sources, Deployments: decide.GitHubDeployments(c, repo), Own: own})
}

// countFrom is the deployment a change is counted from, as found by
// decide.FindRollbackTarget: the one a record vouches for, or none (and
// why, when GitHub lists deployments that none vouches for).
func countFrom(t *decide.RollbackTarget) (*github.PreviousDeployment, string) {
	switch {
	case t == nil || t.FirstRelease:
		return nil, ""
	case t.Reviewed != nil:
		return previousDeployment(t.Reviewed), ""
	case t.Deployment != nil:
		return nil, fmt.Sprintf("deployment %d of %s, the last recorded, went out on a break-glass decision, and relproof found no recorded deployment before it that did not", t.Deployment.ID, t.Deployment.Digest)
	}
	return nil, "GitHub lists deployments, and none has a signed deployment record"
}

// previousDeployment is d as the GitHub client counts a change from it.
func previousDeployment(d *decide.Deployment) *github.PreviousDeployment {
	return &github.PreviousDeployment{ID: d.ID, URL: d.URL, Digest: d.Digest, SHA: d.SHA, CreatedAt: d.CreatedAt}
}

// runCheckRun returns the check run this run posted to show the digest
// (--check-run-id, or found on the commit), or why there is none to bind
// the approvals to.
func runCheckRun(ctx context.Context, c *github.Client, repo github.Repo, o *approvalRecordOptions, want github.RunCheckRun) (*github.CheckRun, string, error) {
	if o.checkRunID == 0 {
		cr, err := c.FindRunCheckRun(ctx, repo, want)
		var me *github.CheckRunMismatchError
		if errors.As(err, &me) {
			return nil, me.Error() + ", so no check run of this run showed the digest to the reviewers", nil
		}
		return cr, "", err
	}
	cr, err := c.CheckRun(ctx, repo, o.checkRunID)
	switch {
	case github.IsNotFound(err):
		return nil, fmt.Sprintf("check run %d (--check-run-id) does not exist in %s", o.checkRunID, repo), nil
	case err != nil:
		return nil, "", err
	}
	if why := want.Mismatch(cr); why != "" {
		return nil, fmt.Sprintf("%s, so it is not the check run run %d posted to show the digest (--check-run-id)", why, want.RunID), nil
	}
	return cr, "", nil
}

// addLogins adds the logins not already in list (compared without case),
// skipping empty ones.
func addLogins(list []string, logins ...string) []string {
	for _, l := range logins {
		if l != "" && !slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, l) }) {
			list = append(list, l)
		}
	}
	return list
}

// deny reports a denial, publishes it in Actions, removes earlier output
// files, and returns the error that exits 1.
func (r approvalReport) deny(w io.Writer, x *actionsio.IO, g *globalOptions, o *approvalRecordOptions, msg string) error {
	r.Approved = false
	for _, p := range []string{o.out, o.bundleOut} {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("removing the earlier %s: %w", p, err)
		}
	}
	if err := publish(x, []string{"approved", "digest"}, map[string]string{"approved": "false", "digest": r.Digest}, r.markdown()); err != nil {
		return err
	}
	if x.Enabled() {
		_ = x.Annotate(actionsio.Annotation{Level: actionsio.Error, Title: "relproof: " + r.Environment + " not approved", Message: r.Reason})
	}
	if err := g.report(w, r, r.text); err != nil {
		return err
	}
	return denied{fmt.Errorf("%s", msg)}
}

func (r approvalReport) text(w io.Writer) {
	verdict := "NOT APPROVED"
	if r.Approved {
		verdict = "approved"
	}
	fmt.Fprintf(w, "%s: %s for %s (run %d of %s)\n  %s\n", verdict, r.Subject, r.Environment, r.RunID, r.Repository, r.Reason)
	if r.CheckRun != nil {
		fmt.Fprintf(w, "  check run: %d %q, posted %s\n", r.CheckRun.ID, r.CheckRun.Title, r.CheckRun.PostedAt.UTC().Format(time.RFC3339))
	}
	if line := r.selfReview(); line != "" {
		fmt.Fprintf(w, "  self-review: %s\n", line)
	}
	for _, v := range r.Approvals {
		mark := "✗"
		if v.Counts {
			mark = "✓"
		}
		fmt.Fprintf(w, "  %s %s %s (%s): %s\n", mark, v.Reviewer, v.State, strings.Join(v.Environments, ", "), v.Reason)
	}
	if r.BundleFile != "" {
		fmt.Fprintf(w, "  signer:    %s\n  approval:  %s\n  bundle:    %s\n", r.Signer, r.ApprovalFile, r.BundleFile)
	}
}

func (r approvalReport) markdown() string {
	var b strings.Builder
	verdict := "❌ not approved"
	if r.Approved {
		verdict = "✅ approved"
	}
	fmt.Fprintf(&b, "### relproof approval: %s → %s\n\n%s: %s\n\n", r.Digest, r.Environment, verdict, escapeCellMD(r.Reason))
	if line := r.selfReview(); line != "" {
		fmt.Fprintf(&b, "Self-review: %s\n\n", escapeCellMD(line))
	}
	if len(r.Approvals) > 0 {
		b.WriteString("| reviewer | state | environments | counts | why |\n|---|---|---|---|---|\n")
		for _, v := range r.Approvals {
			fmt.Fprintf(&b, "| @%s | %s | %s | %s | %s |\n", v.Reviewer, v.State, strings.Join(v.Environments, ", "), yesNo(v.Counts), escapeCellMD(v.Reason))
		}
	}
	return b.String()
}

// selfReview says who may not review: the run's actors and the change's
// authors, and whether those are all known.
func (r approvalReport) selfReview() string {
	if r.Actor == "" && r.TriggeringActor == "" && len(r.Authors) == 0 && r.AuthorsNote == "" {
		return ""
	}
	authors := "none found"
	if len(r.Authors) > 0 {
		authors = strings.Join(r.Authors, ", ")
	}
	s := fmt.Sprintf("actor %s, triggering actor %s; change authors: %s", orUnknown(r.Actor), orUnknown(r.TriggeringActor), authors)
	if !r.AuthorsKnown {
		s += "; not all known: " + r.AuthorsNote
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func escapeCellMD(s string) string { return safe.Markdown(s) }

// outFile is a file a command writes.
type outFile struct {
	path string
	data []byte
}

// writeAll writes every file atomically, or none: when one fails, those
// already written are removed.
func writeAll(files []outFile) error {
	var done []string
	for _, f := range files {
		if err := fsutil.WriteFileAtomic(f.path, f.data, 0o644); err != nil {
			for _, p := range done {
				os.Remove(p)
			}
			return err
		}
		done = append(done, f.path)
	}
	return nil
}
