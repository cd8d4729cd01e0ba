package fakesigstore

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

const (
	// tokenRequestPath is where ACTIONS_ID_TOKEN_REQUEST_URL points.
	tokenRequestPath = "/_apis/distributedtask/idtoken"
	jwksPath         = "/.well-known/jwks"
	// tokenLifetime is how long a minted token is valid.
	tokenLifetime = 5 * time.Minute
)

// oidcIssuer plays token.actions.githubusercontent.com: discovery, JWKS and
// the Actions ID-token endpoint.
type oidcIssuer struct {
	url string
	key signingKey
	mux *http.ServeMux

	mu            sync.Mutex
	requestTokens map[string]Claims // ACTIONS_ID_TOKEN_REQUEST_TOKEN → the job's claims
	// refine, when set, gives the claims of one token request: where one
	// request token stands for many jobs (act passes one environment to
	// every job of a run), it tells the jobs apart.
	refine func(r *http.Request, c Claims) (Claims, error)
}

// signingKey is an RSA key and its JWKS key ID.
type signingKey struct {
	priv *rsa.PrivateKey
	kid  string
}

func newSigningKey() (signingKey, error) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return signingKey{}, fmt.Errorf("oidc key: %w", err)
	}
	sum := sha256.Sum256(priv.N.Bytes())
	return signingKey{priv: priv, kid: hex.EncodeToString(sum[:8])}, nil
}

func newOIDCIssuer() (*oidcIssuer, error) {
	key, err := newSigningKey()
	if err != nil {
		return nil, err
	}
	o := &oidcIssuer{key: key, requestTokens: map[string]Claims{}, mux: http.NewServeMux()}
	o.mux.HandleFunc("GET /.well-known/openid-configuration", o.discovery)
	o.mux.HandleFunc("GET "+jwksPath, o.jwks)
	o.mux.HandleFunc("GET "+tokenRequestPath, o.idToken)
	return o, nil
}

func (o *oidcIssuer) ServeHTTP(w http.ResponseWriter, r *http.Request) { o.mux.ServeHTTP(w, r) }

func (o *oidcIssuer) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                o.url,
		"jwks_uri":                              o.url + jwksPath,
		"subject_types_supported":               []string{"public", "pairwise"},
		"response_types_supported":              []string{"id_token"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid"},
		"claims_supported": []string{
			"sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref", "sha", "repository",
			"repository_id", "repository_owner", "repository_owner_id", "run_id", "run_number",
			"run_attempt", "actor", "actor_id", "workflow", "workflow_ref", "workflow_sha",
			"head_ref", "base_ref", "event_name", "ref_type", "ref_protected", "environment",
			"job_workflow_ref", "job_workflow_sha", "repository_visibility", "runner_environment",
		},
	})
}

func (o *oidcIssuer) jwks(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key:       &o.key.priv.PublicKey,
		KeyID:     o.key.kid,
		Algorithm: string(jose.RS256),
		Use:       "sig",
	}}})
}

// idToken is the Actions token endpoint: GET ?audience=X with
// "Authorization: Bearer REQUEST_TOKEN" → {"value": JWT}. Without
// an audience GitHub uses the owner's URL.
func (o *oidcIssuer) idToken(w http.ResponseWriter, r *http.Request) {
	scheme, requestToken, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	o.mu.Lock()
	c, ok := o.requestTokens[requestToken]
	o.mu.Unlock()
	if !strings.EqualFold(scheme, "bearer") || !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "invalid ACTIONS_ID_TOKEN_REQUEST_TOKEN"})
		return
	}
	o.mu.Lock()
	refine := o.refine
	o.mu.Unlock()
	if refine != nil {
		var err error
		if c, err = refine(r, c); err != nil {
			writeJSON(w, http.StatusForbidden, map[string]string{"message": err.Error()})
			return
		}
	}
	aud := r.URL.Query().Get("audience")
	if aud == "" {
		aud = githubURL + "/" + c.withDefaults().RepositoryOwner
	}
	tok, err := o.mint(o.key, o.url, c, aud, time.Now())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"value": tok})
}

// registerRequestToken returns a new ACTIONS_ID_TOKEN_REQUEST_TOKEN that
// the token endpoint exchanges for tokens carrying c.
func (o *oidcIssuer) registerRequestToken(c Claims) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	t := hex.EncodeToString(b)
	o.mu.Lock()
	o.requestTokens[t] = c
	o.mu.Unlock()
	return t
}

// mint signs a token for c with key, as issuer iss for audience aud.
func (o *oidcIssuer) mint(key signingKey, iss string, c Claims, aud string, now time.Time) (string, error) {
	exp := c.ExpiresAt
	if exp.IsZero() {
		exp = now.Add(tokenLifetime)
	}
	iat := now
	if early := exp.Add(-tokenLifetime); early.Before(iat) {
		iat = early
	}
	jti := make([]byte, 16)
	_, _ = rand.Read(jti)

	payload := c.jwtClaims()
	payload["iss"] = iss
	payload["aud"] = aud
	payload["jti"] = hex.EncodeToString(jti)
	payload["iat"] = iat.Unix()
	payload["nbf"] = iat.Unix()
	payload["exp"] = exp.Unix()
	body, err := json.Marshal(payload)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key.priv, KeyID: key.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(body)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// Token returns an ID token for c and audience signed by the stack's issuer,
// as the Actions token endpoint would hand it out. Fulcio wants audience
// "sigstore".
func (s *Stack) Token(c Claims, audience string) string {
	tok, err := s.issuer.mint(s.issuer.key, s.IssuerURL, c, audience, time.Now())
	if err != nil {
		panic(fmt.Sprintf("fakesigstore: minting token: %v", err)) // only a broken RSA key gets here
	}
	return tok
}
