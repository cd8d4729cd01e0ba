package subject

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidSubject is wrapped by every error about bad input: a malformed
// subject, a file or layout that is not there, a tag that does not exist, a
// tag given where a digest is required. The CLI maps it to exit code 2.
var ErrInvalidSubject = errors.New("invalid subject")

// forms lists what Resolve accepts, for error messages.
const forms = "want PATH, file:PATH, sha256:HEX, sha512:HEX, oci://HOST/REPO[:TAG], oci://HOST/REPO@sha256:HEX, oci-layout:DIR[@sha256:HEX]"

// invalidError is bad input. It matches ErrInvalidSubject and unwraps to its
// cause, if any.
type invalidError struct {
	what  string // "subject" or "digest"
	input string
	msg   string
	err   error
}

func invalid(input, format string, args ...any) error {
	return &invalidError{what: "subject", input: input, msg: fmt.Sprintf(format, args...)}
}

func invalidWrap(input string, err error, format string, args ...any) error {
	return &invalidError{what: "subject", input: input, msg: fmt.Sprintf(format, args...), err: err}
}

func (e *invalidError) Error() string {
	s := fmt.Sprintf("%s %q: %s", e.what, e.input, e.msg)
	if e.err != nil {
		s += ": " + e.err.Error()
	}
	return s
}

func (e *invalidError) Is(target error) bool { return target == ErrInvalidSubject }

func (e *invalidError) Unwrap() error { return e.err }

// TagOnlyError reports a subject that names no digest (an OCI tag, or an OCI
// layout without one) where a digest is required. It matches ErrInvalidSubject.
type TagOnlyError struct {
	Input    string // as the user typed it
	Resolved Digest // what it resolves to now; zero if it could not be resolved
	Pinned   string // the input pinned to Resolved, e.g. "oci://HOST/REPO@sha256:…"; "" if unresolved
	Err      error  // why it could not be resolved, if it could not
}

func (e *TagOnlyError) Error() string {
	what := "is a tag, which can move"
	if strings.HasPrefix(e.Input, layoutPrefix) {
		what = "names no digest, and the layout can change"
	}
	if e.Err != nil {
		form := "…@sha256:HEX"
		if r, err := parse(e.Input); err == nil && r.name != "" {
			form = r.pinned(Digest{Algorithm: SHA256, Hex: "HEX"})
		}
		return fmt.Sprintf("subject %q %s, and it could not be resolved: %v; a digest is required: %s", e.Input, what, e.Err, form)
	}
	return fmt.Sprintf("subject %q %s; it resolves now to %s; pin it: %s", e.Input, what, e.Resolved, e.Pinned)
}

// Is reports whether target is ErrInvalidSubject.
func (e *TagOnlyError) Is(target error) bool { return target == ErrInvalidSubject }

func (e *TagOnlyError) Unwrap() error { return e.Err }
