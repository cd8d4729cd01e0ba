package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relproof/relproof/internal/verify"
)

// conformanceDir is sigstore-conformance's bundle-verify suite, copied
// unchanged from ../shared/sigstore-conformance (SOURCE.md says from where).
const conformanceDir = "../../testdata/sigstore-conformance/bundle-verify"

// The suite's defaults, from its README.
const (
	conformanceIdentity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
	conformanceIssuer   = "https://token.actions.githubusercontent.com"
	// publicGoodRoot is the root relproof embeds, which the suite means by
	// "the Sigstore public good production instance". Key-signed cases name
	// it explicitly, since `verify --key` checks log entries only against a
	// root it is given.
	publicGoodRoot = "../verify/roots/public-good.trusted_root.json"
)

// stricter lists the cases where relproof deliberately answers differently
// from the suite, and why. The suite wins everywhere else.
var stricter = map[string]string{}

// conformanceArgs is the verify command line for one case, the way the
// suite's README defines it: the artifact (or a.txt), the key when key.pub
// is there and the certificate identity and issuer otherwise, and the
// case's trusted root when it has one.
func conformanceArgs(t *testing.T, dir string) []string {
	t.Helper()
	exists := func(name string) bool {
		_, err := os.Stat(filepath.Join(dir, name))
		return err == nil
	}
	read := func(name, def string) string {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			return def
		}
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(data))
	}
	artifact := filepath.Join(conformanceDir, "a.txt")
	if exists("artifact") {
		artifact = filepath.Join(dir, "artifact")
	}
	args := []string{"verify", artifact, "--bundle", filepath.Join(dir, "bundle.sigstore.json")}
	root := ""
	if exists("trusted_root.json") {
		root = filepath.Join(dir, "trusted_root.json")
	}
	if exists("key.pub") {
		if root == "" {
			root = publicGoodRoot
		}
		args = append(args, "--key", filepath.Join(dir, "key.pub"))
	} else {
		args = append(args, "--cert-identity", read("identity", conformanceIdentity), "--cert-oidc-issuer", read("issuer", conformanceIssuer))
	}
	if root != "" {
		args = append(args, "--trusted-root", root)
	}
	return args
}

// Every bundle-verify case of sigstore-conformance gives the suite's answer
// through `relproof verify`: a case whose folder ends in _fail must not
// verify (exit 1, or 2 for a file that is no bundle at all), every other
// case must verify (exit 0).
func TestSigstoreConformance(t *testing.T) {
	t.Parallel()
	dirs, err := os.ReadDir(conformanceDir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		n++
		name := d.Name()
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(conformanceDir, name)
			args := conformanceArgs(t, dir)
			r := run(t, testEnv(t, nil), args...)
			wantFail := strings.HasSuffix(name, "_fail")
			if why, ok := stricter[name]; ok {
				wantFail = !wantFail
				t.Logf("relproof is stricter than the suite here: %s", why)
			}
			switch {
			case wantFail && r.code == 0:
				t.Fatalf("verified (exit 0); the suite says it must fail\nstdout:\n%s", r.stdout)
			case wantFail && r.code == 1 && !errors.Is(r.err, verify.ErrNotVerified):
				t.Fatalf("exit 1 with %v; want a verification failure (ErrNotVerified)", r.err)
			case wantFail && r.code != 1 && r.code != 2:
				t.Fatalf("exit %d: %v", r.code, r.err)
			case !wantFail && r.code != 0:
				t.Fatalf("exit %d; the suite says it verifies\nargs: %q\nerror: %v\nstdout:\n%s", r.code, args, r.err, r.stdout)
			}
		})
	}
	if n != 70 {
		t.Fatalf("found %d cases in %s; expected the suite's 70", n, conformanceDir)
	}
}
