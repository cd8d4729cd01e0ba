// Package keytest makes throwaway signing keys for tests: a P-256 key
// signer and its public key as PEM, the shape a policy's key: signer reads.
package keytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"

	"github.com/relproof/relproof/internal/sign"
)

// Signer is a new P-256 key signer and its public key (PEM).
func Signer(t testing.TB) (*sign.KeySigner, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := sign.NewKeySigner(key)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := sign.MarshalPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return signer, pub
}
