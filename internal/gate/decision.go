package gate

import (
	"strings"
	"time"
)

// The six approval questions every decision answers.
const (
	QDigest     = 1 // Which digest is being approved?
	QSource     = 2 // Was it built from a reviewed and protected source change?
	QProvenance = 3 // Do provenance and builder metadata match the expected pipeline?
	QTestsScans = 4 // Did required tests and scans run on the same subject digest?
	QFindings   = 5 // Are there unresolved blocking findings or exceptions?
	QRollback   = 6 // Is rollback defined for the exact digest being promoted?
)

// Questions are the six questions' texts, by number.
var Questions = map[int]string{
	QDigest:     "Which digest is being approved?",
	QSource:     "Was it built from a reviewed and protected source change?",
	QProvenance: "Do provenance and builder metadata match the expected pipeline?",
	QTestsScans: "Did required tests and scans run on the same subject digest?",
	QFindings:   "Are there unresolved blocking findings or exceptions?",
	QRollback:   "Is rollback defined for the exact digest being promoted?",
}

// Status of one check.
type Status string

// Statuses.
const (
	Pass          Status = "pass"
	Fail          Status = "fail"
	Warn          Status = "warn"
	NotApplicable Status = "not-applicable"
)

// Check is one thing the gate checked: which question it answers, how it
// went, the evidence it read (by digest) and, on failure, what to do.
type Check struct {
	Question int      `json:"question"`
	ID       string   `json:"id"`
	Status   Status   `json:"status"`
	Message  string   `json:"message"`
	Evidence []string `json:"evidence,omitempty"`
	Fix      string   `json:"fix,omitempty"`
}

// Evidence is one verified attestation the decision read.
type Evidence struct {
	Type          string `json:"type"`
	PredicateType string `json:"predicateType"`
	Digest        string `json:"digest"` // of the bundle
	Source        string `json:"source"`
	Signer        string `json:"signer"`
	// Time is when the signature existed, as a log entry or timestamp
	// proved it; absent when nothing did (key-signed evidence made offline).
	Time time.Time `json:"time,omitzero"`
}

// Decision is the gate's answer for one digest and environment.
type Decision struct {
	// SchemaVersion names this JSON's shape (SchemaVersion).
	SchemaVersion string `json:"schemaVersion"`
	// Relproof is the version of relproof that decided (module version and
	// commit, as the binary records them).
	Relproof     string `json:"relproof,omitempty"`
	Decision     string `json:"decision"` // "allow", "deny", or Pending
	Subject      string `json:"subject"`
	Digest       string `json:"digest"`
	Environment  string `json:"environment"`
	PolicyDigest string `json:"policyDigest"`
	// Source is where the release came from, read from the verified
	// provenance the decision counted (SourceOf); absent when none counted.
	Source *Source `json:"source,omitempty"`
	// PolicySource says where the policy was read from (a repository, ref
	// and path the deploying commit cannot change), as the caller says it.
	PolicySource   string     `json:"policySource,omitempty"`
	BreakGlass     bool       `json:"breakGlass"`
	Justification  string     `json:"justification,omitempty"`
	Time           time.Time  `json:"time"`
	Checks         []Check    `json:"checks"`
	Evidence       []Evidence `json:"evidence"`
	RollbackDigest string     `json:"rollbackDigest,omitempty"`
}

// SchemaVersion is the version of the decision's JSON shape.
const SchemaVersion = "relproof.dev/decision/v1"

// Pending is the decision of a gate run before the approvals were asked
// for (Input.PendingApprovals) when nothing else failed: the digest may be
// shown to the reviewers, not deployed.
const Pending = "pending"

// IsPending reports whether the decision waits for approvals.
func (d *Decision) IsPending() bool { return d.Decision == Pending }

// Verdict is the decision as every report headlines it: ALLOW, DENY,
// PENDING, or ALLOW (BREAK-GLASS) when failing checks were overridden.
func (d *Decision) Verdict() string {
	v := strings.ToUpper(d.Decision)
	if d.BreakGlass && d.Allowed() {
		v += " (BREAK-GLASS)"
	}
	return v
}

// Allowed reports whether the deployment may proceed.
func (d *Decision) Allowed() bool { return d.Decision == "allow" }

// Failed returns the failing checks.
func (d *Decision) Failed() []Check {
	var out []Check
	for _, c := range d.Checks {
		if c.Status == Fail {
			out = append(out, c)
		}
	}
	return out
}

// QuestionStatus is the worst status of the checks answering question q:
// fail over warn over pass; not-applicable when every check is, or none.
func (d *Decision) QuestionStatus(q int) Status {
	worst := NotApplicable
	rank := map[Status]int{NotApplicable: 0, Pass: 1, Warn: 2, Fail: 3}
	for _, c := range d.Checks {
		if c.Question == q && rank[c.Status] > rank[worst] {
			worst = c.Status
		}
	}
	return worst
}
