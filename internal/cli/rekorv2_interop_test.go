//go:build interop

package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/relproof/relproof/internal/testing/fakesigstore"
)

// Stock cosign (v2.6.1) verifies relproof's Rekor v2 bundles, keyless and
// key, under the loopback stack's trusted root, and refuses them under a
// root without the v2 log; and relproof verifies what cosign signs against
// the stack's signing config (its Rekor v2 log and TSA).
func TestInteropCosignRekorV2(t *testing.T) {
	cosign := tool(t, "cosign", "RELPROOF_COSIGN")
	stack := fakesigstore.New(t)
	dir := t.TempDir()
	root := stack.WriteTrustedRoot(t)
	noV2 := rootWithoutRekorV2(t, stack)
	config := stack.WriteSigningConfig(t)
	artifact := writeFile(t, dir, "app.bin", "release artifact")

	keyless := filepath.Join(dir, "keyless.json")
	env := testEnv(t, stack.ActionsEnv(releaseClaims))
	expect(t, run(t, env, "attest", artifact, "--type", "provenance", "--bundle-out", keyless, "--signing-config", config), 0)
	expectRekorV2Entry(t, keyless)
	// The loopback Fulcio issues no SCTs, hence --insecure-ignore-sct. A
	// Rekor v2 entry has no time: cosign then needs --use-signed-timestamps
	// (without it, it asks the log for an integrated time and fails).
	args := func(trustedRoot string) []string {
		return []string{"verify-blob-attestation", "--new-bundle-format", "--bundle", keyless, "--trusted-root", trustedRoot,
			"--certificate-oidc-issuer", stack.IssuerURL, "--insecure-ignore-sct", "--use-signed-timestamps", "--type", "slsaprovenance1"}
	}
	if out, err := runTool(t, cosign, append(args(root), "--certificate-identity", releaseClaims.SAN(), artifact)...); err != nil {
		t.Fatalf("cosign rejected relproof's keyless Rekor v2 bundle: %v\n%s", err, out)
	}
	if out, err := runTool(t, cosign, append(args(root), "--certificate-identity", "https://github.com/acme/app/.github/workflows/other.yml@refs/heads/main", artifact)...); err == nil {
		t.Fatalf("cosign accepted another identity:\n%s", out)
	}
	if out, err := runTool(t, cosign, append(args(noV2), "--certificate-identity", releaseClaims.SAN(), artifact)...); err == nil {
		t.Fatalf("cosign accepted a Rekor v2 entry under a root without the log:\n%s", out)
	}

	key, pub := keys(t, testEnv(t, nil), dir, "k")
	logged := filepath.Join(dir, "logged.json")
	pred := writeFile(t, dir, "p.json", "{}")
	expect(t, run(t, testEnv(t, nil), "attest", artifact, "--type", "custom", "--predicate", pred, "--predicate-type", "https://example.com/p/v1",
		"--key", key, "--rekor-url", stack.RekorV2URL, "--rekor-version", "2", "--tsa-url", stack.TSAURL, "--bundle-out", logged), 0)
	expectRekorV2Entry(t, logged)
	if out, err := runTool(t, cosign, "verify-blob-attestation", "--new-bundle-format", "--bundle", logged, "--trusted-root", root,
		"--key", pub, "--use-signed-timestamps", "--type", "https://example.com/p/v1", artifact); err != nil {
		t.Fatalf("cosign rejected a key bundle logged in Rekor v2: %v\n%s", err, out)
	}

	// cosign signs a blob with its own key against the signing config.
	gen := exec.Command(cosign, "generate-key-pair", "--output-key-prefix", filepath.Join(dir, "cosign"))
	gen.Env = append(os.Environ(), "HOME="+t.TempDir(), "COSIGN_PASSWORD=")
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
	}
	signed := filepath.Join(dir, "cosign.sigstore.json")
	sign := exec.Command(cosign, "sign-blob", "--yes", "--key", filepath.Join(dir, "cosign.key"), "--bundle", signed,
		"--signing-config", config, "--trusted-root", root, artifact)
	sign.Env = append(os.Environ(), "HOME="+t.TempDir(), "TUF_ROOT="+t.TempDir(), "COSIGN_PASSWORD=")
	if out, err := sign.CombinedOutput(); err != nil {
		t.Fatalf("cosign sign-blob against the signing config: %v\n%s", err, out)
	}
	entries, timestamps := readBundle(t, signed)
	if len(entries) != 1 || entries[0].KindVersion.Kind != "hashedrekord" || entries[0].KindVersion.Version != "0.0.2" || timestamps != 1 {
		t.Fatalf("cosign's bundle: %+v and %d timestamps; want a hashedrekord 0.0.2 entry and a timestamp", entries, timestamps)
	}
	cosignPub := filepath.Join(dir, "cosign.pub")
	expect(t, run(t, testEnv(t, nil), "verify", artifact, "--bundle", signed, "--key", cosignPub, "--trusted-root", root), 0)
	expect(t, run(t, testEnv(t, nil), "verify", artifact, "--bundle", signed, "--key", cosignPub, "--trusted-root", noV2), 1, "transparency log")
}
