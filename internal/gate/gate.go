package gate

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/relproof/relproof/internal/approval"
	"github.com/relproof/relproof/internal/attest/predicate"
	"github.com/relproof/relproof/internal/policy"
	"github.com/relproof/relproof/internal/report/safe"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

// Input is everything a decision is made from.
type Input struct {
	Subject      *subject.Subject
	Environment  *policy.Environment
	PolicyDigest string
	// Verified is the evidence that verified for the digest, signed by a
	// signer the policy lists (or by anyone, when it lists none).
	Verified []verify.Attestation
	// Unlisted verified, but its signer is not one the policy lists for
	// its kind (each is in Rejected too, with the reason).
	Unlisted []verify.Attestation
	// Rejected is the evidence that did not count, and why.
	Rejected []Rejected
	Rollback *Rollback
	// FirstRelease says the environment has had no successful deployment of
	// another digest (GitHub's deployments say so), so there is nothing to
	// roll back to; only meaningful without Rollback.
	FirstRelease bool
	// RollbackNote says why the environment's deployments gave no rollback
	// digest though GitHub lists some (none is vouched for by a signed
	// deployment record); only meaningful without Rollback.
	RollbackNote string
	// BreakGlass asks to deploy despite failing checks, with Justification.
	BreakGlass    bool
	Justification string
	// PendingApprovals gates before the environment's reviewers are asked:
	// with no approval record, the approvals check is pending, not failed,
	// and when nothing else fails the decision is "pending", never "allow".
	PendingApprovals bool
	// ApprovalsNote says why the run's approvals, read from GitHub by the
	// gate's own process, did not approve; the approvals check quotes it.
	ApprovalsNote string
	// RunID, when set, is the workflow run being gated: an approval
	// recorded in another run (a replay) does not count.
	RunID int64
	Now   time.Time
}

// Rejected is a piece of evidence that did not count.
type Rejected struct {
	Source string
	// Type is its evidence class when the statement could be read.
	Type   string
	Reason string
	// Signer is who signed it, when the signature verified but the signer
	// may not vouch for it.
	Signer string
}

// Rollback is the digest to roll back to and whether its provenance
// verified under the same policy.
type Rollback struct {
	Digest   string
	Verified bool
	Reason   string   // why not, when not verified
	Evidence []string // bundle digests of its verified provenance
	// Deployment and Record, when the digest was taken from the
	// environment's deployments: the deployment's id and the digest of the
	// signed deployment record that vouches for it.
	Deployment int64
	Record     string
}

// Evaluate answers the six questions for the input and decides.
func Evaluate(in Input) *Decision {
	e := &evaluation{in: in, env: in.Environment, digest: in.Subject.Digest.String(), byType: map[string][]verify.Attestation{}}
	// A scan or an SBOM that says it is about another digest does not
	// count, however well signed: the signature binds the statement to the
	// subject, the content says what was scanned.
	var counted []verify.Attestation
	in.Rejected = append([]Rejected(nil), in.Rejected...) // the caller's slice stays as it was
	for _, a := range in.Verified {
		if other := contentDigest(a); other != "" && other != e.digest {
			in.Rejected = append(in.Rejected, Rejected{Source: a.Source, Type: TypeOf(a),
				Reason: fmt.Sprintf("the %s itself says it is about %s, not the subject %s", contentNoun(a), other, e.digest)})
			continue
		}
		counted = append(counted, a)
	}
	in.Verified = counted
	e.in = in
	for _, a := range in.Verified {
		t := TypeOf(a)
		e.byType[t] = append(e.byType[t], a)
	}
	d := &Decision{
		SchemaVersion:  SchemaVersion,
		Subject:        in.Subject.String(),
		Digest:         e.digest,
		Environment:    in.Environment.Name,
		PolicyDigest:   in.PolicyDigest,
		Time:           in.Now.UTC(),
		Checks:         []Check{},
		Evidence:       []Evidence{},
		RollbackDigest: rollbackDigest(in.Rollback),
	}
	for _, a := range in.Verified {
		ev := Evidence{Type: TypeOf(a), PredicateType: a.PredicateType, Digest: a.Digest, Source: a.Source, Signer: a.Signer}
		if len(a.Times) > 0 {
			ev.Time = a.Times[0].Time
		}
		d.Evidence = append(d.Evidence, ev)
	}
	d.Source = SourceOf(in.Verified)
	e.d = d
	e.digestChecks()
	e.sourceChecks()
	e.provenanceChecks()
	e.testsAndScans()
	e.findings()
	e.rollback()
	e.decide()
	// Messages quote evidence (names, reasons, scanner output): none of it
	// may start a new line in a log or hide text.
	for i := range d.Checks {
		d.Checks[i].Message = safe.Text(d.Checks[i].Message)
		d.Checks[i].Fix = safe.Text(d.Checks[i].Fix)
	}
	return d
}

type evaluation struct {
	in       Input
	env      *policy.Environment
	digest   string
	byType   map[string][]verify.Attestation
	d        *Decision
	pending  bool               // the approvals are not asked for yet
	approved *approval.Decision // the approvals as recomputed, for the rules
}

func (e *evaluation) add(c Check) { e.d.Checks = append(e.d.Checks, c) }

func digests(as []verify.Attestation) []string {
	out := make([]string, 0, len(as))
	for _, a := range as {
		out = append(out, a.Digest)
	}
	return out
}

// elsewhere says what evidence of type t did not count, for messages like
// "a test attestation is for sha256:aaa…, not the subject".
func (e *evaluation) elsewhere(t string) string {
	var why []string
	for _, r := range e.in.Rejected {
		if r.Type == t {
			why = append(why, fmt.Sprintf("%s: %s", r.Source, r.Reason))
		}
	}
	if len(why) == 0 {
		return ""
	}
	if len(why) > 3 {
		why = append(why[:3], fmt.Sprintf("and %d more", len(why)-3))
	}
	return "; evidence that did not count: " + strings.Join(why, "; ")
}

// Question 1: the digest, and who approved it.
func (e *evaluation) digestChecks() {
	s := e.in.Subject
	if s.Resolution != nil {
		c := Check{Question: QDigest, ID: "subject-pinned", Status: Fail,
			Message: fmt.Sprintf("subject %q is a tag, which can move; it resolves now to %s", s.Input, s.Resolution.Digest),
			Fix:     fmt.Sprintf("gate the digest itself: %s@%s", s.Name, s.Digest)}
		if !e.env.Subject.RequireDigest {
			c.Status = Warn
		}
		e.add(c)
	} else {
		e.add(Check{Question: QDigest, ID: "subject-pinned", Status: Pass, Message: "the subject is pinned to " + e.digest})
	}
	switch _, ok := s.OCIReference(); {
	case ok:
		m := e.env.SubjectRepositoryAllowed(s.Name)
		e.add(matchCheck(QDigest, "subject-repository", m, "push the image to an allowed registry repository"))
	case len(e.env.Subject.AllowedRepositories) > 0:
		// A restriction the subject cannot show it meets is not met.
		e.add(Check{Question: QDigest, ID: "subject-repository", Status: Fail,
			Message: fmt.Sprintf("the policy allows subjects from %s only, and %s names no registry repository", strings.Join(e.env.Subject.AllowedRepositories, ", "), e.digest),
			Fix:     "gate the image by its repository and digest (oci://HOST/REPO@sha256:…)"})
	}
	e.approvals()
}

func (e *evaluation) approvals() {
	pol := e.env.Approvals
	if pol.Minimum == 0 {
		e.add(Check{Question: QDigest, ID: "approvals", Status: NotApplicable, Message: "the policy requires no approval"})
		return
	}
	fix := "record the environment's approvals for this digest (relproof approval record, signed by an approval signer the policy lists) and pass the bundle with --approvals"
	// Only approval attestations verified for this digest under the
	// policy's approval signers reach here; which reviews count is
	// recomputed from what they record, never read from their counts.
	as := e.byType[string(policy.KindApproval)]
	if len(as) == 0 && e.in.PendingApprovals {
		e.pending = true
		e.add(Check{Question: QDigest, ID: "approvals", Status: Warn, Message: fmt.Sprintf("pending: %d approval(s) of %s by %s's reviewers required; not asked yet", pol.Minimum, e.digest, e.env.Name)})
		return
	}
	if len(as) == 0 {
		msg := fmt.Sprintf("no signed approval of %s for %s; %d required%s", e.digest, e.env.Name, pol.Minimum, e.elsewhere(string(policy.KindApproval)))
		if len(e.env.SignersFor(policy.KindApproval)) == 0 && len(e.env.Signers) > 0 {
			msg += "; the policy lists no approval signers (signers.approval), so no approval can count"
		}
		if e.in.ApprovalsNote != "" {
			msg = fmt.Sprintf("no approval of %s for %s counts; %d required; the run's approvals on GitHub: %s", e.digest, e.env.Name, pol.Minimum, e.in.ApprovalsNote)
		}
		e.add(Check{Question: QDigest, ID: "approvals", Status: Fail, Message: msg, Fix: fix})
		return
	}
	var best Check
	for i, a := range as {
		c, d := e.approvalCheck(a)
		c.Fix = fix
		if i == 0 || c.Status == Pass {
			best, e.approved = c, d
		}
		if c.Status == Pass {
			break
		}
	}
	e.add(best)
}

// approvalCheck recomputes one signed approval record: bound to this
// digest, environment and the policy's repository and run, and which of its
// reviews count under this policy.
func (e *evaluation) approvalCheck(a verify.Attestation) (Check, *approval.Decision) {
	pol := e.env.Approvals
	c := Check{Question: QDigest, ID: "approvals", Status: Fail, Evidence: []string{a.Digest}}
	var rec predicate.Approval
	if err := json.Unmarshal(predicateJSON(a), &rec); err != nil {
		c.Message = "the approval attestation cannot be read: " + err.Error()
		return c, nil
	}
	cert := a.Certificate
	runID := strconv.FormatInt(rec.RunID, 10)
	switch {
	case rec.Digest != e.digest:
		c.Message = fmt.Sprintf("the approvals are for %s, not the subject %s", rec.Digest, e.digest)
		return c, nil
	case !strings.EqualFold(rec.Environment, e.env.Name):
		c.Message = fmt.Sprintf("the approvals are for environment %q, not %q", rec.Environment, e.env.Name)
		return c, nil
	case e.in.RunID != 0 && rec.RunID != e.in.RunID:
		c.Message = fmt.Sprintf("the approvals were recorded in run %d, not this run %d: an approval is not carried over from another run", rec.RunID, e.in.RunID)
		return c, nil
	case !e.env.SourceRepositoryAllowed(hostRepository(rec.Repository)).Allowed:
		c.Message = fmt.Sprintf("the approvals are of a run of %q, which is not a source repository the policy allows", rec.Repository)
		return c, nil
	case cert != nil && !sameRepository(cert.SourceRepositoryURI, rec.Repository):
		c.Message = fmt.Sprintf("the approval record says repository %q, its signing certificate %q", rec.Repository, cert.SourceRepositoryURI)
		return c, nil
	case cert != nil && !strings.Contains(cert.RunInvocationURI+"/", "/actions/runs/"+runID+"/"):
		c.Message = fmt.Sprintf("the approval record says run %d, its signing certificate was issued to %s", rec.RunID, cert.RunInvocationURI)
		return c, nil
	case pol.TiedToEvidence && rec.CheckRunPostedAt.IsZero():
		c.Message = "the approvals are not tied to the check run that showed the digest"
		return c, nil
	case pol.PreventSelfReview && !rec.ChangeAuthorsKnown:
		note := rec.ChangeAuthorsNote
		if note == "" {
			note = "the record does not say who authored the change"
		}
		c.Message = "the policy prevents self-review, but the change's authors are not known, so no reviewer can be shown not to be one: " + note
		return c, nil
	}
	var reviews []approval.Approval
	for _, r := range rec.Reviews {
		reviews = append(reviews, approval.Approval{Reviewer: r.Reviewer, State: r.State, Comment: r.Comment, Environments: r.Environments, RunID: rec.RunID, Time: r.Time, TimeBasis: r.TimeBasis})
	}
	var authors []string
	if pol.PreventSelfReview {
		authors = append(authors, rec.ChangeAuthors...)
		for _, u := range []string{rec.Actor, rec.TriggeringActor} {
			if u != "" {
				authors = append(authors, u)
			}
		}
	}
	d, err := approval.Bind(reviews, approval.Context{
		Digest: e.digest, Environment: e.env.Name, RunID: rec.RunID, CheckRunPostedAt: rec.CheckRunPostedAt,
		ChangeAuthors: authors, PreventSelfReview: pol.PreventSelfReview, Minimum: pol.Minimum,
	})
	switch {
	case err != nil:
		c.Message = "the approval record is incomplete: " + err.Error()
	case !d.Approved:
		c.Message = fmt.Sprintf("%d approval(s) count for this digest, %d required: %s", len(d.Counted), pol.Minimum, d.Reason)
	default:
		c.Status, c.Message = Pass, fmt.Sprintf("approved for %s by %s in run %d, after the digest was shown", e.env.Name, strings.Join(d.Counted, ", "), rec.RunID)
	}
	return c, d
}

// sameRepository compares a certificate's Source Repository URI with an
// OWNER/REPO (or URI) a record names.
func sameRepository(uri, repo string) bool {
	a, _ := policy.ParseSourceURI(uri)
	return a != "" && a == hostRepository(repo)
}

// hostRepository is HOST/OWNER/REPO of a repository an approval record
// names as OWNER/REPO (GitHub's form) or as a URI.
func hostRepository(repo string) string {
	r, _ := policy.ParseSourceURI(repo)
	if strings.Count(r, "/") == 1 {
		r = "github.com/" + r
	}
	return r
}

// Question 2: the source.
func (e *evaluation) sourceChecks() {
	provs := e.byType["provenance"]
	if len(provs) == 0 {
		e.add(Check{Question: QSource, ID: "source", Status: Fail, Message: "no verified provenance says which source change this was built from" + e.elsewhere("provenance"),
			Fix: "attest provenance for this digest in the build (relproof attest --type provenance)"})
		return
	}
	a := provs[0]
	repo, ref := sourceRepository(a), sourceRef(a)
	e.add(withEvidence(matchCheck(QSource, "source-repository", e.env.SourceRepositoryAllowed(repo), "build from an allowed repository"), a))
	e.add(withEvidence(matchCheck(QSource, "source-ref", e.env.RefAllowed(ref), "build from a protected, allowed ref"), a))
}

// Question 3: provenance, builder, runner, signers.
func (e *evaluation) provenanceChecks() {
	e.signatureCheck()
	provs := e.byType["provenance"]
	if len(provs) == 0 {
		st := Warn
		if e.env.Requires(policy.AttestationProvenance) {
			st = Fail
		}
		e.add(Check{Question: QProvenance, ID: "required-provenance", Status: st, Message: "no verified provenance for " + e.digest + e.elsewhere("provenance"),
			Fix: "attest provenance for this digest in the build (relproof attest --type provenance)"})
		return
	}
	a := provs[0]
	e.add(Check{Question: QProvenance, ID: "required-provenance", Status: Pass, Message: "provenance verified, signed by " + a.Signer, Evidence: digests(provs)})
	e.add(withEvidence(matchCheck(QProvenance, "builder", e.env.BuilderAllowed(builderID(a)), "build with an allowed builder (the reusable workflow the policy names)"), a))
	e.add(withEvidence(matchCheck(QProvenance, "runner-environment", e.env.RunnerAllowed(runnerEnvironment(a)), "build on the runner environment the policy requires"), a))
	var unlisted []string
	for _, r := range e.in.Rejected {
		if r.Signer != "" {
			unlisted = append(unlisted, fmt.Sprintf("%s: %s", r.Source, r.Reason))
		}
	}
	switch {
	case len(unlisted) > 0:
		if len(unlisted) > 3 {
			unlisted = append(unlisted[:3], fmt.Sprintf("and %d more", len(unlisted)-3))
		}
		e.add(Check{Question: QProvenance, ID: "signers", Status: Warn, Message: fmt.Sprintf("%d attestation(s) verified but their signers may not vouch for them, so they do not count: %s", len(e.in.Unlisted), strings.Join(unlisted, "; ")), Evidence: digests(e.in.Unlisted)})
	case len(e.env.Signers) == 0:
		e.add(Check{Question: QProvenance, ID: "signers", Status: Warn, Message: "the policy lists no signers: any valid signature counts, for every kind of evidence", Fix: "list who may sign each kind of evidence (signers.build, signers.approval, signers.decision)"})
	case len(e.env.Warnings) > 0:
		e.add(Check{Question: QProvenance, ID: "signers", Status: Warn, Message: strings.Join(e.env.Warnings, "; "), Fix: "name the sourceRepository of every keyless signer"})
	}
}

// signatureCheck answers for a plain signature over the digest (a release
// binary signed with cosign sign-blob) when the policy requires one.
func (e *evaluation) signatureCheck() {
	const t = policy.AttestationSignature
	sigs := e.byType[string(t)]
	switch {
	case len(sigs) > 0:
		e.add(Check{Question: QProvenance, ID: "required-signature", Status: Pass, Message: fmt.Sprintf("signature over %s verified, signed by %s", e.digest, sigs[0].Signer), Evidence: digests(sigs)})
	case e.env.Requires(t):
		e.add(Check{Question: QProvenance, ID: "required-signature", Status: Fail, Message: "no verified signature over " + e.digest + " by a signer the policy lists" + e.elsewhere(string(t)),
			Fix: "sign the artifact with the release identity (cosign sign-blob --bundle, or any Sigstore client) and pass the bundle"})
	}
}

// Question 4: tests and scans on this digest.
func (e *evaluation) testsAndScans() {
	for _, t := range []policy.AttestationType{policy.AttestationSBOM, policy.AttestationVuln, policy.AttestationTest} {
		as := e.byType[string(t)]
		id := "required-" + string(t)
		switch {
		case len(as) > 0:
			e.add(Check{Question: QTestsScans, ID: id, Status: Pass, Message: fmt.Sprintf("%d %s attestation(s) for %s", len(as), t, e.digest), Evidence: digests(as)})
		case e.env.Requires(t):
			e.add(Check{Question: QTestsScans, ID: id, Status: Fail, Message: fmt.Sprintf("no verified %s attestation for %s%s", t, e.digest, e.elsewhere(string(t))),
				Fix: attestHint(t)})
		default:
			e.add(Check{Question: QTestsScans, ID: id, Status: NotApplicable, Message: fmt.Sprintf("no %s attestation, and the policy does not require one", t)})
		}
	}
	for _, a := range e.byType["test"] {
		ti, err := testsInput(a)
		c := Check{Question: QTestsScans, ID: "tests-passed", Evidence: []string{a.Digest}}
		switch {
		case err != nil:
			c.Status, c.Message = Fail, "the test attestation cannot be read: "+err.Error()
		case ti.Result == "PASSED":
			c.Status, c.Message = Pass, fmt.Sprintf("%d tests passed", len(ti.Passed))
		case ti.Result == "WARNED":
			c.Status, c.Message = Warn, fmt.Sprintf("%d tests passed, %d warned or skipped", len(ti.Passed), len(ti.Warned))
		default:
			c.Status, c.Message = Fail, fmt.Sprintf("tests %s: %d failed (%s)", strings.ToLower(ti.Result), len(ti.Failed), strings.Join(first(ti.Failed, 5), ", "))
			c.Fix = "fix the failing tests and attest a passing run for this digest"
		}
		e.add(c)
	}
}

// attestHint says how to make the evidence of type t for the digest.
func attestHint(t policy.AttestationType) string {
	if t == policy.AttestationSBOM {
		return "generate and attest the SBOM of this exact digest (relproof sbom SUBJECT --attest)"
	}
	return fmt.Sprintf("run it on this exact digest and attest it (relproof attest SUBJECT --type %s)", t)
}

// Question 5: findings, exceptions and custom rules.
func (e *evaluation) findings() {
	in := policy.RuleInput{Subject: policy.Subject{Name: e.in.Subject.Name, Digest: e.digest}, Environment: e.env.Name}
	if ps := e.byType["provenance"]; len(ps) > 0 {
		in.Provenance = predicateMap(ps[0])
	}
	if ss := e.byType["sbom"]; len(ss) > 0 {
		if sb, err := sbomInput(ss[0]); err == nil {
			in.SBOM = sb
		} else {
			e.add(Check{Question: QFindings, ID: "sbom-readable", Status: Fail, Message: "the SBOM attestation cannot be read: " + err.Error(), Evidence: []string{ss[0].Digest}})
		}
	}
	if ts := e.byType["test"]; len(ts) > 0 {
		if ti, err := testsInput(ts[0]); err == nil {
			in.Tests = ti
		}
	}
	for _, a := range e.byType["vuln"] {
		rep, err := vulnReport(a)
		if err != nil {
			e.add(Check{Question: QFindings, ID: "vulnerabilities", Status: Fail, Message: "the scan report in the vulnerability attestation cannot be read: " + err.Error(), Evidence: []string{a.Digest}})
			continue
		}
		vi := &policy.VulnInput{}
		var blocked, excepted, expired []string
		for _, f := range rep.Findings {
			pf := policy.Finding(f)
			vi.Findings = append(vi.Findings, pf)
			r := e.env.FindingBlocked(pf, e.digest, e.in.Now)
			switch {
			case r.Blocked && r.Expired != nil:
				expired = append(expired, r.Message())
			case r.Blocked:
				blocked = append(blocked, r.Message())
			case r.Exception != nil:
				excepted = append(excepted, r.Message())
			}
		}
		in.Vuln = vi
		c := Check{Question: QFindings, ID: "vulnerabilities", Evidence: []string{a.Digest}}
		switch {
		case len(blocked)+len(expired) > 0:
			c.Status = Fail
			c.Message = fmt.Sprintf("%d blocking finding(s): %s", len(blocked)+len(expired), strings.Join(first(append(expired, blocked...), 5), "; "))
			c.Fix = "upgrade the affected packages, or record an exception with a reason, an approver and an expiry"
		case len(excepted) > 0:
			c.Status, c.Message = Warn, fmt.Sprintf("%d finding(s) above the threshold are excepted: %s", len(excepted), strings.Join(first(excepted, 5), "; "))
		default:
			c.Status, c.Message = Pass, fmt.Sprintf("%d finding(s), none above %s", len(rep.Findings), e.env.Vulnerabilities.MaxSeverity)
		}
		e.add(c)
	}
	if d := e.approved; d != nil {
		for _, v := range d.Approvals {
			in.Approvals = append(in.Approvals, policy.ApprovalInput{Reviewer: v.Reviewer, State: v.State, Time: v.Time, Comment: v.Comment})
		}
	}
	for _, r := range policy.EvalRules(e.env, in) {
		c := Check{Question: QFindings, ID: "rule:" + r.Name, Status: Pass, Message: "rule holds"}
		if !r.Passed {
			c.Status, c.Message = Fail, r.Message
			if r.Err != nil {
				c.Message += " (" + r.Err.Error() + ")"
			}
		}
		e.add(c)
	}
}

// Question 6: rollback.
func (e *evaluation) rollback() {
	rb := e.in.Rollback
	switch {
	case rb == nil && e.in.FirstRelease && e.env.Rollback.Required && !e.env.Rollback.AllowFirstRelease:
		e.add(Check{Question: QRollback, ID: "rollback", Status: Fail, Message: fmt.Sprintf("first release to %s: no earlier successful deployment to roll back to, and the policy requires a rollback digest without allowing a first release", e.env.Name),
			Fix: "set rollback.allowFirstRelease: true for the first release, or name the digest to roll back to (--rollback-digest)"})
	case rb == nil && e.in.FirstRelease:
		e.add(Check{Question: QRollback, ID: "rollback", Status: Warn, Message: fmt.Sprintf("first release to %s: GitHub lists no earlier successful deployment to it, so there is nothing to roll back to", e.env.Name)})
	case rb == nil && e.in.RollbackNote != "":
		st := Warn
		if e.env.Rollback.Required {
			st = Fail
		}
		e.add(Check{Question: QRollback, ID: "rollback", Status: st, Message: "no rollback digest: " + e.in.RollbackNote,
			Fix: "record deployments with relproof's release-record.yml (it signs a record of each, kept beside the image or, with github-upload, with the repository's artifact attestations), list its identity under signers.deployment with sourceRef pinned to your release tags, or name the digest to roll back to (--rollback-digest)"})
	case rb == nil && e.env.Rollback.Required:
		e.add(Check{Question: QRollback, ID: "rollback", Status: Fail, Message: "no rollback digest, and the policy requires one",
			Fix: "name the digest to roll back to (--rollback-digest), or take it from the environment's recorded deployments (--rollback-from-deployments)"})
	case rb == nil:
		e.add(Check{Question: QRollback, ID: "rollback", Status: NotApplicable, Message: "no rollback digest given; the policy does not require one"})
	case rb.Digest == e.digest:
		e.add(Check{Question: QRollback, ID: "rollback", Status: Fail, Message: "the rollback digest is the digest being deployed"})
	case !rb.Verified:
		st := Fail
		if !e.env.Rollback.Required {
			st = Warn
		}
		e.add(Check{Question: QRollback, ID: "rollback", Status: st, Message: fmt.Sprintf("rollback digest %s has no provenance that verifies: %s", rb.Digest, rb.Reason),
			Fix: "roll back only to a digest with verified provenance under this policy"})
	default:
		msg := fmt.Sprintf("rollback to %s, whose provenance verifies", rb.Digest)
		evidence := rb.Evidence
		if rb.Record != "" {
			msg = fmt.Sprintf("rollback to %s, deployed to %s as deployment %d (its signed deployment record vouches for it), whose provenance verifies", rb.Digest, e.env.Name, rb.Deployment)
			evidence = append([]string{rb.Record}, evidence...)
		}
		e.add(Check{Question: QRollback, ID: "rollback", Status: Pass, Message: msg, Evidence: evidence})
	}
}

func (e *evaluation) decide() {
	d := e.d
	if len(d.Failed()) == 0 && e.pending {
		d.Decision = Pending
		return
	}
	if len(d.Failed()) == 0 {
		d.Decision = "allow"
		if e.in.BreakGlass {
			e.add(Check{Question: QDigest, ID: "break-glass", Status: Warn, Message: "break-glass was asked for, but every check passed: not used"})
		}
		return
	}
	d.Decision = "deny"
	if !e.in.BreakGlass {
		return
	}
	bg := e.env.BreakGlass
	switch {
	case !bg.Allowed:
		e.add(Check{Question: QDigest, ID: "break-glass", Status: Fail, Message: fmt.Sprintf("break-glass is not allowed for %s", e.env.Name)})
	case bg.RequireJustification && strings.TrimSpace(e.in.Justification) == "":
		e.add(Check{Question: QDigest, ID: "break-glass", Status: Fail, Message: "break-glass needs a justification"})
	default:
		d.Decision, d.BreakGlass, d.Justification = "allow", true, e.in.Justification
		e.add(Check{Question: QDigest, ID: "break-glass", Status: Warn, Message: fmt.Sprintf("BREAK-GLASS: deployed despite %d failing check(s): %s", len(d.Failed()), e.in.Justification)})
	}
}

func matchCheck(q int, id string, m policy.Match, fix string) Check {
	c := Check{Question: q, ID: id, Message: m.Message()}
	switch {
	case m.Unrestricted:
		c.Status = Pass
	case m.Allowed:
		c.Status = Pass
	default:
		c.Status, c.Fix = Fail, fix
	}
	return c
}

func withEvidence(c Check, a verify.Attestation) Check {
	c.Evidence = append(c.Evidence, a.Digest)
	return c
}

func rollbackDigest(rb *Rollback) string {
	if rb == nil {
		return ""
	}
	return rb.Digest
}

func first(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(append([]string{}, s[:n]...), fmt.Sprintf("and %d more", len(s)-n))
}
