package policy

import (
	"errors"
	"regexp"
	"strings"
)

// compileGlob turns a glob into an anchored regular expression: * matches
// any run of characters except /, ** any run including /, ? one character
// except /, [a-z] and [!a-z] (or [^a-z]) a class, \x the character x.
func compileGlob(glob string) (*regexp.Regexp, error) {
	if glob == "" {
		return nil, errors.New("empty pattern")
	}
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(glob); {
		switch c := glob[i]; c {
		case '*':
			if strings.HasPrefix(glob[i:], "***") {
				return nil, errors.New("*** is not a pattern: use * (within a path segment) or ** (across segments)")
			}
			if strings.HasPrefix(glob[i:], "**") {
				b.WriteString(".*")
				i += 2
				continue
			}
			b.WriteString("[^/]*")
		case '?':
			b.WriteString("[^/]")
		case '\\':
			if i+1 == len(glob) {
				return nil, errors.New("trailing backslash escapes nothing")
			}
			i++
			b.WriteString(regexp.QuoteMeta(glob[i : i+1]))
		case '[':
			class, n, err := globClass(glob[i:])
			if err != nil {
				return nil, err
			}
			b.WriteString(class)
			i += n
			continue
		case ']':
			return nil, errors.New("] without [")
		default:
			b.WriteString(regexp.QuoteMeta(glob[i : i+1]))
		}
		i++
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		// Only a class can make the expression invalid: a reversed range, or
		// bytes that are not UTF-8.
		return nil, errors.New("invalid character class or encoding")
	}
	return re, nil
}

// globClass translates the class at the start of s ("[…]") into a regular
// expression class; n is how many bytes of s it used.
func globClass(s string) (class string, n int, err error) {
	var b strings.Builder
	b.WriteString("[")
	i := 1
	if i < len(s) && (s[i] == '!' || s[i] == '^') {
		b.WriteString("^/") // a negated class does not match / either
		i++
	}
	start := i
	for ; i < len(s) && s[i] != ']'; i++ {
		switch c := s[i]; {
		case c == '\\':
			if i+1 == len(s) {
				return "", 0, errors.New("unterminated character class: missing ]")
			}
			i++
			b.WriteString(regexp.QuoteMeta(s[i : i+1]))
		case c == '-' && i > start && i+1 < len(s) && s[i+1] != ']':
			b.WriteByte('-') // a range
		case c == '-':
			b.WriteString(`\-`) // a literal - at either end
		case c == '[':
			return "", 0, errors.New("[ inside a character class: escape it as \\[")
		default:
			b.WriteString(regexp.QuoteMeta(s[i : i+1]))
		}
	}
	if i == len(s) {
		return "", 0, errors.New("unterminated character class: missing ]")
	}
	if i == start {
		return "", 0, errors.New("empty character class []")
	}
	b.WriteString("]")
	return b.String(), i + 1, nil
}

// globMatch reports whether value matches glob; an invalid glob matches
// nothing.
func globMatch(glob, value string) bool {
	re, err := compileGlob(glob)
	return err == nil && re.MatchString(value)
}

// anchoredRegexp compiles expr so that it must match the whole value.
func anchoredRegexp(expr string) (*regexp.Regexp, error) {
	return regexp.Compile("^(?:" + expr + ")$")
}
