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

// Deployment is one successful deployment of a digest to an environment,
// as GitHub lists it: a candidate rollback target.
type Deployment struct {
	ID         int64
	Digest     string
	Repository string // OWNER/REPO
	SHA        string // the commit deployed
	URL        string
	CreatedAt  time.Time
}

// Deployments lists an environment's successful deployments of digests
// other than exclude, newest first, at most max of them, and says whether
// the listing was cut short before any was found.
type Deployments func(ctx context.Context, environment, exclude string, max int) (found []Deployment, truncated bool, err error)

// maxRollbackCandidates is how many of GitHub's successful deployments are
// looked at for one that a signed deployment record vouches for.
const maxRollbackCandidates = 10

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
}

// RollbackTarget is the environment's last deployment that may be rolled
// back to.
type RollbackTarget struct {
	// Digest is the deployed digest; "" when there is none.
	Digest       string
	DeploymentID int64
	// Deployment is the deployment a record vouches for, when there is one:
	// also what a change is counted from (who may not approve it).
	Deployment *Deployment
	// Record is the digest of the signed deployment record that vouches
	// for the deployment.
	Record string
	// FirstRelease says GitHub lists no successful deployment of another
	// digest to the environment at all.
	FirstRelease bool
	// Note says why none of the deployments GitHub lists was taken, when
	// there are some and none is vouched for.
	Note string
}

// FindRollbackTarget finds the digest to roll back to from the
// environment's deployments. GitHub's deployments are writable by any
// workflow with deployments: write, so a deployment counts only when a
// deployment record (deployment/v1, as relproof deploy record signs it)
// signed by a deployment signer of the policy vouches for it: same
// deployment id, environment, digest and repository, and the state
// success. The newest deployment so vouched for is the target; when GitHub
// lists deployments but none is vouched for, there is no target, and Note
// says why (never a first release: a workflow could have made those
// deployments to hide the last real one).
func FindRollbackTarget(ctx context.Context, r RollbackRequest) (*RollbackTarget, error) {
	env, err := r.Policy.EffectiveEnvironment(r.Environment)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	found, truncated, err := r.Deployments(ctx, r.Environment, r.Subject.Digest.String(), maxRollbackCandidates)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		if truncated {
			return nil, fmt.Errorf("%s has more deployments than relproof read, and none of those succeeded with a digest; relproof does not take that for a first release", r.Environment)
		}
		return &RollbackTarget{FirstRelease: true}, nil
	}
	signers := gate.Signers(env, r.TrustedRoot)
	var why []string
	for _, dep := range found {
		d, err := subject.ParseDigest(dep.Digest)
		if err != nil {
			why = append(why, fmt.Sprintf("deployment %d: its payload names no digest (%q)", dep.ID, dep.Digest))
			continue
		}
		s := rollbackSubject(r.Subject, d)
		entries, err := Gather(ctx, s, r.Sources...)
		if err != nil {
			return nil, err
		}
		record, reason := vouched(s, entries, signers, r.TrustedRoot, env.Name, dep)
		if record != "" {
			return &RollbackTarget{Digest: dep.Digest, DeploymentID: dep.ID, Record: record, Deployment: &dep}, nil
		}
		why = append(why, fmt.Sprintf("deployment %d of %s: %s", dep.ID, dep.Digest, reason))
	}
	return &RollbackTarget{Note: fmt.Sprintf("none of the %d successful deployment(s) to %s that GitHub lists has a deployment record signed by a deployment signer of the policy (signers.deployment; relproof deploy record --github-upload, as release-record.yml runs it, stores one): %s",
		len(found), r.Environment, strings.Join(why, "; "))}, nil
}

// vouched returns the digest of a verified deployment record for dep,
// or why there is none.
func vouched(s *subject.Subject, entries []verify.Entry, signers []gate.SignerPolicy, tr root.TrustedMaterial, env string, dep Deployment) (string, string) {
	verified, _, rejected := gate.SortEvidence(s, entries, signers, tr)
	var reasons []string
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
			reasons = append(reasons, a.Source+": not a deployment/v1 record")
			continue
		}
		switch {
		case p.DeploymentID != dep.ID:
			reasons = append(reasons, fmt.Sprintf("%s records deployment %d", a.Source, p.DeploymentID))
		case !strings.EqualFold(p.Environment, env):
			reasons = append(reasons, fmt.Sprintf("%s records a deployment to %q", a.Source, p.Environment))
		case p.Digest != dep.Digest:
			reasons = append(reasons, fmt.Sprintf("%s records digest %s", a.Source, p.Digest))
		case dep.Repository != "" && !strings.EqualFold(p.Repository, dep.Repository):
			reasons = append(reasons, fmt.Sprintf("%s records a deployment in %q", a.Source, p.Repository))
		case p.State != predicate.DeploymentSucceeded:
			reasons = append(reasons, fmt.Sprintf("%s records the state %q, not success", a.Source, p.State))
		default:
			return a.Digest, ""
		}
	}
	for _, rj := range rejected {
		if rj.Type == string(policy.KindDeployment) {
			reasons = append(reasons, rj.Source+": "+rj.Reason)
		}
	}
	if len(reasons) == 0 {
		return "", "no deployment record for it was found"
	}
	return "", strings.Join(reasons, "; ")
}
