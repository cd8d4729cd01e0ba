// Package evidence builds and verifies the release evidence pack: one
// directory that records a release — source, build, artifacts,
// attestations, approvals and deployment — with a manifest of every file's
// digest, a signed statement over that manifest, and a self-contained
// index.html for people.
//
// Build is deterministic (sorted, timestamps taken from the gate decision)
// and atomic (built beside the target and renamed into place). A piece of
// evidence that is not available is never omitted: its file says what is
// missing and why, and MANIFEST.json marks it missing with the reason.
// Verify detects any changed, missing or extra file and checks the
// manifest's signature offline. VerifyArchive does the same for a .tar.gz,
// which it reads through once, refusing anything Archive would not have
// written (see ExtractFrom), before unpacking only the files the manifest
// lists.
package evidence
