package safe

import (
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"app\n::add-mask::secret\n::error::owned", "app ::add-mask::secret ::error::owned"},
		{"a\rb\tc\x00d\x1be", "a b c d e"},
		{"admin\u202egnp.exe", "admingnp.exe"},
		{"zero\u200bwidth", "zerowidth"},
		{"bad \xff byte", "bad \ufffd byte"},
		{"naïve café", "naïve café"},
	} {
		if got := Text(tc.in); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := Text(strings.Repeat("a", 10000)); len(got) > maxText+len("…") {
		t.Errorf("Text of 10000 bytes is %d bytes long", len(got))
	}
}

func TestMarkdown(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"<!-- hidden -->", `&lt;\!-- hidden --&gt;`},
		{"[click](https://evil.example)", `\[click\](https://evil.example)`},
		{"![x](https://evil.example/t.png)", `\!\[x\](https://evil.example/t.png)`},
		{"a | b\n| c", `a \| b \| c`},
		{"<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"**bold** _it_ `code`", "\\*\\*bold\\*\\* \\_it\\_ \\`code\\`"},
	} {
		if got := Markdown(tc.in); got != tc.want {
			t.Errorf("Markdown(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := Code("a`b\nc"); got != "a'b c" {
		t.Errorf("Code = %q", got)
	}
}

func TestMermaid(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"production", "production"},
		{`prod"] --> x["evil`, "prod#quot;) --&gt; x(#quot;evil"},
		{"#60;img src=x#62;", "#35;60;img src=x#35;62;"},
		{"```\n::error::x", "''' ::error::x"},
		{"a{b}c\nd", "a(b)c d"},
		{"<b>&amp;</b>", "&lt;b&gt;&amp;amp;&lt;/b&gt;"},
	} {
		if got := Mermaid(tc.in); got != tc.want {
			t.Errorf("Mermaid(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzText(f *testing.F) {
	f.Add("app\n::error::x")
	f.Add("\u202e\xff<!--")
	f.Fuzz(func(t *testing.T, s string) {
		out := Markdown(s)
		if strings.ContainsAny(out, "\n\r<>") {
			t.Fatalf("Markdown(%q) = %q keeps a line break or an angle bracket", s, out)
		}
		if m := Mermaid(s); strings.ContainsAny(m, "\n\r<>\"[]{}`") {
			t.Fatalf("Mermaid(%q) = %q keeps a character that ends its label", s, m)
		}
		for _, r := range Text(s) {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("Text(%q) keeps control character %U", s, r)
			}
		}
	})
}
