package cli

import (
	"errors"
	"strings"
	"testing"
)

// cosign's, slsa-verifier's and gh's spellings of relproof's flags get a
// hint; every flag error is still a usage error.
func TestFlagSpellingHints(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		hint string // "" for none
	}{
		{[]string{"verify", "x", "--certificate-identity", "a@example.com"}, "did you mean --cert-identity? --certificate-identity is cosign's name for it"},
		{[]string{"verify", "x", "--certificate-identity-regexp", "^a$"}, "did you mean --cert-identity-regexp?"},
		{[]string{"verify", "x", "--certificate-oidc-issuer=https://accounts.google.com"}, "did you mean --cert-oidc-issuer?"},
		{[]string{"verify", "x", "--provenance-path", "p.intoto.jsonl"}, "did you mean --bundle? --provenance-path is slsa-verifier's name for it"},
		{[]string{"verify", "x", "--custom-trusted-root", "root.json"}, "did you mean --trusted-root? --custom-trusted-root is gh attestation's name for it"},
		{[]string{"verify", "x", "--format", "json"}, "did you mean --output?"},
		{[]string{"pack", "verify", "x", "--certificate-identity", "a@example.com"}, "did you mean --cert-identity?"},
		{[]string{"attest", "x", "--bundle", "out.json"}, "did you mean --bundle-out?"},
		{[]string{"attest", "x", "--timestamp-server-url", "https://tsa.example"}, "did you mean --tsa-url?"},
		// The gate has no --cert-identity: no hint to a flag it lacks.
		{[]string{"gate", "x", "--certificate-identity", "a@example.com"}, ""},
		{[]string{"verify", "x", "--no-such-flag"}, ""},
		{[]string{"verify", "x", "-Z"}, ""},
		{[]string{"verify", "x", "--trusted-root"}, ""},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			r := run(t, testEnv(t, nil), tc.args...)
			expect(t, r, 2)
			if !errors.Is(r.err, ErrUsage) {
				t.Errorf("error %v is not a usage error", r.err)
			}
			switch {
			case tc.hint != "" && !strings.Contains(r.errText(), tc.hint):
				t.Errorf("error %q does not say %q", r.errText(), tc.hint)
			case tc.hint == "" && strings.Contains(r.errText(), "did you mean"):
				t.Errorf("error %q has a hint; want none", r.errText())
			}
		})
	}
}
