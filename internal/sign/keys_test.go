package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
)

func TestGenerateAndParseKeyPair(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		password  string
		encrypted bool
		pemType   string
	}{
		{name: "plain", password: "", encrypted: false, pemType: "PRIVATE KEY"},
		{name: "encrypted", password: "correct horse", encrypted: true, pemType: "ENCRYPTED SIGSTORE PRIVATE KEY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			kp, err := GenerateKeyPair([]byte(tc.password))
			if err != nil {
				t.Fatal(err)
			}
			if kp.Encrypted != tc.encrypted {
				t.Errorf("Encrypted = %v, want %v", kp.Encrypted, tc.encrypted)
			}
			block, _ := pem.Decode(kp.PrivatePEM)
			if block == nil || block.Type != tc.pemType {
				t.Fatalf("private key PEM type = %v, want %q", block, tc.pemType)
			}
			if tc.encrypted && strings.Contains(string(kp.PrivatePEM), tc.password) {
				t.Error("encrypted key contains the password")
			}
			priv, err := ParsePrivateKey("k.key", kp.PrivatePEM, []byte(tc.password))
			if err != nil {
				t.Fatal(err)
			}
			if priv.Curve != elliptic.P256() {
				t.Errorf("curve = %v, want P-256", priv.Curve.Params().Name)
			}
			pub, err := ParsePublicKey("k.pub", kp.PublicPEM)
			if err != nil {
				t.Fatal(err)
			}
			if !priv.PublicKey.Equal(pub) {
				t.Error("public key does not match the private key")
			}
		})
	}
}

func TestParsePrivateKeyErrors(t *testing.T) {
	t.Parallel()
	enc, err := GenerateKeyPair([]byte("s3cret-password"))
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaDER, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	edDER, _ := x509.MarshalPKCS8PrivateKey(edKey)
	for _, tc := range []struct {
		name     string
		data     []byte
		password string
		want     string
	}{
		{"not PEM", []byte("hello"), "", "expected a PEM private key, found no PEM block"},
		{"public key", enc.PublicPEM, "", "is a public key; signing needs the private key"},
		{"RSA", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: rsaDER}), "", "expected an ECDSA key, found RSA 2048"},
		{"Ed25519", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: edDER}), "", "expected an ECDSA key, found Ed25519"},
		{"certificate", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}), "", `found "CERTIFICATE"`},
		{"encrypted without password", enc.PrivatePEM, "", "is encrypted: set RELPROOF_KEY_PASSWORD"},
		{"encrypted with wrong password", enc.PrivatePEM, "wrong-password", "decrypting with RELPROOF_KEY_PASSWORD failed"},
		{"garbage DER", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("xx")}), "", "k.key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParsePrivateKey("k.key", tc.data, []byte(tc.password))
			if !errors.Is(err, ErrBadKey) {
				t.Fatalf("err = %v, want ErrBadKey", err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "k.key") {
				t.Errorf("err = %q, want it to name k.key and say %q", err, tc.want)
			}
			for _, secret := range []string{"s3cret-password", "wrong-password"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error leaks the password: %q", err)
				}
			}
		})
	}
}

func TestParsePublicKeyErrors(t *testing.T) {
	t.Parallel()
	kp, err := GenerateKeyPair(nil)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	rsaDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	x25519, _ := ecdh.X25519().GenerateKey(rand.Reader)
	x25519DER, _ := x509.MarshalPKIXPublicKey(x25519.PublicKey())
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "found no PEM block"},
		{"private key", kp.PrivatePEM, `expected a PEM block of type "PUBLIC KEY", found "PRIVATE KEY"`},
		{"short RSA", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: rsaDER}), "expected an RSA key of at least 2048 bits, found 1024 bits"},
		{"X25519", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: x25519DER}), "expected an ECDSA, RSA or Ed25519 public key, found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParsePublicKey("k.pub", tc.data)
			if !errors.Is(err, ErrBadKey) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrBadKey saying %q", err, tc.want)
			}
		})
	}
}

// The public keys Sigstore verifies parse, and each gets a verifier that
// checks its own signatures.
func TestParsePublicKeyTypes(t *testing.T) {
	t.Parallel()
	ecKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	msg := []byte("relproof")
	for _, tc := range []struct {
		name string
		priv crypto.Signer
		sign func() []byte
	}{
		{"ECDSA P-384", ecKey, func() []byte {
			d := sha512.Sum384(msg)
			sig, _ := ecKey.Sign(rand.Reader, d[:], crypto.SHA384)
			return sig
		}},
		{"RSA 2048", rsaKey, func() []byte {
			d := sha256.Sum256(msg)
			sig, _ := rsa.SignPKCS1v15(rand.Reader, rsaKey, crypto.SHA256, d[:])
			return sig
		}},
		{"Ed25519", edKey, func() []byte { return ed25519.Sign(edKey, msg) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pemBytes, err := MarshalPublicKey(tc.priv.Public())
			if err != nil {
				t.Fatal(err)
			}
			pub, err := ParsePublicKey("k.pub", pemBytes)
			if err != nil {
				t.Fatal(err)
			}
			v, err := LoadVerifier(pub)
			if err != nil {
				t.Fatal(err)
			}
			if err := v.VerifySignature(bytes.NewReader(tc.sign()), bytes.NewReader(msg)); err != nil {
				t.Errorf("own signature does not verify: %v", err)
			}
			if err := v.VerifySignature(bytes.NewReader(tc.sign()), bytes.NewReader([]byte("other"))); err == nil {
				t.Error("a signature over another message verifies")
			}
		})
	}
}

func TestParseSEC1AndP384(t *testing.T) {
	t.Parallel()
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalECPrivateKey(k)
	got, err := ParsePrivateKey("k.key", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if HashFor(&got.PublicKey).String() != "SHA-384" {
		t.Errorf("hash for P-384 = %v, want SHA-384", HashFor(&got.PublicKey))
	}
}
