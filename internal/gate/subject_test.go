package gate

import (
	"strings"
	"testing"
	"time"

	"github.com/relproof/relproof/internal/policy"
	"github.com/relproof/relproof/internal/subject"
)

// A policy that restricts where images come from is not satisfied by a
// subject that names no repository (a bare digest, an OCI layout), and
// the break-glass verdict says so wherever it is shown.
func TestSubjectRepositoryAndVerdict(t *testing.T) {
	t.Parallel()
	pol, err := policy.Parse("policy.yaml", []byte(`apiVersion: relproof.dev/v1
kind: Policy
environments:
  production:
    subject: {allowedRepositories: ["ghcr.io/acme/*"]}
    approvals: {minimum: 0}
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	env, err := pol.EffectiveEnvironment("production")
	if err != nil {
		t.Fatal(err)
	}
	d := subject.Digest{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}
	for _, s := range []*subject.Subject{
		{Kind: subject.KindDigest, Digest: d},
		{Kind: subject.KindOCILayout, Name: "/tmp/layout", Digest: d},
	} {
		dec := Evaluate(Input{Subject: s, Environment: env, Now: time.Unix(0, 0)})
		var got *Check
		for i := range dec.Checks {
			if dec.Checks[i].ID == "subject-repository" {
				got = &dec.Checks[i]
			}
		}
		if got == nil || got.Status != Fail || !strings.Contains(got.Message, "names no registry repository") {
			t.Errorf("%s subject: subject-repository %+v; want a failure saying it names no repository", s.Kind, got)
		}
	}
	for _, tc := range []struct {
		d    Decision
		want string
	}{
		{Decision{Decision: "allow", BreakGlass: true}, "ALLOW (BREAK-GLASS)"},
		{Decision{Decision: "allow"}, "ALLOW"},
		{Decision{Decision: "deny", BreakGlass: true}, "DENY"},
	} {
		if got := tc.d.Verdict(); got != tc.want {
			t.Errorf("Verdict() = %q, want %q", got, tc.want)
		}
	}
}

// A signer made in code without kinds may sign nothing: it never turns the
// environment into one that lists no signers (where anyone counts).
func TestSignerWithoutKindsSignsNothing(t *testing.T) {
	t.Parallel()
	env := &policy.Environment{Name: "production", Signers: []policy.Signer{{Issuer: "https://token.actions.githubusercontent.com", Identity: "x"}}}
	ps := Signers(env, nil)
	if anyone(ps) {
		t.Fatal("a listed signer without kinds made the environment accept anyone")
	}
	if open := Signers(&policy.Environment{Name: "dev"}, nil); !anyone(open) {
		t.Error("an environment that lists no signers is not the open one")
	}
}
