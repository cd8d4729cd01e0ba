// Package approval binds a deployment's approvals to one artifact digest.
//
// GitHub approves a job, not an artifact. A job that deploys carries exactly
// one digest only if each approval counted for it was given for that job's
// run and environment, after the check run showed the reviewer that digest,
// and, when the policy prevents self-review, by someone who neither made the
// change nor ran its deployment (and only when who did is known). Bind
// checks each approval against that context and says, for every approval,
// why it counts or not; the gate uses its Decision.
//
// The package is pure: no clock, no network. Callers read approvals from
// GitHub (internal/github) and hand them in.
package approval
