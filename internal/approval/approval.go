package approval

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// States of an environment review, as GitHub names them.
const (
	StateApproved = "approved"
	StateRejected = "rejected"
	StatePending  = "pending" // a comment left without a decision
)

// Approval is one entry of a run's environment review log.
type Approval struct {
	Reviewer     string   `json:"reviewer"`
	State        string   `json:"state"`
	Comment      string   `json:"comment,omitempty"`
	Environments []string `json:"environments"`
	RunID        int64    `json:"run_id"`
	// Time is the earliest the review can have been given. GitHub's review
	// log carries no timestamp, so the reader dates each review by when
	// GitHub asked for it (TimeBasis says how); a zero Time is unknown.
	Time      time.Time `json:"time"`
	TimeBasis string    `json:"time_basis,omitempty"`
}

// Context is what an approval must match to count for a digest.
type Context struct {
	Digest      string // the digest being approved, "sha256:HEX"
	Environment string
	RunID       int64
	// CheckRunPostedAt is when the check run that showed Digest to the
	// reviewers was (last) posted. Reviews given before it were given
	// without seeing the digest.
	CheckRunPostedAt time.Time
	// NotBefore, when set, is when the environment was last deployed to
	// (a recorded deployment), and NotBeforeWhat names that deployment. A
	// review given before it approved a run that a newer release has
	// overtaken since, or the deployment it was given for: re-running only
	// the later jobs of a release's run must not record that release anew
	// on the old approvals.
	NotBefore     time.Time
	NotBeforeWhat string
	// ChangeAuthors are the logins who made the change being deployed or
	// ran its deployment: the run's actor and triggering actor (who pushed or
	// re-ran it), the pull request authors, the commits' authors and
	// committers and their co-authors. Compared without case.
	ChangeAuthors []string
	// AuthorsUnknown, when not empty, says why ChangeAuthors may be
	// incomplete (a first deployment, a truncated range, a commit with no
	// GitHub login). Under PreventSelfReview no approval then counts: any
	// reviewer may have authored the change.
	AuthorsUnknown    string
	PreventSelfReview bool
	// Minimum is the number of distinct reviewers required; 0 means 1.
	Minimum int
}

// Verdict is one approval and whether it counts.
type Verdict struct {
	Approval
	Counts bool   `json:"counts"`
	Reason string `json:"reason"`
}

// Decision is the result of binding approvals to a digest.
type Decision struct {
	Approved          bool      `json:"approved"`
	Digest            string    `json:"digest"`
	Environment       string    `json:"environment"`
	RunID             int64     `json:"run_id"`
	CheckRunPostedAt  time.Time `json:"check_run_posted_at"`
	Minimum           int       `json:"minimum"`
	PreventSelfReview bool      `json:"prevent_self_review"`
	// Counted are the reviewers whose approvals count, in review order.
	Counted []string `json:"counted"`
	// RejectedBy are reviewers who rejected this run's deployment to the
	// environment after the digest was shown: any one of them denies it.
	RejectedBy []string  `json:"rejected_by,omitempty"`
	Approvals  []Verdict `json:"approvals"`
	Reason     string    `json:"reason"`
}

// Bind checks each approval against c and decides whether the digest is
// approved. It returns an error only when c itself is incomplete; a denial is
// a Decision with Approved false (see Decision.Err).
func Bind(approvals []Approval, c Context) (*Decision, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	minimum := max(c.Minimum, 1)
	d := &Decision{
		Digest:            c.Digest,
		Environment:       c.Environment,
		RunID:             c.RunID,
		CheckRunPostedAt:  c.CheckRunPostedAt,
		Minimum:           minimum,
		PreventSelfReview: c.PreventSelfReview,
		Counted:           []string{},
		Approvals:         make([]Verdict, 0, len(approvals)),
	}
	for _, a := range approvals {
		v := Verdict{Approval: a}
		v.Counts, v.Reason = c.judge(a, d)
		switch {
		case v.Counts:
			d.Counted = append(d.Counted, a.Reviewer)
		case a.State == StateRejected && v.Reason == reasonRejected:
			d.RejectedBy = append(d.RejectedBy, a.Reviewer)
		}
		d.Approvals = append(d.Approvals, v)
	}
	switch {
	case len(d.RejectedBy) > 0:
		d.Reason = fmt.Sprintf("denied: rejected by %s", strings.Join(d.RejectedBy, ", "))
	case len(approvals) > 0 && c.PreventSelfReview && c.AuthorsUnknown != "":
		d.Reason = fmt.Sprintf("denied: self-review is not allowed and the change's authors are not known (%s), so no approval can be shown not to be self-review", c.AuthorsUnknown)
	case len(d.Counted) >= minimum:
		d.Approved = true
		d.Reason = fmt.Sprintf("approved by %s (%d of %d required)", strings.Join(d.Counted, ", "), len(d.Counted), minimum)
	case len(approvals) == 0:
		d.Reason = fmt.Sprintf("denied: run %d has no reviews for environment %q; %d required", c.RunID, c.Environment, minimum)
	default:
		var why []string
		for _, v := range d.Approvals {
			if !v.Counts {
				why = append(why, fmt.Sprintf("%s (%s): %s", v.Reviewer, v.State, v.Reason))
			}
		}
		d.Reason = fmt.Sprintf("denied: %d of %d required approvals count; %s", len(d.Counted), minimum, strings.Join(why, "; "))
	}
	return d, nil
}

const reasonRejected = "rejects the deployment of this digest"

// judge says whether a counts, and why. d holds the reviewers counted so far.
func (c Context) judge(a Approval, d *Decision) (bool, string) {
	switch {
	case a.RunID != c.RunID:
		return false, fmt.Sprintf("given for run %d, not run %d", a.RunID, c.RunID)
	case !slices.ContainsFunc(a.Environments, func(e string) bool { return strings.EqualFold(e, c.Environment) }):
		return false, fmt.Sprintf("given for environment %s, not %q", quoteList(a.Environments), c.Environment)
	case a.Time.IsZero():
		return false, "its time is unknown, so it cannot be shown to come after the check run that showed the digest"
	case a.Time.Before(c.CheckRunPostedAt):
		return false, fmt.Sprintf("given before the digest was shown: review requested at %s, check run posted at %s",
			a.Time.UTC().Format(time.RFC3339), c.CheckRunPostedAt.UTC().Format(time.RFC3339))
	case !c.NotBefore.IsZero() && a.Time.Before(c.NotBefore):
		return false, fmt.Sprintf("given before %s at %s (review requested at %s): the environment has been deployed to since, so this run's approvals are spent; start a new run",
			c.NotBeforeWhat, c.NotBefore.UTC().Format(time.RFC3339), a.Time.UTC().Format(time.RFC3339))
	case a.State == StateRejected:
		return false, reasonRejected
	case a.State == StatePending:
		return false, "a comment without a decision"
	case a.State != StateApproved:
		return false, fmt.Sprintf("unknown review state %q", a.State)
	case a.Reviewer == "":
		return false, "the reviewer is unknown"
	case c.PreventSelfReview && slices.ContainsFunc(c.ChangeAuthors, func(u string) bool { return strings.EqualFold(u, a.Reviewer) }):
		return false, fmt.Sprintf("%s authored the change or ran it (wrote, committed, co-authored, pushed or re-ran it), and self-review is not allowed", a.Reviewer)
	case c.PreventSelfReview && c.AuthorsUnknown != "":
		return false, "the change's authors are not known, so this cannot be shown not to be self-review"
	case slices.ContainsFunc(d.Counted, func(u string) bool { return strings.EqualFold(u, a.Reviewer) }):
		return false, fmt.Sprintf("%s is already counted", a.Reviewer)
	}
	return true, "approved for this run and environment after the digest was shown"
}

func (c Context) validate() error {
	var missing []string
	if c.Digest == "" {
		missing = append(missing, "digest")
	}
	if c.Environment == "" {
		missing = append(missing, "environment")
	}
	if c.RunID <= 0 {
		missing = append(missing, "run id")
	}
	if c.CheckRunPostedAt.IsZero() {
		missing = append(missing, "the time the check run showed the digest")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: no %s", ErrIncompleteContext, strings.Join(missing, ", "))
	}
	if c.Minimum < 0 {
		return fmt.Errorf("%w: minimum approvals %d is negative", ErrIncompleteContext, c.Minimum)
	}
	return nil
}

func quoteList(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	q := make([]string, len(s))
	for i, e := range s {
		q[i] = fmt.Sprintf("%q", e)
	}
	return strings.Join(q, ", ")
}
