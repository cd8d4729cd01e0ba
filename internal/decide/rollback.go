package decide

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/relproof/relproof/internal/attest/predicate"
	"github.com/relproof/relproof/internal/gate"
	"github.com/relproof/relproof/internal/policy"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

// Deployment is one of an environment's deployments of a digest, as
// GitHub lists it: a candidate rollback target.
type Deployment struct {
	ID         int64
	Digest     string
	Repository string // OWNER/REPO
	SHA        string // the commit deployed
	URL        string
	CreatedAt  time.Time
	// Succeeded says GitHub's statuses of it include a success and no
	// failure or error.
	Succeeded bool
}

// Deployments lists an environment's deployments that carry a digest,
// other than exclude, newest first, at most max of them, and says whether
// the listing was cut short.
type Deployments func(ctx context.Context, environment, exclude string, max int) (found []Deployment, truncated bool, err error)

// maxDeployments is how many of an environment's deployments are looked
// at for one that a signed deployment record vouches for. More than that
// many deployments since the last recorded one (which any workflow with
// deployments: write can post) leave no rollback target: the check fails
// closed, naming them.
const maxDeployments = 30

// RollbackRequest is what the rollback target is found from: the release
// being gated, the policy's environment (whose deployment signers vouch for
// a deployment), and where deployment records are found.
type RollbackRequest struct {
	Subject     *subject.Subject
	Policy      *policy.Policy
	Environment string
	TrustedRoot root.TrustedMaterial
	// Sources are where a candidate's deployment record is looked for (the
	// repository's artifact attestations, the registry).
	Sources     []Source
	Deployments Deployments
	// Own asks for RollbackTarget.Own, the subject's own records (one more
	// read of its evidence).
	Own bool
}

// RollbackTarget is the environment's last deployment that may be rolled
// back to.
type RollbackTarget struct {
	// Digest is the deployed digest; "" when there is none.
	Digest string
	// Deployment is the deployment a record vouches for, when there is one.
	Deployment *Deployment
	// Reviewed is what a change is counted from (who may not approve it):
	// Deployment, or when its record says it went out on a break-glass
	// decision, the newest recorded success before it that did not; nil
	// when there is none.
	Reviewed *Deployment
	// Record is the digest of the signed deployment record that vouches
	// for the deployment.
	Record string
	// FirstRelease says the environment has had no successful deployment of
	// another digest: GitHub lists none with a digest, or only ones whose
	// signed records say they did not succeed.
	FirstRelease bool
	// Note says why none of the deployments GitHub lists was taken, when
	// there are some and none is vouched for.
	Note string
	// Latest is the newest deployment read that a signed record vouches
	// for, whatever state the record gives it and whatever GitHub says of
	// it since: what the environment last did, as relproof recorded it (a
	// decision older than it is overtaken; see Overtaken).
	Latest *Deployment
	// Truncated says GitHub lists more deployments than were read.
	Truncated bool
	// Own is the newest deployment of the subject's own digest to the
	// environment that a signed record says was made, found by the digest
	// (not through GitHub's listing, whose deployments can be deleted):
	// a decision or an approval older than it was for that deployment.
	Own *Recorded
}

// Recorded is a deployment as a verified deployment record states it.
type Recorded struct {
	DeploymentID int64
	Digest       string
	State        string
	// Time is when the record says the deployment was made.
	Time time.Time
}

// FindRollbackTarget finds the digest to roll back to from the
// environment's deployments. GitHub's deployments and their statuses are
// writable by any workflow with deployments: write, so a deployment counts
// only when a deployment record (deployment/v1, as relproof deploy record
// signs it) signed by a signer the policy lists under signers.deployment
// vouches for it: same deployment id, environment, digest and repository,
// and the state success; and GitHub's statuses of it must not say it
// failed since. The newest deployment so vouched for is the target. The
// environment has had a first release only when GitHub lists no deployment
// with a digest, or only ones whose records say they did not succeed: a
// deployment nobody recorded, or one recorded as a success that GitHub now
// calls failed, is no target and no first release, and Note says why for
// each.
func FindRollbackTarget(ctx context.Context, r RollbackRequest) (*RollbackTarget, error) {
	env, err := r.Policy.EffectiveEnvironment(r.Environment)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	// Only signers listed for deployment records vouch: a policy that
	// lists no signers at all takes anyone's signature for evidence, but
	// anyone may not say what was deployed.
	vouchers := len(env.SignersFor(policy.KindDeployment)) > 0
	signers := gate.Signers(env, r.TrustedRoot)
	t := &RollbackTarget{}
	if vouchers && r.Own {
		own, err := Gather(ctx, r.Subject, r.Sources...)
		if err != nil {
			return nil, err
		}
		t.Own = newestRecord(r.Subject, own, signers, r.TrustedRoot, env.Name)
	}
	found, truncated, err := r.Deployments(ctx, r.Environment, r.Subject.Digest.String(), maxDeployments)
	if err != nil {
		return nil, err
	}
	t.Truncated = truncated
	if len(found) == 0 {
		if truncated {
			return nil, fmt.Errorf("%s has more deployments than relproof read, and none of those names a digest other than %s; relproof does not take that for a first release", r.Environment, r.Subject.Digest)
		}
		t.FirstRelease = true
		return t, nil
	}
	if !vouchers {
		t.Note = fmt.Sprintf("GitHub lists %d deployment(s) to %s, and the policy lists no signer under signers.deployment, so no deployment record vouches for any of them", len(found), r.Environment)
		return t, nil
	}
	var why []string
	recordedFailures := true // every one listed was recorded as not successful
	for i, dep := range found {
		d, err := subject.ParseDigest(dep.Digest)
		if err != nil {
			why = append(why, fmt.Sprintf("deployment %d: its payload names no digest (%q)", dep.ID, dep.Digest))
			recordedFailures = false
			continue
		}
		s := rollbackSubject(r.Subject, d)
		entries, err := Gather(ctx, s, r.Sources...)
		if err != nil {
			return nil, err
		}
		rec, reason := vouched(s, entries, signers, r.TrustedRoot, env.Name, dep)
		if rec != nil && t.Latest == nil {
			t.Latest = &dep
		}
		switch {
		case rec == nil:
			recordedFailures = false
			why = append(why, fmt.Sprintf("deployment %d of %s: %s", dep.ID, dep.Digest, reason))
		case rec.state == "failure" || rec.state == "error":
			why = append(why, fmt.Sprintf("deployment %d of %s: its record says %q", dep.ID, dep.Digest, rec.state))
		case rec.state != predicate.DeploymentSucceeded:
			recordedFailures = false
			why = append(why, fmt.Sprintf("deployment %d of %s: its record says %q, not success", dep.ID, dep.Digest, rec.state))
		case !dep.Succeeded:
			// The newest recorded success is the target or nothing is: a
			// failure anyone may post must not move the target to an older
			// release.
			why = append(why, fmt.Sprintf("deployment %d of %s: recorded as a success, and GitHub's statuses of it say it did not succeed (a failure or error posted since, or no success); relproof does not pass over it to an older release", dep.ID, dep.Digest))
			t.Note = notTaken(len(found), r.Environment, truncated, why)
			return t, nil
		default:
			t.Digest, t.Record, t.Deployment = dep.Digest, rec.digest, &dep
			if !rec.breakGlass {
				t.Reviewed = &dep
			} else if t.Reviewed, err = reviewedBefore(ctx, r, signers, env.Name, found[i+1:]); err != nil {
				return nil, err
			}
			return t, nil
		}
	}
	// Only deployments relproof recorded as failed, all of them read: the
	// environment has had no successful deployment.
	if recordedFailures && !truncated {
		t.FirstRelease = true
		return t, nil
	}
	t.Note = notTaken(len(found), r.Environment, truncated, why)
	return t, nil
}

// Overtaken says why a decision made at decided is no longer the
// environment's to act on, or "" when it is: its own digest was recorded
// as deployed at or after it (Own: a decision is for one deployment), the
// environment has been deployed to since, as a signed deployment record
// says (Latest, of another digest than the decision's, whatever the state
// it records), or relproof cannot tell, because GitHub lists more
// deployments than it read and none of those read is recorded. A
// deployment nobody recorded, which any workflow with deployments: write
// can post, overtakes nothing. t is FindRollbackTarget's for the
// decision's digest.
func (t *RollbackTarget) Overtaken(decided time.Time) string {
	switch {
	case t.Own != nil && !decided.After(t.Own.Time):
		return fmt.Sprintf("the decision was made at %s, and a deployment of its digest was recorded at %s (deployment %d, which a signed deployment record vouches for): a decision is for one deployment",
			decided.UTC().Format(time.RFC3339), t.Own.Time.UTC().Format(time.RFC3339), t.Own.DeploymentID)
	case t.Latest != nil && !decided.After(t.Latest.CreatedAt):
		return fmt.Sprintf("the decision was made at %s, and the environment was deployed to after it: deployment %d of %s at %s, which a signed deployment record vouches for",
			decided.UTC().Format(time.RFC3339), t.Latest.ID, t.Latest.Digest, t.Latest.CreatedAt.UTC().Format(time.RFC3339))
	case t.Latest == nil && t.Truncated:
		return fmt.Sprintf("GitHub lists more of the environment's deployments than relproof reads (the newest %d), and none of those read has a signed deployment record, so relproof cannot tell whether the environment was deployed to after the decision", maxDeployments)
	}
	return ""
}

// reviewedBefore is the newest of the deployments (newest first, older
// than a break-glass one) that a record vouches for as a success that did
// not go out on break-glass, and that GitHub does not say failed since;
// nil when none does.
func reviewedBefore(ctx context.Context, r RollbackRequest, signers []gate.SignerPolicy, env string, deps []Deployment) (*Deployment, error) {
	for _, dep := range deps {
		d, err := subject.ParseDigest(dep.Digest)
		if err != nil || !dep.Succeeded {
			continue
		}
		s := rollbackSubject(r.Subject, d)
		entries, err := Gather(ctx, s, r.Sources...)
		if err != nil {
			return nil, err
		}
		if rec, _ := vouched(s, entries, signers, r.TrustedRoot, env, dep); rec != nil && rec.state == predicate.DeploymentSucceeded && !rec.breakGlass {
			return &dep, nil
		}
	}
	return nil, nil
}

// notTaken says why none of the n deployments read was taken.
func notTaken(n int, environment string, truncated bool, why []string) string {
	more := ""
	if truncated {
		more = fmt.Sprintf(" (relproof reads the newest %d)", maxDeployments)
	}
	return fmt.Sprintf("none of the %d deployment(s) to %s that GitHub lists%s is a success that a deployment record signed by a signer of signers.deployment vouches for (relproof deploy record --push or --github-upload, as release-record.yml runs it, keeps one): %s",
		n, environment, more, strings.Join(why, "; "))
}

// record is a verified deployment record of a deployment.
type record struct {
	digest     string // the bundle's
	state      string
	breakGlass bool
}

// deploymentRecords reads the deployment/v1 records among the verified
// evidence; bad names the sources of verified deployment evidence that is
// no such record.
func deploymentRecords(verified []verify.Attestation) (recs []deploymentRecord, bad []string) {
	for _, a := range verified {
		if gate.KindOf(a) != policy.KindDeployment || a.Statement == nil || a.Statement.GetPredicate() == nil {
			continue
		}
		raw, err := a.Statement.GetPredicate().MarshalJSON()
		if err != nil {
			continue
		}
		var p predicate.Deployment
		if err := json.Unmarshal(raw, &p); err != nil || p.Validate() != nil {
			bad = append(bad, a.Source)
			continue
		}
		recs = append(recs, deploymentRecord{source: a.Source, bundle: a.Digest, Deployment: p})
	}
	return recs, bad
}

// deploymentRecord is one verified deployment/v1 record.
type deploymentRecord struct {
	source string // where it was found
	bundle string // the bundle's digest
	predicate.Deployment
}

// vouched returns the verified deployment record of dep (the latest, when
// there are several), whatever the state it records, or why there is none.
func vouched(s *subject.Subject, entries []verify.Entry, signers []gate.SignerPolicy, tr root.TrustedMaterial, env string, dep Deployment) (*record, string) {
	verified, _, rejected := gate.SortEvidence(s, entries, signers, tr)
	recs, bad := deploymentRecords(verified)
	var reasons []string
	for _, src := range bad {
		reasons = append(reasons, src+": not a deployment/v1 record")
	}
	var newest *record // the latest record of the deployment, by its time
	var newestAt time.Time
	for _, p := range recs {
		switch {
		case p.DeploymentID != dep.ID:
			reasons = append(reasons, fmt.Sprintf("%s records deployment %d", p.source, p.DeploymentID))
		case !strings.EqualFold(p.Environment, env):
			reasons = append(reasons, fmt.Sprintf("%s records a deployment to %q", p.source, p.Environment))
		case p.Digest != dep.Digest:
			reasons = append(reasons, fmt.Sprintf("%s records digest %s", p.source, p.Digest))
		case dep.Repository == "" || !strings.EqualFold(p.Repository, dep.Repository):
			reasons = append(reasons, fmt.Sprintf("%s records a deployment in %q", p.source, p.Repository))
		case newest == nil || p.Time.After(newestAt):
			newest, newestAt = &record{digest: p.bundle, state: p.State, breakGlass: p.BreakGlass}, p.Time
		}
	}
	if newest != nil {
		return newest, ""
	}
	for _, rj := range rejected {
		if rj.Type == string(policy.KindDeployment) {
			reasons = append(reasons, rj.Source+": "+rj.Reason)
		}
	}
	if len(reasons) == 0 {
		return nil, "no deployment record for it was found"
	}
	return nil, strings.Join(reasons, "; ")
}

// newestRecord is the newest verified deployment record of s to env, of
// any deployment and state, or nil.
func newestRecord(s *subject.Subject, entries []verify.Entry, signers []gate.SignerPolicy, tr root.TrustedMaterial, env string) *Recorded {
	verified, _, _ := gate.SortEvidence(s, entries, signers, tr)
	recs, _ := deploymentRecords(verified)
	var newest *Recorded
	for _, p := range recs {
		if p.Digest != s.Digest.String() || !strings.EqualFold(p.Environment, env) {
			continue
		}
		if newest == nil || p.Time.After(newest.Time) {
			newest = &Recorded{DeploymentID: p.DeploymentID, Digest: p.Digest, State: p.State, Time: p.Time}
		}
	}
	return newest
}

// DeploymentID is the id of the deployment rolled back to, 0 when none.
func (t *RollbackTarget) DeploymentID() int64 {
	if t.Deployment == nil {
		return 0
	}
	return t.Deployment.ID
}
