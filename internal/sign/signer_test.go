package sign

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
)

// A key in memory signs deterministically (RFC 6979): the same statement
// gives the same bundle, which reproducible evidence packs rely on, and
// another statement another signature.
func TestKeySignerDeterministic(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewKeySigner(key)
	if err != nil {
		t.Fatal(err)
	}
	stmt := []byte(`{"_type":"https://in-toto.io/Statement/v1"}`)
	sig := func(st []byte) []byte {
		b, err := s.SignStatement(context.Background(), st)
		if err != nil {
			t.Fatal(err)
		}
		env := b.GetDsseEnvelope()
		if len(env.GetSignatures()) != 1 {
			t.Fatalf("bundle has %d signatures", len(env.GetSignatures()))
		}
		return env.GetSignatures()[0].GetSig()
	}
	a, b := sig(stmt), sig(stmt)
	if !bytes.Equal(a, b) {
		t.Error("two signatures of the same statement differ")
	}
	if bytes.Equal(a, sig([]byte(`{"_type":"other"}`))) {
		t.Error("two statements got the same signature")
	}
}
