package cli

import (
	"bytes"
	"strings"
	"testing"
)

func TestWarnUnanchored(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		expr       string
		suggestion string // "" when anchored: no warning
	}{
		{"", ""},
		{"^https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v.*$", ""},
		{`\Ahttps://github.com/acme/\z`, ""},
		{"^(https://a|https://b)$", ""},
		{"(^a$)", ""},
		{"^a$|^b$", ""},
		{"^$", ""},
		{"[", ""}, // does not parse: the verifier says so
		{"https://github.com/acme/", `"^https://github.com/acme/$"`},
		{"^https://github.com/acme/", `"^https://github.com/acme/$"`},
		{"acme/app@refs/heads/main$", `"^acme/app@refs/heads/main$"`},
		{`^acme\$`, `"^acme\\$$"`},
		{"^a|b$", `"^(?:^a|b$)$"`},
	} {
		var buf bytes.Buffer
		warnUnanchored(&buf, "cert-identity-regexp", tc.expr)
		got := buf.String()
		switch {
		case tc.suggestion == "" && got != "":
			t.Errorf("%q: warned, want no warning:\n%s", tc.expr, got)
		case tc.suggestion != "" && (!strings.HasPrefix(got, "warning: --cert-identity-regexp ") || !strings.Contains(got, "matches anywhere in the certificate identity") || !strings.Contains(got, "e.g. "+tc.suggestion+" ")):
			t.Errorf("%q: warning %q; want one saying it matches anywhere and suggesting %s", tc.expr, got, tc.suggestion)
		}
	}
}

// verify still accepts an unanchored expression (cosign's and gh's
// meaning), and warns that it matches anywhere in the identity.
func TestVerifyWarnsUnanchoredIdentityRegexp(t *testing.T) {
	t.Parallel()
	r := run(t, testEnv(t, nil), ghVerify("--cert-identity-regexp", "legit/attest/")...)
	expect(t, r, 0)
	if !strings.Contains(r.stderr, `warning: --cert-identity-regexp "legit/attest/" is not anchored at both ends, so it matches anywhere in the certificate identity`) {
		t.Errorf("stderr = %q; want the warning", r.stderr)
	}
	r = run(t, testEnv(t, nil), ghVerify("--cert-identity-regexp", "^https://github.com/too-legit/attest/.*$")...)
	expect(t, r, 0)
	if r.stderr != "" {
		t.Errorf("stderr = %q; want nothing for an anchored expression", r.stderr)
	}
}
