package fakesigstore

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // RFC 5280 method 1 key identifier, as Fulcio computes it
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	fulciocert "github.com/sigstore/fulcio/pkg/certificate"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

const (
	// fulcioClientID is the audience Fulcio requires.
	fulcioClientID = "sigstore"
	// leafLifetime is how long a Fulcio certificate is valid.
	leafLifetime = 10 * time.Minute
	// maxRequestBody caps what the servers read from a request.
	maxRequestBody = 1 << 20
)

// Fulcio's client-facing error messages (fulcio pkg/server/error.go).
const (
	msgInvalidIdentityToken = "There was an error processing the identity token"
	msgInvalidPublicKey     = "The public key supplied in the request could not be parsed"
	msgInvalidSignature     = "The signature supplied in the request could not be verified"
	msgInvalidRequest       = "The request could not be parsed"
)

// fulcioCA issues code-signing certificates from the intermediate chain[0].
type fulcioCA struct {
	issuerURL string
	chain     []*x509.Certificate // intermediate, root
	key       crypto.Signer       // the intermediate's key
}

// signingCertRequest is Fulcio's v2 CreateSigningCertificateRequest in JSON.
type signingCertRequest struct {
	Credentials *struct {
		OIDCIdentityToken string `json:"oidcIdentityToken"`
	} `json:"credentials"`
	PublicKeyRequest *struct {
		PublicKey struct {
			Algorithm string `json:"algorithm"`
			Content   string `json:"content"`
		} `json:"publicKey"`
		ProofOfPossession []byte `json:"proofOfPossession"` // base64 in JSON
	} `json:"publicKeyRequest"`
}

func (f *fulcioCA) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/v2/signingCert":
		f.signingCert(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/api/v2/trustBundle":
		writeJSON(w, http.StatusOK, map[string]any{"chains": []any{map[string]any{"certificates": pemChain(f.chain)}}})
	default:
		fulcioError(w, http.StatusNotFound, 5, "Not Found")
	}
}

// fulcioError answers like Fulcio's gRPC gateway.
func fulcioError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"code": code, "message": msg, "details": []any{}})
}

// signingCert is CreateSigningCertificate with a public key and proof of
// possession (the only shape sigstore-go's client sends).
func (f *fulcioCA) signingCert(w http.ResponseWriter, r *http.Request) {
	const invalidArgument = 3
	var req signingCertRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, maxRequestBody)).Decode(&req); err != nil {
		fulcioError(w, http.StatusBadRequest, invalidArgument, msgInvalidRequest)
		return
	}
	token := ""
	if req.Credentials != nil {
		token = req.Credentials.OIDCIdentityToken
	}
	if token == "" {
		if scheme, t, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "bearer") {
			token = t
		}
	}
	idt, claims, err := f.authenticate(r.Context(), token)
	if err != nil {
		fulcioError(w, http.StatusBadRequest, invalidArgument, msgInvalidIdentityToken+": "+err.Error())
		return
	}
	if req.PublicKeyRequest == nil {
		fulcioError(w, http.StatusBadRequest, invalidArgument, msgInvalidPublicKey)
		return
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey([]byte(req.PublicKeyRequest.PublicKey.Content))
	if err != nil {
		fulcioError(w, http.StatusBadRequest, invalidArgument, msgInvalidPublicKey)
		return
	}
	verifier, err := signature.LoadDefaultVerifier(pub)
	if err != nil {
		fulcioError(w, http.StatusBadRequest, invalidArgument, msgInvalidPublicKey)
		return
	}
	if err := verifier.VerifySignature(bytes.NewReader(req.PublicKeyRequest.ProofOfPossession), strings.NewReader(idt.Subject)); err != nil {
		fulcioError(w, http.StatusBadRequest, invalidArgument, msgInvalidSignature)
		return
	}
	leaf, err := f.issue(pub, idt, claims)
	if err != nil {
		fulcioError(w, http.StatusInternalServerError, 13, "error communicating with CA backend: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"signedCertificateEmbeddedSct": map[string]any{
			"chain": map[string]any{"certificates": pemChain(append([]*x509.Certificate{leaf}, f.chain...))},
		},
	})
}

// authenticate verifies token as Fulcio does for GitHub Actions: the issuer
// must be ours, its signature must check against the issuer's keys fetched
// through OIDC discovery, the audience must be "sigstore" and it must be
// unexpired; then it returns the claims the certificate is built from.
func (f *fulcioCA) authenticate(ctx context.Context, token string) (*oidc.IDToken, map[string]string, error) {
	if token == "" {
		return nil, nil, errors.New("no token")
	}
	iss, err := unverifiedIssuer(token)
	if err != nil {
		return nil, nil, err
	}
	if iss != f.issuerURL {
		return nil, nil, fmt.Errorf("unknown issuer %q", iss)
	}
	ctx = oidc.ClientContext(ctx, &http.Client{Timeout: 10 * time.Second})
	provider, err := oidc.NewProvider(ctx, f.issuerURL)
	if err != nil {
		return nil, nil, fmt.Errorf("oidc discovery: %w", err)
	}
	idt, err := provider.Verifier(&oidc.Config{ClientID: fulcioClientID}).Verify(ctx, token)
	if err != nil {
		return nil, nil, err
	}
	var raw map[string]any
	if err := idt.Claims(&raw); err != nil {
		return nil, nil, err
	}
	claims := map[string]string{}
	for _, name := range []string{
		"event_name", "sha", "workflow", "repository", "ref", "job_workflow_ref", "job_workflow_sha",
		"runner_environment", "repository_id", "repository_owner", "repository_owner_id",
		"repository_visibility", "workflow_ref", "workflow_sha", "run_id", "run_attempt",
	} {
		v, _ := raw[name].(string)
		if v == "" {
			return nil, nil, fmt.Errorf("missing %s claim in ID token", name)
		}
		claims[name] = v
	}
	return idt, claims, nil
}

// unverifiedIssuer reads the iss claim without checking anything, to pick
// the issuer configuration as Fulcio does.
func unverifiedIssuer(token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("malformed jwt")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", fmt.Errorf("malformed jwt payload: %w", err)
	}
	var c struct {
		Issuer string `json:"iss"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return "", fmt.Errorf("malformed jwt payload: %w", err)
	}
	return c.Issuer, nil
}

// issue signs a leaf for pub carrying Fulcio's GitHub Actions mapping
// (fulcio config/identity/config.yaml, ci-issuer-metadata github-workflow).
func (f *fulcioCA) issue(pub crypto.PublicKey, idt *oidc.IDToken, c map[string]string) (*x509.Certificate, error) {
	u := func(path string) string { return githubURL + "/" + path }
	san, err := url.Parse(u(c["job_workflow_ref"]))
	if err != nil {
		return nil, fmt.Errorf("job_workflow_ref: %w", err)
	}
	exts, err := fulciocert.Extensions{
		Issuer:                              idt.Issuer,
		GithubWorkflowTrigger:               c["event_name"],
		GithubWorkflowSHA:                   c["sha"],
		GithubWorkflowName:                  c["workflow"],
		GithubWorkflowRepository:            c["repository"],
		GithubWorkflowRef:                   c["ref"],
		BuildSignerURI:                      u(c["job_workflow_ref"]),
		BuildSignerDigest:                   c["job_workflow_sha"],
		RunnerEnvironment:                   c["runner_environment"],
		SourceRepositoryURI:                 u(c["repository"]),
		SourceRepositoryDigest:              c["sha"],
		SourceRepositoryRef:                 c["ref"],
		SourceRepositoryIdentifier:          c["repository_id"],
		SourceRepositoryOwnerURI:            u(c["repository_owner"]),
		SourceRepositoryOwnerIdentifier:     c["repository_owner_id"],
		BuildConfigURI:                      u(c["workflow_ref"]),
		BuildConfigDigest:                   c["workflow_sha"],
		BuildTrigger:                        c["event_name"],
		RunInvocationURI:                    u(c["repository"] + "/actions/runs/" + c["run_id"] + "/attempts/" + c["run_attempt"]),
		SourceRepositoryVisibilityAtSigning: c["repository_visibility"],
		Subject:                             idt.Subject,
	}.Render()
	if err != nil {
		return nil, err
	}
	pkix, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	ski := sha1.Sum(pkix) //nolint:gosec // key identifier, not a security hash
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 159))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:    serial,
		NotBefore:       now,
		NotAfter:        now.Add(leafLifetime),
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		SubjectKeyId:    ski[:],
		URIs:            []*url.URL{san},
		ExtraExtensions: exts,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, f.chain[0], pub, f.key)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// pemChain encodes certs as PEM strings, in order.
func pemChain(certs []*x509.Certificate) []string {
	out := make([]string, 0, len(certs))
	for _, c := range certs {
		p, err := cryptoutils.MarshalCertificateToPEM(c)
		if err != nil {
			panic(err) // a parsed certificate always re-encodes
		}
		out = append(out, string(p))
	}
	return out
}
