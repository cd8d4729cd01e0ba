// Package safe makes text that came from outside — a subject's name, a
// reviewer's comment, a check message quoting evidence — fit to print in a
// terminal, a log, Markdown or HTML: it cannot start a new line (and so no
// workflow command such as ::add-mask:: on a runner), hide text with
// control or bidirectional format characters, or open HTML and Markdown
// constructs. It is the one escaper every report uses.
package safe

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxText bounds one piece of outside text in a report.
const maxText = 4096

// Text returns s on one line: control characters become spaces, Unicode
// format characters (bidirectional overrides, zero-width joiners) are
// dropped, invalid UTF-8 becomes U+FFFD, and it is cut to maxText bytes.
func Text(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		if b.Len() >= maxText {
			b.WriteString("…")
			break
		}
		switch {
		case r == utf8.RuneError && !validAt(s, i):
			b.WriteRune(utf8.RuneError)
		case unicode.IsControl(r):
			b.WriteByte(' ')
		case unicode.Is(unicode.Cf, r):
			// dropped
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func validAt(s string, i int) bool {
	r, n := utf8.DecodeRuneInString(s[i:])
	return !(r == utf8.RuneError && n <= 1)
}

// isPlain reports whether s is short printable ASCII.
func isPlain(s string) bool {
	if len(s) > maxText {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

var markdown = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"|", `\|`, "#", `\#`, "!", `\!`, "~", `\~`,
	"<", "&lt;", ">", "&gt;", "&", "&amp;",
)

// Markdown returns s as inline Markdown text that renders as s: one line,
// with Markdown's and HTML's special characters escaped, so that it cannot
// open a link, an image, an HTML comment or tag, emphasis, or a table cell.
func Markdown(s string) string { return markdown.Replace(Text(s)) }

// Code returns s for inside a Markdown code span: one line, without
// backticks (which would close it).
func Code(s string) string { return strings.ReplaceAll(Text(s), "`", "'") }

var mermaid = strings.NewReplacer(
	`"`, "#quot;", "#", "#35;", "`", "'", "[", "(", "]", ")", "{", "(", "}", ")",
	"<", "&lt;", ">", "&gt;", "&", "&amp;",
)

// Mermaid returns s for inside a quoted Mermaid flowchart label
// (id["…"]): one line, with no quote that would end the label, no bracket
// or brace that would open a shape, no backtick (which opens a Markdown
// string, and three of which end the code block GitHub draws it from), no
// HTML and no Mermaid entity code (#…;) that could decode into one.
func Mermaid(s string) string { return mermaid.Replace(Text(s)) }
