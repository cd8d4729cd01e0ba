package keytest

import (
	"bytes"
	"testing"
)

// Each call is a new key, and the PEM is its public key.
func TestSigner(t *testing.T) {
	a, pubA := Signer(t)
	_, pubB := Signer(t)
	if a == nil || !bytes.HasPrefix(pubA, []byte("-----BEGIN PUBLIC KEY-----")) || bytes.Equal(pubA, pubB) {
		t.Errorf("signer %v, public keys %q and %q; want a signer and two distinct PEM public keys", a, pubA, pubB)
	}
}
