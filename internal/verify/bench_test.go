package verify

import (
	"context"
	"os"
	"testing"

	"github.com/relproof/relproof/internal/subject"
)

// BenchmarkVerifyGitHubAttestation verifies one real GitHub artifact
// attestation (too-legit/attest: Fulcio certificate, Rekor inclusion proof)
// against the public-good trusted root, identity included: the work of one
// `relproof verify` of one bundle, without process start-up.
func BenchmarkVerifyGitHubAttestation(b *testing.B) {
	const dir = "../../testdata/corpus/"
	data, err := os.ReadFile(dir + "sigstore_bundles/github-attestations/cli-cli/custom-issuer.sigstore.json")
	if err != nil {
		b.Fatal(err)
	}
	subj, err := subject.Resolve(context.Background(), dir+"sigstore_bundles/github-attestations/cli-cli/custom-issuer-artifact")
	if err != nil {
		b.Fatal(err)
	}
	rootJSON, err := os.ReadFile(dir + "trusted_roots/public-good.trusted_root.json")
	if err != nil {
		b.Fatal(err)
	}
	tr, err := ParseTrustedRoot("public-good", rootJSON)
	if err != nil {
		b.Fatal(err)
	}
	p := Policy{TrustedRoot: tr, Identity: &Identity{
		SAN:    "https://github.com/too-legit/attest/.github/workflows/integration.yml@refs/heads/main",
		Issuer: "https://token.actions.githubusercontent.com/hammer-time",
	}}
	b.ReportAllocs()
	for b.Loop() {
		entries, err := ReadBundles("bundle.json", data)
		if err != nil {
			b.Fatal(err)
		}
		res, err := Verify(subj, entries, p)
		if err != nil || len(res.Verified) != 1 {
			b.Fatalf("verify: %v", err)
		}
	}
}
