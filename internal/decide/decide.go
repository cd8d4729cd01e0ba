package decide

import (
	"context"
	"errors"
	"fmt"
	"github.com/relproof/relproof/internal/attest/predicate"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/relproof/relproof/internal/gate"
	"github.com/relproof/relproof/internal/policy"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

// ErrInput marks a request that cannot be decided as given: an environment
// the policy does not name, a rollback digest that is not one. Callers
// report it as bad input, not as a denial.
var ErrInput = errors.New("bad input")

// Request is what one decision is made from.
type Request struct {
	Subject *subject.Subject
	Policy  *policy.Policy
	// PolicySource says where the policy was read from, for the record.
	PolicySource string
	Environment  string
	// TrustedRoot verifies certificate-signed evidence and the log entries
	// and timestamps of key-signed evidence; nil trusts keys only.
	TrustedRoot root.TrustedMaterial
	// Sources are where the evidence is found, for the subject and for the
	// rollback digest alike.
	Sources []Source
	// Rollback is the digest to roll back to ("" when none is given).
	Rollback string
	// RollbackDeployment and RollbackRecord say which deployment Rollback
	// was taken from and the signed deployment record that vouches for it,
	// when FindRollbackTarget found it.
	RollbackDeployment int64
	RollbackRecord     string
	// RollbackNote says why GitHub's deployments gave no rollback digest
	// though there are some (FindRollbackTarget's Note).
	RollbackNote string
	// FirstRelease says the environment has no earlier successful
	// deployment to roll back to (from GitHub's deployments); it excludes
	// Rollback.
	FirstRelease     bool
	BreakGlass       bool
	Justification    string
	PendingApprovals bool
	// LiveApprovals are the run's approvals as this process read them from
	// GitHub's API (relproof gate --approvals-from-github), in a job GitHub
	// held for the environment's reviewers: counted like a signed approval
	// attestation, which a job that must not sign (a caller's deploy job)
	// cannot make. Nil reads approvals only from signed evidence.
	LiveApprovals *predicate.Approval
	// LiveApprovalsDenied says why the run's approvals read from GitHub
	// did not approve, when they did not.
	LiveApprovalsDenied string
	// RunID, when set, is the workflow run being gated; approvals of other
	// runs do not count.
	RunID int64
	Now   time.Time
}

// Decide gathers the evidence for the request's subject from its sources,
// sorts it under the environment's signers, checks the rollback digest's
// provenance under the same signers, and evaluates the six questions.
// It returns an error only when no decision can be made (bad input, a
// source that fails); a denial is a decision.
func Decide(ctx context.Context, r Request) (*gate.Decision, error) {
	env, err := r.Policy.EffectiveEnvironment(r.Environment)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	var rollback *subject.Subject
	if r.Rollback != "" {
		d, err := subject.ParseDigest(r.Rollback)
		if err != nil {
			return nil, fmt.Errorf("%w: rollback digest %q: %w", ErrInput, r.Rollback, err)
		}
		rollback = rollbackSubject(r.Subject, d)
	}
	if r.FirstRelease && rollback != nil {
		return nil, fmt.Errorf("%w: a first release has no rollback digest, and %s was given", ErrInput, r.Rollback)
	}
	entries, err := Gather(ctx, r.Subject, r.Sources...)
	if err != nil {
		return nil, err
	}
	signers := gate.Signers(env, r.TrustedRoot)
	verified, unlisted, rejected := gate.SortEvidence(r.Subject, entries, signers, r.TrustedRoot)
	if r.LiveApprovals != nil {
		a, err := liveApprovals(r.Subject, r.LiveApprovals)
		if err != nil {
			return nil, err
		}
		verified = append(verified, a)
	}
	in := gate.Input{
		Subject:          r.Subject,
		Environment:      env,
		PolicyDigest:     r.Policy.Digest,
		Verified:         verified,
		Unlisted:         unlisted,
		Rejected:         rejected,
		BreakGlass:       r.BreakGlass,
		Justification:    r.Justification,
		PendingApprovals: r.PendingApprovals,
		ApprovalsNote:    r.LiveApprovalsDenied,
		FirstRelease:     r.FirstRelease,
		RunID:            r.RunID,
		Now:              r.Now,
	}
	if rollback != nil {
		rbEntries, err := Gather(ctx, rollback, r.Sources...)
		if err != nil {
			return nil, err
		}
		in.Rollback = checkRollback(env, rollback, rbEntries, signers, r.TrustedRoot)
		in.Rollback.Deployment, in.Rollback.Record = r.RollbackDeployment, r.RollbackRecord
	}
	in.RollbackNote = r.RollbackNote
	d := gate.Evaluate(in)
	d.PolicySource = r.PolicySource
	return d, nil
}

// rollbackSubject is the rollback digest as a subject: in the same
// repository as the subject when it is an image, so its referrers are read
// from there.
func rollbackSubject(s *subject.Subject, d subject.Digest) *subject.Subject {
	if ref, ok := s.OCIReference(); ok {
		return &subject.Subject{Kind: subject.KindOCI, Name: s.Name, Digest: d, Input: "oci://" + ref.Context().Digest(d.String()).String()}
	}
	return &subject.Subject{Kind: subject.KindDigest, Digest: d}
}

// checkRollback verifies the rollback digest's provenance under the
// environment's provenance signers, as the subject's own is.
func checkRollback(env *policy.Environment, s *subject.Subject, entries []verify.Entry, signers []gate.SignerPolicy, tr root.TrustedMaterial) *gate.Rollback {
	rb := &gate.Rollback{Digest: s.Digest.String()}
	if len(entries) == 0 {
		rb.Reason = "no evidence for it was found"
		return rb
	}
	verified, _, rejected := gate.SortEvidence(s, entries, signers, tr)
	var reasons []string
	for _, a := range verified {
		if gate.KindOf(a) != policy.KindProvenance {
			continue
		}
		// Signed by a build signer is not enough: the build must be one the
		// policy admits (its source, ref and builder), as for a release.
		if why := gate.ProvenanceAdmitted(env, a); why != "" {
			reasons = append(reasons, a.Source+": not a build the policy admits: "+why)
			continue
		}
		rb.Verified = true
		rb.Evidence = append(rb.Evidence, a.Digest)
	}
	if rb.Verified {
		return rb
	}
	for _, r := range rejected {
		if r.Type == string(policy.KindProvenance) {
			reasons = append(reasons, r.Source+": "+r.Reason)
		}
	}
	rb.Reason = "no verified provenance"
	if len(reasons) > 0 {
		rb.Reason += ": " + strings.Join(reasons, "; ")
	}
	return rb
}
