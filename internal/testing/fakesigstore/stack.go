package fakesigstore

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	prototrustroot "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
)

// Stack is a running private Sigstore. Its fields are read-only.
type Stack struct {
	FulcioURL  string // base URL, for sign.FulcioOptions.BaseURL
	RekorURL   string // base URL, for sign.RekorOptions.BaseURL
	RekorV2URL string // base URL of the Rekor v2 log, for sign.RekorOptions{BaseURL, Version: 2}
	TSAURL     string // full endpoint URL, for sign.TimestampAuthorityOptions.URL
	IssuerURL  string // the iss of every token; OIDC discovery lives under it

	// TrustedRootJSON is a trusted_root.json (mediaType
	// application/vnd.dev.sigstore.trustedroot+json;version=0.1) naming this
	// stack's Fulcio CA chain, both logs' keys (log ID and base URL: the
	// Rekor v2 log's origin is its base URL's hostname) and the TSA chain.
	// It names no CT log: this stack issues no SCTs.
	TrustedRootJSON []byte

	// SigningConfigJSON is a signing_config.json (mediaType
	// application/vnd.dev.sigstore.signingconfig.v0.2+json) naming this
	// stack's Fulcio, OIDC issuer, both logs (Rekor v2 with majorApiVersion
	// 2, Rekor with 1; selector ANY) and TSA, each valid from ServicesSince
	// with no end.
	SigningConfigJSON []byte

	issuer  *oidcIssuer
	fulcio  *fulcioCA
	rekor   *transparencyLog
	rekorV2 *tileLog
	tsa     *timestampAuthority

	failFulcio, failRekor, failRekorV2, failTSA atomic.Int64
}

// ServicesSince is when every service of a stack's signing config became
// valid: long before any test clock, so that a command running under a
// fixed clock still selects them.
var ServicesSince = time.Date(2020, time.January, 1, 0, 0, 0, 0, time.UTC)

// serviceOperator names the operator of every service in the signing config.
const serviceOperator = "fakesigstore"

// New starts the issuer, Fulcio, Rekor, Rekor v2 and TSA servers on
// loopback; t.Cleanup stops them.
func New(t testing.TB) *Stack {
	t.Helper()
	s, err := newStack(t)
	if err != nil {
		t.Fatalf("starting fake sigstore: %v", err)
	}
	return s
}

func newStack(t testing.TB) (*Stack, error) {
	s := &Stack{}
	// Each server listens before any starts, so every handler knows every
	// URL before it serves its first request.
	var servers []*httptest.Server
	listen := func(h http.Handler, fail *atomic.Int64) string {
		if fail != nil {
			h = failing(h, fail)
		}
		srv := httptest.NewUnstartedServer(h)
		servers = append(servers, srv)
		return "http://" + srv.Listener.Addr().String()
	}
	defer func() {
		for _, srv := range servers {
			if srv.URL == "" { // not started: newStack failed
				srv.Listener.Close()
			}
		}
	}()

	var err error
	if s.issuer, err = newOIDCIssuer(); err != nil {
		return nil, err
	}
	s.IssuerURL = listen(s.issuer, nil)
	s.issuer.url = s.IssuerURL

	fulcioRoot, fulcioRootKey, err := ca.GenerateRootCa()
	if err != nil {
		return nil, fmt.Errorf("fulcio root: %w", err)
	}
	fulcioInter, fulcioInterKey, err := ca.GenerateFulcioIntermediate(fulcioRoot, fulcioRootKey)
	if err != nil {
		return nil, fmt.Errorf("fulcio intermediate: %w", err)
	}
	s.fulcio = &fulcioCA{
		issuerURL: s.IssuerURL,
		chain:     []*x509.Certificate{fulcioInter, fulcioRoot},
		key:       fulcioInterKey,
	}
	s.FulcioURL = listen(s.fulcio, &s.failFulcio)

	rekorKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	if s.rekor, err = newTransparencyLog(rekorKey); err != nil {
		return nil, err
	}
	s.RekorURL = listen(s.rekor, &s.failRekor)
	s.rekor.setURL(s.RekorURL)

	_, rekorV2Key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	if s.rekorV2, err = newTileLog(rekorV2Key); err != nil {
		return nil, err
	}
	s.RekorV2URL = listen(s.rekorV2, &s.failRekorV2)
	if err := s.rekorV2.setURL(s.RekorV2URL); err != nil {
		return nil, err
	}

	tsaRoot, tsaRootKey, err := ca.GenerateRootCa()
	if err != nil {
		return nil, fmt.Errorf("tsa root: %w", err)
	}
	tsaInter, tsaInterKey, err := ca.GenerateTSAIntermediate(tsaRoot, tsaRootKey)
	if err != nil {
		return nil, fmt.Errorf("tsa intermediate: %w", err)
	}
	tsaLeafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	// GenerateTSALeafCert makes the leaf valid for ten minutes from the time given.
	tsaLeaf, err := ca.GenerateTSALeafCert(time.Now().Add(-time.Minute), tsaLeafKey, tsaInter, tsaInterKey)
	if err != nil {
		return nil, fmt.Errorf("tsa leaf: %w", err)
	}
	s.tsa = &timestampAuthority{chain: []*x509.Certificate{tsaLeaf, tsaInter, tsaRoot}, key: tsaLeafKey}
	s.TSAURL = listen(s.tsa, &s.failTSA) + tsaPath

	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01,
		[]root.CertificateAuthority{&root.FulcioCertificateAuthority{
			Root:                fulcioRoot,
			Intermediates:       []*x509.Certificate{fulcioInter},
			ValidityPeriodStart: fulcioRoot.NotBefore,
			URI:                 s.FulcioURL,
		}},
		map[string]*root.TransparencyLog{}, // no CT logs
		[]root.TimestampingAuthority{&root.SigstoreTimestampingAuthority{
			Root:                tsaRoot,
			Intermediates:       []*x509.Certificate{tsaInter},
			Leaf:                tsaLeaf,
			ValidityPeriodStart: tsaRoot.NotBefore,
			URI:                 s.TSAURL,
		}},
		map[string]*root.TransparencyLog{
			s.rekor.logID: {
				BaseURL:             s.RekorURL,
				ID:                  s.rekor.logIDRaw,
				ValidityPeriodStart: time.Now().Add(-time.Hour),
				HashFunc:            crypto.SHA256,
				PublicKey:           rekorKey.Public(),
				SignatureHashFunc:   crypto.SHA256,
			},
			hex.EncodeToString(s.rekorV2.logID): {
				BaseURL:             s.RekorV2URL,
				ID:                  s.rekorV2.logID,
				ValidityPeriodStart: time.Now().Add(-time.Hour),
				HashFunc:            crypto.SHA256,
				PublicKey:           s.rekorV2.pub,
				SignatureHashFunc:   crypto.SHA512, // what sigstore-go reads for an Ed25519 log key
			},
		},
	)
	if err != nil {
		return nil, err
	}
	if s.TrustedRootJSON, err = json.Marshal(tr); err != nil {
		return nil, fmt.Errorf("trusted root: %w", err)
	}
	if s.SigningConfigJSON, err = s.signingConfig(); err != nil {
		return nil, fmt.Errorf("signing config: %w", err)
	}

	for _, srv := range servers {
		srv.Start()
		t.Cleanup(srv.Close)
	}
	return s, nil
}

// WriteTrustedRoot writes TrustedRootJSON to a file under t.TempDir and
// returns its path, for commands that take --trusted-root FILE.
func (s *Stack) WriteTrustedRoot(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "trusted_root.json")
	if err := os.WriteFile(p, s.TrustedRootJSON, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// signingConfig names the stack's services as a Sigstore signing config.
func (s *Stack) signingConfig() ([]byte, error) {
	service := func(url string, version uint32) root.Service {
		return root.Service{URL: url, MajorAPIVersion: version, ValidityPeriodStart: ServicesSince, Operator: serviceOperator}
	}
	anyOne := root.ServiceConfiguration{Selector: prototrustroot.ServiceSelector_ANY}
	sc, err := root.NewSigningConfig(root.SigningConfigMediaType02,
		[]root.Service{service(s.FulcioURL, 1)},
		[]root.Service{service(s.IssuerURL, 1)},
		[]root.Service{service(s.RekorV2URL, 2), service(s.RekorURL, 1)},
		anyOne,
		[]root.Service{service(s.TSAURL, 1)},
		anyOne,
	)
	if err != nil {
		return nil, err
	}
	return json.Marshal(sc)
}

// WriteSigningConfig writes SigningConfigJSON to a file under t.TempDir and
// returns its path, for commands that take --signing-config FILE.
func (s *Stack) WriteSigningConfig(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "signing_config.json")
	if err := os.WriteFile(p, s.SigningConfigJSON, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// FailFulcio makes the next n requests to Fulcio fail with 500.
func (s *Stack) FailFulcio(n int) { s.failFulcio.Store(int64(n)) }

// FailRekor makes the next n requests to Rekor fail with 500.
func (s *Stack) FailRekor(n int) { s.failRekor.Store(int64(n)) }

// FailRekorV2 makes the next n requests to the Rekor v2 log fail with 500.
func (s *Stack) FailRekorV2(n int) { s.failRekorV2.Store(int64(n)) }

// FailTSA makes the next n requests to the TSA fail with 500.
func (s *Stack) FailTSA(n int) { s.failTSA.Store(int64(n)) }

// failing answers 500 while *n is positive, counting it down.
func failing(h http.Handler, n *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for {
			left := n.Load()
			if left <= 0 {
				h.ServeHTTP(w, r)
				return
			}
			if n.CompareAndSwap(left, left-1) {
				http.Error(w, "injected failure (fakesigstore fault switch)", http.StatusInternalServerError)
				return
			}
		}
	})
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
