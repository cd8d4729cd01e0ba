package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Building and signing apart: attest writes the statement, sign signs it
// only for the subject it names.
func TestAttestUnsignedThenSign(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := testEnv(t, nil)
	key, pub := keys(t, env, dir, "k")
	artifact := writeFile(t, dir, "app.bin", "the artifact")
	other := writeFile(t, dir, "other.bin", "another artifact")
	tests := writeFile(t, dir, "tests.json", `{"Action":"pass","Package":"p","Test":"TestA"}`+"\n")
	stmt := filepath.Join(dir, "app.statement.json")

	r := run(t, env, "attest", artifact, "--type", "test", "--predicate", tests, "--unsigned-out", stmt, "--output", "json")
	expect(t, r, 0)
	var rep attestReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.StatementFile != stmt || rep.Signer != "" || rep.BundleFile != "" {
		t.Errorf("report = %+v, want only the statement file", rep)
	}
	var st struct {
		Type          string `json:"_type"`
		PredicateType string `json:"predicateType"`
	}
	if err := json.Unmarshal([]byte(readFile(t, stmt)), &st); err != nil || st.Type != "https://in-toto.io/Statement/v1" || st.PredicateType != "https://in-toto.io/attestation/test-result/v0.1" {
		t.Fatalf("statement file = %s (%v)", readFile(t, stmt), err)
	}

	bundle := filepath.Join(dir, "app.sigstore.json")
	r = run(t, env, "sign", stmt, "--subject", artifact, "--key", key, "--bundle-out", bundle)
	expect(t, r, 0)
	expect(t, run(t, env, "verify", artifact, "--bundle", bundle, "--key", pub, "--type", "test"), 0)

	// A statement about another artifact is refused, and nothing is written.
	refused := filepath.Join(dir, "refused.json")
	r = run(t, env, "sign", stmt, "--subject", other, "--key", key, "--bundle-out", refused)
	expect(t, r, 1, "subject mismatch", "refusing to sign a statement about another artifact")
	if _, err := os.Stat(refused); !os.IsNotExist(err) {
		t.Error("a refused sign wrote a bundle")
	}

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"not a statement", []string{"sign", writeFile(t, dir, "x.json", `{"hello":1}`), "--subject", artifact, "--key", key, "--bundle-out", refused}, 2, "expected an in-toto Statement v1"},
		{"invalid statement", []string{"sign", writeFile(t, dir, "y.json", `{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"x","predicate":{}}`), "--subject", artifact, "--key", key, "--bundle-out", refused}, 2, "not a valid in-toto Statement v1"},
		{"missing statement", []string{"sign", filepath.Join(dir, "none.json"), "--subject", artifact, "--key", key, "--bundle-out", refused}, 2, "none.json: no such file"},
		{"no subject", []string{"sign", stmt, "--key", key, "--bundle-out", refused}, 2, "--subject is required"},
		{"tag subject", []string{"sign", stmt, "--subject", "oci://127.0.0.1:1/a/b:v1", "--key", key, "--bundle-out", refused}, 2, "oci://127.0.0.1:1/a/b:v1"},
		{"key and keyless", []string{"sign", stmt, "--subject", artifact, "--key", key, "--keyless", "--bundle-out", refused}, 2, "keyless"},
		{"keyless without a token", []string{"sign", stmt, "--subject", artifact, "--bundle-out", refused}, 2, "keyless signing needs an OIDC token"},
		{"unsigned with bundle", []string{"attest", artifact, "--type", "test", "--predicate", tests, "--unsigned-out", stmt, "--bundle-out", refused}, 2, "unsigned-out"},
		{"unknown sigstore", []string{"sign", stmt, "--subject", artifact, "--sigstore", "acme", "--bundle-out", refused}, 2, `--sigstore "acme"`},
		{"pkcs11 without support", []string{"sign", stmt, "--subject", artifact, "--key", "pkcs11:token=t;object=k?module-path=/usr/lib/softhsm/libsofthsm2.so", "--bundle-out", refused}, 2, "pkcs11"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, env, tc.args...)
			expect(t, r, tc.code, tc.want)
			if _, err := os.Stat(refused); !os.IsNotExist(err) {
				t.Fatal("a failed command wrote a bundle")
			}
		})
	}
}

// Keyless signing needs no key flag; without a token it fails before any
// work, and the Actions request token never appears in the error.
func TestKeylessTokenNotPrinted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := testEnv(t, map[string]string{
		"ACTIONS_ID_TOKEN_REQUEST_URL":   "http://127.0.0.1:1/token",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": "secret-request-token-0123",
	})
	artifact := writeFile(t, dir, "app.bin", "x")
	pred := writeFile(t, dir, "p.json", "{}")
	r := run(t, env, "attest", artifact, "--type", "custom", "--predicate", pred, "--predicate-type", "https://x.example/p", "--bundle-out", filepath.Join(dir, "b.json"), "--fulcio-url", "http://127.0.0.1:1", "--rekor-url", "http://127.0.0.1:1")
	expect(t, r, 2, "id-token: write")
	if strings.Contains(r.errText()+r.stdout+r.stderr, "secret-request-token-0123") {
		t.Errorf("the Actions request token appears in the output: %v", r.err)
	}
}
