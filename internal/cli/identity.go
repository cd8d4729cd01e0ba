package cli

import (
	"fmt"
	"io"
	"regexp/syntax"
)

// warnUnanchored warns on stderr when expr, the value of the identity
// regular expression flag (--cert-identity-regexp), is not anchored at
// both ends. As in cosign and gh, the expression matches anywhere in the
// certificate identity: "https://github.com/acme/app/" also matches another
// repository's workflow run on a branch named to contain it. Nothing is
// refused; an expression that does not parse is left to the verifier.
func warnUnanchored(stderr io.Writer, flag, expr string) {
	if expr == "" {
		return
	}
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return
	}
	start, end := anchoredStart(re), anchoredEnd(re)
	if start && end {
		return
	}
	fmt.Fprintf(stderr, "warning: --%s %q is not anchored at both ends, so it matches anywhere in the certificate identity: any identity that contains a match passes. Anchor it to match the whole identity, e.g. %q (with .* only where any text may follow, as in @refs/tags/v.*$)\n",
		flag, expr, anchored(expr, re, start, end))
}

// anchored is expr anchored at both ends.
func anchored(expr string, re *syntax.Regexp, start, end bool) string {
	if re.Op == syntax.OpAlternate {
		return "^(?:" + expr + ")$"
	}
	if !start {
		expr = "^" + expr
	}
	if !end {
		expr += "$"
	}
	return expr
}

// anchoredStart reports whether every match of re begins at the start of
// the text.
func anchoredStart(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpBeginText:
		return true
	case syntax.OpCapture:
		return anchoredStart(re.Sub[0])
	case syntax.OpConcat:
		return len(re.Sub) > 0 && anchoredStart(re.Sub[0])
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			if !anchoredStart(sub) {
				return false
			}
		}
		return len(re.Sub) > 0
	}
	return false
}

// anchoredEnd reports whether every match of re ends at the end of the
// text.
func anchoredEnd(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpEndText:
		return true
	case syntax.OpCapture:
		return anchoredEnd(re.Sub[0])
	case syntax.OpConcat:
		return len(re.Sub) > 0 && anchoredEnd(re.Sub[len(re.Sub)-1])
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			if !anchoredEnd(sub) {
				return false
			}
		}
		return len(re.Sub) > 0
	}
	return false
}
