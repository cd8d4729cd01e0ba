package approval

import (
	"errors"
	"fmt"
)

// ErrIncompleteContext is wrapped by Bind's errors: the context lacks what
// an approval must be checked against.
var ErrIncompleteContext = errors.New("incomplete approval context")

// ErrNotApproved is matched (errors.Is) by *NotApprovedError.
var ErrNotApproved = errors.New("not approved")

// NotApprovedError is a denial, with the decision that explains it.
type NotApprovedError struct {
	Decision *Decision
}

func (e *NotApprovedError) Error() string {
	return fmt.Sprintf("%s for %s to %s: %s", ErrNotApproved, e.Decision.Digest, e.Decision.Environment, e.Decision.Reason)
}

// Is reports whether target is ErrNotApproved.
func (e *NotApprovedError) Is(target error) bool { return target == ErrNotApproved }

// Err returns nil when d approves, and a *NotApprovedError otherwise.
func (d *Decision) Err() error {
	if d.Approved {
		return nil
	}
	return &NotApprovedError{Decision: d}
}
