package cli

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relproof/relproof/internal/testing/fakesigstore"
	"github.com/relproof/relproof/internal/verify"
)

var releaseClaims = fakesigstore.Claims{
	Repository:        "acme/app",
	Ref:               "refs/heads/main",
	SHA:               "0123456789abcdef0123456789abcdef01234567",
	WorkflowRef:       "acme/app/.github/workflows/release.yml@refs/heads/main",
	JobWorkflowRef:    "acme/app/.github/workflows/release.yml@refs/heads/main",
	EventName:         "push",
	RunnerEnvironment: "github-hosted",
	RunID:             "4242",
	RunAttempt:        "1",
}

// merge layers environment maps.
func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// Keyless end to end over HTTP: the GitHub Actions OIDC token, a Fulcio
// certificate with GitHub's extensions, a Rekor entry and a timestamp, then
// verification by identity against the stack's trusted root.
func TestKeylessEndToEnd(t *testing.T) {
	t.Parallel()
	stack := fakesigstore.New(t)
	dir := t.TempDir()
	root := stack.WriteTrustedRoot(t)
	artifact := writeFile(t, dir, "app.bin", "release artifact")
	env := testEnv(t, stack.ActionsEnv(releaseClaims))
	sigstoreFlags := []string{"--fulcio-url", stack.FulcioURL, "--rekor-url", stack.RekorURL, "--tsa-url", stack.TSAURL}

	bundle := filepath.Join(dir, "provenance.sigstore.json")
	r := run(t, env, append([]string{"attest", artifact, "--type", "provenance", "--bundle-out", bundle, "--output", "json"}, sigstoreFlags...)...)
	expect(t, r, 0)
	var rep attestReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	san := releaseClaims.SAN()
	if rep.Signer != san {
		t.Errorf("signer = %q, want the workflow identity %q", rep.Signer, san)
	}
	issuer := stack.IssuerURL
	verifyArgs := func(extra ...string) []string {
		return append([]string{"verify", artifact, "--bundle", bundle, "--trusted-root", root, "--cert-oidc-issuer", issuer}, extra...)
	}
	for _, tc := range []struct {
		name  string
		args  []string
		code  int
		class error
	}{
		{"identity", verifyArgs("--cert-identity", san), 0, nil},
		{"signer workflow", verifyArgs("--signer-workflow", "acme/app/.github/workflows/release.yml@refs/heads/main"), 0, nil},
		{"hosted runner", verifyArgs("--cert-identity", san, "--deny-self-hosted-runners", "--type", "provenance"), 0, nil},
		{"wrong workflow", verifyArgs("--signer-workflow", "acme/app/.github/workflows/nightly.yml"), 1, verify.ErrIdentityMismatch},
		{"wrong ref", verifyArgs("--signer-workflow", "acme/app/.github/workflows/release.yml@refs/heads/dev"), 1, verify.ErrIdentityMismatch},
		{"wrong issuer", []string{"verify", artifact, "--bundle", bundle, "--trusted-root", root, "--cert-identity", san}, 1, verify.ErrIdentityMismatch},
		{"public-good root", []string{"verify", artifact, "--bundle", bundle, "--cert-identity", san, "--cert-oidc-issuer", issuer}, 1, verify.ErrNotVerified},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, env, tc.args...)
			expect(t, r, tc.code)
			if tc.class != nil && !errors.Is(r.err, tc.class) {
				t.Errorf("error is not %v: %v", tc.class, r.err)
			}
		})
	}

	// The certificate carries GitHub's claims, and provenance the same run.
	r = run(t, env, verifyArgs("--cert-identity", san, "--output", "json")...)
	expect(t, r, 0)
	var vr struct {
		Verified []struct {
			Certificate   map[string]any
			Provenance    map[string]string
			VerifiedTimes []struct{ Source string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &vr); err != nil {
		t.Fatal(err)
	}
	c := vr.Verified[0].Certificate
	for k, want := range map[string]string{
		"sourceRepositoryURI":    "https://github.com/acme/app",
		"sourceRepositoryRef":    "refs/heads/main",
		"sourceRepositoryDigest": releaseClaims.SHA,
		"buildSignerURI":         san,
		"runnerEnvironment":      "github-hosted",
		"buildTrigger":           "push",
		"runInvocationURI":       "https://github.com/acme/app/actions/runs/4242/attempts/1",
		"issuer":                 issuer,
	} {
		if c[k] != want {
			t.Errorf("certificate %s = %v, want %q", k, c[k], want)
		}
	}
	if got := vr.Verified[0].Provenance["builderId"]; got != san {
		t.Errorf("provenance builder = %q, want %q", got, san)
	}
	sources := map[string]bool{}
	for _, ts := range vr.Verified[0].VerifiedTimes {
		sources[ts.Source] = true
	}
	if !sources["Tlog"] || !sources["TimestampAuthority"] {
		t.Errorf("verified times from %v, want the log and the timestamp authority", sources)
	}
}

// GitHub's own instance for private repositories: Fulcio and a timestamp
// authority, no public log. The timestamp is the trusted time.
func TestKeylessTimestampOnly(t *testing.T) {
	t.Parallel()
	stack := fakesigstore.New(t)
	dir := t.TempDir()
	artifact := writeFile(t, dir, "app.bin", "private artifact")
	env := testEnv(t, stack.ActionsEnv(releaseClaims))
	bundle := filepath.Join(dir, "b.json")
	expect(t, run(t, env, "attest", artifact, "--type", "provenance", "--bundle-out", bundle,
		"--sigstore", "github", "--fulcio-url", stack.FulcioURL, "--tsa-url", stack.TSAURL), 0)
	if strings.Contains(readFile(t, bundle), "tlogEntries\":[{") {
		t.Error("a timestamp-only bundle has a log entry")
	}
	expect(t, run(t, env, "verify", artifact, "--bundle", bundle, "--trusted-root", stack.WriteTrustedRoot(t),
		"--cert-identity", releaseClaims.SAN(), "--cert-oidc-issuer", stack.IssuerURL), 0)
}

func TestKeylessSelfHostedDenied(t *testing.T) {
	t.Parallel()
	stack := fakesigstore.New(t)
	dir := t.TempDir()
	artifact := writeFile(t, dir, "app.bin", "built on our own runner")
	claims := releaseClaims
	claims.RunnerEnvironment = "self-hosted"
	env := testEnv(t, stack.ActionsEnv(claims))
	bundle := filepath.Join(dir, "b.json")
	expect(t, run(t, env, "attest", artifact, "--type", "provenance", "--bundle-out", bundle,
		"--fulcio-url", stack.FulcioURL, "--rekor-url", stack.RekorURL), 0)
	r := run(t, env, "verify", artifact, "--bundle", bundle, "--trusted-root", stack.WriteTrustedRoot(t),
		"--cert-identity", claims.SAN(), "--cert-oidc-issuer", stack.IssuerURL, "--deny-self-hosted-runners")
	expect(t, r, 1, "certificate says self-hosted")
	if !errors.Is(r.err, verify.ErrRunnerEnvironment) {
		t.Errorf("error is not ErrRunnerEnvironment: %v", r.err)
	}
}

// A failing Fulcio or Rekor is a clear error, with no bundle written and
// no token in the message.
func TestKeylessServiceFailure(t *testing.T) {
	t.Parallel()
	stack := fakesigstore.New(t)
	dir := t.TempDir()
	artifact := writeFile(t, dir, "app.bin", "x")
	actionsEnv := stack.ActionsEnv(releaseClaims)
	env := testEnv(t, actionsEnv)
	bundle := filepath.Join(dir, "b.json")
	stack.FailRekor(10)
	r := run(t, env, "attest", artifact, "--type", "provenance", "--bundle-out", bundle, "--fulcio-url", stack.FulcioURL, "--rekor-url", stack.RekorURL)
	expect(t, r, 2, "keyless signing", stack.RekorURL)
	if _, err := os.Stat(bundle); !os.IsNotExist(err) {
		t.Error("a failed signing wrote a bundle")
	}
	token := stack.Token(releaseClaims, "sigstore")
	for _, secret := range []string{actionsEnv["ACTIONS_ID_TOKEN_REQUEST_TOKEN"], token} {
		if secret != "" && strings.Contains(r.errText()+r.stdout+r.stderr, secret) {
			t.Errorf("a token appears in the output: %v", r.err)
		}
	}
}

// A key can log its signatures and have them timestamped; verification
// with the key and a trusted root then checks both.
func TestKeyWithTransparency(t *testing.T) {
	t.Parallel()
	stack := fakesigstore.New(t)
	dir := t.TempDir()
	env := testEnv(t, nil)
	key, pub := keys(t, env, dir, "k")
	artifact := writeFile(t, dir, "app.bin", "x")
	pred := writeFile(t, dir, "p.json", "{}")
	bundle := filepath.Join(dir, "b.json")
	expect(t, run(t, env, "attest", artifact, "--type", "custom", "--predicate", pred, "--predicate-type", "https://x.example/p",
		"--key", key, "--rekor-url", stack.RekorURL, "--tsa-url", stack.TSAURL, "--bundle-out", bundle), 0)
	root := stack.WriteTrustedRoot(t)
	r := run(t, env, "verify", artifact, "--bundle", bundle, "--key", pub, "--trusted-root", root, "--output", "json")
	expect(t, r, 0)
	if !strings.Contains(r.stdout, `"source": "Tlog"`) {
		t.Errorf("the log entry was not verified:\n%s", r.stdout)
	}
	// Against another root, the log entry does not verify.
	other := fakesigstore.New(t)
	expect(t, run(t, env, "verify", artifact, "--bundle", bundle, "--key", pub, "--trusted-root", other.WriteTrustedRoot(t)), 1, "transparency log")
	// Without a root, the key alone still verifies the signature.
	expect(t, run(t, env, "verify", artifact, "--bundle", bundle, "--key", pub), 0)
}

// Another Fulcio is another Sigstore instance: without its own log or
// timestamp authority named, nothing is sent to the public log.
func TestKeylessPrivateFulcioNeverDefaultsToPublicLog(t *testing.T) {
	t.Parallel()
	stack := fakesigstore.New(t)
	dir := t.TempDir()
	artifact := writeFile(t, dir, "app.bin", "x")
	env := testEnv(t, stack.ActionsEnv(releaseClaims))
	r := run(t, env, "attest", artifact, "--type", "provenance", "--bundle-out", filepath.Join(dir, "b.json"), "--fulcio-url", stack.FulcioURL)
	expect(t, r, 2, "needs a transparency log (--rekor-url) or a timestamp authority")
	if strings.Contains(r.errText(), "rekor.sigstore.dev") {
		t.Errorf("the public log was contacted: %v", r.err)
	}
}

// In a reusable workflow, the provenance's builder is the reusable
// workflow (the token's job_workflow_ref), not its caller, with no flag.
func TestProvenanceBuilderIsTheJobWorkflow(t *testing.T) {
	t.Parallel()
	stack := fakesigstore.New(t)
	dir := t.TempDir()
	artifact := writeFile(t, dir, "app.bin", "release artifact")
	claims := releaseClaims
	claims.JobWorkflowRef = "relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1"
	env := testEnv(t, merge(gateActionsEnv, stack.ActionsEnv(claims)))
	bundle := filepath.Join(dir, "provenance.sigstore.json")
	expect(t, run(t, env, "attest", artifact, "--type", "provenance", "--bundle-out", bundle,
		"--fulcio-url", stack.FulcioURL, "--rekor-url", stack.RekorURL), 0)
	root := stack.WriteTrustedRoot(t)
	want := "https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1"
	expect(t, run(t, env, "verify", artifact, "--bundle", bundle, "--trusted-root", root, "--cert-oidc-issuer", stack.IssuerURL,
		"--signer-workflow", "relproof/relproof/.github/workflows/build-attest.yml", "--builder-id", want), 0)
	// --builder-id still wins.
	other := filepath.Join(dir, "other.sigstore.json")
	expect(t, run(t, env, "attest", artifact, "--type", "provenance", "--bundle-out", other, "--builder-id", "https://example.com/builder",
		"--fulcio-url", stack.FulcioURL, "--rekor-url", stack.RekorURL), 0)
	expect(t, run(t, env, "verify", artifact, "--bundle", other, "--trusted-root", root, "--cert-oidc-issuer", stack.IssuerURL,
		"--signer-workflow", "relproof/relproof/.github/workflows/build-attest.yml", "--builder-id", want), 1, "builder")
}

// When the job's token cannot be had, provenance is not signed with a
// guessed builder: the error says why and what to pass instead.
func TestProvenanceBuilderTokenFailure(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusForbidden)
	}))
	defer srv.Close()
	dir := t.TempDir()
	env := testEnv(t, merge(gateActionsEnv, map[string]string{
		"ACTIONS_ID_TOKEN_REQUEST_URL": srv.URL + "/token?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-secret",
	}))
	key, _ := keys(t, env, dir, "k")
	artifact := writeFile(t, dir, "app.bin", "x")
	out := filepath.Join(dir, "p.sigstore.json")
	r := run(t, env, "attest", artifact, "--type", "provenance", "--key", key, "--bundle-out", out)
	expect(t, r, 2, "provenance builder id: reading the job's workflow from its OIDC token", "pass --builder-id")
	if strings.Contains(r.errText()+r.stdout+r.stderr, "request-secret") {
		t.Error("the token request secret appears in the output")
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a bundle was written")
	}
	expect(t, run(t, env, "attest", artifact, "--type", "provenance", "--key", key, "--bundle-out", out, "--builder-id", "https://example.com/b"), 0)
}
