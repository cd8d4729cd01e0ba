//go:build act

package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// e2eVersion is the release the e2e's relproof/relproof@v1 is.
const e2eVersion = "v0.0.1"

// releaseRoot makes relproof/relproof@v1 as a release is: this checkout's
// actions and workflows, with release/VERSION naming
// e2eVersion and release/checksums recording the SHA-256 of the relproof
// the test built, which a loopback HTTPS server serves as the release's
// asset. The set-up action then takes its release path, as in a consumer's
// job: it downloads the binary and uses it only when the checksum matches.
// It returns the root, the releases' base URL and the server's CA bundle.
func releaseRoot(t *testing.T, root, bin string) (dir, url, ca string) {
	t.Helper()
	binary, err := os.ReadFile(filepath.Join(bin, "relproof"))
	if err != nil {
		t.Fatal(err)
	}
	asset := fmt.Sprintf("relproof_%s_%s_%s", e2eVersion, runtime.GOOS, runtime.GOARCH)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/"+e2eVersion+"/"+asset {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(binary)
	}))
	t.Cleanup(srv.Close)
	dir = t.TempDir()
	ca = filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	action := filepath.Join(dir, "relproof")
	if err := os.Mkdir(action, 0o755); err != nil {
		t.Fatal(err)
	}
	// What a consumer's job reads of relproof/relproof: the actions, the
	// reusable workflows, go.mod (the Go version) and the release files.
	// act reads an action's files as they are, not through links: copies.
	for _, p := range []string{"action.yml", "go.mod", "go.sum", "actions", ".github"} {
		src, dst := filepath.Join(root, p), filepath.Join(action, p)
		st, err := os.Stat(src)
		if err != nil {
			t.Fatal(err)
		}
		if st.IsDir() {
			err = os.CopyFS(dst, os.DirFS(src))
		} else {
			var b []byte
			if b, err = os.ReadFile(src); err == nil {
				err = os.WriteFile(dst, b, 0o644)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	sum := sha256.Sum256(binary)
	files := map[string]string{
		"release/VERSION":                          e2eVersion + "\n",
		"release/checksums/" + e2eVersion + ".txt": hex.EncodeToString(sum[:]) + "  " + asset + "\n",
	}
	// The source the release is of, as the release workflow records it.
	src, err := exec.Command("bash", filepath.Join(root, "actions/lib/source-hash.sh"), action).Output()
	if err != nil {
		t.Fatalf("source-hash.sh: %v", err)
	}
	files["release/SOURCE"] = string(src)
	for p, c := range files {
		p = filepath.Join(action, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return action, srv.URL, ca
}
