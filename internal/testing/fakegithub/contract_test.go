package fakegithub_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/relproof/relproof/internal/testing/fakegithub"
)

const corpus = "../../../testdata/corpus/github_rest_api"

// auditExamples holds GitHub's documented examples the corpus lacks (its
// README says where each came from).
const auditExamples = "../../audit/testdata/github/"

// TestContract checks that the fake is true to GitHub: for every real
// example response of an endpoint relproof uses, each field of the example
// is in the fake's response for the same endpoint, with the same JSON type,
// recursively (arrays by their first element).
func TestContract(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	f, srv := fakegithub.Start(t, fakegithub.WithClock(func() time.Time { return at }))
	var rel *fakegithub.Release
	f.Update(func(s *fakegithub.State) {
		rel = fakegithub.Scenario(s, at)
		rel.Run.PendingEnvironments = []string{"production"} // waiting on a protection rule
		fakegithub.SettingsScenario(s)
		r := s.Repo("octo-org/octo-repo")
		r.Symlinks = map[string]string{"bin/some-symlink": "/path/to/symlink/target"}
		r.Submodules = map[string]string{"test/qunit": "git://github.com/jquery/qunit.git"}
		r.Releases = []*fakegithub.GitHubRelease{{ID: s.ID(), Tag: "v1.0.0", Name: "v1.0.0", CreatedAt: at, PublishedAt: at,
			Assets: []*fakegithub.ReleaseAsset{{ID: s.ID(), Name: "app.tar.gz", ContentType: "application/gzip", Size: 1024, Digest: "sha256:" + strings.Repeat("cd", 32)}}}}
	})
	repo := srv.URL + "/repos/octo-org/octo-repo"

	// Writes first, so that the reads see what the writes made.
	created := post(t, "POST", repo+"/deployments", `{"ref":"main","environment":"production","payload":{"digest":"sha256:`+strings.Repeat("ab", 32)+`"},"required_contexts":[],"description":"relproof"}`)
	var dep struct{ ID int64 }
	mustJSON(t, created, &dep)
	status := post(t, "POST", fmt.Sprintf("%s/deployments/%d/statuses", repo, dep.ID), `{"state":"success","environment_url":"https://app.example.com","log_url":"https://example.com/log","description":"done"}`)
	check := post(t, "POST", repo+"/check-runs", `{"name":"relproof / production","head_sha":"`+rel.Feature+`","status":"completed","conclusion":"neutral","details_url":"https://example.com","external_id":"x",`+
		`"started_at":"2026-11-26T12:00:00Z","output":{"title":"t","summary":"s","text":"x","annotations":[{"path":"README.md","start_line":1,"end_line":1,"annotation_level":"warning","message":"m"}]}}`)
	var cr struct{ ID int64 }
	mustJSON(t, check, &cr)
	updated := post(t, "PATCH", fmt.Sprintf("%s/check-runs/%d", repo, cr.ID), `{"name":"relproof / production","output":{"title":"t2","summary":"s2"}}`)
	bundle := exampleBundle(t)
	post(t, "POST", repo+"/attestations", `{"bundle":`+string(bundle)+`}`)
	digest := "sha256:8aad120b416386b4269ef62c8fdebcad31a70847297817a149daf927edc85548" // the example bundle's subject

	for _, tc := range []struct {
		example string
		fake    []byte
	}{
		{"compare-commits.200.commit-comparison.json", get(t, repo+"/compare/"+rel.Base+"..."+rel.Commit)},
		{"get-branch-protection.200.branch-protection.json", get(t, repo+"/branches/main/protection")},
		{"get-check-run.200.check-run.json", get(t, fmt.Sprintf("%s/check-runs/%d", repo, cr.ID))},
		{"get-check-run.200.check-run.json", check},
		{"get-check-run.200.check-run.json", updated},
		{"get-pull-request.200.pull-request.json", get(t, repo+"/pulls/1347")},
		{"get-repo-content.200.content-file-response-if-content-is-a-file.json", get(t, repo+"/contents/.github/CODEOWNERS?ref="+rel.Commit)},
		{"get-rules-for-branch.200.repository-rule-items.json", get(t, repo+"/rules/branches/main")},
		{"cli-cli/rulesetCheck.json", get(t, repo+"/rules/branches/main")},
		{"get-workflow-run-approvals.200.environment-approvals-items.json", get(t, fmt.Sprintf("%s/actions/runs/%d/approvals", repo, rel.Run.ID))},
		{"get-workflow-run.200.workflow-run.json", get(t, fmt.Sprintf("%s/actions/runs/%d", repo, rel.Run.ID))},
		{"get-pending-deployments-for-run.200.pending-deployment-items.json", get(t, fmt.Sprintf("%s/actions/runs/%d/pending_deployments", repo, rel.Run.ID))},
		{"get-workflow-run.200.workflow-run.json", get(t, fmt.Sprintf("%s/actions/runs/%d/attempts/1", repo, rel.Run.ID))},
		{"list-check-runs-for-ref.200.check-run-paginated.json", get(t, repo+"/commits/"+rel.Feature+"/check-runs?check_name=relproof+%2F+production")},
		{"list-codeowners-errors.200.codeowners-errors.json", get(t, repo+"/codeowners/errors?ref="+rel.Commit)},
		{"list-deployment-statuses.200.deployment-status-items.json", get(t, fmt.Sprintf("%s/deployments/%d/statuses", repo, dep.ID))},
		{"list-deployment-statuses.200.deployment-status-items.json", []byte("[" + string(status) + "]")},
		{"list-deployments.200.deployment-items.json", get(t, repo+"/deployments?environment=production")},
		{"list-deployments.200.deployment-items.json", []byte("[" + string(created) + "]")},
		{"list-jobs-for-workflow-run.200.job-paginated.json", get(t, fmt.Sprintf("%s/actions/runs/%d/attempts/1/jobs", repo, rel.Run.ID))},
		{"list-pull-request-reviews.200.pull-request-review-items.json", get(t, repo+"/pulls/1347/reviews")},
		{"list-repo-attestations.200.list-attestations.json", get(t, repo+"/attestations/"+digest)},
		// What relproof audit reads of a repository's settings.
		{"get-environment.200.environment.json", get(t, repo+"/environments/production")},
		{"list-environments.200.environments.json", get(t, repo+"/environments")},
		{"list-deployment-branch-policies.200.deployment-branch-policies-list.json", get(t, repo+"/environments/production/deployment-branch-policies")},
		{"get-all-deployment-protection-rules.200.inline-default.json", get(t, repo+"/environments/production/deployment_protection_rules")},
		{"list-environment-secrets.200.actions-secret-paginated.json", get(t, repo+"/environments/production/secrets")},
		{"list-repo-actions-secrets.200.actions-secret-paginated.json", get(t, repo+"/actions/secrets")},
		{"list-repo-rulesets.200.repository-ruleset-items.json", get(t, repo+"/rulesets")},
		// The examples' first rule is a pattern rule, as ruleset 73's is.
		{"get-repo-ruleset.200.repository-ruleset.json", get(t, repo+"/rulesets/73?includes_parents=true")},
		{"cli-cli/rulesetViewRepo.json", get(t, repo+"/rulesets/73")},
		{auditExamples + "get-github-actions-permissions-repository.200.actions-repository-permissions.json", get(t, repo+"/actions/permissions")},
		{auditExamples + "get-github-actions-default-workflow-permissions-repository.200.actions-default-workflow-permissions.json", get(t, repo+"/actions/permissions/workflow")},
		{auditExamples + "list-releases.200.release-items.json", get(t, repo+"/releases")},
		// What relproof audit reads of workflows and organizations: a
		// directory, a symlink and a submodule as the contents API serves
		// them, and an organization's repositories, which are repository
		// objects as GitHub's pull request example shows one (its head.repo).
		{"get-repo-content.200.content-file-response-if-content-is-a-directory.json", get(t, repo+"/contents/.github?ref="+rel.Commit)},
		{"get-repo-content.200.content-file-response-if-content-is-a-symlink.json", get(t, repo+"/contents/bin/some-symlink")},
		{"get-repo-content.200.content-file-response-if-content-is-a-submodule.json", get(t, repo+"/contents/test/qunit")},
		{"get-pull-request.200.pull-request.json#head.repo", first(t, get(t, srv.URL+"/orgs/octo-org/repos"))},
		// A simple pull request is a pull request without the merge facts.
		{"get-pull-request.200.pull-request.json#simple", first(t, get(t, repo+"/commits/"+rel.Commit+"/pulls"))},
	} {
		t.Run(tc.example, func(t *testing.T) {
			name, variant, _ := strings.Cut(tc.example, "#")
			path := filepath.Join(corpus, name)
			if strings.HasPrefix(name, auditExamples) {
				path = filepath.FromSlash(name)
			}
			real := readJSON(t, path)
			if variant == "head.repo" {
				real = real.(map[string]any)["head"].(map[string]any)["repo"]
			}
			if variant == "simple" {
				for _, k := range []string{"merged", "mergeable", "rebaseable", "mergeable_state", "merged_by", "comments", "review_comments", "maintainer_can_modify", "commits", "additions", "deletions", "changed_files"} {
					delete(real.(map[string]any), k)
				}
			}
			var fake any
			if err := json.Unmarshal(tc.fake, &fake); err != nil {
				t.Fatalf("the fake's response is not JSON: %v\n%s", err, tc.fake)
			}
			for _, p := range shapeDiff("$", real, fake) {
				t.Error(p)
			}
		})
	}

	// GitHub's answer for a branch without protection (a recorded exchange).
	t.Run("octokit-fixtures/branch-protection.normalized-fixture.json", func(t *testing.T) {
		var fixture []struct {
			Method, Path string
			Status       int
			Response     any
		}
		mustJSON(t, readBytes(t, filepath.Join(corpus, "octokit-fixtures/branch-protection.normalized-fixture.json")), &fixture)
		f.Update(func(s *fakegithub.State) {
			s.Repo("octo-org/octo-repo").Branches["unprotected"] = &fakegithub.Branch{Name: "unprotected", HeadSHA: rel.Base}
		})
		resp, err := http.Get(repo + "/branches/unprotected/protection")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if fixture[0].Status != 404 || resp.StatusCode != fixture[0].Status {
			t.Fatalf("status %d, recorded %d", resp.StatusCode, fixture[0].Status)
		}
		var fake any
		mustJSON(t, body, &fake)
		for _, p := range shapeDiff("$", fixture[0].Response, fake) {
			t.Error(p)
		}
		if !strings.Contains(string(body), `"Branch not protected"`) {
			t.Errorf("body %s", body)
		}
	})
}

// nullable are fields GitHub's OpenAPI description declares nullable, that
// the fake's scenario leaves null where it would be null on GitHub (a merged
// pull request has no mergeable state, a repository that is no mirror no
// mirror_url, a first attempt no previous attempt).
var nullable = map[string]bool{
	"active_lock_reason": true, "mirror_url": true, "mergeable": true, "rebaseable": true,
	"closed_at": true, "due_on": true, "previous_attempt_url": true,
}

// freeForm are objects whose keys GitHub does not fix: an app's
// permissions (one key per permission it was granted).
var freeForm = map[string]bool{"permissions": true}

// shapeDiff lists every field of real that fake lacks or has with another
// JSON type. A null in real says nothing of the type; an empty array in the
// fake where real has elements is a gap in the scenario.
func shapeDiff(path string, real, fake any) []string {
	if real == nil {
		return nil
	}
	field := path[strings.LastIndexAny(path, ".]")+1:]
	if fake == nil {
		if nullable[field] {
			return nil
		}
		return []string{fmt.Sprintf("%s: null in the fake, %s in GitHub's example", path, kind(real))}
	}
	if kind(real) != kind(fake) {
		return []string{fmt.Sprintf("%s: %s in the fake, %s in GitHub's example", path, kind(fake), kind(real))}
	}
	var out []string
	switch r := real.(type) {
	case map[string]any:
		if freeForm[field] {
			return nil
		}
		fm := fake.(map[string]any)
		keys := make([]string, 0, len(r))
		for k := range r {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fv, ok := fm[k]
			if !ok {
				out = append(out, fmt.Sprintf("%s.%s: missing in the fake", path, k))
				continue
			}
			out = append(out, shapeDiff(path+"."+k, r[k], fv)...)
		}
	case []any:
		fa := fake.([]any)
		if len(r) == 0 {
			return nil
		}
		if len(fa) == 0 {
			return []string{fmt.Sprintf("%s: empty in the fake; the scenario should fill it", path)}
		}
		out = append(out, shapeDiff(path+"[0]", r[0], fa[0])...)
	}
	return out
}

func kind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func TestShapeDiff(t *testing.T) {
	t.Parallel()
	real := map[string]any{"a": "x", "b": []any{map[string]any{"c": 1.0}}, "n": nil, "o": map[string]any{"p": true}}
	if d := shapeDiff("$", real, map[string]any{"a": "y", "b": []any{map[string]any{"c": 2.0, "extra": 1.0}}, "n": "anything", "o": map[string]any{"p": false}}); len(d) != 0 {
		t.Errorf("same shape: %v", d)
	}
	d := shapeDiff("$", real, map[string]any{"a": 1.0, "b": []any{map[string]any{}}, "o": nil})
	want := []string{"$.a: number in the fake, string in GitHub's example", "$.b[0].c: missing in the fake", "$.n: missing in the fake", "$.o: null in the fake, object in GitHub's example"}
	if strings.Join(d, "\n") != strings.Join(want, "\n") {
		t.Errorf("diff:\n%s\nwant:\n%s", strings.Join(d, "\n"), strings.Join(want, "\n"))
	}
	if d := shapeDiff("$", []any{1.0}, []any{}); len(d) != 1 {
		t.Errorf("an empty array passes: %v", d)
	}
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return b
}

func post(t *testing.T, method, url, body string) []byte {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	return b
}

func first(t *testing.T, list []byte) []byte {
	t.Helper()
	var items []json.RawMessage
	mustJSON(t, list, &items)
	if len(items) == 0 {
		t.Fatalf("empty list %s", list)
	}
	return items[0]
}

func exampleBundle(t *testing.T) []byte {
	t.Helper()
	var ex struct {
		Attestations []struct {
			Bundle json.RawMessage `json:"bundle"`
		} `json:"attestations"`
	}
	mustJSON(t, readBytes(t, filepath.Join(corpus, "list-repo-attestations.200.list-attestations.json")), &ex)
	return bytes.TrimSpace(ex.Attestations[0].Bundle)
}

func readBytes(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readJSON(t *testing.T, p string) any {
	t.Helper()
	var v any
	mustJSON(t, readBytes(t, p), &v)
	return v
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
}
