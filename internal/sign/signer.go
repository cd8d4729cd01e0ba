package sign

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"fmt"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	sgsign "github.com/sigstore/sigstore-go/pkg/sign"
)

// InTotoPayloadType is the DSSE payload type of an in-toto statement.
const InTotoPayloadType = "application/vnd.in-toto+json"

// Signer signs in-toto statements into Sigstore bundles.
type Signer interface {
	// SignStatement signs statement (in-toto Statement JSON) as a DSSE
	// envelope and returns the Sigstore bundle that carries it.
	SignStatement(ctx context.Context, statement []byte) (*protobundle.Bundle, error)
	// Identity names who signs, for reports: "key KEYID".
	Identity() string
}

// KeySigner signs with an ECDSA private key held in memory (a key file or an
// ephemeral key). Its bundles carry the key's hint, not a certificate.
type KeySigner struct {
	key  *ecdsa.PrivateKey
	hash crypto.Hash
	hint string
}

var _ Signer = (*KeySigner)(nil)

// NewKeySigner returns a signer for key.
func NewKeySigner(key *ecdsa.PrivateKey) (*KeySigner, error) {
	hint, err := KeyID(key.Public())
	if err != nil {
		return nil, err
	}
	return &KeySigner{key: key, hash: HashFor(&key.PublicKey), hint: hint}, nil
}

// Public returns the signer's public key.
func (s *KeySigner) Public() *ecdsa.PublicKey { return &s.key.PublicKey }

// Identity implements Signer.
func (s *KeySigner) Identity() string { return "key " + s.hint }

// SignStatement implements Signer.
func (s *KeySigner) SignStatement(ctx context.Context, statement []byte) (*protobundle.Bundle, error) {
	content := &sgsign.DSSEData{Data: statement, PayloadType: InTotoPayloadType}
	b, err := sgsign.Bundle(content, keypair{s}, sgsign.BundleOptions{Context: ctx})
	if err != nil {
		return nil, fmt.Errorf("signing statement: %w", err)
	}
	return b, nil
}

// keypair adapts KeySigner to sigstore-go's sign.Keypair.
type keypair struct{ s *KeySigner }

func (k keypair) GetHashAlgorithm() protocommon.HashAlgorithm {
	switch k.s.hash {
	case crypto.SHA384:
		return protocommon.HashAlgorithm_SHA2_384
	case crypto.SHA512:
		return protocommon.HashAlgorithm_SHA2_512
	default:
		return protocommon.HashAlgorithm_SHA2_256
	}
}

func (k keypair) GetHint() []byte         { return []byte(k.s.hint) }
func (k keypair) GetKeyAlgorithm() string { return "ECDSA" }

func (k keypair) GetPublicKeyPem() (string, error) {
	b, err := MarshalPublicKey(k.s.key.Public())
	return string(b), err
}

func (k keypair) SignData(data []byte) ([]byte, []byte, error) {
	h := k.s.hash.New()
	h.Write(data)
	digest := h.Sum(nil)
	sig, err := ecdsa.SignASN1(rand.Reader, k.s.key, digest)
	if err != nil {
		return nil, nil, fmt.Errorf("signing: %w", err)
	}
	return sig, digest, nil
}
