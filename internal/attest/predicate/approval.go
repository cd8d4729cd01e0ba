package predicate

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/relproof/relproof/internal/approval"
)

// ApprovalType is the predicate type of relproof's approval attestations:
// the environment reviews of a workflow run, bound to one digest.
const ApprovalType = "https://relproof.dev/approval/v1"

// ErrInvalidPredicate is wrapped by the errors of Validate: a relproof
// predicate that lacks what binds it to a digest.
var ErrInvalidPredicate = errors.New("invalid predicate")

// Approval is the approval/v1 predicate. The statement's subject is the
// digest; Digest repeats it so the predicate reads on its own.
type Approval struct {
	Environment  string `json:"environment"`
	Digest       string `json:"digest"`
	PolicyDigest string `json:"policyDigest,omitempty"`
	Repository   string `json:"repository,omitempty"`
	RunID        int64  `json:"runId"`
	RunAttempt   int    `json:"runAttempt,omitempty"`
	CheckRunID   int64  `json:"checkRunId,omitempty"`
	// CheckRunPostedAt is when the check run showed the digest; reviews
	// given before it do not count.
	CheckRunPostedAt  time.Time        `json:"checkRunPostedAt"`
	Approved          bool             `json:"approved"`
	Minimum           int              `json:"minimum"`
	PreventSelfReview bool             `json:"preventSelfReview"`
	Reason            string           `json:"reason"`
	Reviews           []ApprovalReview `json:"reviews"`
	RecordedAt        time.Time        `json:"recordedAt"`

	// Who else touched the run and the change, for self-review: the run's
	// actor and triggering actor (who pushed or re-ran it), and the logins
	// that committed or co-authored the change being deployed. The gate
	// never counts them as reviewers when the policy prevents self-review.
	// ChangeAuthorsKnown is false when the change's authors could not be
	// determined (a first deployment with no range, a truncated range);
	// ChangeAuthorsNote says why, and the gate then fails closed.
	Actor              string   `json:"actor,omitempty"`
	TriggeringActor    string   `json:"triggeringActor,omitempty"`
	ChangeAuthors      []string `json:"changeAuthors,omitempty"`
	ChangeAuthorsKnown bool     `json:"changeAuthorsKnown"`
	ChangeAuthorsNote  string   `json:"changeAuthorsNote,omitempty"`
}

// ApprovalReview is one review of the run, and whether it counted.
type ApprovalReview struct {
	Reviewer     string    `json:"reviewer"`
	State        string    `json:"state"`
	Comment      string    `json:"comment,omitempty"`
	Time         time.Time `json:"time"`
	TimeBasis    string    `json:"timeBasis,omitempty"`
	Environments []string  `json:"environments"`
	Counts       bool      `json:"counts"`
	Reason       string    `json:"reason"`
}

// ApprovalInput is what an approval predicate records beyond the decision.
type ApprovalInput struct {
	PolicyDigest string
	Repository   string
	RunAttempt   int
	CheckRunID   int64
	RecordedAt   time.Time

	Actor              string
	TriggeringActor    string
	ChangeAuthors      []string
	ChangeAuthorsKnown bool
	ChangeAuthorsNote  string
}

// NewApproval records a binding decision as an approval predicate.
func NewApproval(d *approval.Decision, in ApprovalInput) *Approval {
	p := &Approval{
		Environment:       d.Environment,
		Digest:            d.Digest,
		PolicyDigest:      in.PolicyDigest,
		Repository:        in.Repository,
		RunID:             d.RunID,
		RunAttempt:        in.RunAttempt,
		CheckRunID:        in.CheckRunID,
		CheckRunPostedAt:  d.CheckRunPostedAt.UTC(),
		Approved:          d.Approved,
		Minimum:           d.Minimum,
		PreventSelfReview: d.PreventSelfReview,
		Reason:            d.Reason,
		Reviews:           make([]ApprovalReview, 0, len(d.Approvals)),
		RecordedAt:        in.RecordedAt.UTC(),

		Actor:              in.Actor,
		TriggeringActor:    in.TriggeringActor,
		ChangeAuthors:      in.ChangeAuthors,
		ChangeAuthorsKnown: in.ChangeAuthorsKnown,
		ChangeAuthorsNote:  in.ChangeAuthorsNote,
	}
	for _, v := range d.Approvals {
		envs := v.Environments
		if envs == nil {
			envs = []string{}
		}
		p.Reviews = append(p.Reviews, ApprovalReview{
			Reviewer:     v.Reviewer,
			State:        v.State,
			Comment:      v.Comment,
			Time:         v.Time.UTC(),
			TimeBasis:    v.TimeBasis,
			Environments: envs,
			Counts:       v.Counts,
			Reason:       v.Reason,
		})
	}
	return p
}

// Validate checks that the predicate names what it approves.
func (p *Approval) Validate() error {
	var missing []string
	if p.Environment == "" {
		missing = append(missing, "environment")
	}
	if p.RunID <= 0 {
		missing = append(missing, "runId")
	}
	if p.CheckRunPostedAt.IsZero() {
		missing = append(missing, "checkRunPostedAt")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: approval/v1 has no %s", ErrInvalidPredicate, strings.Join(missing, ", "))
	}
	return checkDigest("approval/v1", "digest", p.Digest, true)
}

// checkDigest checks that d is "sha256:HEX" or "sha512:HEX" (or empty when
// not required).
func checkDigest(pred, field, d string, required bool) error {
	if d == "" && !required {
		return nil
	}
	alg, hex, _ := strings.Cut(d, ":")
	n := map[string]int{"sha256": 64, "sha512": 128}[alg]
	if n == 0 || len(hex) != n || strings.Trim(hex, "0123456789abcdef") != "" {
		return fmt.Errorf("%w: %s %s %q: expected sha256:HEX or sha512:HEX", ErrInvalidPredicate, pred, field, d)
	}
	return nil
}
