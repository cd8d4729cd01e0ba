package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	sgsign "github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// InTotoPayloadType is the DSSE payload type of an in-toto statement.
const InTotoPayloadType = "application/vnd.in-toto+json"

// Signer signs in-toto statements into Sigstore bundles.
type Signer interface {
	// SignStatement signs statement (in-toto Statement JSON) as a DSSE
	// envelope and returns the Sigstore bundle that carries it.
	SignStatement(ctx context.Context, statement []byte) (*protobundle.Bundle, error)
	// SignBlob signs data itself: a Sigstore bundle holding a message
	// signature over its SHA-256, as cosign sign-blob --bundle makes.
	SignBlob(ctx context.Context, data []byte) (*protobundle.Bundle, error)
	// Identity names who signs, for reports: "key KEYID", "kms URI",
	// "pkcs11 …", or the certificate identity of a keyless signature.
	Identity() string
}

// KeySigner signs with a key that stays where it is: in memory (a key
// file, an ephemeral key), in a KMS, or in an HSM. Its bundles carry the
// key's hint, not a certificate, and verify with the public key.
type KeySigner struct {
	sv signature.SignerVerifier
	// priv, for a key in memory, signs deterministically (RFC 6979), so
	// the same statement gives the same bundle: reproducible packs.
	priv *ecdsa.PrivateKey
	pub  *ecdsa.PublicKey
	hash crypto.Hash
	hint string
	kind string // "key", "kms URI", "pkcs11 URI"
	// transparency, when set, logs the signature and/or has it
	// timestamped, so verifiers can tell when it was made.
	transparency Transparency
}

var _ Signer = (*KeySigner)(nil)

// NewKeySigner returns a signer for a private key held in memory.
func NewKeySigner(key *ecdsa.PrivateKey) (*KeySigner, error) {
	h := HashFor(&key.PublicKey)
	sv, err := signature.LoadECDSASignerVerifier(key, h)
	if err != nil {
		return nil, fmt.Errorf("loading key: %w", err)
	}
	s, err := NewSignerVerifierSigner(sv, h, "key")
	if err != nil {
		return nil, err
	}
	s.priv = key
	return s, nil
}

// NewSignerVerifierSigner wraps a sigstore SignerVerifier (a KMS key, an
// HSM key, a key in memory); kind names it in reports and errors.
func NewSignerVerifierSigner(sv signature.SignerVerifier, h crypto.Hash, kind string) (*KeySigner, error) {
	pk, err := sv.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("%s: reading the public key: %w", kind, err)
	}
	pub, ok := pk.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: %s: expected an ECDSA key, found %s", ErrBadKey, kind, keyTypeName(pk))
	}
	if err := checkCurve(pub.Curve); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadKey, kind, err)
	}
	hint, err := KeyID(pub)
	if err != nil {
		return nil, err
	}
	return &KeySigner{sv: sv, pub: pub, hash: h, hint: hint, kind: kind}, nil
}

// WithTransparency has the signatures logged in the Rekor (v1 or v2) log
// and/or timestamped by the RFC 3161 authority that t names (either may be
// empty). It refuses a Rekor v2 log without a timestamp authority.
func (s *KeySigner) WithTransparency(t Transparency) (*KeySigner, error) {
	if err := t.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", s.kind, err)
	}
	s.transparency = t
	return s, nil
}

// Public returns the signer's public key.
func (s *KeySigner) Public() *ecdsa.PublicKey { return s.pub }

// Identity implements Signer.
func (s *KeySigner) Identity() string {
	if s.kind == "key" {
		return "key " + s.hint
	}
	return s.kind + " (key " + s.hint + ")"
}

// SignStatement implements Signer.
func (s *KeySigner) SignStatement(ctx context.Context, statement []byte) (*protobundle.Bundle, error) {
	return s.sign(ctx, "statement", &sgsign.DSSEData{Data: statement, PayloadType: InTotoPayloadType})
}

// SignBlob implements Signer.
func (s *KeySigner) SignBlob(ctx context.Context, data []byte) (*protobundle.Bundle, error) {
	return s.sign(ctx, "blob", &sgsign.PlainData{Data: data})
}

func (s *KeySigner) sign(ctx context.Context, what string, content sgsign.Content) (*protobundle.Bundle, error) {
	opts := sgsign.BundleOptions{Context: ctx}
	if err := s.transparency.apply(&opts, defaultTimeout); err != nil {
		return nil, fmt.Errorf("signing %s with %s: %w", what, s.kind, err)
	}
	b, err := sgsign.Bundle(content, keypair{s: s}, opts)
	if err != nil {
		return nil, fmt.Errorf("signing %s with %s: %w", what, s.kind, err)
	}
	return b, nil
}

// keypair adapts KeySigner to sigstore-go's sign.Keypair.
type keypair struct {
	s *KeySigner
}

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

func (k keypair) GetHint() []byte                { return []byte(k.s.hint) }
func (k keypair) GetKeyAlgorithm() string        { return "ECDSA" }
func (k keypair) GetPublicKey() crypto.PublicKey { return k.s.pub }

// GetSigningAlgorithm names the key's curve and hash as the trusted root
// and Rekor v2 name them.
func (k keypair) GetSigningAlgorithm() protocommon.PublicKeyDetails {
	switch k.s.hash {
	case crypto.SHA384:
		return protocommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_384
	case crypto.SHA512:
		return protocommon.PublicKeyDetails_PKIX_ECDSA_P521_SHA_512
	default:
		return protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256
	}
}

func (k keypair) GetPublicKeyPem() (string, error) {
	b, err := MarshalPublicKey(k.s.pub)
	return string(b), err
}

func (k keypair) SignData(ctx context.Context, data []byte) ([]byte, []byte, error) {
	if k.s.priv != nil {
		d := digest(k.s.hash, data)
		sig, err := k.s.priv.Sign(nil, d, k.s.hash) // nil: RFC 6979
		if err != nil {
			return nil, nil, fmt.Errorf("signing: %w", err)
		}
		return sig, d, nil
	}
	sig, err := k.s.sv.SignMessage(bytes.NewReader(data), options.WithContext(ctx), options.WithCryptoSignerOpts(k.s.hash))
	if err != nil {
		return nil, nil, fmt.Errorf("signing: %w", err)
	}
	return sig, digest(k.s.hash, data), nil
}

func digest(h crypto.Hash, data []byte) []byte {
	switch h {
	case crypto.SHA384:
		d := sha512.Sum384(data)
		return d[:]
	case crypto.SHA512:
		d := sha512.Sum512(data)
		return d[:]
	default:
		d := sha256.Sum256(data)
		return d[:]
	}
}
