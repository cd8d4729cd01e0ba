package predicate

import (
	"errors"
	"fmt"
)

// ErrBadReport is wrapped by every error about a report that cannot be
// parsed: unknown format, malformed content, or no results in it.
var ErrBadReport = errors.New("bad report")

// ErrSubjectMismatch is matched (errors.Is) by *SubjectMismatchError.
var ErrSubjectMismatch = errors.New("scan subject mismatch")

// SubjectMismatchError says that a vulnerability report scanned an artifact
// other than the attestation's subject.
type SubjectMismatchError struct {
	Report  string // the report's name, as given to ParseVulnReport
	Scanned string // the digest the report says it scanned
	Subject string // the subject digest the attestation is for
}

func (e *SubjectMismatchError) Error() string {
	return fmt.Sprintf("vulnerability report %q scanned %s but the subject is %s: the scan is of a different artifact",
		e.Report, e.Scanned, e.Subject)
}

// Is reports whether target is ErrSubjectMismatch.
func (e *SubjectMismatchError) Is(target error) bool { return target == ErrSubjectMismatch }

// badReport wraps err as an ErrBadReport naming the report.
func badReport(name string, err error) error {
	return fmt.Errorf("%w %q: %w", ErrBadReport, name, err)
}

// badReportf is badReport with a formatted message.
func badReportf(name, format string, a ...any) error {
	return badReport(name, fmt.Errorf(format, a...))
}
