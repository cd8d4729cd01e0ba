package gate

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"

	"github.com/relproof/relproof/internal/policy"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

const (
	sourceCommitSHA = "0123456789abcdef0123456789abcdef01234567"
	sourceBuilder   = "https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1.2.0"
)

// keyProvenance is key-signed provenance: what the statement says is all
// there is.
func keyProvenance(t *testing.T) verify.Attestation {
	a := provenanceEvidence(t, "github.com/acme/app", "refs/tags/v1.0.0", sourceBuilder, "github-hosted")
	a.Provenance.SourceCommit = sourceCommitSHA
	return a
}

func TestSourceOf(t *testing.T) {
	t.Parallel()
	keyless := keyProvenance(t)
	keyless.Certificate = &certificate.Summary{Extensions: certificate.Extensions{
		SourceRepositoryURI:    "https://github.com/acme/app",
		SourceRepositoryRef:    "refs/tags/v1.0.1",
		SourceRepositoryDigest: strings.Repeat("f", 40),
		BuildSignerURI:         "https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1.3.0",
	}}
	hostile := keyProvenance(t)
	hostile.Provenance.SourceRef = "refs/tags/v1\n::error::pwned\u202e"
	for _, tc := range []struct {
		name    string
		counted []verify.Attestation
		want    *Source
	}{
		{"key-signed provenance: the statement's fields", []verify.Attestation{sbomEvidence(t, "MIT"), keyProvenance(t)}, &Source{
			Repository: "git+https://github.com/acme/app@refs/tags/v1.0.0", Ref: "refs/tags/v1.0.0", Commit: sourceCommitSHA, Builder: sourceBuilder,
			Provenance: keyProvenance(t).Digest,
		}},
		{"certificate-signed provenance: the certificate's claims", []verify.Attestation{keyless}, &Source{
			Repository: "https://github.com/acme/app", Ref: "refs/tags/v1.0.1", Commit: strings.Repeat("f", 40),
			Builder: "https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1.3.0", Provenance: keyless.Digest,
		}},
		{"text that would start a line is kept on one", []verify.Attestation{hostile}, &Source{
			Repository: "git+https://github.com/acme/app@refs/tags/v1.0.0", Ref: "refs/tags/v1 ::error::pwned", Commit: sourceCommitSHA, Builder: sourceBuilder,
			Provenance: hostile.Digest,
		}},
		{"no provenance: no source", []verify.Attestation{sbomEvidence(t, "MIT"), testEvidence(t, "PASSED")}, nil},
		{"nothing counted", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, SourceOf(tc.counted)); diff != "" {
				t.Errorf("SourceOf (-want +got):\n%s", diff)
			}
		})
	}
}

// The decision's source is the provenance the gate counted, the one its
// source checks read; provenance that did not count — rejected, or signed
// by a signer the policy does not list — never names the source.
func TestDecisionSourceIsFromCountedProvenance(t *testing.T) {
	t.Parallel()
	pol, err := policy.Parse("policy.yaml", []byte(checksPolicy), nil)
	if err != nil {
		t.Fatal(err)
	}
	env, err := pol.EffectiveEnvironment("production")
	if err != nil {
		t.Fatal(err)
	}
	in := Input{
		Subject:     &subject.Subject{Kind: subject.KindOCI, Name: "ghcr.io/acme/app", Digest: releaseDigest, Input: "oci://ghcr.io/acme/app@" + releaseDigest.String()},
		Environment: env, PolicyDigest: pol.Digest,
		Verified: []verify.Attestation{sbomEvidence(t, "MIT"), keyProvenance(t)},
		Now:      time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC),
	}
	d := Evaluate(in)
	if d.Source == nil || d.Source.Commit != sourceCommitSHA || d.Source.Provenance != keyProvenance(t).Digest {
		t.Fatalf("decision source = %+v, want the counted provenance's", d.Source)
	}
	if c := findCheck(d, "source-repository"); c == nil || len(c.Evidence) != 1 || c.Evidence[0] != d.Source.Provenance {
		t.Errorf("source-repository check read %+v, the source says %s", c, d.Source.Provenance)
	}

	evil := provenanceEvidence(t, "github.com/evil/app", "refs/heads/main", sourceBuilder, "github-hosted")
	evil.Signer = "key EVIL"
	in.Verified = []verify.Attestation{sbomEvidence(t, "MIT")}
	in.Unlisted = []verify.Attestation{evil}
	in.Rejected = []Rejected{{Source: "evil.json", Type: "provenance", Reason: "signed by key EVIL, which the policy does not list", Signer: "key EVIL"}}
	if d := Evaluate(in); d.Source != nil {
		t.Errorf("decision source = %+v from provenance that did not count, want none", d.Source)
	}
}
