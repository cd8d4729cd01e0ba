//go:build interop

package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relproof/relproof/internal/testing/fakesigstore"
	"github.com/relproof/relproof/internal/testing/registrytest"
)

// Interoperability with the stock tools users already trust, built at
// pinned versions by .ci/run (tools/cosign: cosign v2.6.1). Run with
// `go test -tags interop ./internal/cli/`.

// tool finds a stock binary: $RELPROOF_<NAME> or bin/<name>.
func tool(t *testing.T, name, env string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		return p
	}
	p, err := filepath.Abs(filepath.Join("../../bin", name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s not built: run `cd tools/%s && go build -o ../../bin/%s …` (see .ci/run) or set %s", p, name, name, env)
	}
	return p
}

func runTool(t *testing.T, bin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "TUF_ROOT="+t.TempDir())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// cosign verify-blob-attestation verifies a relproof bundle for a file.
func TestInteropCosignBlobAttestation(t *testing.T) {
	cosign := tool(t, "cosign", "RELPROOF_COSIGN")
	dir := t.TempDir()
	env := testEnv(t, nil)
	key, pub := keys(t, env, dir, "k")
	artifact := writeFile(t, dir, "app.bin", "the artifact")
	pred := writeFile(t, dir, "p.json", `{"checked":true}`)
	bundle := filepath.Join(dir, "b.json")
	expect(t, run(t, env, "attest", artifact, "--type", "custom", "--predicate", pred, "--predicate-type", "https://example.com/check/v1", "--key", key, "--bundle-out", bundle), 0)

	// A key-signed bundle made offline carries no log entry; cosign says so
	// and verifies the rest only with --insecure-ignore-tlog. (--trusted-root
	// keeps it from refreshing TUF, which it cannot reach here.)
	root := filepath.Join(corpusDir, "trusted_roots/public-good.trusted_root.json")
	args := []string{"verify-blob-attestation", "--new-bundle-format", "--bundle", bundle, "--key", pub, "--trusted-root", root, "--insecure-ignore-tlog", "--type", "https://example.com/check/v1"}
	if out, err := runTool(t, cosign, append(args, artifact)...); err != nil {
		t.Fatalf("cosign rejected relproof's bundle: %v\n%s", err, out)
	}
	other := writeFile(t, dir, "other.bin", "another artifact")
	if out, err := runTool(t, cosign, append(args, other)...); err == nil {
		t.Fatalf("cosign accepted relproof's bundle for another file:\n%s", out)
	}
}

// cosign verify-attestation verifies what `relproof attest --push` attached
// to an image in a registry (cosign v2.6.1 reads its .att layout, which
// relproof writes beside the OCI 1.1 referrer).
func TestInteropCosignVerifyAttestation(t *testing.T) {
	cosign := tool(t, "cosign", "RELPROOF_COSIGN")
	dir := t.TempDir()
	env := testEnv(t, nil)
	key, pub := keys(t, env, dir, "k")
	_, otherPub := keys(t, env, dir, "other")
	reg := registrytest.New(t)
	img := reg.PushRandomImage(t, "acme/app", "v1")
	pred := writeFile(t, dir, "p.json", `{"checked":true}`)
	expect(t, run(t, env, "attest", "oci://"+img.String(), "--type", "custom", "--predicate", pred, "--predicate-type", "https://example.com/check/v1", "--key", key, "--push"), 0)

	args := []string{"verify-attestation", "--insecure-ignore-tlog", "--allow-http-registry", "--type", "https://example.com/check/v1"}
	if out, err := runTool(t, cosign, append(args, "--key", pub, img.String())...); err != nil {
		t.Fatalf("cosign verify-attestation rejected relproof's attestation: %v\n%s", err, out)
	}
	if out, err := runTool(t, cosign, append(args, "--key", otherPub, img.String())...); err == nil {
		t.Fatalf("cosign verified with the wrong key:\n%s", out)
	}
	// relproof reads it back once, though it is stored both ways.
	r := run(t, env, "verify", "oci://"+img.String(), "--key", pub)
	expect(t, r, 0)
	if !bytes.Contains([]byte(r.stdout), []byte("1 of 1 bundles verified")) {
		t.Errorf("relproof verify: %s", r.stdout)
	}
}

// relproof reads what cosign writes: an attestation `cosign attest` pushed
// to the .att layout verifies with `relproof verify`, and relproof signs
// with cosign's encrypted key file.
func TestInteropReadCosignAttestation(t *testing.T) {
	cosign := tool(t, "cosign", "RELPROOF_COSIGN")
	dir := t.TempDir()
	reg := registrytest.New(t)
	img := reg.PushRandomImage(t, "acme/app", "v1")
	const password = "cosign-key-password-42"
	cmd := exec.Command(cosign, "generate-key-pair", "--output-key-prefix", filepath.Join(dir, "cosign"))
	cmd.Env = append(os.Environ(), "COSIGN_PASSWORD="+password, "HOME="+t.TempDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
	}
	pred := writeFile(t, dir, "p.json", `{"from":"cosign"}`)
	cmd = exec.Command(cosign, "attest", "--yes", "--key", filepath.Join(dir, "cosign.key"), "--tlog-upload=false", "--allow-http-registry",
		"--type", "https://example.com/cosign/v1", "--predicate", pred, img.String())
	cmd.Env = append(os.Environ(), "COSIGN_PASSWORD="+password, "HOME="+t.TempDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cosign attest: %v\n%s", err, out)
	}
	env := testEnv(t, map[string]string{PasswordEnv: password})
	r := run(t, env, "verify", "oci://"+img.String(), "--key", filepath.Join(dir, "cosign.pub"), "--predicate-type", "https://example.com/cosign/v1", "--output", "json")
	expect(t, r, 0)
	if !bytes.Contains([]byte(r.stdout), []byte(`"format": "cosign attestation"`)) {
		t.Errorf("relproof did not read cosign's layout:\n%s", r.stdout)
	}
	// cosign's encrypted key signs relproof evidence that cosign's public key verifies.
	bundle := filepath.Join(dir, "b.json")
	expect(t, run(t, env, "attest", "oci://"+img.String(), "--type", "custom", "--predicate", pred, "--predicate-type", "https://example.com/p/v1", "--key", filepath.Join(dir, "cosign.key"), "--bundle-out", bundle), 0)
	expect(t, run(t, env, "verify", "oci://"+img.String(), "--bundle", bundle, "--key", filepath.Join(dir, "cosign.pub")), 0)
}

// cosign verifies relproof's keyless bundle (Fulcio certificate, Rekor
// entry, timestamp from the loopback Sigstore) by identity, and a key
// bundle that relproof logged in Rekor without --insecure-ignore-tlog.
func TestInteropCosignKeyless(t *testing.T) {
	cosign := tool(t, "cosign", "RELPROOF_COSIGN")
	stack := fakesigstore.New(t)
	dir := t.TempDir()
	root := stack.WriteTrustedRoot(t)
	artifact := writeFile(t, dir, "app.bin", "release artifact")
	env := testEnv(t, stack.ActionsEnv(releaseClaims))
	bundle := filepath.Join(dir, "b.json")
	expect(t, run(t, env, "attest", artifact, "--type", "provenance", "--bundle-out", bundle,
		"--fulcio-url", stack.FulcioURL, "--rekor-url", stack.RekorURL, "--tsa-url", stack.TSAURL), 0)
	// The loopback Fulcio issues no SCTs (it has no CT log), hence
	// --insecure-ignore-sct; everything else cosign checks in full.
	args := []string{"verify-blob-attestation", "--new-bundle-format", "--bundle", bundle, "--trusted-root", root,
		"--certificate-oidc-issuer", stack.IssuerURL, "--insecure-ignore-sct", "--type", "slsaprovenance1"}
	if out, err := runTool(t, cosign, append(args, "--certificate-identity", releaseClaims.SAN(), artifact)...); err != nil {
		t.Fatalf("cosign rejected relproof's keyless bundle: %v\n%s", err, out)
	}
	if out, err := runTool(t, cosign, append(args, "--certificate-identity", "https://github.com/acme/app/.github/workflows/other.yml@refs/heads/main", artifact)...); err == nil {
		t.Fatalf("cosign accepted another identity:\n%s", out)
	}

	key, pub := keys(t, testEnv(t, nil), dir, "k")
	logged := filepath.Join(dir, "logged.json")
	pred := writeFile(t, dir, "p.json", "{}")
	expect(t, run(t, testEnv(t, nil), "attest", artifact, "--type", "custom", "--predicate", pred, "--predicate-type", "https://example.com/p/v1",
		"--key", key, "--rekor-url", stack.RekorURL, "--bundle-out", logged), 0)
	if out, err := runTool(t, cosign, "verify-blob-attestation", "--new-bundle-format", "--bundle", logged, "--trusted-root", root,
		"--key", pub, "--type", "https://example.com/p/v1", artifact); err != nil {
		t.Fatalf("cosign rejected a logged key bundle: %v\n%s", err, out)
	}
}

// relproof verifies the plain signature stock `cosign sign-blob --bundle`
// makes (a message-signature bundle, no statement) for the file it signed,
// reports it as a signature, and refuses it for another file and under
// another key.
func TestInteropCosignSignBlob(t *testing.T) {
	cosign := tool(t, "cosign", "RELPROOF_COSIGN")
	dir := t.TempDir()
	env := testEnv(t, nil)
	_, otherPub := keys(t, env, dir, "other")
	cmd := exec.Command(cosign, "generate-key-pair", "--output-key-prefix", filepath.Join(dir, "cosign"))
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "COSIGN_PASSWORD=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
	}
	artifact := writeFile(t, dir, "relproof_linux_amd64", "a release binary")
	bundle := filepath.Join(dir, "relproof_linux_amd64.sigstore.json")
	sign := exec.Command(cosign, "sign-blob", "--yes", "--key", filepath.Join(dir, "cosign.key"), "--bundle", bundle, "--new-bundle-format", "--tlog-upload=false", artifact)
	sign.Env = append(os.Environ(), "HOME="+t.TempDir(), "TUF_ROOT="+t.TempDir(), "COSIGN_PASSWORD=")
	if out, err := sign.CombinedOutput(); err != nil {
		t.Fatalf("cosign sign-blob: %v\n%s", err, out)
	}
	pub := filepath.Join(dir, "cosign.pub")

	r := run(t, env, "verify", artifact, "--bundle", bundle, "--key", pub, "--output", "json")
	expect(t, r, 0)
	if !strings.Contains(r.stdout, `"kind": "signature"`) {
		t.Errorf("the report does not say it verified a signature:\n%s", r.stdout)
	}
	other := writeFile(t, dir, "other.bin", "another binary")
	expect(t, run(t, env, "verify", other, "--bundle", bundle, "--key", pub), 1, "subject mismatch", "the signature is over sha256:")
	expect(t, run(t, env, "verify", artifact, "--bundle", bundle, "--key", otherPub), 1, "expected key")
	expect(t, run(t, env, "verify", artifact, "--bundle", bundle, "--key", pub, "--type", "provenance"), 1, "found a plain signature")

	// And the other way: cosign verify-blob accepts relproof sign --blob's bundle.
	key, relproofPub := keys(t, env, dir, "relproof")
	ours := filepath.Join(dir, "relproof.sigstore.json")
	expect(t, run(t, env, "sign", "--blob", artifact, "--key", key, "--bundle-out", ours), 0)
	verifyBlob := []string{"verify-blob", "--key", relproofPub, "--bundle", ours, "--new-bundle-format", "--insecure-ignore-tlog",
		"--trusted-root", filepath.Join(corpusDir, "trusted_roots/public-good.trusted_root.json")}
	if out, err := runTool(t, cosign, append(verifyBlob, artifact)...); err != nil {
		t.Fatalf("cosign verify-blob rejected relproof's signature: %v\n%s", err, out)
	}
	if out, err := runTool(t, cosign, append(verifyBlob, other)...); err == nil {
		t.Fatalf("cosign verify-blob accepted relproof's signature for another file:\n%s", out)
	}
}
