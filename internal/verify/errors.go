package verify

import "errors"

// ErrNotVerified is wrapped by every verdict that the evidence does not
// verify: no entry verified, a signature, subject or constraint mismatch, or
// evidence that is malformed. Commands map it to exit code 1.
var ErrNotVerified = errors.New("not verified")

// ErrMalformedBundle marks evidence that is not a readable Sigstore bundle. It
// also matches ErrNotVerified: malformed evidence is evidence that fails.
var ErrMalformedBundle = malformedError{}

type malformedError struct{}

func (malformedError) Error() string        { return "malformed bundle" }
func (malformedError) Is(target error) bool { return target == ErrNotVerified }
