package fakegithub_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/relproof/relproof/internal/testing/fakegithub"
)

func TestFaultsAndAuth(t *testing.T) {
	t.Parallel()
	f, srv := fakegithub.Start(t, fakegithub.WithToken("tok"))
	f.Update(func(s *fakegithub.State) { fakegithub.Scenario(s, time.Now()) })
	url := srv.URL + "/api/v3/repos/octo-org/octo-repo/pulls/1347"
	do := func(auth string) *http.Response {
		req, _ := http.NewRequest("GET", url, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for auth, want := range map[string]int{"": 401, "Bearer nope": 401, "Bearer tok": 200, "token tok": 200} {
		if got := do(auth).StatusCode; got != want {
			t.Errorf("%q: %d, want %d", auth, got, want)
		}
	}
	f.Inject(fakegithub.ServerErrors("/pulls/", 2), fakegithub.SecondaryRateLimit("/pulls/", 1, "7"))
	for i, want := range []int{502, 502, 403, 200} {
		resp := do("Bearer tok")
		if resp.StatusCode != want {
			t.Errorf("request %d: %d, want %d", i, resp.StatusCode, want)
		}
		if want == 403 && (resp.Header.Get("Retry-After") != "7" || resp.Header.Get("X-RateLimit-Remaining") == "0") {
			t.Errorf("secondary limit headers: %v", resp.Header)
		}
	}
	f.Inject(fakegithub.PrimaryRateLimit("/pulls/", 1, time.Minute))
	if resp := do("Bearer tok"); resp.StatusCode != 403 || resp.Header.Get("X-RateLimit-Remaining") != "0" || resp.Header.Get("X-RateLimit-Reset") == "" {
		t.Errorf("primary limit: %d %v", resp.StatusCode, resp.Header)
	}
	if n := f.Count("GET", "/pulls/1347"); n != 9 {
		t.Errorf("%d requests logged", n)
	}
	if strings.Contains(f.Requests()[0].Path, "/api/v3") {
		t.Error("the logged path keeps /api/v3")
	}
}
