package sign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
	"github.com/sigstore/sigstore/pkg/signature"
)

// PEM block types. The encrypted ones are cosign's, so keys are interchangeable.
const (
	pemPrivateKey          = "PRIVATE KEY"
	pemECPrivateKey        = "EC PRIVATE KEY"
	pemPublicKey           = "PUBLIC KEY"
	pemEncryptedSigstore   = "ENCRYPTED SIGSTORE PRIVATE KEY"
	pemEncryptedCosign     = "ENCRYPTED COSIGN PRIVATE KEY"
	pemEncryptedPKCS8Plain = "ENCRYPTED PRIVATE KEY"
)

// KeyPair is a freshly generated key pair in PEM form.
type KeyPair struct {
	PrivatePEM []byte
	PublicPEM  []byte
	Encrypted  bool
}

// GenerateKeyPair makes an ECDSA P-256 key pair. With a non-empty password the
// private key is encrypted the way cosign encrypts its keys.
func GenerateKeyPair(password []byte) (*KeyPair, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("encoding private key: %w", err)
	}
	pub, err := MarshalPublicKey(priv.Public())
	if err != nil {
		return nil, err
	}
	kp := &KeyPair{PublicPEM: pub}
	if len(password) == 0 {
		kp.PrivatePEM = pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: der})
		return kp, nil
	}
	sealed, err := encrypted.Encrypt(der, password)
	if err != nil {
		return nil, fmt.Errorf("encrypting private key: %w", err)
	}
	kp.PrivatePEM = pem.EncodeToMemory(&pem.Block{Type: pemEncryptedSigstore, Bytes: sealed})
	kp.Encrypted = true
	return kp, nil
}

// MarshalPublicKey encodes a public key as a PKIX "PUBLIC KEY" PEM block.
func MarshalPublicKey(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encoding public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPublicKey, Bytes: der}), nil
}

// ParsePrivateKey reads an ECDSA private key from PEM. source names the key
// in errors (a file path). password decrypts an encrypted key; an encrypted
// key without a password is tried with the empty password (as cosign allows)
// and otherwise refused with a message that says how to supply one.
func ParsePrivateKey(source string, data, password []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: %s: expected a PEM private key, found no PEM block", ErrBadKey, source)
	}
	var der []byte
	switch block.Type {
	case pemPrivateKey, pemECPrivateKey:
		der = block.Bytes
	case pemEncryptedSigstore, pemEncryptedCosign:
		plain, err := encrypted.Decrypt(block.Bytes, password)
		if err != nil {
			if len(password) == 0 {
				return nil, fmt.Errorf("%w: %s is encrypted: set RELPROOF_KEY_PASSWORD to its password", ErrBadKey, source)
			}
			return nil, fmt.Errorf("%w: %s: decrypting with RELPROOF_KEY_PASSWORD failed (wrong password?)", ErrBadKey, source)
		}
		der = plain
	case pemPublicKey:
		return nil, fmt.Errorf("%w: %s is a public key; signing needs the private key (the .key file)", ErrBadKey, source)
	case pemEncryptedPKCS8Plain:
		return nil, fmt.Errorf("%w: %s: PKCS#8 password-encrypted keys are not supported; use `relproof key generate` or a cosign key", ErrBadKey, source)
	default:
		return nil, fmt.Errorf("%w: %s: expected a PEM block of type %q or %q, found %q", ErrBadKey, source, pemPrivateKey, pemEncryptedSigstore, block.Type)
	}
	key, err := parsePrivateDER(der, block.Type)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadKey, source, err)
	}
	if err := checkCurve(key.Curve); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadKey, source, err)
	}
	return key, nil
}

func parsePrivateDER(der []byte, blockType string) (*ecdsa.PrivateKey, error) {
	if blockType == pemECPrivateKey {
		return x509.ParseECPrivateKey(der)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("expected an ECDSA key, found %s", keyTypeName(k))
	}
	return ec, nil
}

// ParsePublicKey reads a public key from PEM ("PUBLIC KEY"): ECDSA on
// P-256, P-384 or P-521, RSA of at least 2048 bits, or Ed25519 — the key
// types Sigstore verifies. Any other key is refused, naming what was found.
func ParsePublicKey(source string, data []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: %s: expected a PEM public key, found no PEM block", ErrBadKey, source)
	}
	if block.Type != pemPublicKey {
		return nil, fmt.Errorf("%w: %s: expected a PEM block of type %q, found %q", ErrBadKey, source, pemPublicKey, block.Type)
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadKey, source, err)
	}
	if err := CheckPublicKey(k); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadKey, source, err)
	}
	return k, nil
}

// CheckPublicKey accepts the public keys Sigstore verifies: ECDSA on P-256,
// P-384 or P-521, RSA of at least 2048 bits, and Ed25519.
func CheckPublicKey(k crypto.PublicKey) error {
	switch k := k.(type) {
	case *ecdsa.PublicKey:
		return checkCurve(k.Curve)
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < 2048 {
			return fmt.Errorf("expected an RSA key of at least 2048 bits, found %d bits", n)
		}
		return nil
	case ed25519.PublicKey:
		return nil
	}
	return fmt.Errorf("expected an ECDSA, RSA or Ed25519 public key, found %s", keyTypeName(k))
}

// LoadVerifier returns the signature verifier for a public key that
// CheckPublicKey accepts: ECDSA with the hash of its curve, RSA PKCS#1 v1.5
// with SHA-256, and Ed25519.
func LoadVerifier(k crypto.PublicKey) (signature.Verifier, error) {
	if err := CheckPublicKey(k); err != nil {
		return nil, err
	}
	switch k := k.(type) {
	case *ecdsa.PublicKey:
		return signature.LoadECDSAVerifier(k, HashFor(k))
	case *rsa.PublicKey:
		return signature.LoadRSAPKCS1v15Verifier(k, crypto.SHA256)
	default:
		return signature.LoadED25519Verifier(k.(ed25519.PublicKey))
	}
}

// KeyID is the hint a bundle carries for a public key: base64 of the SHA-256
// of its PKIX DER encoding (sigstore-go's convention).
func KeyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("encoding public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}

// HashFor is the digest a signature over a key of this curve uses.
func HashFor(pub *ecdsa.PublicKey) crypto.Hash {
	switch pub.Curve {
	case elliptic.P384():
		return crypto.SHA384
	case elliptic.P521():
		return crypto.SHA512
	default:
		return crypto.SHA256
	}
}

func checkCurve(c elliptic.Curve) error {
	switch c {
	case elliptic.P256(), elliptic.P384(), elliptic.P521():
		return nil
	}
	return errors.New("expected an ECDSA key on P-256, P-384 or P-521")
}

func keyTypeName(k any) string {
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case ed25519.PrivateKey, ed25519.PublicKey:
		return "Ed25519"
	default:
		return fmt.Sprintf("%T", k)
	}
}
