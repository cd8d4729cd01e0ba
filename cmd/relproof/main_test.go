package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
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
	build := exec.Command("go", "build", "-o", bin, ".")
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
