package fakesigstore

import (
	"context"
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/sign"
)

// TestCertificateCarriesGitHubExtensions checks every extension Fulcio's
// GitHub mapping defines, in its encoding, and that sigstore-go parses them
// all back.
func TestCertificateCarriesGitHubExtensions(t *testing.T) {
	t.Parallel()
	s := New(t)
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	der, err := sign.NewFulcio(&sign.FulcioOptions{BaseURL: s.FulcioURL}).GetCertificate(context.Background(), kp,
		&sign.CertificateProviderOptions{IDToken: s.Token(releaseClaims(), "sigstore")})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}

	want := releaseExtensions(s.IssuerURL)
	raw := map[int]string{ // 1.3.6.1.4.1.57264.1.N, value bytes as they are
		1: want.Issuer, 2: want.GithubWorkflowTrigger, 3: want.GithubWorkflowSHA,
		4: want.GithubWorkflowName, 5: want.GithubWorkflowRepository, 6: want.GithubWorkflowRef,
	}
	utf8 := map[int]string{ // 1.3.6.1.4.1.57264.1.N, DER UTF8String
		8: want.Issuer, 9: want.BuildSignerURI, 10: want.BuildSignerDigest, 11: want.RunnerEnvironment,
		12: want.SourceRepositoryURI, 13: want.SourceRepositoryDigest, 14: want.SourceRepositoryRef,
		15: want.SourceRepositoryIdentifier, 16: want.SourceRepositoryOwnerURI,
		17: want.SourceRepositoryOwnerIdentifier, 18: want.BuildConfigURI, 19: want.BuildConfigDigest,
		20: want.BuildTrigger, 21: want.RunInvocationURI, 22: want.SourceRepositoryVisibilityAtSigning,
		24: "repo:octo-org/octo-repo:ref:refs/tags/v1.2.3",
	}
	got := map[int][]byte{}
	for _, e := range cert.Extensions {
		if len(e.Id) == 9 && e.Id[:8].Equal(asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1}) {
			got[e.Id[8]] = e.Value
		}
	}
	for n, v := range raw {
		if string(got[n]) != v {
			t.Errorf("extension 1.3.6.1.4.1.57264.1.%d = %q, want raw %q", n, got[n], v)
		}
	}
	for n, v := range utf8 {
		var s string
		rest, err := asn1.UnmarshalWithParams(got[n], &s, "utf8")
		if err != nil || len(rest) != 0 || s != v {
			t.Errorf("extension 1.3.6.1.4.1.57264.1.%d = %x (%v), want DER UTF8String %q", n, got[n], err, v)
		}
	}
	if len(got) != len(raw)+len(utf8) {
		t.Errorf("certificate has %d Fulcio extensions, want %d", len(got), len(raw)+len(utf8))
	}

	sum, err := certificate.SummarizeCertificate(cert)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, sum.Extensions); diff != "" {
		t.Errorf("sigstore-go's parse of the extensions (-want +got):\n%s", diff)
	}
	if sum.SubjectAlternativeName != want.BuildSignerURI {
		t.Errorf("SAN = %q, want %q", sum.SubjectAlternativeName, want.BuildSignerURI)
	}
	if d := cert.NotAfter.Sub(cert.NotBefore); d != 10*time.Minute {
		t.Errorf("certificate valid for %v, want 10m", d)
	}
	if len(cert.ExtKeyUsage) != 1 || cert.ExtKeyUsage[0] != x509.ExtKeyUsageCodeSigning {
		t.Errorf("extended key usage = %v, want code signing", cert.ExtKeyUsage)
	}
}

// fulcioStatus posts a v2 signing-certificate request the way sigstore-go's
// client does, with the proof of possession signed over popSubject, and
// returns the status and body.
func fulcioStatus(t *testing.T, s *Stack, token, popSubject string) (int, string) {
	t.Helper()
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	pop, _, err := kp.SignData(context.Background(), []byte(popSubject))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := kp.GetPublicKeyPem()
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(map[string]any{"publicKeyRequest": map[string]any{
		"publicKey":         map[string]string{"algorithm": kp.GetKeyAlgorithm(), "content": pub},
		"proofOfPossession": pop,
	}})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, s.FulcioURL+"/api/v2/signingCert", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestFulcioRefuses(t *testing.T) {
	t.Parallel()
	s := New(t)
	c := releaseClaims()
	sub := c.withDefaults().Subject
	foreign, err := newSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	mint := func(key signingKey, iss string, c Claims, aud string) string {
		tok, err := s.issuer.mint(key, iss, c, aud, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	noJobWorkflow := c
	noJobWorkflow.WorkflowRef, noJobWorkflow.JobWorkflowRef = "", ""
	expired := c
	expired.ExpiresAt = time.Now().Add(-time.Minute)

	tests := []struct {
		name       string
		token      string
		popSubject string
		wantStatus int
		wantMsg    string
	}{
		{name: "valid", token: s.Token(c, "sigstore"), popSubject: sub, wantStatus: http.StatusOK},
		{name: "signed by another key", token: mint(foreign, s.IssuerURL, c, "sigstore"), popSubject: sub, wantStatus: http.StatusBadRequest, wantMsg: "identity token"},
		{name: "another issuer", token: mint(s.issuer.key, "https://token.actions.githubusercontent.com", c, "sigstore"), popSubject: sub, wantStatus: http.StatusBadRequest, wantMsg: "unknown issuer"},
		{name: "expired", token: s.Token(expired, "sigstore"), popSubject: sub, wantStatus: http.StatusBadRequest, wantMsg: "expired"},
		{name: "wrong audience", token: s.Token(c, "github"), popSubject: sub, wantStatus: http.StatusBadRequest, wantMsg: "audience"},
		{name: "no job_workflow_ref claim", token: s.Token(noJobWorkflow, "sigstore"), popSubject: sub, wantStatus: http.StatusBadRequest, wantMsg: "job_workflow_ref"},
		{name: "no token", popSubject: sub, wantStatus: http.StatusBadRequest, wantMsg: "identity token"},
		{name: "proof of possession over another subject", token: s.Token(c, "sigstore"), popSubject: "repo:octo-org/other:ref:refs/heads/main", wantStatus: http.StatusBadRequest, wantMsg: "signature supplied in the request could not be verified"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, body := fulcioStatus(t, s, tt.token, tt.popSubject)
			if status != tt.wantStatus || !strings.Contains(body, tt.wantMsg) {
				t.Errorf("Fulcio answered %d %s; want %d with %q", status, body, tt.wantStatus, tt.wantMsg)
			}
		})
	}
}
