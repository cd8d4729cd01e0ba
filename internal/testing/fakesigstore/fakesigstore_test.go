package fakesigstore

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"google.golang.org/protobuf/encoding/protojson"
)

const inTotoPayloadType = "application/vnd.in-toto+json"

// releaseClaims is a tag push whose signing job runs a reusable workflow
// from another repository.
func releaseClaims() Claims {
	return Claims{
		Repository:           "octo-org/octo-repo",
		Ref:                  "refs/tags/v1.2.3",
		SHA:                  "0123456789abcdef0123456789abcdef01234567",
		WorkflowRef:          "octo-org/octo-repo/.github/workflows/release.yml@refs/tags/v1.2.3",
		JobWorkflowRef:       "octo-org/reusable/.github/workflows/sign.yml@refs/heads/main",
		JobWorkflowSHA:       "89abcdef0123456789abcdef0123456789abcdef",
		EventName:            "push",
		RunnerEnvironment:    "github-hosted",
		RunID:                "4242",
		RunAttempt:           "2",
		Workflow:             "Release",
		RepositoryID:         "31337",
		RepositoryOwnerID:    "7",
		RepositoryVisibility: "private",
	}
}

// releaseExtensions is what Fulcio's GitHub mapping makes of releaseClaims,
// written out by hand.
func releaseExtensions(issuer string) certificate.Extensions {
	return certificate.Extensions{
		Issuer:                              issuer,
		GithubWorkflowTrigger:               "push",
		GithubWorkflowSHA:                   "0123456789abcdef0123456789abcdef01234567",
		GithubWorkflowName:                  "Release",
		GithubWorkflowRepository:            "octo-org/octo-repo",
		GithubWorkflowRef:                   "refs/tags/v1.2.3",
		BuildSignerURI:                      "https://github.com/octo-org/reusable/.github/workflows/sign.yml@refs/heads/main",
		BuildSignerDigest:                   "89abcdef0123456789abcdef0123456789abcdef",
		RunnerEnvironment:                   "github-hosted",
		SourceRepositoryURI:                 "https://github.com/octo-org/octo-repo",
		SourceRepositoryDigest:              "0123456789abcdef0123456789abcdef01234567",
		SourceRepositoryRef:                 "refs/tags/v1.2.3",
		SourceRepositoryIdentifier:          "31337",
		SourceRepositoryOwnerURI:            "https://github.com/octo-org",
		SourceRepositoryOwnerIdentifier:     "7",
		BuildConfigURI:                      "https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/tags/v1.2.3",
		BuildConfigDigest:                   "0123456789abcdef0123456789abcdef01234567",
		BuildTrigger:                        "push",
		RunInvocationURI:                    "https://github.com/octo-org/octo-repo/actions/runs/4242/attempts/2",
		SourceRepositoryVisibilityAtSigning: "private",
	}
}

// statement is an in-toto statement about an artifact with these contents.
func statement(t *testing.T, artifact string) (stmt []byte, digest []byte) {
	t.Helper()
	sum := sha256.Sum256([]byte(artifact))
	stmt, err := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": "artifact.tar.gz", "digest": map[string]string{"sha256": hex.EncodeToString(sum[:])}}},
		"predicateType": "https://slsa.dev/provenance/v1",
		"predicate":     map[string]any{"buildDefinition": map[string]any{"buildType": "https://example.com/test"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return stmt, sum[:]
}

func bundleOptions(s *Stack, token string) sign.BundleOptions {
	return sign.BundleOptions{
		CertificateProvider:        sign.NewFulcio(&sign.FulcioOptions{BaseURL: s.FulcioURL}),
		CertificateProviderOptions: &sign.CertificateProviderOptions{IDToken: token},
		TransparencyLogs:           []sign.Transparency{sign.NewRekor(&sign.RekorOptions{BaseURL: s.RekorURL})},
		TimestampAuthorities:       []*sign.TimestampAuthority{sign.NewTimestampAuthority(&sign.TimestampAuthorityOptions{URL: s.TSAURL})},
	}
}

func signBundle(t *testing.T, s *Stack, content sign.Content, token string) *protobundle.Bundle {
	t.Helper()
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := sign.Bundle(content, kp, bundleOptions(s, token))
	if err != nil {
		t.Fatalf("sign.Bundle: %v", err)
	}
	return b
}

// verifyBundle round-trips pb through its JSON form, as a file on disk, and
// verifies it under the stack's trusted root, requiring a log entry, a signed
// timestamp and the identity.
func verifyBundle(t *testing.T, s *Stack, pb *protobundle.Bundle, artifact verify.ArtifactPolicyOption, san, issuer string) (*verify.VerificationResult, error) {
	t.Helper()
	tr, err := root.NewTrustedRootFromJSON(s.TrustedRootJSON)
	if err != nil {
		t.Fatalf("parsing trusted root: %v", err)
	}
	j, err := protojson.Marshal(pb)
	if err != nil {
		t.Fatal(err)
	}
	var b bundle.Bundle
	if err := b.UnmarshalJSON(j); err != nil {
		t.Fatalf("loading bundle: %v", err)
	}
	v, err := verify.NewSignedEntityVerifier(tr, verify.WithTransparencyLog(1), verify.WithSignedTimestamps(1), verify.WithObserverTimestamps(1))
	if err != nil {
		t.Fatal(err)
	}
	id, err := verify.NewShortCertificateIdentity(issuer, "", san, "")
	if err != nil {
		t.Fatal(err)
	}
	return v.Verify(&b, verify.NewPolicy(artifact, verify.WithCertificateIdentity(id)))
}

func TestKeylessDSSEBundleVerifies(t *testing.T) {
	t.Parallel()
	s := New(t)
	c := releaseClaims()
	stmt, digest := statement(t, "release 1.2.3")
	pb := signBundle(t, s, &sign.DSSEData{Data: stmt, PayloadType: inTotoPayloadType}, s.Token(c, "sigstore"))

	san := "https://github.com/octo-org/reusable/.github/workflows/sign.yml@refs/heads/main"
	if got := c.SAN(); got != san {
		t.Errorf("Claims.SAN() = %q, want %q", got, san)
	}
	res, err := verifyBundle(t, s, pb, verify.WithArtifactDigest("sha256", digest), san, s.IssuerURL)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if res.Signature == nil || res.Signature.Certificate == nil {
		t.Fatal("verification result has no certificate summary")
	}
	if diff := cmp.Diff(releaseExtensions(s.IssuerURL), res.Signature.Certificate.Extensions); diff != "" {
		t.Errorf("certificate extensions (-want +got):\n%s", diff)
	}
	// sigstore-go v0.6.2 lists the TSA's timestamp twice; count the kinds.
	kinds := map[string]bool{}
	for _, ts := range res.VerifiedTimestamps {
		kinds[ts.Type] = true
	}
	if diff := cmp.Diff(map[string]bool{"TimestampAuthority": true, "Tlog": true}, kinds); diff != "" {
		t.Errorf("kinds of verified timestamps (-want +got):\n%s", diff)
	}

	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name, san, issuer string
			digest            []byte
		}{
			{name: "other workflow", san: "https://github.com/octo-org/octo-repo/.github/workflows/other.yml@refs/tags/v1.2.3", issuer: s.IssuerURL, digest: digest},
			{name: "other ref", san: "https://github.com/octo-org/reusable/.github/workflows/sign.yml@refs/heads/dev", issuer: s.IssuerURL, digest: digest},
			{name: "other issuer", san: san, issuer: "https://token.actions.githubusercontent.com", digest: digest},
			{name: "other artifact", san: san, issuer: s.IssuerURL, digest: make([]byte, sha256.Size)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				if _, err := verifyBundle(t, s, pb, verify.WithArtifactDigest("sha256", tt.digest), tt.san, tt.issuer); err == nil {
					t.Error("verification succeeded, want an error")
				}
			})
		}
	})
}

func TestTrustedRoot(t *testing.T) {
	t.Parallel()
	s := New(t)
	var doc struct {
		MediaType string `json:"mediaType"`
		Tlogs     []struct {
			BaseURL string `json:"baseUrl"`
		} `json:"tlogs"`
		Ctlogs []json.RawMessage `json:"ctlogs"`
	}
	if err := json.Unmarshal(s.TrustedRootJSON, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.MediaType != "application/vnd.dev.sigstore.trustedroot+json;version=0.1" {
		t.Errorf("mediaType = %q", doc.MediaType)
	}
	var logs []string
	for _, l := range doc.Tlogs {
		logs = append(logs, l.BaseURL)
	}
	if diff := cmp.Diff([]string{s.RekorURL, s.RekorV2URL}, logs, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("tlogs' base URLs (-want +got):\n%s", diff)
	}
	if len(doc.Ctlogs) != 0 {
		t.Errorf("ctlogs = %d, want none", len(doc.Ctlogs))
	}
	tr, err := root.NewTrustedRootFromPath(s.WriteTrustedRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	if n, m := len(tr.FulcioCertificateAuthorities()), len(tr.TimestampingAuthorities()); n != 1 || m != 1 {
		t.Errorf("%d Fulcio CAs and %d TSAs, want 1 and 1", n, m)
	}
	if tsa, ok := tr.TimestampingAuthorities()[0].(*root.SigstoreTimestampingAuthority); !ok || tsa.Leaf == nil || len(tsa.Intermediates) != 1 {
		t.Errorf("TSA chain: %#v; want a Sigstore TSA with a leaf and one intermediate", tr.TimestampingAuthorities()[0])
	}
}
