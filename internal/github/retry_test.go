package github

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relproof/relproof/internal/testing/fakegithub"
)

func TestTransientFailuresAreRetried(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		fault fakegithub.Fault
	}{
		{"5xx", fakegithub.ServerErrors("/approvals", 3)},
		{"5xx at the blob store", fakegithub.ServerErrors("/_blobs/", 2)},
		{"secondary rate limit", fakegithub.SecondaryRateLimit("/approvals", 2, "1")},
		{"secondary rate limit without Retry-After", fakegithub.Fault{Path: "/approvals", Times: 1, Status: http.StatusForbidden, Message: "You have exceeded a secondary rate limit."}},
		{"429", fakegithub.TooManyRequests("/approvals", 2, "2")},
		{"primary rate limit", fakegithub.PrimaryRateLimit("/approvals", 2, 3*time.Second)},
		{"503", fakegithub.Fault{Path: "/approvals", Times: 1, Status: http.StatusServiceUnavailable}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, srv, rel := fake(t)
			f.Inject(tc.fault)
			// A minute's wait fits the default budget (and is waited for
			// 5ms here).
			c := client(t, srv, func(o *Options) { o.Retry.Timeout = 2 * time.Minute })
			if tc.fault.Path == "/_blobs/" {
				ev, err := c.BuildEvidence(context.Background(), octo, rel.Run.ID, BuildOptions{Logs: true})
				if err != nil || ev.Jobs[0].Log == nil {
					t.Fatalf("after a transient %s: %v", tc.name, err)
				}
			} else {
				ra, err := c.RunApprovals(context.Background(), octo, rel.Run.ID)
				if err != nil {
					t.Fatalf("after a transient %s: %v", tc.name, err)
				}
				if len(ra.Approvals) != 1 {
					t.Errorf("approvals = %+v", ra.Approvals)
				}
			}
			if n := f.Count("GET", tc.fault.Path); n != tc.fault.Times+1 {
				t.Errorf("%d requests, want %d", n, tc.fault.Times+1)
			}
		})
	}
}

func TestPersistentFailure(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		fault fakegithub.Fault
		kind  error
		says  []string
	}{
		{"5xx", fakegithub.ServerErrors("/approvals", 0), ErrUnavailable, []string{"502 Bad Gateway", "after 5 attempts", "GET /repos/octo-org/octo-repo/actions/runs/30433642/approvals"}},
		{"secondary rate limit", fakegithub.SecondaryRateLimit("/approvals", 0, "1"), ErrRateLimited, []string{"403", "secondary rate limit", "after 5 attempts"}},
		{"a wait beyond the budget", fakegithub.SecondaryRateLimit("/approvals", 0, "3600"), ErrRateLimited, []string{"asks to wait 1h0m0s, more than the", "left of the call's time budget"}},
		{"primary limit resetting in an hour", fakegithub.PrimaryRateLimit("/approvals", 0, time.Hour), ErrRateLimited, []string{"rate-limited", "asks to wait 1h0m"}},
		{"malformed JSON", fakegithub.Malformed("/approvals", 0), nil, []string{"reading the environment reviews of run 30433642"}},
		{"not found", fakegithub.Fault{Path: "/approvals", Status: http.StatusNotFound}, ErrNotFound, []string{"404 Not Found"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, srv, rel := fake(t)
			f.Inject(tc.fault)
			c := client(t, srv)
			start := time.Now()
			_, err := c.RunApprovals(context.Background(), octo, rel.Run.ID)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.kind != nil && !errors.Is(err, tc.kind) {
				t.Errorf("error %v is not %v", err, tc.kind)
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("the token is in the error: %v", err)
			}
			if time.Since(start) > 3*time.Second {
				t.Errorf("took %s", time.Since(start))
			}
		})
	}
}

func TestPostIsNotRetriedOnAmbiguousFailure(t *testing.T) {
	t.Parallel()
	f, srv, rel := fake(t)
	f.Inject(fakegithub.Fault{Method: "POST", Path: "/deployments", Times: 1, Status: http.StatusInternalServerError})
	c := client(t, srv)
	_, err := c.CreateDeployment(context.Background(), octo, DeploymentRequest{Environment: "production", Ref: rel.Commit, Payload: DeploymentPayload{Digest: "sha256:" + strings.Repeat("ab", 32)}})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if n := f.Count("POST", "/deployments"); n != 1 {
		t.Errorf("a POST GitHub may have acted on was sent %d times", n)
	}
	// A gateway error means GitHub did not act: retried.
	f.Inject(fakegithub.Fault{Method: "POST", Path: "/deployments", Times: 1, Status: http.StatusBadGateway})
	if _, err := c.CreateDeployment(context.Background(), octo, DeploymentRequest{Environment: "production", Ref: rel.Commit, Payload: DeploymentPayload{Digest: "sha256:" + strings.Repeat("ab", 32)}}); err != nil {
		t.Fatal(err)
	}
}

func TestSlowGitHubIsBounded(t *testing.T) {
	t.Parallel()
	f, srv, rel := fake(t)
	f.Inject(fakegithub.Slow("/approvals", 0, 2*time.Second))
	c := client(t, srv, func(o *Options) { o.Retry.Timeout = 200 * time.Millisecond })
	start := time.Now()
	_, err := c.RunApprovals(context.Background(), octo, rel.Run.ID)
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("err = %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("took %s with a 200ms budget", d)
	}
	// A cancelled context stops the call.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := client(t, srv).Run(ctx, octo, rel.Run.ID); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestWait(t *testing.T) {
	t.Parallel()
	rt := &retrier{p: RetryPolicy{MinWait: time.Second}.withDefaults(), now: func() time.Time { return at }}
	resp := func(status int, h map[string]string) *http.Response {
		r := &http.Response{StatusCode: status, Header: http.Header{}, Request: &http.Request{Method: "GET"}}
		for k, v := range h {
			r.Header.Set(k, v)
		}
		return r
	}
	for _, tc := range []struct {
		name    string
		resp    *http.Response
		attempt int
		want    time.Duration
	}{
		{"Retry-After seconds", resp(403, map[string]string{"Retry-After": "30"}), 0, 30 * time.Second},
		{"Retry-After date", resp(429, map[string]string{"Retry-After": at.Add(90 * time.Second).Format(http.TimeFormat)}), 0, 90 * time.Second},
		{"X-RateLimit-Reset", resp(403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": itoa(at.Add(10 * time.Minute).Unix())}), 0, 10*time.Minute + time.Second},
		{"reset in the past", resp(429, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": itoa(at.Add(-time.Minute).Unix())}), 0, time.Second},
		{"secondary without a time", resp(403, nil), 0, time.Minute},
		{"5xx backs off", resp(502, nil), 3, 8 * time.Second},
		{"5xx backoff is capped", resp(502, nil), 10, 30 * time.Second},
		{"network error", nil, 1, 2 * time.Second},
	} {
		if got := rt.wait(tc.resp, tc.attempt); got != tc.want {
			t.Errorf("%s: wait = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestAuthentication(t *testing.T) {
	t.Parallel()
	f, srv, rel := fake(t)
	bad := client(t, srv, func(o *Options) { o.Token = "ghp_WRONGTOKEN0123456789abcdefghijklmnop" })
	_, err := bad.Run(context.Background(), octo, rel.Run.ID)
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "401 Unauthorized: Bad credentials") {
		t.Errorf("bad token: %v", err)
	}
	if strings.Contains(err.Error(), "WRONGTOKEN") {
		t.Errorf("the token is in the error: %v", err)
	}
	if _, err := client(t, srv).Run(context.Background(), octo, rel.Run.ID); err != nil {
		t.Fatal(err)
	}
	for _, r := range f.Requests() {
		if r.Status == 200 && r.Authorization != "Bearer "+testToken {
			t.Errorf("request with %q", r.Authorization)
		}
	}
}

func TestGitHubApp(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	f, srv := fakegithub.Start(t, fakegithub.WithApp(1234, &key.PublicKey), fakegithub.WithToken("ghp_unused000000000000000000000000000000"))
	var rel *fakegithub.Release
	f.Update(func(s *fakegithub.State) { rel = fakegithub.Scenario(s, time.Now()) })
	for name, inst := range map[string]int64{"installation found for the repository": 0, "installation given": 4242} {
		c, err := New(context.Background(), Options{APIURL: srv.URL, App: &AppCredentials{AppID: 1234, PrivateKey: pemKey, InstallationID: inst, Repo: octo}, Retry: fastRetries})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := c.Run(context.Background(), octo, rel.Run.ID); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	var sawToken bool
	for _, r := range f.Requests() {
		if strings.HasPrefix(r.Path, "/repos/octo-org/octo-repo/actions/runs/") {
			sawToken = sawToken || strings.HasPrefix(r.Authorization, "token ghs_")
		}
	}
	if !sawToken {
		t.Error("no request used an installation token")
	}
	// The wrong key is refused, and the error names no secret.
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	otherPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(other)})
	_, err = New(context.Background(), Options{APIURL: srv.URL, App: &AppCredentials{AppID: 1234, PrivateKey: otherPEM, Repo: octo}, Retry: fastRetries})
	if !errors.Is(err, ErrUnauthorized) {
		t.Errorf("wrong key: %v", err)
	}
	if _, err := New(context.Background(), Options{APIURL: srv.URL, App: &AppCredentials{AppID: 1234, PrivateKey: []byte("not a key")}}); !errors.Is(err, ErrConfig) {
		t.Errorf("bad key: %v", err)
	}
	if _, err := New(context.Background(), Options{Token: "x", App: &AppCredentials{AppID: 1}}); !errors.Is(err, ErrConfig) {
		t.Errorf("token and app: %v", err)
	}
}

func TestEnterpriseServerURL(t *testing.T) {
	t.Parallel()
	f, srv, rel := fake(t)
	for _, u := range []string{srv.URL + "/api/v3", srv.URL + "/api/v3/", srv.URL} {
		c := client(t, srv, func(o *Options) { o.APIURL = u })
		if got := c.APIURL(); got != srv.URL+"/api/v3/" {
			t.Errorf("%s: API URL %s", u, got)
		}
		if _, err := c.SourceEvidence(context.Background(), octo, rel.Commit, SourceOptions{}); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	if f.Count("GET", "/pulls") == 0 {
		t.Error("no requests")
	}
	for _, tc := range []struct{ url, want string }{
		{"", "https://api.github.com/"},
		{"https://api.github.com", "https://api.github.com/"},
		{"https://api.acme.ghe.com", "https://api.acme.ghe.com/"},
		{"https://github.acme.com/api/v3", "https://github.acme.com/api/v3/"},
	} {
		u, err := apiURL(tc.url)
		if err != nil || u.String() != tc.want {
			t.Errorf("apiURL(%q) = %v, %v; want %s", tc.url, u, err, tc.want)
		}
	}
	for _, bad := range []string{"http://github.acme.com/api/v3", "ftp://x", "https://user:pw@github.acme.com", "not a url"} {
		if _, err := apiURL(bad); !errors.Is(err, ErrConfig) {
			t.Errorf("apiURL(%q): %v", bad, err)
		}
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	c := &Client{secrets: []string{"s3cr3t-value"}}
	in := "tokens ghp_abcdefghijklmnopqrstuvwxyz0123 ghs_ABCDEFGHIJKLMNOPQRSTUV github_pat_11ABCDEFG0123456789_abcdef and s3cr3t-value and eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxMjM0In0.c2lnbmF0dXJlc2ln"
	got := c.redact(in)
	for _, s := range []string{"ghp_", "ghs_", "github_pat_", "s3cr3t", "eyJ"} {
		if strings.Contains(got, s) {
			t.Errorf("redact left %q: %s", s, got)
		}
	}
}

// An App key held elsewhere (a KMS) signs the App's JWTs through
// AppCredentials.Sign, as RS256: here a key behind sigstore's signer
// interface, as a KMS key is.
func TestGitHubAppWithASigner(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f, srv := fakegithub.Start(t, fakegithub.WithApp(1234, &key.PublicKey), fakegithub.WithToken("ghp_unused000000000000000000000000000000"))
	var rel *fakegithub.Release
	f.Update(func(s *fakegithub.State) { rel = fakegithub.Scenario(s, time.Now()) })
	signerOf := func(k *rsa.PrivateKey) func(context.Context, []byte) ([]byte, error) {
		sv, err := signature.LoadRSAPKCS1v15SignerVerifier(k, crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		return func(ctx context.Context, msg []byte) ([]byte, error) {
			return sv.SignMessage(bytes.NewReader(msg), options.WithContext(ctx))
		}
	}
	c, err := New(context.Background(), Options{APIURL: srv.URL, App: &AppCredentials{AppID: 1234, Sign: signerOf(key), InstallationID: 4242}, Retry: fastRetries})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Run(context.Background(), octo, rel.Run.ID); err != nil {
		t.Fatalf("with a signer: %v", err)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	c, err = New(context.Background(), Options{APIURL: srv.URL, App: &AppCredentials{AppID: 1234, Sign: signerOf(other), InstallationID: 4242}, Retry: fastRetries})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Run(context.Background(), octo, rel.Run.ID); err == nil || !strings.Contains(err.Error(), "401 Unauthorized") {
		t.Errorf("with another key's signer: %v; want 401 Unauthorized", err)
	}
}

// TestLastRequestOfTheHourDoesNotBlockTheNext: a success that used the
// last request of the hour (Remaining 0, Reset in an hour) must not make
// go-github refuse the next request on its own; that request goes out, and
// the retry layer decides on GitHub's answer.
func TestLastRequestOfTheHourDoesNotBlockTheNext(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-RateLimit-Limit", "5000")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
		fmt.Fprint(w, `{"name":"r","full_name":"o/r","default_branch":"main"}`)
	}))
	defer srv.Close()
	c, err := New(context.Background(), Options{APIURL: srv.URL, Token: "t", Retry: fastRetries})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := c.DefaultBranch(context.Background(), Repo{Owner: "o", Name: "r"}); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("the server saw %d requests, want 2", n)
	}
}
