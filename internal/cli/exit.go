package cli

import (
	"errors"

	"github.com/relproof/relproof/internal/verify"
)

// Exit codes, the same for every command.
const (
	ExitOK     = 0
	ExitFailed = 1 // verification failed, or a deployment denied
	ExitUsage  = 2 // bad input, usage, or a check that could not be made
)

// ErrDenied is wrapped by every refusal to let a deployment proceed: no
// valid approval, a gate decision of deny. It exits 1.
var ErrDenied = errors.New("denied")

// ErrUsage is wrapped by errors in how a command was called.
var ErrUsage = errors.New("usage")

type usageErr struct{ err error }

func (u usageErr) Error() string        { return u.err.Error() }
func (u usageErr) Unwrap() error        { return u.err }
func (u usageErr) Is(target error) bool { return target == ErrUsage }

func usageError(err error) error { return usageErr{err} }

// ExitCode maps an error returned by a command to the process exit code. A
// failed check is 1; everything else that went wrong is 2, so that no error
// can ever read as success.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, verify.ErrNotVerified), errors.Is(err, ErrDenied):
		return ExitFailed
	default:
		return ExitUsage
	}
}
