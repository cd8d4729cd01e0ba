package actionsio

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestOutputsAndSummary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, sum := filepath.Join(dir, "output"), filepath.Join(dir, "summary")
	var w bytes.Buffer
	x := New(env(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": out, "GITHUB_STEP_SUMMARY": sum, "INPUT_SUBJECT": "  oci://r/a@sha256:ab  ", "INPUT_PREVENT-SELF-REVIEW": "true"}), &w)
	if !x.Enabled() {
		t.Error("Enabled() = false with GITHUB_ACTIONS=true")
	}
	if got := x.Input("subject"); got != "oci://r/a@sha256:ab" {
		t.Errorf("Input = %q", got)
	}
	if b, err := x.BoolInput("prevent-self-review", false); err != nil || !b {
		t.Errorf("BoolInput = %v, %v", b, err)
	}
	if b, err := x.BoolInput("missing", true); err != nil || !b {
		t.Errorf("BoolInput default = %v, %v", b, err)
	}
	if err := x.SetOutputs([]string{"digest", "approved"}, map[string]string{"digest": "sha256:ab", "approved": "true"}); err != nil {
		t.Fatal(err)
	}
	if err := x.AddSummary("## relproof\n\n| a | b |\n"); err != nil {
		t.Fatal(err)
	}
	got := read(t, out)
	for _, want := range []string{"digest<<_GitHubActionsFileCommandDelimeter_\nsha256:ab\n_GitHubActionsFileCommandDelimeter_\n", "approved<<_GitHubActionsFileCommandDelimeter_\ntrue\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("GITHUB_OUTPUT = %q, want %q in it", got, want)
		}
	}
	if got := read(t, sum); got != "## relproof\n\n| a | b |\n\n" {
		t.Errorf("summary = %q", got)
	}
	if w.Len() != 0 {
		t.Errorf("file commands wrote to the command stream: %q", w.String())
	}
	if err := x.SetOutput("x", "a\n_GitHubActionsFileCommandDelimeter_\nforged<<EOF"); err == nil {
		t.Error("a value with the delimiter was written")
	}
}

func TestNotInActions(t *testing.T) {
	t.Parallel()
	x := New(env(nil), &bytes.Buffer{})
	if x.Enabled() {
		t.Error("Enabled() outside Actions")
	}
	for name, err := range map[string]error{
		"output":  x.SetOutput("a", "b"),
		"summary": x.AddSummary("x"),
	} {
		if !errors.Is(err, ErrNotInActions) {
			t.Errorf("%s: %v, want ErrNotInActions", name, err)
		}
	}
	if _, err := x.IDToken(context.Background(), "sigstore"); !errors.Is(err, ErrNotInActions) {
		t.Errorf("IDToken: %v", err)
	}
	if _, err := x.BoolInput("x", false); err != nil {
		t.Error(err)
	}
}

func TestUnwritableFileIsAnError(t *testing.T) {
	t.Parallel()
	x := New(env(map[string]string{"GITHUB_OUTPUT": filepath.Join(t.TempDir(), "no", "such", "dir")}), &bytes.Buffer{})
	if err := x.SetOutput("a", "b"); err == nil || !strings.Contains(err.Error(), "unable to write command") {
		t.Errorf("SetOutput into a missing directory = %v", err)
	}
}

func TestAnnotationsAndMask(t *testing.T) {
	t.Parallel()
	var w bytes.Buffer
	x := New(env(nil), &w)
	if err := x.Annotate(Annotation{Level: Error, Title: "relproof: denied", File: ".github/workflows/deploy.yml", Line: 12, Message: "not approved: 0 of 1\nsee summary"}); err != nil {
		t.Fatal(err)
	}
	if err := x.Annotate(Annotation{Level: Warning, Message: "50% done"}); err != nil {
		t.Fatal(err)
	}
	if err := x.Annotate(Annotation{Message: "fyi"}); err != nil {
		t.Fatal(err)
	}
	if err := x.Mask("s3cret\nline2"); err != nil {
		t.Fatal(err)
	}
	want := "::error file=.github/workflows/deploy.yml,line=12,title=relproof%3A denied::not approved: 0 of 1%0Asee summary\n" +
		"::warning::50%25 done\n" +
		"::notice::fyi\n" +
		"::add-mask::s3cret\n::add-mask::line2\n"
	if w.String() != want {
		t.Errorf("commands:\n got %q\nwant %q", w.String(), want)
	}
}

func TestIDToken(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer request-token" || r.URL.Query().Get("audience") != "sigstore" {
			http.Error(w, "bad request", http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(`{"value":"eyJ.oidc.token"}`))
	}))
	defer srv.Close()
	var w bytes.Buffer
	vars := map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": srv.URL + "/token?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token"}
	x := New(env(vars), &w, WithHTTPClient(srv.Client()))
	tok, err := x.IDToken(context.Background(), "sigstore")
	if err != nil || tok != "eyJ.oidc.token" {
		t.Fatalf("IDToken = %q, %v", tok, err)
	}
	if w.String() != "::add-mask::eyJ.oidc.token\n" {
		t.Errorf("the token is not masked: %q", w.String())
	}
	if _, err := x.IDToken(context.Background(), "other"); err == nil || !strings.Contains(err.Error(), "status 401") {
		t.Errorf("refused token request: %v", err)
	}
}

func TestJobWorkflowRef(t *testing.T) {
	t.Parallel()
	jwt := func(claims string) string {
		return "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(claims)) + ".c2ln"
	}
	for _, tc := range []struct {
		name, token, want, err string
	}{
		{"reusable workflow", jwt(`{"workflow_ref":"acme/app/.github/workflows/release.yml@refs/heads/main","job_workflow_ref":"relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1"}`), "relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1", ""},
		{"no claim", jwt(`{"sub":"repo:acme/app"}`), "", "expected a job_workflow_ref claim"},
		{"not a JWT", "opaque", "", "expected a JWT of three parts, found 1"},
		{"not JSON", jwt(`nope`), "", "payload is not JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_ = json.NewEncoder(w).Encode(map[string]string{"value": tc.token})
			}))
			defer srv.Close()
			vars := map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": srv.URL + "/token?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token"}
			got, err := New(env(vars), io.Discard, WithHTTPClient(srv.Client())).JobWorkflowRef(context.Background())
			if got != tc.want || (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("JobWorkflowRef = %q, %v; want %q, %q", got, err, tc.want, tc.err)
			}
		})
	}
}
