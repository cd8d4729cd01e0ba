package slsagen

import "errors"

// ErrInvalidOptions reports Options (or a subject digest) that cannot be used:
// a usage error rather than a verification failure.
//
// Verification failures wrap the sentinels of
// github.com/slsa-framework/slsa-verifier/v2/errors instead, among them
// ErrorInvalidFormat and ErrorMalformedURI (malformed certificate claims),
// ErrorInvalidOIDCIssuer, ErrorUntrustedReusableWorkflow, ErrorInvalidRef,
// ErrorMismatchCertificate, ErrorMismatchSource, ErrorInvalidDssePayload,
// ErrorInvalidBuilderID, ErrorInvalidBuildType, ErrorMismatchBuilderID,
// ErrorMismatchHash, ErrorMismatchBranch, ErrorMismatchTag,
// ErrorMismatchVersionedTag and ErrorInvalidSemver.
var ErrInvalidOptions = errors.New("invalid slsa-github-generator options")
