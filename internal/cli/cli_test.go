package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// result is one command run: what it printed and how it would exit.
type result struct {
	stdout, stderr string
	code           int
	err            error
}

// errText is what main prints on stderr for the error.
func (r result) errText() string {
	if r.err == nil {
		return ""
	}
	return r.err.Error()
}

var fixedNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// testEnv is a world with no environment variables but those given.
func testEnv(t testing.TB, vars map[string]string) *Env {
	t.Helper()
	return &Env{
		Getenv: func(k string) string { return vars[k] },
		Now:    func() time.Time { return fixedNow },
		Dir:    t.TempDir(),
	}
}

func run(t testing.TB, env *Env, args ...string) result {
	t.Helper()
	cmd := New(env)
	var out, errb bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return result{stdout: out.String(), stderr: errb.String(), code: ExitCode(err), err: err}
}

// expect checks the exit code and that the error says each of want.
func expect(t testing.TB, r result, code int, want ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d; error: %v\nstdout: %s", r.code, code, r.err, r.stdout)
	}
	for _, w := range want {
		if !strings.Contains(r.errText(), w) {
			t.Errorf("error %q does not say %q", r.errText(), w)
		}
	}
}

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// keys generates a key pair under dir and returns the private and public paths.
func keys(t testing.TB, env *Env, dir, prefix string) (string, string) {
	t.Helper()
	r := run(t, env, "key", "generate", "--out", filepath.Join(dir, prefix))
	expect(t, r, 0)
	return filepath.Join(dir, prefix+".key"), filepath.Join(dir, prefix+".pub")
}

func TestKeyGenerate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := testEnv(t, map[string]string{PasswordEnv: "hunter2-password"})
	r := run(t, env, "key", "generate", "--out", filepath.Join(dir, "release"), "--output", "json")
	expect(t, r, 0)
	var rep keyGenerateReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, r.stdout)
	}
	if !rep.Encrypted || rep.KeyID == "" || rep.PrivateKey != filepath.Join(dir, "release.key") {
		t.Errorf("report = %+v", rep)
	}
	fi, err := os.Stat(rep.PrivateKey)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("private key mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	priv, _ := os.ReadFile(rep.PrivateKey)
	if !strings.Contains(string(priv), "ENCRYPTED SIGSTORE PRIVATE KEY") {
		t.Errorf("private key is not encrypted:\n%s", priv)
	}
	if strings.Contains(r.stdout+r.stderr, "hunter2-password") {
		t.Error("the password appears in the output")
	}

	r = run(t, env, "key", "generate", "--out", filepath.Join(dir, "release"))
	expect(t, r, 2, "release.key exists; refusing to overwrite")
	expect(t, run(t, env, "key", "generate", "--out", filepath.Join(dir, "release"), "--force"), 0)
	expect(t, run(t, env, "key", "generate"), 2, `required flag(s) "out" not set`)
	expect(t, run(t, env, "key", "generate", "--out", filepath.Join(dir, "missing", "k")), 2, "missing")
}

func TestAttestVerifyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := testEnv(t, nil)
	key, pub := keys(t, env, dir, "k")
	_, otherPub := keys(t, env, dir, "other")
	artifact := writeFile(t, dir, "app.bin", "the release artifact")
	otherArtifact := writeFile(t, dir, "other.bin", "another artifact")
	pred := writeFile(t, dir, "pred.json", `{"checked":true}`)
	bundle := filepath.Join(dir, "app.sigstore.json")

	r := run(t, env, "attest", artifact, "--type", "custom", "--predicate", pred, "--predicate-type", "https://example.com/check/v1", "--key", key, "--bundle-out", bundle, "--output", "json")
	expect(t, r, 0)
	var rep attestReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	// sha256 of "the release artifact", computed independently with sha256sum.
	const wantDigest = "sha256:cb8828660a6e9f2f863b92fd123b207b4307a5a30b70788c055a47ad30031489"
	if rep.Digest != wantDigest || rep.Subject != "app.bin@"+wantDigest || rep.BundleFile != bundle || rep.PredicateType != "https://example.com/check/v1" {
		t.Errorf("report = %+v", rep)
	}

	r = run(t, env, "verify", artifact, "--bundle", bundle, "--key", pub)
	expect(t, r, 0)
	if !strings.Contains(r.stdout, "1 of 1 bundles verified") {
		t.Errorf("stdout = %s", r.stdout)
	}
	expect(t, run(t, env, "verify", rep.Digest, "--bundle", bundle, "--key", pub, "--predicate-type", "https://example.com/check/v1"), 0)

	// Each failed check exits 1 and says why.
	expect(t, run(t, env, "verify", artifact, "--bundle", bundle, "--key", otherPub), 1, "not verified", "bundle was signed by key")
	expect(t, run(t, env, "verify", otherArtifact, "--bundle", bundle, "--key", pub), 1, "subject mismatch: expected sha256:")
	expect(t, run(t, env, "verify", artifact, "--bundle", bundle, "--key", pub, "--type", "provenance"), 1, `predicate type mismatch: expected "https://slsa.dev/provenance/v1"`)
	tampered := writeFile(t, dir, "tampered.json", strings.Replace(readFile(t, bundle), `"payload":"`, `"payload":"AAAA`, 1))
	expect(t, run(t, env, "verify", artifact, "--bundle", tampered, "--key", pub), 1, "tampered.json")
	malformed := writeFile(t, dir, "malformed.json", `{"mediaType": 42}`)
	expect(t, run(t, env, "verify", artifact, "--bundle", malformed, "--key", pub), 1, "malformed bundle", "malformed.json")

	// The JSON report lists each bundle tried and why it failed.
	r = run(t, env, "verify", artifact, "--bundle", bundle, "--key", otherPub, "--output", "json")
	expect(t, r, 1)
	var vr struct {
		Subject  string `json:"subject"`
		Verified []any  `json:"verified"`
		Rejected []struct{ Source, Reason string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &vr); err != nil {
		t.Fatalf("verify --output json: %v\n%s", err, r.stdout)
	}
	if vr.Subject != rep.Digest || len(vr.Verified) != 0 || len(vr.Rejected) != 1 || vr.Rejected[0].Source != bundle {
		t.Errorf("json report = %+v", vr)
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAttestBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := testEnv(t, nil)
	key, pub := keys(t, env, dir, "k")
	artifact := writeFile(t, dir, "app.bin", "x")
	badJSON := writeFile(t, dir, "bad.json", `{"a":`)
	otherScan := writeFile(t, dir, "trivy.json", `{"SchemaVersion":2,"ArtifactName":"r@sha256:`+strings.Repeat("cd", 32)+`","ArtifactType":"container_image","Metadata":{"RepoDigests":["r@sha256:`+strings.Repeat("cd", 32)+`"]},"Results":[]}`)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsaDER, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	rsaPath := writeFile(t, dir, "rsa.key", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: rsaDER})))
	out := filepath.Join(dir, "out.json")
	base := []string{"attest", artifact, "--key", key, "--bundle-out", out}

	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"no subject", []string{"attest", "--type", "provenance", "--key", key, "--bundle-out", out}, []string{"takes one SUBJECT, found 0"}},
		{"missing subject file", []string{"attest", filepath.Join(dir, "nope.bin"), "--type", "provenance", "--key", key, "--bundle-out", out}, []string{"nope.bin"}},
		{"missing key", []string{"attest", artifact, "--type", "provenance", "--key", filepath.Join(dir, "none.key"), "--bundle-out", out}, []string{"private key", "none.key: no such file"}},
		{"public key as private", []string{"attest", artifact, "--type", "provenance", "--key", pub, "--bundle-out", out}, []string{"is a public key"}},
		{"RSA key", []string{"attest", artifact, "--type", "provenance", "--key", rsaPath, "--bundle-out", out}, []string{"rsa.key", "expected an ECDSA key, found RSA 2048"}},
		{"unknown type", append(base, "--type", "sbom2"), []string{`--type "sbom2": expected one of`}},
		{"no type", base, []string{`required flag(s) "type" not set`}},
		{"no output", []string{"attest", artifact, "--type", "provenance", "--key", key}, []string{"bundle-out", "push"}},
		{"missing predicate", append(base, "--type", "test", "--predicate", filepath.Join(dir, "none.json")), []string{"predicate", "none.json: no such file"}},
		{"test without predicate", append(base, "--type", "test"), []string{"--type test needs --predicate FILE"}},
		{"malformed custom predicate", append(base, "--type", "custom", "--predicate", badJSON, "--predicate-type", "https://x.example/p"), []string{"bad.json"}},
		{"scan of another digest", append(base, "--type", "vuln", "--predicate", otherScan), []string{"trivy.json", strings.Repeat("cd", 32)}},
		{"push without registry", append(base, "--type", "custom", "--predicate", badJSON, "--predicate-type", "https://x.example/p", "--push"), []string{"--push needs an oci:// subject"}},
		{"provenance outside git", append(base, "--type", "provenance"), []string{"is not in a git repository"}},
		{"bad output format", append(base, "--type", "provenance", "--output", "yaml"), []string{`--output "yaml": expected text or json`}},
		{"unknown flag", append(base, "--type", "provenance", "--sign-harder"), []string{"unknown flag: --sign-harder"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, env, tc.args...)
			expect(t, r, 2, tc.want...)
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Fatalf("a failed attest left %s behind", out)
			}
		})
	}
}

func TestEncryptedKeyPasswordNeverPrinted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const password = "correct-horse-battery-staple"
	env := testEnv(t, map[string]string{PasswordEnv: password})
	key, pub := keys(t, env, dir, "k")
	artifact := writeFile(t, dir, "app.bin", "x")
	pred := writeFile(t, dir, "p.json", "{}")
	bundle := filepath.Join(dir, "b.json")
	args := []string{"attest", artifact, "--type", "custom", "--predicate", pred, "--predicate-type", "https://x.example/p", "--key", key, "--bundle-out", bundle}

	r := run(t, env, args...)
	expect(t, r, 0)
	expect(t, run(t, env, "verify", artifact, "--bundle", bundle, "--key", pub), 0)

	for name, e := range map[string]*Env{
		"no password":    testEnv(t, nil),
		"wrong password": testEnv(t, map[string]string{PasswordEnv: "wrong-" + password}),
	} {
		r := run(t, e, args...)
		expect(t, r, 2, "k.key")
		if strings.Contains(r.errText()+r.stdout+r.stderr, password) {
			t.Errorf("%s: the password appears in the output: %q", name, r.errText())
		}
	}
}

func TestVerifyUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := testEnv(t, nil)
	_, pub := keys(t, env, dir, "k")
	artifact := writeFile(t, dir, "app.bin", "x")
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	rsaDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	rsaPub := writeFile(t, dir, "rsa.pub", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: rsaDER})))
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"no identity", []string{"verify", artifact, "--bundle", "x"}, []string{"no signer identity: give --cert-identity"}},
		{"key and identity", []string{"verify", artifact, "--bundle", "x", "--key", pub, "--cert-identity", "me"}, []string{"apply to certificate-signed (keyless) evidence, not to --key"}},
		{"two identities", []string{"verify", artifact, "--bundle", "x", "--cert-identity", "a", "--cert-identity-regexp", "b"}, []string{"cert-identity", "cert-identity-regexp"}},
		{"identity and ignore", []string{"verify", artifact, "--bundle", "x", "--cert-identity", "a", "--insecure-ignore-identity"}, []string{"insecure-ignore-identity"}},
		{"branch without source", []string{"verify", artifact, "--bundle", "x", "--cert-identity", "a", "--source-branch", "main"}, []string{"need --source-uri"}},
		{"bad signer workflow", []string{"verify", artifact, "--bundle", "x", "--signer-workflow", "acme/app/release.yml"}, []string{"expected OWNER/REPO/.github/workflows/FILE.yml[@REF]"}},
		{"bad identity regexp", []string{"verify", artifact, "--bundle", "x", "--cert-identity-regexp", "(unclosed"}, []string{"identity"}},
		{"missing trusted root", []string{"verify", artifact, "--bundle", "x", "--insecure-ignore-identity", "--trusted-root", filepath.Join(dir, "none.json")}, []string{"trusted root", "none.json: no such file"}},
		{"malformed trusted root", []string{"verify", artifact, "--bundle", "x", "--insecure-ignore-identity", "--trusted-root", writeFile(t, dir, "root.json", `{"mediaType":"nope"}`)}, []string{"root.json: expected a Sigstore trusted_root.json"}},
		{"vsa without key", []string{"verify", artifact, "--bundle", "x", "--key", pub, "--vsa-out", "v.json"}, []string{"vsa-key"}},
		{"missing bundle file", []string{"verify", artifact, "--bundle", filepath.Join(dir, "none.json"), "--key", pub}, []string{"bundle", "none.json: no such file"}},
		{"no bundle for a file", []string{"verify", artifact, "--key", pub}, []string{"no --bundle given", "give --bundle FILE"}},
		{"short RSA public key", []string{"verify", artifact, "--bundle", "x", "--key", rsaPub}, []string{"rsa.pub", "expected an RSA key of at least 2048 bits, found 1024 bits"}},
		{"unknown type", []string{"verify", artifact, "--bundle", "x", "--key", pub, "--type", "sbom"}, []string{`--type "sbom"`}},
		{"type and predicate type", []string{"verify", artifact, "--bundle", "x", "--key", pub, "--type", "test", "--predicate-type", "https://x"}, []string{"type", "predicate-type"}},
		{"bad digest", []string{"verify", "sha256:abc", "--bundle", "x", "--key", pub}, []string{"sha256:abc"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expect(t, run(t, env, tc.args...), 2, tc.want...)
		})
	}
}
