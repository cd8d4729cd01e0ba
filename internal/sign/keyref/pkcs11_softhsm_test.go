//go:build pkcs11key

package keyref_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relproof/relproof/internal/attest"
	"github.com/relproof/relproof/internal/sign/keyref"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

const softhsmModule = "/usr/lib/softhsm/libsofthsm2.so"

// softHSM makes a SoftHSM token holding an EC P-256 key and returns the
// PKCS#11 URI of the key. .ci/run installs softhsm2 and opensc, so CI never
// skips this; a developer machine without them gets a skip that says so.
func softHSM(t *testing.T, pin string) string {
	t.Helper()
	for _, tool := range []string{"softhsm2-util", "pkcs11-tool"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (apt-get install softhsm2 opensc); .ci/run installs it", tool)
		}
	}
	if _, err := os.Stat(softhsmModule); err != nil {
		t.Skipf("%s missing (apt-get install softhsm2)", softhsmModule)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.MkdirAll(filepath.Join(dir, "tokens"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte("directories.tokendir = "+filepath.Join(dir, "tokens")+"\nobjectstore.backend = file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	run := func(name string, args ...string) {
		t.Helper()
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	}
	run("softhsm2-util", "--init-token", "--free", "--label", "relproof", "--pin", pin, "--so-pin", "so-"+pin)
	run("pkcs11-tool", "--module", softhsmModule, "--token-label", "relproof", "--login", "--pin", pin,
		"--keypairgen", "--key-type", "EC:prime256v1", "--label", "release", "--id", "01")
	return "pkcs11:token=relproof;object=release?module-path=" + softhsmModule
}

func TestPKCS11SignVerify(t *testing.T) {
	const pin = "4815162342"
	uri := softHSM(t, pin)

	s, err := keyref.NewPKCS11Signer(uri, pin)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Identity(), "pkcs11 "+uri) {
		t.Errorf("identity = %q", s.Identity())
	}
	sum := sha256.Sum256([]byte("artifact"))
	subj := &subject.Subject{Kind: subject.KindDigest, Digest: subject.Digest{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}}
	st, err := attest.Build(attest.Request{Subject: subj, Type: attest.TypeCustom, Predicate: []byte(`{"hsm":true}`), PredicateType: "https://example.com/hsm/v1"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := attest.Sign(context.Background(), s, st)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := verify.ReadBundles("hsm.json", b)
	if err != nil {
		t.Fatal(err)
	}
	// Verified with the public key exported from the token.
	res, err := verify.Verify(subj, entries, verify.Policy{Key: s.Public()})
	if err != nil || len(res.Verified) != 1 {
		t.Fatalf("verify: %+v, %v", res, err)
	}

	s.Close() // end the logged-in session before trying another PIN

	_, err = keyref.NewPKCS11Signer(uri, "0000000000")
	if err == nil {
		t.Fatal("a wrong PIN opened the key")
	}
	if strings.Contains(err.Error(), "0000000000") || strings.Contains(err.Error(), pin) {
		t.Errorf("error shows a PIN: %v", err)
	}
}
