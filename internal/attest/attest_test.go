package attest

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/google/go-cmp/cmp"

	"github.com/relproof/relproof/internal/attest/predicate"
	"github.com/relproof/relproof/internal/subject"
)

var testSubject = &subject.Subject{
	Kind:   subject.KindOCI,
	Name:   "ghcr.io/acme/app",
	Digest: subject.Digest{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)},
}

// actionsEnv is the environment of a GitHub Actions job, as the runner sets it.
var actionsEnv = map[string]string{
	"GITHUB_ACTIONS":             "true",
	"GITHUB_SERVER_URL":          "https://github.com",
	"GITHUB_REPOSITORY":          "acme/app",
	"GITHUB_REPOSITORY_ID":       "123456",
	"GITHUB_REPOSITORY_OWNER_ID": "7890",
	"GITHUB_SHA":                 "0123456789abcdef0123456789abcdef01234567",
	"GITHUB_REF":                 "refs/heads/main",
	"GITHUB_WORKFLOW_REF":        "acme/app/.github/workflows/release.yml@refs/heads/main",
	"GITHUB_RUN_ID":              "4242",
	"GITHUB_RUN_ATTEMPT":         "2",
	"GITHUB_EVENT_NAME":          "push",
	"RUNNER_ENVIRONMENT":         "github-hosted",
	"RUNNER_OS":                  "Linux",
	"RUNNER_ARCH":                "X64",
}

func getenv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// statementJSON builds and marshals a statement, and decodes it generically so
// tests check the JSON a verifier reads, field by field.
func statementJSON(t *testing.T, r Request) map[string]any {
	t.Helper()
	r.Subject = testSubject
	st, err := Build(r)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestStatementEnvelope(t *testing.T) {
	t.Parallel()
	m := statementJSON(t, Request{Type: TypeCustom, Predicate: []byte(`{"a":1}`), PredicateName: "p.json", PredicateType: "https://example.com/p/v1"})
	want := map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"predicateType": "https://example.com/p/v1",
		"subject": []any{map[string]any{
			"name":   "ghcr.io/acme/app",
			"digest": map[string]any{"sha256": strings.Repeat("ab", 32)},
		}},
		"predicate": map[string]any{"a": float64(1)},
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("statement (-want +got):\n%s", diff)
	}
}

func TestMarshalIsCanonical(t *testing.T) {
	t.Parallel()
	st, err := Build(Request{Subject: testSubject, Type: TypeProvenance, Provenance: ProvenanceInput{Getenv: getenv(actionsEnv)}})
	if err != nil {
		t.Fatal(err)
	}
	first, err := Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		again, _ := Marshal(st)
		if string(again) != string(first) {
			t.Fatalf("Marshal is not stable:\n%s\n%s", first, again)
		}
	}
	if strings.Contains(string(first), ": ") || strings.Contains(string(first), "\n") {
		t.Errorf("canonical JSON has insignificant whitespace: %s", first)
	}
}

func TestProvenanceFromActions(t *testing.T) {
	t.Parallel()
	m := statementJSON(t, Request{Type: TypeProvenance, Provenance: ProvenanceInput{Getenv: getenv(actionsEnv)}})
	if m["predicateType"] != "https://slsa.dev/provenance/v1" {
		t.Errorf("predicateType = %v", m["predicateType"])
	}
	want := map[string]any{
		"buildDefinition": map[string]any{
			"buildType": "https://actions.github.io/buildtypes/workflow/v1",
			"externalParameters": map[string]any{"workflow": map[string]any{
				"ref": "refs/heads/main", "repository": "https://github.com/acme/app", "path": ".github/workflows/release.yml",
			}},
			"internalParameters": map[string]any{"github": map[string]any{
				"event_name": "push", "repository_id": "123456", "repository_owner_id": "7890",
				"runner_environment": "github-hosted", "runner_os": "Linux", "runner_arch": "X64",
			}},
			"resolvedDependencies": []any{map[string]any{
				"uri":    "git+https://github.com/acme/app@refs/heads/main",
				"digest": map[string]any{"gitCommit": "0123456789abcdef0123456789abcdef01234567"},
			}},
		},
		"runDetails": map[string]any{
			"builder":  map[string]any{"id": "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"},
			"metadata": map[string]any{"invocationId": "https://github.com/acme/app/actions/runs/4242/attempts/2"},
		},
	}
	if diff := cmp.Diff(want, m["predicate"]); diff != "" {
		t.Errorf("provenance (-want +got):\n%s", diff)
	}
}

func TestProvenanceBuilderOverrideAndMissingEnv(t *testing.T) {
	t.Parallel()
	m := statementJSON(t, Request{Type: TypeProvenance, Provenance: ProvenanceInput{
		Getenv:    getenv(actionsEnv),
		BuilderID: "https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1.0.0",
	}})
	got := m["predicate"].(map[string]any)["runDetails"].(map[string]any)["builder"].(map[string]any)["id"]
	if got != "https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1.0.0" {
		t.Errorf("builder id = %v", got)
	}

	partial := map[string]string{}
	for k, v := range actionsEnv {
		partial[k] = v
	}
	delete(partial, "GITHUB_SHA")
	delete(partial, "GITHUB_WORKFLOW_REF")
	_, err := Build(Request{Subject: testSubject, Type: TypeProvenance, Provenance: ProvenanceInput{Getenv: getenv(partial)}})
	if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "GITHUB_SHA, GITHUB_WORKFLOW_REF not set") {
		t.Errorf("err = %v", err)
	}
}

// gitRepo makes a repository with one commit and returns its directory and
// commit hash.
func gitRepo(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.CreateRemote(&gitconfigRemote); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "f.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	wt, _ := repo.Worktree()
	if _, err := wt.Add("f.txt"); err != nil {
		t.Fatal(err)
	}
	sig := &object.Signature{Name: "t", Email: "t@example.com", When: time.Unix(1700000000, 0)}
	h, err := wt.Commit("c", &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		t.Fatal(err)
	}
	return dir, h.String()
}

func TestProvenanceLocal(t *testing.T) {
	t.Parallel()
	dir, commit := gitRepo(t)
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	// From a subdirectory, and with a GITHUB_ACTIONS that is not "true".
	m := statementJSON(t, Request{Type: TypeProvenance, Provenance: ProvenanceInput{Getenv: getenv(map[string]string{"GITHUB_ACTIONS": "false"}), Dir: sub}})
	want := map[string]any{
		"buildDefinition": map[string]any{
			"buildType":          "https://relproof.dev/buildtypes/local/v1",
			"externalParameters": map[string]any{"source": map[string]any{"repository": "https://example.com/acme/app.git", "ref": "refs/heads/master"}},
			"internalParameters": map[string]any{"worktreeDirty": false},
			"resolvedDependencies": []any{map[string]any{
				"uri":    "git+https://example.com/acme/app.git@refs/heads/master",
				"digest": map[string]any{"gitCommit": commit},
			}},
		},
		"runDetails": map[string]any{"builder": map[string]any{"id": "https://relproof.dev/builders/local"}},
	}
	if diff := cmp.Diff(want, m["predicate"]); diff != "" {
		t.Errorf("local provenance (-want +got):\n%s", diff)
	}

	// An uncommitted change is recorded, not hidden.
	if err := os.WriteFile(filepath.Join(dir, "f.txt"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	m = statementJSON(t, Request{Type: TypeProvenance, Provenance: ProvenanceInput{Getenv: getenv(nil), Dir: dir}})
	dirty := m["predicate"].(map[string]any)["buildDefinition"].(map[string]any)["internalParameters"].(map[string]any)["worktreeDirty"]
	if dirty != true {
		t.Errorf("worktreeDirty = %v after an uncommitted change, want true", dirty)
	}
}

func TestProvenanceOutsideGit(t *testing.T) {
	t.Parallel()
	_, err := Build(Request{Subject: testSubject, Type: TypeProvenance, Provenance: ProvenanceInput{Getenv: getenv(nil), Dir: t.TempDir()}})
	if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "is not in a git repository") {
		t.Errorf("err = %v", err)
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	if got := redactURL("https://x-access-token:ghs_secret@github.com/acme/app.git"); got != "https://github.com/acme/app.git" {
		t.Errorf("redactURL = %q", got)
	}
}

func TestBuildTestAndVuln(t *testing.T) {
	t.Parallel()
	goTest := `{"Action":"pass","Package":"example.com/m","Test":"TestA"}
{"Action":"fail","Package":"example.com/m","Test":"TestB"}
{"Action":"fail","Package":"example.com/m"}
`
	m := statementJSON(t, Request{Type: TypeTest, Predicate: []byte(goTest), PredicateName: "tests.json"})
	if m["predicateType"] != predicate.TestResultType {
		t.Errorf("predicateType = %v", m["predicateType"])
	}
	p := m["predicate"].(map[string]any)
	if p["result"] != "FAILED" || !cmp.Equal(p["passedTests"], []any{"example.com/m.TestA"}) || !cmp.Equal(p["failedTests"], []any{"example.com/m.TestB"}) {
		t.Errorf("test predicate = %v", p)
	}

	trivy := `{"SchemaVersion":2,"ArtifactName":"ghcr.io/acme/app@sha256:` + strings.Repeat("cd", 32) + `","ArtifactType":"container_image",
"Metadata":{"RepoDigests":["ghcr.io/acme/app@sha256:` + strings.Repeat("cd", 32) + `"]},"Results":[]}`
	_, err := Build(Request{Subject: testSubject, Type: TypeVuln, Predicate: []byte(trivy), PredicateName: "trivy.json"})
	if !errors.Is(err, ErrBadInput) || !errors.Is(err, predicate.ErrSubjectMismatch) {
		t.Fatalf("err = %v, want a subject mismatch", err)
	}
	for _, want := range []string{"trivy.json", strings.Repeat("cd", 32), strings.Repeat("ab", 32)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("mismatch error %q does not name %q", err, want)
		}
	}
}

func TestBuildInputErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		req  Request
		want string
	}{
		{"no subject", Request{Type: TypeCustom}, "no subject"},
		{"unknown type", Request{Subject: testSubject, Type: "sbom2"}, `unknown --type "sbom2"`},
		{"test without report", Request{Subject: testSubject, Type: TypeTest}, "--type test needs --predicate FILE"},
		{"empty report", Request{Subject: testSubject, Type: TypeVuln, Predicate: []byte(" \n"), PredicateName: "r.json"}, "r.json is empty"},
		{"custom without type", Request{Subject: testSubject, Type: TypeCustom, Predicate: []byte(`{}`)}, "needs --predicate-type URI"},
		{"custom with relative type", Request{Subject: testSubject, Type: TypeCustom, Predicate: []byte(`{}`), PredicateType: "my-type"}, "expected an absolute URI"},
		{"custom not an object", Request{Subject: testSubject, Type: TypeCustom, Predicate: []byte(`[1]`), PredicateName: "p.json", PredicateType: "https://x/y"}, "predicate p.json: expected a JSON object"},
		{"custom malformed", Request{Subject: testSubject, Type: TypeCustom, Predicate: []byte(`{"a":`), PredicateName: "p.json", PredicateType: "https://x/y"}, "predicate p.json"},
		{"predicate type with test", Request{Subject: testSubject, Type: TypeTest, Predicate: []byte("x"), PredicateType: "https://x/y"}, "--predicate-type is for --type custom"},
		{"predicate with provenance", Request{Subject: testSubject, Type: TypeProvenance, Predicate: []byte("{}")}, "--predicate is not used"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Build(tc.req)
			if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrBadInput saying %q", err, tc.want)
			}
		})
	}
}
