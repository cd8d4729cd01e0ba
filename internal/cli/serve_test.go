package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestServeRefusesBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	secret := writeFile(t, dir, "secret", "s3cret\n")
	key := writeFile(t, dir, "app.pem", "not a key")
	for _, tc := range []struct {
		name string
		args []string
		vars map[string]string
		says string
	}{
		{"no app", []string{"--app-key", key, "--webhook-secret-file", secret}, nil, "--app-id (or RELPROOF_APP_ID)"},
		{"no secret", []string{"--app-id", "1", "--app-key", key}, nil, "--webhook-secret-file"},
		{"a bad key", []string{"--app-id", "1", "--app-key", key, "--webhook-secret-file", secret, "--listen", "127.0.0.1:0"}, nil, "private key"},
		{"a key pasted for a path", []string{"--app-id", "1", "--app-key", "-----BEGIN RSA PRIVATE KEY-----\nMIIE", "--webhook-secret-file", secret}, nil, "expected a file path"},
		{"an app id from the environment that is no number", nil, map[string]string{"RELPROOF_APP_ID": "twelve"}, `RELPROOF_APP_ID "twelve"`},
		{"a policy source that is no repository", []string{"--app-id", "1", "--app-key", key, "--webhook-secret-file", secret, "--policy-source", "acme/policies:policy.yaml"}, nil, `--policy-source "acme/policies:policy.yaml": expected default-branch or OWNER/REPO@REF:PATH`},
		{"a policy source out of its repository", []string{"--app-id", "1", "--app-key", key, "--webhook-secret-file", secret, "--policy-source", "acme/policies@v1:../x.yaml"}, nil, "expected default-branch or OWNER/REPO@REF:PATH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, testEnv(t, tc.vars), append([]string{"serve"}, tc.args...)...)
			expect(t, r, 2, tc.says)
			if strings.Contains(r.errText(), "MIIE") {
				t.Errorf("the key is in the error: %v", r.err)
			}
		})
	}
}

// The command serves from the environment alone, as in a container, and
// stops when its context ends.
func TestServeRunsFromTheEnvironment(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	key := writeFile(t, dir, "app.pem", string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})))
	secret := writeFile(t, dir, "secret", "s3cret\n")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := testEnv(t, map[string]string{"RELPROOF_APP_ID": "7", "RELPROOF_APP_KEY": key, "RELPROOF_WEBHOOK_SECRET_FILE": secret, "RELPROOF_LISTEN": addr,
		"RELPROOF_GITHUB_API_URL": "http://127.0.0.1:1"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var stderr bytes.Buffer
	go func() {
		cmd := New(env)
		cmd.SetArgs([]string{"serve"})
		cmd.SetErr(&stderr)
		done <- cmd.ExecuteContext(ctx)
	}()
	var resp *http.Response
	for i := 0; i < 100; i++ {
		if resp, err = http.Get("http://" + addr + "/readyz"); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /readyz: %v %v", resp, err)
	}
	resp.Body.Close()
	// An unsigned delivery is refused.
	resp, err = http.Post("http://"+addr+"/webhook", "application/json", strings.NewReader(`{}`))
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("an unsigned delivery: %v %v; want 401", resp, err)
	}
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve ended with %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop when its context ended")
	}
	if strings.Contains(stderr.String(), "s3cret") || !strings.Contains(stderr.String(), `"msg":"serving"`) {
		t.Errorf("log: %s", stderr.String())
	}
}

func TestServeAppManifest(t *testing.T) {
	t.Parallel()
	env := testEnv(t, nil)
	r := run(t, env, "serve", "app-manifest", "--url", "https://relproof.example.com/")
	expect(t, r, 0)
	for _, want := range []string{`"url": "https://relproof.example.com/webhook"`, `"deployment_protection_rule"`, `"deployments": "write"`, `"contents": "read"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("manifest has no %s:\n%s", want, r.stdout)
		}
	}
	expect(t, run(t, env, "serve", "app-manifest", "--url", "http://relproof.example.com"), 2, "expected the https:// URL")
}
