package fakegithub_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/relproof/relproof/internal/testing/fakegithub"
)

func TestOrgReposPages(t *testing.T) {
	t.Parallel()
	f, srv := fakegithub.Start(t)
	f.Update(func(s *fakegithub.State) {
		s.AddOrgRepos("acme", 5, func(i int, r *fakegithub.Repo) { r.Private = i == 3 })
		s.Repo("other/service-000")
	})
	list := func(query string) ([]string, http.Header) {
		t.Helper()
		resp, err := http.Get(srv.URL + "/orgs/acme/repos?" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var repos []struct {
			FullName string `json:"full_name"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&repos); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %d %v", query, resp.StatusCode, err)
		}
		var names []string
		for _, r := range repos {
			names = append(names, strings.TrimPrefix(r.FullName, "acme/service-"))
		}
		return names, resp.Header
	}
	for query, want := range map[string]string{
		"":                                 "004 003 002 001 000", // newest first
		"sort=full_name":                   "000 001 002 003 004",
		"sort=full_name&direction=desc":    "004 003 002 001 000",
		"type=private":                     "003",
		"type=public&sort=full_name":       "000 001 002 004",
		"sort=full_name&per_page=2":        "000 001",
		"sort=full_name&per_page=2&page=3": "004",
	} {
		if got, _ := list(query); strings.Join(got, " ") != want {
			t.Errorf("%q: %v, want %s", query, got, want)
		}
	}
	_, h := list("sort=full_name&per_page=2&page=2")
	next := fmt.Sprintf(`<%s/orgs/acme/repos?page=3&per_page=2&sort=full_name>; rel="next"`, srv.URL)
	last := fmt.Sprintf(`<%s/orgs/acme/repos?page=3&per_page=2&sort=full_name>; rel="last"`, srv.URL)
	if link := h.Get("Link"); !strings.Contains(link, next) || !strings.Contains(link, last) {
		t.Errorf("Link: %s", link)
	}
	if resp, err := http.Get(srv.URL + "/orgs/nobody/repos"); err != nil || resp.StatusCode != 404 {
		t.Errorf("unknown organization: %v %v", resp.StatusCode, err)
	}
}

// TestAddOrgRepos reads, for a repository AddOrgRepos made, everything an
// audit reads: each answers with what it set.
func TestAddOrgRepos(t *testing.T) {
	t.Parallel()
	f, srv := fakegithub.Start(t)
	var repos []*fakegithub.Repo
	f.Update(func(s *fakegithub.State) { repos = s.AddOrgRepos("acme", 3, nil) })
	if len(repos) != 3 || repos[2].FullName() != "acme/service-002" {
		t.Fatalf("repositories %v", repos)
	}
	repo := srv.URL + "/repos/acme/service-001"
	for path, want := range map[string]string{
		"":                            `"default_branch":"main"`,
		"/contents/.github/workflows": `"path":".github/workflows/release.yml"`,
		"/contents/.github/workflows/release.yml":              `"encoding":"base64"`,
		"/contents/.github/CODEOWNERS":                         `"type":"file"`,
		"/branches/main/protection":                            `"require_code_owner_reviews":true`,
		"/rules/branches/main":                                 `"type":"pull_request"`,
		"/rulesets":                                            `"name":"default branch"`,
		"/environments":                                        `"type":"required_reviewers"`,
		"/environments/production/deployment-branch-policies":  `"type":"tag"`,
		"/environments/production/deployment_protection_rules": `"slug":"relproof"`,
		"/environments/production/secrets":                     `"KUBECONFIG"`,
		"/actions/secrets":                                     `"SLACK_WEBHOOK"`,
		"/actions/permissions":                                 `"allowed_actions":"selected"`,
		"/actions/permissions/workflow":                        `"default_workflow_permissions":"read"`,
		"/deployments":                                         `"digest":"sha256:`,
	} {
		if body := string(get(t, repo+path)); !strings.Contains(body, want) {
			t.Errorf("%s: no %s in %s", path, want, body)
		}
	}
	var deps []struct {
		Ref     string
		Payload struct{ Digest string }
	}
	mustJSON(t, get(t, repo+"/deployments"), &deps)
	if len(deps) != 2 || deps[0].Ref != "v1.1.0" || len(deps[0].Payload.Digest) != len("sha256:")+64 || deps[0].Payload.Digest == deps[1].Payload.Digest {
		t.Errorf("deployments %+v", deps)
	}
}

func TestCallsAndRateLimitHeaders(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	f, srv := fakegithub.Start(t, fakegithub.WithClock(func() time.Time { return at }))
	f.Update(func(s *fakegithub.State) {
		fakegithub.Scenario(s, at)
		s.AddOrgRepos("acme", 2, nil)
	})
	var remaining []int
	for i, path := range []string{
		"/repos/octo-org/octo-repo",
		"/repos/OCTO-ORG/octo-repo/pulls/1347",
		"/repos/octo-org/octo-repo/pulls/9", // 404
		"/repos/acme/service-000/deployments",
		"/orgs/acme/repos",
		"/app/installations", // 401: no App
		"/repos/nobody/nothing",
	} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		n, _ := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
		remaining = append(remaining, n)
		if h.Get("X-RateLimit-Limit") != "5000" || h.Get("X-RateLimit-Used") != strconv.Itoa(i+1) || n != 5000-(i+1) ||
			h.Get("X-RateLimit-Reset") != strconv.FormatInt(at.Add(time.Hour).Unix(), 10) || h.Get("X-RateLimit-Resource") != "core" {
			t.Errorf("%s (%d): rate limit headers %v", path, resp.StatusCode, h)
		}
	}
	calls := f.Calls()
	want := map[string]int{"octo-org/octo-repo": 3, "acme/service-000": 1, "org:acme": 1, "": 1, "nobody/nothing": 1}
	if fmt.Sprint(calls) != fmt.Sprint(want) || f.TotalCalls() != 7 {
		t.Errorf("calls = %v (%d), want %v", calls, f.TotalCalls(), want)
	}
	// A primary rate limit fault still says 0 remaining.
	f.Inject(fakegithub.PrimaryRateLimit("/repos/", 1, time.Minute))
	resp, err := http.Get(srv.URL + "/repos/octo-org/octo-repo")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Header.Get("X-RateLimit-Remaining") != "0" || resp.Header.Get("X-RateLimit-Reset") != strconv.FormatInt(at.Add(time.Minute).Unix(), 10) {
		t.Errorf("primary limit: %d %v", resp.StatusCode, resp.Header)
	}
}

// TestRateLimitNeverRunsOut: the window starts over before it is used up,
// so that go-github never refuses to send a request by itself.
func TestRateLimitNeverRunsOut(t *testing.T) {
	t.Parallel()
	f, srv := fakegithub.Start(t)
	f.Update(func(s *fakegithub.State) { s.Repo("octo-org/octo-repo") })
	low := fakegithub.RateLimit
	for range fakegithub.RateLimit + 10 {
		resp, err := http.Get(srv.URL + "/repos/octo-org/octo-repo")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		n, _ := strconv.Atoi(resp.Header.Get("X-RateLimit-Remaining"))
		low = min(low, n)
	}
	if low != 1 {
		t.Errorf("lowest X-RateLimit-Remaining %d, want 1", low)
	}
}
