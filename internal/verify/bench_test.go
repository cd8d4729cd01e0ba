package verify

import (
	"os"
	"strings"
	"testing"

	"github.com/relproof/relproof/internal/subject"
)

// BenchmarkVerifyGitHubAttestation verifies one real GitHub artifact
// attestation (sigstore-js 2.1.0: Fulcio certificate, Rekor inclusion proof)
// against the public-good trusted root, identity included: the work of one
// `relproof verify` of one bundle, without process start-up.
func BenchmarkVerifyGitHubAttestation(b *testing.B) {
	const dir = "../../testdata/corpus/"
	data, err := os.ReadFile(dir + "sigstore_bundles/github-attestations/cli-cli/sigstore-js-2.1.0-bundle.json")
	if err != nil {
		b.Fatal(err)
	}
	line, err := os.ReadFile(dir + "sigstore_bundles/github-attestations/cli-cli/sigstore-js-2.1.0.tgz.digest")
	if err != nil {
		b.Fatal(err)
	}
	d, err := subject.ParseDigest(strings.Fields(string(line))[0])
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
	p := Policy{TrustedRoot: tr, Identity: &Identity{SANRegexp: "^https://github.com/sigstore/", Issuer: GitHubActionsIssuer}}
	b.ReportAllocs()
	for b.Loop() {
		entries, err := ReadBundles("bundle.json", data)
		if err != nil {
			b.Fatal(err)
		}
		res, err := Verify(&subject.Subject{Digest: d}, entries, p)
		if err != nil || len(res.Verified) != 1 {
			b.Fatalf("verify: %v", err)
		}
	}
}
