package sbom

import (
	"bytes"
	"errors"
)

// A few byte-level JSON helpers, so that completing one object of a large
// document (see nameDigest) costs a scan, not a decode and re-encode of
// megabytes. They expect valid JSON (syft's encoder output) and report,
// rather than repair, anything else.

var errJSON = errors.New("malformed JSON")

func skipSpace(doc []byte, i int) int {
	for i < len(doc) {
		switch doc[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index just past the string that starts at doc[i].
func skipString(doc []byte, i int) (int, error) {
	for j := i + 1; j < len(doc); j++ {
		switch doc[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errJSON
}

// skipValue returns the index just past the value that starts at doc[i].
func skipValue(doc []byte, i int) (int, error) {
	i = skipSpace(doc, i)
	if i >= len(doc) {
		return 0, errJSON
	}
	switch doc[i] {
	case '"':
		return skipString(doc, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(doc); j++ {
			switch doc[j] {
			case '"':
				end, err := skipString(doc, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errJSON
	}
	j := i
	for j < len(doc) && !bytes.ContainsRune([]byte(",}] \t\r\n"), rune(doc[j])) {
		j++
	}
	if j == i {
		return 0, errJSON
	}
	return j, nil
}

// member returns the span of the value of key in the object at doc[i].
func member(doc []byte, i int, key string) (start, end int, err error) {
	err = eachEntry(doc, i, '{', func(k []byte, s, e int) bool {
		if string(k) == `"`+key+`"` {
			start, end = s, e
			return false
		}
		return true
	})
	if err == nil && end == 0 {
		err = errNoMember
	}
	return start, end, err
}

var errNoMember = errors.New("no such member")

// elements calls fn with the span of each element of the array at doc[i]
// until it returns false.
func elements(doc []byte, i int, fn func(start, end int) bool) error {
	return eachEntry(doc, i, '[', func(_ []byte, s, e int) bool { return fn(s, e) })
}

// eachEntry walks the object or array at doc[i], calling fn with each
// member's raw key (nil in an array) and the span of its value.
func eachEntry(doc []byte, i int, open byte, fn func(key []byte, start, end int) bool) error {
	i = skipSpace(doc, i)
	if i >= len(doc) || doc[i] != open {
		return errJSON
	}
	closing := byte('}')
	if open == '[' {
		closing = ']'
	}
	j := skipSpace(doc, i+1)
	if j < len(doc) && doc[j] == closing {
		return nil
	}
	for j < len(doc) {
		var key []byte
		if open == '{' {
			ke, err := skipString(doc, j)
			if err != nil || doc[j] != '"' {
				return errJSON
			}
			key = doc[j:ke]
			j = skipSpace(doc, ke)
			if j >= len(doc) || doc[j] != ':' {
				return errJSON
			}
			j++
		}
		vs := skipSpace(doc, j)
		ve, err := skipValue(doc, vs)
		if err != nil {
			return err
		}
		if !fn(key, vs, ve) {
			return nil
		}
		j = skipSpace(doc, ve)
		if j >= len(doc) {
			return errJSON
		}
		switch doc[j] {
		case ',':
			j = skipSpace(doc, j+1)
		case closing:
			return nil
		default:
			return errJSON
		}
	}
	return errJSON
}

// splice returns doc with doc[start:end] replaced by repl.
func splice(doc []byte, start, end int, repl []byte) []byte {
	out := make([]byte, 0, len(doc)-(end-start)+len(repl))
	out = append(out, doc[:start]...)
	out = append(out, repl...)
	return append(out, doc[end:]...)
}
