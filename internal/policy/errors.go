package policy

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidPolicy is matched (errors.Is) by every error Load and Parse
// return: the policy, an exceptions file or a key file cannot be read or is
// not valid. Commands map it to exit code 2.
var ErrInvalidPolicy = errors.New("invalid policy")

// ErrUnknownEnvironment is matched by *UnknownEnvironmentError.
var ErrUnknownEnvironment = errors.New("unknown environment")

// ErrRuleEvaluation is matched by RuleResult.Err: a rule's expression could
// not be evaluated to a bool, so the rule fails.
var ErrRuleEvaluation = errors.New("rule evaluation failed")

// Error is one problem in a policy, exceptions or key file.
type Error struct {
	File   string // the file's name as given to Parse or named by the policy
	Line   int    // 1-based; 0 when the problem is the whole file
	Column int    // 1-based; 0 when unknown
	Field  string // the field's path, "environments.production.level"; "" for the file
	Msg    string // what is wrong: "expected …, found …"
	Err    error  // the underlying error (reading a file), or nil
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Is reports whether target is ErrInvalidPolicy.
func (e *Error) Is(target error) bool { return target == ErrInvalidPolicy }

// Unwrap returns the underlying error, if any.
func (e *Error) Unwrap() error { return e.Err }

// UnknownEnvironmentError says that a policy has no environment of a name.
type UnknownEnvironmentError struct {
	Name   string   // the name asked for
	Policy string   // the policy's file name
	Known  []string // the policy's environments, in file order
}

func (e *UnknownEnvironmentError) Error() string {
	return fmt.Sprintf("environment %q is not in policy %s: expected one of %s", e.Name, e.Policy, strings.Join(e.Known, ", "))
}

// Is reports whether target is ErrUnknownEnvironment.
func (e *UnknownEnvironmentError) Is(target error) bool { return target == ErrUnknownEnvironment }
