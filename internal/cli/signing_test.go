package cli

import (
	"regexp"
	"strings"
	"testing"
)

// The gate signs its decision only with --key or --keyless; its help must
// not say keyless is the default.
func TestGateSigningHelp(t *testing.T) {
	t.Parallel()
	r := run(t, testEnv(t, nil), "gate", "--help")
	expect(t, r, 0)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`--key string +sign the decision \(--decision-out\) with this key: .*; without --key or --keyless the decision is not signed\n`),
		regexp.MustCompile(`--keyless +sign the decision \(--decision-out\) keyless; without --key or --keyless the decision is not signed\n`),
	} {
		if !want.MatchString(r.stdout) {
			t.Errorf("gate --help does not match %s:\n%s", want, r.stdout)
		}
	}
	for _, wrong := range []string{"default: keyless", "the default when --key is not given"} {
		if strings.Contains(r.stdout, wrong) {
			t.Errorf("gate --help says %q, but without --key or --keyless the gate signs nothing", wrong)
		}
	}
	// Elsewhere keyless is the default, and the help says so.
	r = run(t, testEnv(t, nil), "attest", "--help")
	if !strings.Contains(r.stdout, "(default: keyless)") {
		t.Errorf("attest --help lost its default:\n%s", r.stdout)
	}
}
