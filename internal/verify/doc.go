// Package verify checks signed evidence for one subject digest.
//
// Evidence arrives as Entries: Sigstore bundles read from a file (JSON or
// JSONL) or from the OCI referrers of the subject. An entry verifies when its
// signature checks against the trusted material, its in-toto statement names
// the subject digest, and it meets every constraint of the Policy. Verify
// reports every entry, verified or rejected with the reason, and fails with
// ErrNotVerified when none verifies.
//
// The package works offline. It links neither syft nor the GitHub client.
package verify
