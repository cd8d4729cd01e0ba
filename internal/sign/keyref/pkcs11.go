package keyref

import (
	"crypto"
	"errors"
	"fmt"
	"strings"

	"github.com/sigstore/cosign/v2/pkg/cosign/pkcs11key"

	"github.com/relproof/relproof/internal/sign"
)

// PINEnv holds the PIN of the PKCS#11 token.
const PINEnv = "RELPROOF_PKCS11_PIN"

// IsPKCS11 reports whether ref is an RFC 7512 PKCS#11 URI.
func IsPKCS11(ref string) bool { return strings.HasPrefix(ref, "pkcs11:") }

// PKCS11Signer is a KeySigner whose key is in an HSM; Close releases the
// session.
type PKCS11Signer struct {
	*sign.KeySigner
	key *pkcs11key.Key
}

// Close ends the PKCS#11 session.
func (p *PKCS11Signer) Close() { p.key.Close() }

// NewPKCS11Signer opens the key that the PKCS#11 URI names (module-path,
// token or slot-id, object or id). The PIN comes from pin (the PINEnv
// variable), never from the URI's pin-value, and never appears in errors.
// Signing happens in the HSM. It needs a build with cgo and the pkcs11key
// tag, as cosign's does.
func NewPKCS11Signer(ref string, pin string) (*PKCS11Signer, error) {
	conf := pkcs11key.NewPkcs11UriConfig()
	if err := conf.Parse(ref); err != nil {
		return nil, fmt.Errorf("%w: PKCS#11 URI %s: %w", sign.ErrBadKey, sign.RedactKeyRef(ref), err)
	}
	if conf.Pin != "" {
		return nil, fmt.Errorf("%w: PKCS#11 URI %s carries pin-value: put the PIN in %s instead, so it stays out of command lines and logs", sign.ErrBadKey, sign.RedactKeyRef(ref), PINEnv)
	}
	conf.Pin = pin
	key, err := pkcs11key.GetKeyWithURIConfig(conf, false)
	if err != nil {
		if err.Error() == "unimplemented" {
			return nil, errors.New("PKCS#11 keys need a relproof built with cgo and the pkcs11key tag: CGO_ENABLED=1 go build -tags pkcs11key ./cmd/relproof")
		}
		return nil, fmt.Errorf("%w: PKCS#11 key %s: %s", sign.ErrBadKey, sign.RedactKeyRef(ref), sign.Redact(err.Error(), pin))
	}
	sv, err := key.SignerVerifier()
	if err != nil {
		key.Close()
		return nil, fmt.Errorf("%w: PKCS#11 key %s: %s", sign.ErrBadKey, sign.RedactKeyRef(ref), sign.Redact(err.Error(), pin))
	}
	ks, err := sign.NewSignerVerifierSigner(sv, crypto.SHA256, "pkcs11 "+sign.RedactKeyRef(ref))
	if err != nil {
		key.Close()
		return nil, err
	}
	return &PKCS11Signer{KeySigner: ks, key: key}, nil
}
