package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"time"

	vsa "github.com/in-toto/attestation/go/predicates/vsa/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// VSAType is the predicate type of a SLSA Verification Summary Attestation.
const VSAType = "https://slsa.dev/verification_summary/v1"

// VerifierID names relproof as the verifier in summaries.
const VerifierID = "https://relproof.dev/verifier/relproof"

// Summary is a SLSA Verification Summary of a verified result: who
// verified, when, under which policy (the flags, as a relproof:verify URI
// and its digest), which attestations were inputs (by digest) and the build
// level the verified provenance supports.
func Summary(res *Result, resourceURI string, policyFlags url.Values, now time.Time) *vsa.VerificationSummary {
	policyURI := "relproof:verify?" + policyFlags.Encode() // Encode sorts the keys
	sum := sha256.Sum256([]byte(policyURI))
	s := &vsa.VerificationSummary{
		Verifier:           &vsa.VerificationSummary_Verifier{Id: VerifierID},
		TimeVerified:       timestamppb.New(now.UTC()),
		ResourceUri:        resourceURI,
		Policy:             &vsa.VerificationSummary_Policy{Uri: policyURI, Digest: map[string]string{"sha256": hex.EncodeToString(sum[:])}},
		VerificationResult: "PASSED",
		VerifiedLevels:     []string{buildLevel(res)},
		SlsaVersion:        "1.0",
	}
	for _, a := range res.Verified {
		alg, h, _ := strings.Cut(a.Digest, ":")
		s.InputAttestations = append(s.InputAttestations, &vsa.VerificationSummary_InputAttestation{
			Uri:    a.Source,
			Digest: map[string]string{alg: h},
		})
	}
	return s
}

// buildLevel is the SLSA build level the verified provenance supports:
// 3 for a trusted slsa-github-generator builder (isolated, non-forgeable),
// 2 for provenance signed by a GitHub Actions identity on a hosted runner,
// 1 for any other verified provenance, 0 without provenance.
func buildLevel(res *Result) string {
	level := 0
	for _, a := range res.Verified {
		if !strings.HasPrefix(a.PredicateType, "https://slsa.dev/provenance/") {
			continue
		}
		l := 1
		switch {
		case a.SLSA != nil:
			l = 3
		case a.Certificate != nil && a.Certificate.Issuer == GitHubActionsIssuer && a.Certificate.RunnerEnvironment == "github-hosted":
			l = 2
		}
		level = max(level, l)
	}
	return []string{"SLSA_BUILD_LEVEL_0", "SLSA_BUILD_LEVEL_1", "SLSA_BUILD_LEVEL_2", "SLSA_BUILD_LEVEL_3"}[level]
}
