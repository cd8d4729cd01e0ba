package policy

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"io/fs"
	"strings"
	"testing"
	"time"
)

// now is the fixed time exception tests run at.
var now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

const (
	digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// files is an in-memory file system for Parse's readFile.
type files map[string]string

func (f files) read(name string) ([]byte, error) {
	s, ok := f[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return []byte(s), nil
}

// yamlText removes the leading tab indentation of a Go raw string and turns
// the remaining tabs into two spaces, so test policies line up in the source.
func yamlText(s string) string {
	s = strings.TrimPrefix(s, "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		l = strings.TrimPrefix(l, "\t\t")
		lines[i] = strings.ReplaceAll(l, "\t", "  ")
	}
	return strings.Join(lines, "\n")
}

// parse parses a policy from memory as "policies/policy.yaml".
func parse(t *testing.T, policy string, other files) *Policy {
	t.Helper()
	fsys := files{}
	for k, v := range other {
		fsys[k] = v
	}
	p, err := Parse("policies/policy.yaml", []byte(yamlText(policy)), fsys.read)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

func environment(t *testing.T, p *Policy, name string) *Environment {
	t.Helper()
	e, err := p.EffectiveEnvironment(name)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func newECDSAKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newEd25519Key(t testing.TB) ed25519.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func publicPEM(t testing.TB, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func privatePEM(t testing.TB, k *ecdsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// errorLines splits a Parse error into its problems.
func errorLines(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}
