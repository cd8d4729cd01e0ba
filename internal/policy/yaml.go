package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxErrors caps how many problems one Parse reports.
const maxErrors = 50

// reporter walks YAML nodes of one file, collecting errors that name their
// line and field.
type reporter struct {
	file string
	errs *[]error
}

func (r reporter) add(e *Error) {
	if len(*r.errs) < maxErrors {
		e.File = r.file
		*r.errs = append(*r.errs, e)
	}
}

func (r reporter) errorf(n *yaml.Node, field, format string, a ...any) {
	r.add(&Error{Line: n.Line, Column: n.Column, Field: field, Msg: fmt.Sprintf(format, a...)})
}

func (r reporter) count() int { return len(*r.errs) }

// yamlLine finds the line in yaml.v3's syntax errors ("yaml: line 3: …").
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// document parses data as exactly one YAML document without anchors,
// aliases or custom tags, and returns its root; nil, true when data holds no
// document; nil, false after an error.
func (r reporter) document(data []byte) (root *yaml.Node, empty bool) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := decodeNode(dec, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, true
		}
		r.syntaxError(err)
		return nil, false
	}
	var extra yaml.Node
	if err := decodeNode(dec, &extra); !errors.Is(err, io.EOF) {
		if err != nil {
			r.syntaxError(err)
		} else {
			r.errorf(&extra, "", "expected one YAML document, found a second one")
		}
		return nil, false
	}
	if len(doc.Content) == 0 {
		return nil, true
	}
	root = doc.Content[0]
	before := r.count()
	r.plain(root)
	if r.count() > before {
		return nil, false
	}
	return root, false
}

// decodeNode decodes the next document, turning a panic in the YAML library
// into an error.
func decodeNode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("yaml: %v", p)
		}
	}()
	return dec.Decode(n)
}

func (r reporter) syntaxError(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1 // yaml.v3 leaves the line out when it is the first
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		// yaml.v3 counts lines from 0 in the parser's errors and from 1 in
		// the scanner's.
		if isParserError(msg) {
			line++
		}
	}
	r.add(&Error{Line: line, Msg: "invalid YAML: " + msg})
}

// isParserError reports whether msg is one of yaml.v3's parser errors (see
// its parserc.go), as opposed to its scanner errors.
func isParserError(msg string) bool {
	for _, p := range []string{"did not find expected", "found undefined tag handle", "found duplicate %", "found incompatible YAML document"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// plainTags are the tags a policy's nodes may have: YAML's core schema.
var plainTags = []string{"", "!!str", "!!int", "!!float", "!!bool", "!!null", "!!timestamp", "!!map", "!!seq", "!!merge"}

// plain rejects anchors, aliases and tags outside the core schema anywhere
// under n: a policy reads the same to a person as to the parser.
func (r reporter) plain(n *yaml.Node) {
	switch {
	case n.Kind == yaml.AliasNode:
		r.errorf(n, "", "expected a value, found the alias *%s: write the value out", n.Value)
		return
	case n.Anchor != "":
		r.errorf(n, "", "expected a value, found the anchor &%s: anchors and aliases are not supported", n.Anchor)
	case !slices.Contains(plainTags, n.Tag):
		r.errorf(n, "", "expected a plain value, found the tag %s", n.Tag)
	}
	for _, c := range n.Content {
		r.plain(c)
	}
}

// describe says what a node is, for "found …".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		v := n.Value
		if len(v) > 60 {
			v = v[:57] + "..."
		}
		return strconv.Quote(v)
	}
	return "nothing"
}

// field is a mapping key a walker knows, and how to parse its value.
type field struct {
	name  string
	parse func(v *yaml.Node)
}

// fields walks mapping n at path, calling parse for each known key. Unknown
// and repeated keys are errors. It returns the keys seen, nil when n is not a
// mapping.
func (r reporter) fields(n *yaml.Node, path string, known []field) map[string]bool {
	if n.Kind != yaml.MappingNode {
		r.errorf(n, path, "expected a mapping of %s, found %s", fieldNames(known), describe(n))
		return nil
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			r.errorf(k, path, "expected a field name, found %s", describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			r.errorf(k, join(path, k.Value), "set twice: first at line %d", first.Line)
			continue
		}
		seen[k.Value] = k
		i := slices.IndexFunc(known, func(f field) bool { return f.name == k.Value })
		if i < 0 {
			r.errorf(k, path, "unknown field %q: expected one of %s", k.Value, fieldNames(known))
			continue
		}
		known[i].parse(v)
	}
	keys := make(map[string]bool, len(seen))
	for k := range seen {
		keys[k] = true
	}
	return keys
}

func fieldNames(fs []field) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
	}
	return strings.Join(names, ", ")
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// str returns scalar n's text; null, lists and mappings are errors.
func (r reporter) str(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		r.errorf(n, path, "expected a string, found %s", describe(n))
		return "", false
	}
	return n.Value, true
}

// text is str, but the empty string is an error too.
func (r reporter) text(n *yaml.Node, path string) (string, bool) {
	s, ok := r.str(n, path)
	if ok && strings.TrimSpace(s) == "" {
		r.errorf(n, path, "expected a non-empty string, found %q", s)
		return "", false
	}
	return s, ok
}

func (r reporter) boolean(n *yaml.Node, path string) (bool, bool) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		if b, err := strconv.ParseBool(n.Value); err == nil {
			return b, true
		}
	}
	r.errorf(n, path, "expected true or false, found %s", describe(n))
	return false, false
}

func (r reporter) integer(n *yaml.Node, path string, lo, hi int) (int, bool) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		if i, err := strconv.ParseInt(n.Value, 0, 64); err == nil && i >= int64(lo) && i <= int64(hi) {
			return int(i), true
		}
	}
	r.errorf(n, path, "expected a whole number from %d to %d, found %s", lo, hi, describe(n))
	return 0, false
}

// enum returns n's text when it is one of allowed.
func (r reporter) enum(n *yaml.Node, path string, allowed ...string) (string, bool) {
	s, ok := r.str(n, path)
	if !ok {
		return "", false
	}
	if !slices.Contains(allowed, s) {
		r.errorf(n, path, "expected one of %s, found %q", strings.Join(allowed, ", "), s)
		return "", false
	}
	return s, true
}

// list calls each for every item of sequence n. It reports false when n is
// not a list.
func (r reporter) list(n *yaml.Node, path string, each func(path string, item *yaml.Node)) bool {
	if n.Kind != yaml.SequenceNode {
		r.errorf(n, path, "expected a list, found %s", describe(n))
		return false
	}
	for i, item := range n.Content {
		each(fmt.Sprintf("%s[%d]", path, i), item)
	}
	return true
}

// strings returns the list of strings n holds, each checked by check (which
// may rewrite it), with repeats reported. It is non-nil for an empty list.
func (r reporter) strings(n *yaml.Node, path string, check func(s string) (string, error)) []string {
	out := []string{}
	first := map[string]int{}
	ok := r.list(n, path, func(p string, item *yaml.Node) {
		s, ok := r.text(item, p)
		if !ok {
			return
		}
		if check != nil {
			var err error
			if s, err = check(s); err != nil {
				r.errorf(item, p, "%v", err)
				return
			}
		}
		if line, dup := first[s]; dup {
			r.errorf(item, p, "%q is listed twice: first at line %d", s, line)
			return
		}
		first[s] = item.Line
		out = append(out, s)
	})
	if !ok {
		return nil
	}
	return out
}
