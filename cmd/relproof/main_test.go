package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// bin is the relproof binary, built once for the package's tests.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "relproof-bin-")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "relproof")
	build := exec.Command("go", "build", "-buildvcs=auto", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		panic("building relproof: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func relproof(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out.String(), errb.String(), 0
	case errors.As(err, &exit):
		return out.String(), errb.String(), exit.ExitCode()
	default:
		t.Fatal(err)
		return "", "", -1
	}
}

// The process exit codes are the contract scripts and workflows rely on.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	artifact := filepath.Join(dir, "app.bin")
	if err := os.WriteFile(artifact, []byte("artifact"), 0o644); err != nil {
		t.Fatal(err)
	}
	pred := filepath.Join(dir, "p.json")
	if err := os.WriteFile(pred, []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"a", "b"} {
		if _, stderr, code := relproof(t, "key", "generate", "--out", filepath.Join(dir, p)); code != 0 {
			t.Fatalf("key generate: exit %d: %s", code, stderr)
		}
	}
	bundle := filepath.Join(dir, "b.json")
	if _, stderr, code := relproof(t, "attest", artifact, "--type", "custom", "--predicate", pred, "--predicate-type", "https://x.example/p", "--key", filepath.Join(dir, "a.key"), "--bundle-out", bundle); code != 0 {
		t.Fatalf("attest: exit %d: %s", code, stderr)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"verified", []string{"verify", artifact, "--bundle", bundle, "--key", filepath.Join(dir, "a.pub")}, 0, ""},
		{"not verified", []string{"verify", artifact, "--bundle", bundle, "--key", filepath.Join(dir, "b.pub")}, 1, "relproof: not verified"},
		{"bad input", []string{"verify", artifact, "--bundle", filepath.Join(dir, "none.json"), "--key", filepath.Join(dir, "a.pub")}, 2, "relproof: bundle"},
		{"usage", []string{"verify"}, 2, "relproof: relproof verify takes one SUBJECT"},
		{"unknown command", []string{"deploy-everything"}, 2, `relproof: unknown command "deploy-everything"`},
		{"help", []string{"--help"}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := relproof(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.code, stderr)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr %q does not contain %q", stderr, tc.stderr)
			}
			if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic:") {
				t.Errorf("stack trace on stderr:\n%s", stderr)
			}
		})
	}
}

// The built binary says what it was built from: the commit of the tree,
// when the toolchain could read it (a git checkout with git installed).
func TestVersion(t *testing.T) {
	stdout, stderr, code := relproof(t, "version", "--output", "json")
	if code != 0 {
		t.Fatalf("version: exit %d: %s", code, stderr)
	}
	var v struct{ Version, Revision, GoVersion, Platform string }
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatalf("version --output json: %v\n%s", err, stdout)
	}
	if v.Version == "" || !strings.HasPrefix(v.GoVersion, "go") || v.Platform != runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("version = %+v", v)
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Logf("no git revision to compare with (%v): version reports %q", err, v.Revision)
		return
	}
	if want := strings.TrimSpace(string(head)); v.Revision != want {
		t.Errorf("revision = %q, want HEAD %s", v.Revision, want)
	}
	if _, _, code := relproof(t, "version", "extra"); code != 2 {
		t.Errorf("version with an argument: exit %d, want 2", code)
	}
}
