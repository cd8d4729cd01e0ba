// Package evidence builds and verifies the release evidence pack: one
// directory that records a release — source, build, artifacts,
// attestations, approvals and deployment — with a manifest of every file's
// digest, a signed statement over that manifest, and a self-contained
// index.html for people.
//
// A pack holds what the release was decided on, so that an auditor can
// check the decision again: every attestation the gate decision used, in
// 04-attestations by kind (the SBOM's and the approval's too), and in
// 05-approvals the decision as it was signed, its signed bundle, and the
// policy it was made under with the exceptions file it names.
//
// Build is deterministic (sorted, timestamps taken from the gate decision)
// and atomic (built beside the target and renamed into place). A piece of
// evidence that is not available is never omitted: its file says what is
// missing and why, and MANIFEST.json marks it missing with the reason.
// Verify detects any changed, missing or extra file and checks the
// manifest's signature offline; it verifies each attestation again, and
// checks the decision: its signature, the policy beside it, and that the
// pack holds every attestation it used, by the signer it names, and no
// other. VerifyArchive does the same for a .tar.gz, which it reads through
// once, refusing anything Archive would not have written (see
// ExtractFrom), before unpacking only the files the manifest lists.
package evidence
