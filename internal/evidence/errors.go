package evidence

import "errors"

// ErrNotAPack is matched by the errors for input that is not an evidence
// pack at all: a directory or archive without MANIFEST.json, or an archive
// Archive could not have written (an *ArchiveError). It is bad input, not a
// pack that failed verification (an *Error, which matches
// verify.ErrNotVerified).
var ErrNotAPack = errors.New("not an evidence pack")
