package fakesigstore

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/google/go-cmp/cmp"
	"github.com/sethvargo/go-githubactions"
	"github.com/sigstore/sigstore-go/pkg/sign"
)

func actionWithEnv(env map[string]string) *githubactions.Action {
	return githubactions.New(githubactions.WithGetenv(func(k string) string { return env[k] }))
}

func TestActionsEnvGetIDToken(t *testing.T) {
	t.Parallel()
	s := New(t)
	ctx := context.Background()
	// A push to main running its own workflow: the rest comes from the defaults.
	c := Claims{
		Repository:  "octo-org/octo-repo",
		Ref:         "refs/heads/main",
		SHA:         "fedcba9876543210fedcba9876543210fedcba98",
		WorkflowRef: "octo-org/octo-repo/.github/workflows/ci.yml@refs/heads/main",
	}
	env := s.ActionsEnv(c)
	action := actionWithEnv(env)

	tok, err := action.GetIDToken(ctx, "sigstore")
	if err != nil {
		t.Fatalf("GetIDToken: %v", err)
	}
	provider, err := oidc.NewProvider(ctx, s.IssuerURL)
	if err != nil {
		t.Fatal(err)
	}
	idt, err := provider.Verifier(&oidc.Config{ClientID: "sigstore"}).Verify(ctx, tok)
	if err != nil {
		t.Fatalf("verifying the token against the issuer: %v", err)
	}
	var got map[string]any
	if err := idt.Claims(&got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"iss":                s.IssuerURL,
		"aud":                "sigstore",
		"sub":                "repo:octo-org/octo-repo:ref:refs/heads/main",
		"repository":         "octo-org/octo-repo",
		"repository_owner":   "octo-org",
		"ref":                "refs/heads/main",
		"sha":                "fedcba9876543210fedcba9876543210fedcba98",
		"workflow_ref":       "octo-org/octo-repo/.github/workflows/ci.yml@refs/heads/main",
		"workflow_sha":       "fedcba9876543210fedcba9876543210fedcba98",
		"job_workflow_ref":   "octo-org/octo-repo/.github/workflows/ci.yml@refs/heads/main",
		"job_workflow_sha":   "fedcba9876543210fedcba9876543210fedcba98",
		"workflow":           ".github/workflows/ci.yml",
		"event_name":         "push",
		"runner_environment": "github-hosted",
		"run_id":             "1",
		"run_attempt":        "1",
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			delete(got, k)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("token claims (-want +got):\n%s", diff)
	}

	gh, err := action.Context()
	if err != nil {
		t.Fatal(err)
	}
	ghWant := githubactions.GitHubContext{
		Actions: true, Repository: c.Repository, RepositoryOwner: "octo-org", Ref: c.Ref, RefName: "main", RefType: "branch",
		SHA: c.SHA, EventName: "push", RunID: 1, RunAttempt: 1, RunNumber: 1, Workflow: ".github/workflows/ci.yml",
		ServerURL: "https://github.com", APIURL: "https://api.github.com", Actor: "octo-org", ActorID: "200", TriggeringActor: "octo-org",
		GraphqlURL: gh.GraphqlURL, Event: gh.Event,
	}
	if diff := cmp.Diff(ghWant, *gh); diff != "" {
		t.Errorf("GitHub context from the environment (-want +got):\n%s", diff)
	}

	// Fulcio takes the token as it comes from the job.
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sign.NewFulcio(&sign.FulcioOptions{BaseURL: s.FulcioURL}).GetCertificate(ctx, kp, &sign.CertificateProviderOptions{IDToken: tok}); err != nil {
		t.Errorf("Fulcio refused the job's token: %v", err)
	}

	t.Run("audience defaults to the owner", func(t *testing.T) {
		t.Parallel()
		tok, err := action.GetIDToken(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := provider.Verifier(&oidc.Config{ClientID: "https://github.com/octo-org"}).Verify(ctx, tok); err != nil {
			t.Error(err)
		}
	})
	t.Run("unknown request token", func(t *testing.T) {
		t.Parallel()
		bad := map[string]string{}
		for k, v := range env {
			bad[k] = v
		}
		bad["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "not-a-request-token"
		_, err := actionWithEnv(bad).GetIDToken(ctx, "sigstore")
		var rf *githubactions.RequestFailedError
		if !errors.As(err, &rf) || rf.StatusCode != http.StatusUnauthorized {
			t.Errorf("err = %v, want a 401", err)
		}
	})
}

// TestRefineClaims: one request token, told apart per request; a refusal
// is no token.
func TestRefineClaims(t *testing.T) {
	t.Parallel()
	s := New(t)
	ctx := context.Background()
	env := s.ActionsEnv(Claims{Repository: "octo-org/octo-repo", Ref: "refs/heads/main", SHA: "fedcba9876543210fedcba9876543210fedcba98",
		WorkflowRef: "octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main"})
	calls := 0
	s.RefineClaims(func(_ *http.Request, c Claims) (Claims, error) {
		calls++
		if calls > 1 {
			return c, errors.New("no job asked")
		}
		c.JobWorkflowRef = "relproof/relproof/.github/workflows/deploy-gate.yml@refs/tags/v1"
		return c, nil
	})
	tok, err := actionWithEnv(env).GetIDToken(ctx, "sigstore")
	if err != nil {
		t.Fatal(err)
	}
	provider, err := oidc.NewProvider(ctx, s.IssuerURL)
	if err != nil {
		t.Fatal(err)
	}
	idt, err := provider.Verifier(&oidc.Config{ClientID: "sigstore"}).Verify(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		JobWorkflowRef string `json:"job_workflow_ref"`
		WorkflowRef    string `json:"workflow_ref"`
	}
	if err := idt.Claims(&got); err != nil {
		t.Fatal(err)
	}
	if got.JobWorkflowRef != "relproof/relproof/.github/workflows/deploy-gate.yml@refs/tags/v1" || got.WorkflowRef != "octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main" {
		t.Errorf("refined claims = %+v", got)
	}
	if _, err := actionWithEnv(env).GetIDToken(ctx, "sigstore"); err == nil {
		t.Error("a refused request got a token")
	}
}
