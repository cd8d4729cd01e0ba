package fakesigstore

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/asn1"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/digitorus/timestamp"
)

const tsaPath = "/api/v1/timestamp"

// tsaPolicy is the policy OID sigstore's timestamp authority stamps by default.
var tsaPolicy = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 2}

// timestampAuthority answers RFC 3161 requests like sigstore's
// timestamp-authority.
type timestampAuthority struct {
	chain []*x509.Certificate // leaf, intermediate, root
	key   *ecdsa.PrivateKey   // the leaf's key
}

func (a *timestampAuthority) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == tsaPath:
		a.timestamp(w, r)
	case r.Method == http.MethodGet && r.URL.Path == tsaPath+"/certchain":
		w.Header().Set("Content-Type", "application/pem-certificate-chain")
		_, _ = io.WriteString(w, strings.Join(pemChain(a.chain), ""))
	default:
		http.NotFound(w, r)
	}
}

func (a *timestampAuthority) timestamp(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/timestamp-query" {
		http.Error(w, "unsupported content type", http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req, err := timestamp.ParseRequest(body)
	if err != nil {
		http.Error(w, "error parsing timestamp request: "+err.Error(), http.StatusBadRequest)
		return
	}
	policy := req.TSAPolicyOID
	if len(policy) == 0 {
		policy = tsaPolicy
	}
	ts := timestamp.Timestamp{
		HashAlgorithm:     req.HashAlgorithm,
		HashedMessage:     req.HashedMessage,
		Time:              time.Now(),
		Nonce:             req.Nonce,
		Policy:            policy,
		Accuracy:          time.Second,
		AddTSACertificate: req.Certificates,
		ExtraExtensions:   req.Extensions,
	}
	resp, err := ts.CreateResponseWithOpts(a.chain[0], a.key, crypto.SHA256)
	if err != nil {
		http.Error(w, "error generating timestamp response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/timestamp-reply")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(resp)
}
