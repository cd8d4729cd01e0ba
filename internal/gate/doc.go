// Package gate decides whether one digest may be deployed to one
// environment. It is given everything — the policy's effective environment,
// the evidence verified for the digest, the evidence that did not count and
// why, the approvals, the rollback target's verification — and fetches
// nothing. It answers the six approval questions with named checks, each
// with its status, the evidence it read (by digest) and, on failure, what
// to do. Evidence that cannot be read or verified is a failed check, never
// a skipped one.
package gate
