package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/relproof/relproof/internal/attest/predicate"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/relproof/relproof/internal/attest"
	"github.com/relproof/relproof/internal/decide"
	"github.com/relproof/relproof/internal/fsutil"
	"github.com/relproof/relproof/internal/gate"
	"github.com/relproof/relproof/internal/github"
	"github.com/relproof/relproof/internal/policy"
	"github.com/relproof/relproof/internal/report"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

// DecisionType is the predicate type of a signed gate decision.
const DecisionType = gate.DecisionType

type gateOptions struct {
	environment    string
	policy         string
	bundles        []string
	bundlesDir     string
	approvals      string
	policySource   string
	expectedPolicy string
	runID          int64
	rollbackDigest string
	// rollbackFromDeployments takes the rollback digest from the
	// environment's previous successful deployment on GitHub that a signed
	// deployment record vouches for (decide.FindRollbackTarget).
	rollbackFromDeployments bool
	// approvalsFromGitHub reads the run's approvals from GitHub in this
	// process instead of from a signed approval attestation.
	approvalsFromGitHub bool
	breakGlass          string
	decisionOut         string
	summaryOut          string
	trustedRoot         string
	fromGitHub          bool
	checkRun            bool
	pending             bool
	gh                  githubFlags
	signing             signingOptions
}

func newGateCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &gateOptions{}
	cmd := &cobra.Command{
		Use:   "gate SUBJECT --environment ENV --policy FILE",
		Short: "Decide whether a digest may be deployed to an environment",
		Long: `Evaluate the environment's policy against all the evidence for the subject's
digest and decide allow or deny, answering the six approval questions:

  1. Which digest is being approved?
  2. Was it built from a reviewed and protected source change?
  3. Do provenance and builder metadata match the expected pipeline?
  4. Did required tests and scans run on the same subject digest?
  5. Are there unresolved blocking findings or exceptions?
  6. Is rollback defined for the exact digest being promoted?

Evidence comes from --bundle files, every bundle in --bundles-dir, the
registry's referrers of an oci:// subject, and GitHub (--from-github). Each
piece is verified for this digest and counts only when a signer the policy
lists for its kind signed it (signers.build for provenance, SBOMs, scans,
tests and signatures; signers.approval for approvals): a keyless signer is
held to the certificate's claims — the workflow that signed, the repository
whose run it was, the ref, the runner — and where provenance states them
too it must agree with its certificate. Evidence for another digest, or
signed by someone who may not vouch for it, does not count, and the report
says why. Fail closed: evidence that cannot be read or verified is a failed
check.

Approvals count only as the signed approval attestation of
` + "`relproof approval record`" + ` (--approvals, or found among the evidence), signed by
an approval signer, for this digest, environment and repository; which
reviews count is recomputed under the policy (after the digest was shown,
distinct reviewers, nobody who authored, committed, pushed or re-ran the
change when self-review is prevented). An unsigned record is refused.

--rollback-from-deployments takes the rollback digest from GitHub: the
environment's most recent successful deployment of another digest that a
deployment record vouches for (what ` + "`relproof deploy record --push`" + ` or
--github-upload keeps), signed by a signer of the policy's
signers.deployment; GitHub's deployments are any workflow's to post, so one
without such a record is passed over, and the check says why. When GitHub
lists no deployment of a digest (or only ones recorded as failed), this is
the first release to the environment: the rollback check warns where the
policy allows it (rollback.allowFirstRelease) and fails where it requires a
rollback digest and does not.

--approvals-from-github reads the run's environment approvals from GitHub in
the gate's own process, exactly as approval record does (after the check run
that showed the digest, nobody who made or ran the change), instead of from a
signed attestation: for the final gate in a caller's deploy job, which runs in
the environment (so GitHub held it for the reviewers) and must sign nothing,
because every step of it shares its signing identity. The signed approval and
decision are then made by release-record.yml.

--break-glass JUSTIFICATION deploys despite failing checks where the policy
allows it: recorded as such, every failing check still listed.

--pending-approvals gates before the environment's reviewers are asked (a
deploy workflow's job without the environment): every other check runs, the
approvals check is pending, and when nothing else fails the decision is
"pending" (never "allow") and the check run "relproof / ENV" stays in progress
with the digest in its title, for the reviewers to see what they approve.

Exit 0 allow (or pending), 1 deny, 2 bad input (an invalid policy included).`,
		Example: `  relproof gate oci://ghcr.io/acme/app@sha256:… --environment production --policy examples/policy.yaml \
    --approvals approval.sigstore.json --rollback-digest sha256:… --summary-out "$GITHUB_STEP_SUMMARY"
  # before the reviewers are asked: show them the digest
  relproof gate oci://ghcr.io/acme/app@sha256:… --environment production --policy policy.yaml \
    --pending-approvals --check-run`,
		Args: exactArgs(1, "one SUBJECT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGate(cmd.Context(), cmd.OutOrStdout(), env, g, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.environment, "environment", "", "the environment to deploy to (a key of the policy's environments)")
	f.StringVar(&o.policy, "policy", "", "the policy file (apiVersion: relproof.dev/v1)")
	f.StringArrayVar(&o.bundles, "bundle", nil, "an evidence file: bundle, DSSE envelope or JSON Lines (repeatable)")
	f.StringVar(&o.bundlesDir, "bundles-dir", "", "a directory of evidence files (*.json, *.jsonl)")
	f.StringVar(&o.policySource, "policy-source", "", "where the policy was read from (REPOSITORY@REF:PATH), recorded in the decision and the check run")
	f.StringVar(&o.expectedPolicy, "expected-policy-digest", "", "refuse a policy whose sha256 is not this (sha256:HEX)")
	f.Int64Var(&o.runID, "run-id", 0, "the workflow run being gated: approvals recorded in another run do not count (default: GITHUB_RUN_ID in GitHub Actions)")
	f.StringVar(&o.approvals, "approvals", "", "the signed approval attestation (approval.sigstore.json from relproof approval record --bundle-out)")
	f.BoolVar(&o.approvalsFromGitHub, "approvals-from-github", false, "read this run's environment approvals from GitHub in this process, as approval record does, instead of from a signed attestation: for the final gate in a deploy job that runs in the environment and signs nothing")
	f.StringVar(&o.rollbackDigest, "rollback-digest", "", "the digest to roll back to; its provenance must verify")
	f.BoolVar(&o.rollbackFromDeployments, "rollback-from-deployments", false, "take the rollback digest from the environment's most recent successful deployment of another digest that a deployment record signed by a deployment signer of the policy vouches for (relproof deploy record --push or --github-upload keeps one beside the image or with the repository's artifact attestations; a deployment without one, which any workflow with deployments: write can make, is passed over); no deployment of a digest at all (or only ones recorded as failed) means a first release, which the policy's rollback.allowFirstRelease decides")
	f.StringVar(&o.breakGlass, "break-glass", "", "deploy despite failing checks, with this justification, where the policy allows it")
	f.StringVar(&o.decisionOut, "decision-out", "", "write the decision (JSON) here; with --key or --keyless also FILE.sigstore.json, signed")
	f.StringVar(&o.summaryOut, "summary-out", "", "write the Markdown summary here (a check run or $GITHUB_STEP_SUMMARY)")
	f.StringVar(&o.trustedRoot, "trusted-root", "", "trusted_root.json for keyless evidence (default: Sigstore public-good, embedded)")
	f.BoolVar(&o.fromGitHub, "from-github", false, "also read the digest's GitHub artifact attestations")
	f.BoolVar(&o.checkRun, "check-run", false, "post the decision as check run \"relproof / ENV\" on GITHUB_SHA")
	f.BoolVar(&o.pending, "pending-approvals", false, "gate before the reviewers are asked: without --approvals the approvals check is pending, the decision \"pending\" (exit 0) when nothing else fails, and the check run stays in progress showing the digest")
	addGitHubFlags(f, &o.gh)
	o.signing.addFlags(cmd)
	gateSigningHelp(cmd)
	setFlagGroup(f, groupTrust, "trusted-root")
	_ = cmd.MarkFlagRequired("environment")
	_ = cmd.MarkFlagRequired("policy")
	cmd.MarkFlagsMutuallyExclusive("pending-approvals", "break-glass")
	cmd.MarkFlagsMutuallyExclusive("rollback-digest", "rollback-from-deployments")
	cmd.MarkFlagsMutuallyExclusive("approvals", "approvals-from-github")
	cmd.MarkFlagsMutuallyExclusive("pending-approvals", "approvals-from-github")
	return cmd
}

func runGate(ctx context.Context, w io.Writer, env *Env, g *globalOptions, o *gateOptions, input string) error {
	pol, err := policy.Load(o.policy)
	if err != nil {
		return err
	}
	if _, err := pol.EffectiveEnvironment(o.environment); err != nil {
		return usageError(err)
	}
	if o.expectedPolicy != "" && o.expectedPolicy != pol.Digest {
		return usageErrorf("policy %s: expected digest %s (--expected-policy-digest), found %s: the policy is not the one this deployment is to be gated by", o.policy, o.expectedPolicy, pol.Digest)
	}
	if o.rollbackDigest != "" {
		if _, err := subject.ParseDigest(o.rollbackDigest); err != nil {
			return usageErrorf("--rollback-digest %q: %w", o.rollbackDigest, err)
		}
	}
	var approvals []verify.Entry
	if o.approvals != "" {
		if approvals, err = approvalEntries(o.approvals); err != nil {
			return err
		}
	}
	tr, err := (&verifyOptions{trustedRoot: o.trustedRoot}).trustedRootMaterial()
	if err != nil {
		return err
	}
	// A tag is resolved (and then denied by the gate, naming its digest).
	subj, err := subject.Resolve(ctx, input, subject.WithSHA512(), subject.WithRemoteOptions(env.Remote...), subject.WithClock(env.Now))
	if err != nil {
		return err
	}
	// A --bundle file that holds no evidence at all is bad input, as in
	// verify; the files of --bundles-dir are read as they come (a directory
	// may hold other JSON), each failing on its own.
	named, err := bundleFileEntries(o.bundles)
	if err != nil {
		return err
	}
	dirFiles, err := evidenceFiles(nil, o.bundlesDir)
	if err != nil {
		return err
	}
	fromDir, err := fileEntries(dirFiles)
	if err != nil {
		return err
	}
	fromFiles := append(append(named, fromDir...), approvals...)
	sources := []decide.Source{decide.Read(fromFiles), decide.Registry(env.Remote...)}
	if o.fromGitHub {
		sources = append(sources, decide.SourceFunc(func(ctx context.Context, s *subject.Subject) ([]verify.Entry, error) {
			return githubEntries(ctx, env, &o.gh, s.Digest.String())
		}))
	}
	envPol, _ := pol.EffectiveEnvironment(o.environment)
	rollback, firstRelease := o.rollbackDigest, false
	// The environment's last deployment that a signed record vouches for:
	// the rollback target, and what the run's approvals count the change
	// from.
	var target decide.RollbackTarget
	if o.rollbackFromDeployments || (o.approvalsFromGitHub && envPol.Approvals.Minimum > 0) {
		c, repo, err := githubClient(ctx, env, &o.gh)
		if err != nil {
			return err
		}
		// A deployment GitHub lists counts only with its signed record,
		// found where the evidence is: beside the image, or (--from-github)
		// with the repository's artifact attestations.
		t, err := decide.FindRollbackTarget(ctx, decide.RollbackRequest{Subject: subj, Policy: pol, Environment: o.environment,
			TrustedRoot: tr, Sources: sources, Deployments: decide.GitHubDeployments(c, repo), Own: o.approvalsFromGitHub})
		if errors.Is(err, decide.ErrInput) {
			return usageError(err)
		}
		if err != nil {
			return fmt.Errorf("the environment's deployments: %w", err)
		}
		target = *t
	}
	var rb decide.RollbackTarget // the rollback digest's, when taken from the deployments
	if o.rollbackFromDeployments {
		rb = target
		rollback, firstRelease = rb.Digest, rb.FirstRelease
	}
	runID := o.runID
	if runID == 0 && env.Getenv("GITHUB_ACTIONS") == "true" {
		if v := env.Getenv("GITHUB_RUN_ID"); v != "" {
			if runID, err = strconv.ParseInt(v, 10, 64); err != nil || runID <= 0 {
				return usageErrorf("GITHUB_RUN_ID %q: expected the workflow run's id", v)
			}
		}
	}
	var live *predicate.Approval
	liveDenied := ""
	if o.approvalsFromGitHub {
		if envPol.Approvals.Minimum > 0 {
			if runID == 0 {
				return usageErrorf("--approvals-from-github: no run: give --run-id N or set GITHUB_RUN_ID in GitHub Actions")
			}
			ao := &approvalRecordOptions{gh: o.gh, environment: o.environment, runID: runID, minimum: envPol.Approvals.Minimum,
				preventSelfReview: envPol.Approvals.PreventSelfReview, policyDigest: pol.Digest, since: &target}
			if _, live, liveDenied, err = readRunApprovals(ctx, env, ao, subj); err != nil {
				return err
			}
		}
	}
	d, err := decide.Decide(ctx, decide.Request{
		Subject:             subj,
		Policy:              pol,
		PolicySource:        o.policySource,
		Environment:         o.environment,
		TrustedRoot:         tr,
		Sources:             sources,
		Rollback:            rollback,
		RollbackDeployment:  rb.DeploymentID(),
		RollbackRecord:      rb.Record,
		RollbackNote:        rb.Note,
		FirstRelease:        firstRelease,
		BreakGlass:          o.breakGlass != "",
		Justification:       o.breakGlass,
		PendingApprovals:    o.pending,
		LiveApprovals:       live,
		LiveApprovalsDenied: liveDenied,
		RunID:               runID,
		Now:                 env.Now(),
	})
	if errors.Is(err, decide.ErrInput) {
		return usageError(err)
	}
	if err != nil {
		return err
	}
	d.Relproof = env.version().short()
	summary := report.Markdown(d)
	if err := writeDecision(ctx, env, o, subj, d, summary); err != nil {
		return err
	}
	if err := g.report(w, d, func(w io.Writer) { gateText(w, d) }); err != nil {
		return err
	}
	if !d.Allowed() && !d.IsPending() {
		return denied{fmt.Errorf("deployment of %s to %s denied: %d check(s) failed", d.Digest, d.Environment, len(d.Failed()))}
	}
	return nil
}

// approvalEntries reads --approvals: the signed approval attestation that
// `relproof approval record` writes to --bundle-out. The unsigned record
// (its --out) is refused: anyone can write one.
func approvalEntries(path string) ([]verify.Entry, error) {
	data, err := readInput(path, "approvals")
	if err != nil {
		return nil, err
	}
	var probe struct {
		MediaType   *string         `json:"mediaType"`
		PayloadType *string         `json:"payloadType"`
		Reviews     json.RawMessage `json:"reviews"`
	}
	if json.Unmarshal(data, &probe) == nil && probe.MediaType == nil && probe.PayloadType == nil && probe.Reviews != nil {
		return nil, usageErrorf("--approvals %s: expected the signed approval attestation (approval.sigstore.json, what `relproof approval record --bundle-out` writes), found an unsigned approval record, which anyone could have written", path)
	}
	entries, err := verify.ReadBundles(path, data)
	if err != nil {
		return nil, usageErrorf("--approvals %s: expected the signed approval attestation that `relproof approval record --bundle-out` writes: %v", path, err)
	}
	return entries, nil
}

// evidenceFiles lists --bundle files and the evidence files in --bundles-dir.
func evidenceFiles(bundles []string, dir string) ([]string, error) {
	files := append([]string{}, bundles...)
	if dir == "" {
		return files, nil
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, usageErrorf("--bundles-dir %s: %w", dir, err)
	}
	for _, e := range ents {
		n := e.Name()
		if e.Type().IsRegular() && (strings.HasSuffix(n, ".json") || strings.HasSuffix(n, ".jsonl")) {
			files = append(files, filepath.Join(dir, n))
		}
	}
	sort.Strings(files[len(bundles):])
	return files, nil
}

// writeDecision writes the decision JSON (and its signed bundle when a
// signer is given), the Markdown summary and the check run.
func writeDecision(ctx context.Context, env *Env, o *gateOptions, subj *subject.Subject, d *gate.Decision, summary string) error {
	if o.summaryOut != "" {
		if err := writeSummary(o.summaryOut, env.Getenv("GITHUB_STEP_SUMMARY"), summary); err != nil {
			return err
		}
	}
	if o.decisionOut != "" {
		if err := writeSignedDecision(ctx, env, o, subj, d); err != nil {
			// Never leave a decision behind that says more than was signed.
			_ = os.Remove(o.decisionOut)
			_ = os.Remove(o.decisionOut + ".sigstore.json")
			return err
		}
	}
	if o.checkRun {
		conclusion := github.ConclusionFailure
		switch {
		case d.Allowed():
			conclusion = github.ConclusionSuccess
		case d.IsPending():
			conclusion = "" // in progress: the reviewers are asked next
		}
		var ann []github.CheckAnnotation
		for _, c := range d.Failed() {
			ann = append(ann, github.CheckAnnotation{Level: github.AnnotationFailure, Title: c.ID, Message: c.Message})
		}
		if d.BreakGlass {
			ann = append(ann, github.CheckAnnotation{Level: github.AnnotationWarning, Title: "break-glass", Message: "BREAK-GLASS deployment: " + d.Justification})
		}
		if _, err := postCheckRun(ctx, env, &o.gh, checkRunReport{Environment: d.Environment, Digest: d.Digest, Conclusion: conclusion, Summary: summary, Annotations: ann}); err != nil {
			return err
		}
	}
	return nil
}

// writeSignedDecision writes the decision JSON and, when a signer is
// given, its signed bundle. The signature is made first: when it cannot be
// (no OIDC token, a KMS error), nothing is written.
func writeSignedDecision(ctx context.Context, env *Env, o *gateOptions, subj *subject.Subject, d *gate.Decision) error {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	var bundle []byte
	if o.signing.key != "" || o.signing.keyless {
		signer, closeSigner, err := o.signing.signer(ctx, env)
		if err != nil {
			return err
		}
		defer closeSigner()
		if bundle, err = attest.SignPredicate(ctx, signer, subj, DecisionType, json.RawMessage(b)); err != nil {
			return err
		}
	}
	if err := fsutil.WriteFileAtomic(o.decisionOut, append(b, '\n'), 0o644); err != nil {
		return err
	}
	if bundle == nil {
		// An unsigned decision: remove a signature of an earlier one.
		if err := os.Remove(o.decisionOut + ".sigstore.json"); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	return fsutil.WriteFileAtomic(o.decisionOut+".sigstore.json", append(bundle, '\n'), 0o644)
}

// writeSummary appends to GitHub's step summary file, which the job's steps
// share, and writes any other file whole.
func writeSummary(path, stepSummary, text string) error {
	if stepSummary != "" && filepath.Clean(path) == filepath.Clean(stepSummary) {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
		defer f.Close()
		_, err = f.WriteString(text + "\n")
		return err
	}
	return fsutil.WriteFileAtomic(path, []byte(text), 0o644)
}

func gateText(w io.Writer, d *gate.Decision) {
	if d.BreakGlass {
		fmt.Fprintf(w, "!!! BREAK-GLASS: %s\n", d.Justification)
	}
	fmt.Fprintf(w, "%s %s -> %s (policy %s)\n", d.Verdict(), d.Digest, d.Environment, d.PolicyDigest)
	icons := map[gate.Status]string{gate.Pass: "✓", gate.Fail: "✗", gate.Warn: "!", gate.NotApplicable: "-"}
	for q := 1; q <= 6; q++ {
		fmt.Fprintf(w, "%d. %s  %s\n", q, gate.Questions[q], d.QuestionStatus(q))
		for _, c := range d.Checks {
			if c.Question != q {
				continue
			}
			fmt.Fprintf(w, "   %s %-20s %s\n", icons[c.Status], c.ID, c.Message)
			if c.Status == gate.Fail && c.Fix != "" {
				fmt.Fprintf(w, "     fix: %s\n", c.Fix)
			}
		}
	}
}
