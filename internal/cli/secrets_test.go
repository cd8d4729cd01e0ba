package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The README's promise: passwords, PINs, tokens and private keys never
// appear in output, errors or written files. Every secret-bearing input of
// every command that takes one gets a planted secret; the test fails on any
// trace of one, whether the command succeeds or fails.
func TestSecretsNeverPrinted(t *testing.T) {
	t.Parallel()
	const (
		password = "planted-password-5f2c"
		ghToken  = "planted-github-token-9a1b"
		oidc     = "planted-oidc-token-77aa"
		reqToken = "planted-request-token-31c3"
		pin      = "planted-pin-4411"
		kmsToken = "planted-vault-token-2b2b"
		kmsPass  = "planted-kms-password-6e6e"
	)
	dir := t.TempDir()
	env := testEnv(t, map[string]string{
		PasswordEnv:                      password,
		"GITHUB_TOKEN":                   ghToken,
		"SIGSTORE_ID_TOKEN":              oidc,
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": reqToken,
		"ACTIONS_ID_TOKEN_REQUEST_URL":   "http://127.0.0.1:1/token",
		"RELPROOF_PKCS11_PIN":            pin,
		"GITHUB_API_URL":                 "http://127.0.0.1:1",
		"RELPROOF_GITHUB_TIMEOUT":        "1s", // no GitHub is there: fail fast
		"GITHUB_REPOSITORY":              "acme/app",
		"GITHUB_RUN_ID":                  "4242",
		"GITHUB_SHA":                     strings.Repeat("a", 40),
	})
	key, pub := keys(t, env, dir, "release") // encrypted with the planted password
	pemKey, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	// A second, unencrypted key whose PEM is pasted where a path belongs.
	plainEnv := testEnv(t, nil)
	plainKey, _ := keys(t, plainEnv, dir, "plain")
	plainPEM, err := os.ReadFile(plainKey)
	if err != nil {
		t.Fatal(err)
	}
	pemBody := strings.Split(strings.TrimSpace(string(plainPEM)), "\n")[1] // a line of the key itself
	artifact := writeFile(t, dir, "app.bin", "the artifact")
	pred := writeFile(t, dir, "p.json", `{"ok":true}`)
	out := filepath.Join(dir, "out")
	secrets := []string{password, ghToken, oidc, reqToken, pin, kmsToken, kmsPass, pemBody}

	keyInputs := map[string]string{
		"inline PEM":        string(plainPEM),
		"vault token":       "hashivault://release?token=" + kmsToken,
		"PKCS#11 pin-value": "pkcs11:token=t;object=k;pin-value=" + pin + "?module-path=/nonexistent.so",
	}
	// A KMS URI with user information, where a public key is read (the KMS
	// client itself would spend a minute looking for cloud credentials).
	awsKMS := "awskms://admin:" + kmsPass + "@127.0.0.1:1/alias/release"
	var cases [][]string
	for _, k := range keyInputs {
		cases = append(cases,
			[]string{"attest", artifact, "--type", "custom", "--predicate-type", "https://example.com/v1", "--predicate", pred, "--key", k, "--bundle-out", out},
			[]string{"sign", "--blob", artifact, "--key", k, "--bundle-out", out},
			[]string{"verify", artifact, "--bundle", out, "--key", k},
			[]string{"verify", artifact, "--bundle", out, "--key", pub, "--vsa-out", out + ".vsa", "--vsa-key", k},
			[]string{"pack", "verify", dir, "--key", pub, "--attestation-key", k},
			[]string{"approval", "record", "sha256:" + strings.Repeat("ab", 32), "--environment", "production", "--key", k},
			[]string{"deploy", "record", "sha256:" + strings.Repeat("ab", 32), "--environment", "production", "--key", k},
		)
	}
	cases = append(cases,
		[]string{"verify", artifact, "--bundle", out, "--key", awsKMS},
		[]string{"pack", "verify", dir, "--key", pub, "--attestation-key", awsKMS},
		// The password decrypts the key: it must not echo.
		[]string{"attest", artifact, "--type", "custom", "--predicate-type", "https://example.com/v1", "--predicate", pred, "--key", key, "--bundle-out", out},
		// Keyless with a planted OIDC token (not a JWT) and request token.
		[]string{"attest", artifact, "--type", "custom", "--predicate-type", "https://example.com/v1", "--predicate", pred, "--keyless", "--fulcio-url", "http://127.0.0.1:1", "--rekor-url", "http://127.0.0.1:1", "--bundle-out", out},
		[]string{"sign", "--blob", artifact, "--keyless", "--fulcio-url", "http://127.0.0.1:1", "--tsa-url", "http://127.0.0.1:1", "--bundle-out", out},
		// GitHub calls with the planted token, to a server that is not there.
		[]string{"approval", "record", "sha256:" + strings.Repeat("ab", 32), "--environment", "production", "--key", key},
		[]string{"deploy", "record", "sha256:" + strings.Repeat("ab", 32), "--environment", "production", "--key", key},
		[]string{"verify", artifact, "--bundle", out, "--key", pub, "--from-github"},
		[]string{"key", "generate", "--out", filepath.Join(dir, "again")},
	)
	for _, args := range cases {
		r := run(t, env, args...)
		for _, s := range secrets {
			if strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s) || strings.Contains(r.errText(), s) {
				t.Errorf("relproof %s printed a planted secret %q:\nstdout: %s\nstderr: %s\nerror: %s", strings.Join(args[:2], " "), s, r.stdout, r.stderr, r.errText())
			}
		}
	}
	// Nothing written holds a secret, but the key files the test made.
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".key") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("%s holds a planted secret %q", p, s)
			}
		}
		if bytes.Contains(data, pemKey) {
			t.Errorf("%s holds the private key", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
