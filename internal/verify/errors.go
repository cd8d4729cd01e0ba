package verify

import (
	"errors"
	"fmt"

	serrors "github.com/slsa-framework/slsa-verifier/v2/errors"
)

// ErrNotVerified is wrapped by every verdict that the evidence does not
// verify: no entry verified, a signature, subject or constraint mismatch, or
// evidence that is malformed. Commands map it to exit code 1. Every class
// below matches it too, so callers can test for the class or for the verdict.
var ErrNotVerified = errors.New("not verified")

// Classes of failure, for errors.Is.
var (
	ErrMalformedBundle   error = class("malformed bundle")
	ErrSignature         error = class("signature does not verify")
	ErrCertificateChain  error = class("certificate does not chain to the trusted root")
	ErrTransparencyLog   error = class("transparency log entry does not verify")
	ErrNoTrustedTime     error = class("no trusted signing time")
	ErrIdentityMismatch  error = class("signer identity mismatch")
	ErrSubjectMismatch   error = class("subject mismatch")
	ErrPredicateType     error = class("predicate type mismatch")
	ErrBuilderMismatch   error = class("builder mismatch")
	ErrRunnerEnvironment error = class("runner environment not allowed")
	ErrProvenancePolicy  error = class("provenance policy")
	ErrNoEvidence        error = class("no evidence found")
)

type class string

func (c class) Error() string        { return string(c) }
func (c class) Is(target error) bool { return target == ErrNotVerified }

// classed is an error with its own message that belongs to several classes.
type classed struct {
	msg     string
	classes []error
}

func (c *classed) Error() string   { return c.msg }
func (c *classed) Unwrap() []error { return c.classes }

// subjectMismatchf is a subject mismatch; it is also slsa-verifier's
// ErrorMismatchHash, the class its users know.
func subjectMismatchf(format string, a ...any) error {
	return &classed{
		msg:     ErrSubjectMismatch.Error() + ": " + fmt.Sprintf(format, a...),
		classes: []error{ErrSubjectMismatch, serrors.ErrorMismatchHash},
	}
}
