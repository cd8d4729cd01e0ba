package sbom

import (
	"errors"
	"fmt"
)

// ErrInvalidSource is wrapped by errors about bad input: a source in no
// known form, a directory or archive that is not there or is not what its
// prefix says, an image index where an image is needed, an unknown format.
// Errors that internal/subject reports about oci://, oci-layout: and file:
// sources match subject.ErrInvalidSubject instead.
var ErrInvalidSource = errors.New("invalid SBOM source")

// ErrChanged is wrapped when what was cataloged is not what the digest was
// taken of: a file changed in between, or content read from a layout or an
// archive does not match the digest that names it.
var ErrChanged = errors.New("artifact does not match its digest")

// invalidError is bad input: what was given, what was expected, what was
// found. It matches ErrInvalidSource and unwraps to its cause, if any.
type invalidError struct {
	input string
	msg   string
	err   error
}

func invalid(input, format string, args ...any) error {
	return &invalidError{input: input, msg: fmt.Sprintf(format, args...)}
}

func invalidWrap(input string, err error, format string, args ...any) error {
	return &invalidError{input: input, msg: fmt.Sprintf(format, args...), err: err}
}

func (e *invalidError) Error() string {
	s := fmt.Sprintf("source %q: %s", e.input, e.msg)
	if e.err != nil {
		s += ": " + e.err.Error()
	}
	return s
}

func (e *invalidError) Is(target error) bool { return target == ErrInvalidSource }
func (e *invalidError) Unwrap() error        { return e.err }
