package sign

import "errors"

// ErrBadKey is wrapped by every error about a key that cannot be used:
// unreadable, malformed, of the wrong type, or encrypted without a password.
var ErrBadKey = errors.New("bad key")
