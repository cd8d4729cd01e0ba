package predicate

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// DeploymentType is the predicate type of relproof's deployment
// attestations: which digest went to which environment, and what to roll
// back to.
const DeploymentType = "https://relproof.dev/deployment/v1"

// Deployment is the deployment/v1 predicate.
type Deployment struct {
	Environment    string `json:"environment"`
	Digest         string `json:"digest"`
	Repository     string `json:"repository,omitempty"`
	Ref            string `json:"ref,omitempty"`
	DeploymentID   int64  `json:"deploymentId"`
	DeploymentURL  string `json:"deploymentUrl"`
	EnvironmentURL string `json:"environmentUrl,omitempty"`
	// PreviousDigest is the digest of the environment's last successful
	// deployment before this one ("" for the first).
	PreviousDigest string `json:"previousDigest,omitempty"`
	// RollbackDigest is what to roll back to: given explicitly, or the
	// previous digest.
	RollbackDigest string `json:"rollbackDigest,omitempty"`
	// State is the deployment status recorded with it (GitHub's states:
	// success, failure, in_progress, ...). Only the record of a successful
	// deployment makes its digest a rollback target; a record without a
	// state (written before relproof recorded one) never does.
	State string `json:"state,omitempty"`
	// BreakGlass says the deployment went out on a break-glass decision:
	// failing checks, the approvals perhaps among them, were overridden. A
	// later change is not counted from it (its commits may have had no
	// reviewer who did not make them).
	BreakGlass bool      `json:"breakGlass,omitempty"`
	Time       time.Time `json:"time"`
}

// DeploymentSucceeded is the State of a successful deployment.
const DeploymentSucceeded = "success"

// Validate checks that the predicate names the deployment and its digests.
func (p *Deployment) Validate() error {
	var missing []string
	if p.Environment == "" {
		missing = append(missing, "environment")
	}
	if p.DeploymentID <= 0 {
		missing = append(missing, "deploymentId")
	}
	if p.Time.IsZero() {
		missing = append(missing, "time")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: deployment/v1 has no %s", ErrInvalidPredicate, strings.Join(missing, ", "))
	}
	if p.State != "" && !deploymentState.MatchString(p.State) {
		return fmt.Errorf("%w: deployment/v1 state %q: expected a GitHub deployment state (success, failure, in_progress, ...)", ErrInvalidPredicate, p.State)
	}
	if err := checkDigest("deployment/v1", "digest", p.Digest, true); err != nil {
		return err
	}
	if err := checkDigest("deployment/v1", "previousDigest", p.PreviousDigest, false); err != nil {
		return err
	}
	return checkDigest("deployment/v1", "rollbackDigest", p.RollbackDigest, false)
}

// deploymentState is the shape of GitHub's deployment states.
var deploymentState = regexp.MustCompile(`^[a-z][a-z_]{0,31}$`)
