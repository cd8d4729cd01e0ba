// Package fakegithub is an in-process GitHub REST API for tests: an
// http.Handler with in-memory state for every endpoint relproof uses, fault
// switches (5xx, primary and secondary rate limits, 429, slow and malformed
// responses), token and GitHub App authentication, and job logs served from
// "blob storage" that refuses credentials.
//
// It is true to GitHub: its responses carry every field of GitHub's own
// example responses in testdata/corpus/github_rest_api, with the same JSON
// types (contract_test.go checks it), and it serves the API both at / and
// at /api/v3/ (GitHub Enterprise Server's path).
package fakegithub

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Fake is the fake GitHub.
type Fake struct {
	mu     sync.Mutex
	state  *State
	now    func() time.Time
	tokens map[string]bool
	// tokenInstallation is the installation an installation token was
	// minted for.
	tokenInstallation map[string]int64
	app               *app
	faults            []*Fault
	requests          []Request
	mux               *http.ServeMux
	pageSize          int
	// windows are the rate limit windows, by resource (core, graphql).
	windows map[string]*rateWindow
}

type app struct {
	id  int64
	key *rsa.PublicKey
}

// Option configures a Fake.
type Option func(*Fake)

// WithToken makes the API require a token (Authorization: Bearer or token).
// More than one may be given.
func WithToken(token string) Option { return func(f *Fake) { f.tokens[token] = true } }

// WithApp registers a GitHub App: JWTs signed with the key of the public key
// mint installation tokens the API then accepts.
func WithApp(appID int64, key *rsa.PublicKey) Option {
	return func(f *Fake) { f.app = &app{id: appID, key: key} }
}

// WithPageSize caps per_page (GitHub's cap is 100), so that tests see
// lists span pages.
func WithPageSize(n int) Option { return func(f *Fake) { f.pageSize = n } }

// WithClock sets the fake's clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(f *Fake) { f.now = now } }

// New returns a fake GitHub.
func New(opts ...Option) *Fake {
	f := &Fake{state: &State{Repos: map[string]*Repo{}, Emails: map[string]string{}}, now: time.Now, tokens: map[string]bool{}, tokenInstallation: map[string]int64{}, pageSize: 100, windows: map[string]*rateWindow{}}
	for _, o := range opts {
		o(f)
	}
	f.routes()
	return f
}

// Start serves a new fake on loopback until the test ends. The API's URL is
// srv.URL (GitHub.com style) or srv.URL+"/api/v3" (Enterprise Server style).
func Start(t testing.TB, opts ...Option) (*Fake, *httptest.Server) {
	t.Helper()
	f := New(opts...)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

// Update changes the state under the fake's lock.
func (f *Fake) Update(fn func(*State)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f.state)
}

// View reads the state under the fake's lock.
func (f *Fake) View(fn func(*State)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f.state)
}

// Request is a request the fake received.
type Request struct {
	Method        string
	Path          string // without /api/v3
	Query         string
	Authorization string
	Status        int
}

// Requests returns the requests received so far.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.requests...)
}

// Count returns how many requests matched method (or any, if "") and had a
// path containing path.
func (f *Fake) Count(method, path string) int {
	n := 0
	for _, r := range f.Requests() {
		if (method == "" || r.Method == method) && strings.Contains(r.Path, path) {
			n++
		}
	}
	return n
}

// Calls counts the requests the fake served, by repository ("owner/name" as
// the fake's state spells it) for paths under /repos/{owner}/{repo}, by
// "org:NAME" for paths under /orgs/{org}, and "" for the rest (GraphQL, the
// App's endpoints, job log downloads). Faults and refusals count: GitHub
// counts them too.
func (f *Fake) Calls() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for _, r := range f.requests {
		out[f.callKey(r.Path)]++
	}
	return out
}

// TotalCalls is how many requests the fake served.
func (f *Fake) TotalCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

// callKey is the key Calls counts a request path under; f.mu is held.
func (f *Fake) callKey(path string) string {
	parts := strings.SplitN(strings.TrimPrefix(path, "/"), "/", 4)
	switch {
	case len(parts) >= 3 && parts[0] == "repos":
		if repo, ok := f.state.Repos[strings.ToLower(parts[1]+"/"+parts[2])]; ok {
			return repo.FullName()
		}
		return parts[1] + "/" + parts[2]
	case len(parts) >= 2 && parts[0] == "orgs":
		return "org:" + parts[1]
	}
	return ""
}

// Fault makes matching requests fail. A fault applies Times times (0:
// always), then is spent.
type Fault struct {
	Method string // "" matches any
	Path   string // a request matches when its path contains Path ("" any)
	Times  int
	// Status is the status to answer (0: the request is served normally,
	// after Delay).
	Status int
	// RetryAfter is a Retry-After header value.
	RetryAfter string
	// RateLimitReset answers X-RateLimit-Remaining: 0 and an
	// X-RateLimit-Reset that many seconds ahead (a primary rate limit).
	RateLimitReset time.Duration
	// Message is the error message (GitHub's wording by default).
	Message string
	// Delay holds the response back (a slow GitHub).
	Delay time.Duration
	// Malformed answers 200 with a truncated JSON body.
	Malformed bool
}

// ServerErrors fails the next n requests whose path contains path with 502.
func ServerErrors(path string, n int) Fault {
	return Fault{Path: path, Times: n, Status: http.StatusBadGateway}
}

// SecondaryRateLimit answers the next n matching requests with GitHub's
// secondary rate limit: 403 with Retry-After.
func SecondaryRateLimit(path string, n int, retryAfter string) Fault {
	return Fault{Path: path, Times: n, Status: http.StatusForbidden, RetryAfter: retryAfter,
		Message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}
}

// PrimaryRateLimit answers the next n matching requests with GitHub's
// primary rate limit: 403, X-RateLimit-Remaining: 0 and a reset reset ahead.
func PrimaryRateLimit(path string, n int, reset time.Duration) Fault {
	return Fault{Path: path, Times: n, Status: http.StatusForbidden, RateLimitReset: reset, Message: "API rate limit exceeded for installation."}
}

// TooManyRequests answers the next n matching requests 429 with Retry-After.
func TooManyRequests(path string, n int, retryAfter string) Fault {
	return Fault{Path: path, Times: n, Status: http.StatusTooManyRequests, RetryAfter: retryAfter, Message: "Too many requests"}
}

// Slow delays the next n matching requests by d.
func Slow(path string, n int, d time.Duration) Fault { return Fault{Path: path, Times: n, Delay: d} }

// Malformed answers the next n matching requests with truncated JSON.
func Malformed(path string, n int) Fault { return Fault{Path: path, Times: n, Malformed: true} }

// Inject adds faults.
func (f *Fake) Inject(faults ...Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ft := range faults {
		ft := ft
		f.faults = append(f.faults, &ft)
	}
}

// ClearFaults removes every fault.
func (f *Fake) ClearFaults() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
}

// fault returns the fault for the request, spending one use of it.
func (f *Fake) fault(method, path string) *Fault {
	for i, ft := range f.faults {
		if (ft.Method == "" || ft.Method == method) && strings.Contains(path, ft.Path) {
			out := *ft
			if ft.Times > 0 {
				ft.Times--
				if ft.Times == 0 {
					f.faults = append(f.faults[:i:i], f.faults[i+1:]...)
				}
			}
			return &out
		}
	}
	return nil
}

const docsURL = "https://docs.github.com/rest"

// ServeHTTP serves the API.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	prefix := ""
	switch {
	case strings.HasPrefix(path, "/api/v3/"):
		prefix, path = "/api/v3", strings.TrimPrefix(path, "/api/v3")
	case path == "/api/graphql": // GitHub Enterprise Server's GraphQL API
		prefix, path = "/api/v3", "/graphql"
	}
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	f.mu.Lock()
	ft := f.fault(r.Method, path)
	if !strings.HasPrefix(path, "/_blobs/") { // blob storage is another host
		resource := "core"
		if path == "/graphql" {
			resource = "graphql"
		}
		used, reset := f.spend(resource)
		f.rateHeaders(rec, resource, used, reset)
	}
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.requests = append(f.requests, Request{Method: r.Method, Path: path, Query: r.URL.RawQuery, Authorization: r.Header.Get("Authorization"), Status: rec.status})
		f.mu.Unlock()
	}()
	if ft != nil {
		if ft.Delay > 0 {
			select {
			case <-time.After(ft.Delay):
			case <-r.Context().Done():
				return
			}
		}
		if f.serveFault(rec, ft) {
			return
		}
	}
	r2 := r.Clone(context.WithValue(r.Context(), ctxKey{}, &reqInfo{api: scheme(r) + "://" + r.Host + prefix, pageSize: f.pageSize}))
	r2.URL.Path = path
	r2.URL.RawPath = ""
	if !strings.HasPrefix(path, "/_blobs/") {
		if status, msg := f.authorize(r2); status != 0 {
			f.error(rec, status, msg)
			return
		}
	}
	f.mux.ServeHTTP(rec, r2)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// serveFault answers a fault; false means serve the request normally.
func (f *Fake) serveFault(w http.ResponseWriter, ft *Fault) bool {
	if ft.Malformed {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"id": 1, "name": "trunc`))
		return true
	}
	if ft.Status == 0 {
		return false
	}
	if ft.RetryAfter != "" {
		w.Header().Set("Retry-After", ft.RetryAfter)
	}
	if ft.RateLimitReset > 0 {
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(f.now().Add(ft.RateLimitReset).Unix(), 10))
	}
	msg, doc := ft.Message, docsURL
	switch {
	case msg != "":
	case ft.Status >= 500:
		msg = "Server Error"
	default:
		msg = http.StatusText(ft.Status)
	}
	if ft.Status == http.StatusForbidden && ft.RetryAfter != "" {
		doc = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
	}
	if ft.Status >= 500 {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(ft.Status)
		_, _ = w.Write([]byte("<html><body><h1>" + msg + "</h1></body></html>"))
		return true
	}
	writeJSON(w, ft.Status, obj{"message": msg, "documentation_url": doc, "status": strconv.Itoa(ft.Status)})
	return true
}

// RateLimit is the primary rate limit the fake reports: GitHub's for a
// token or an installation, requests per hour.
const RateLimit = 5000

// rateWindow is an hour of a resource's rate limit.
type rateWindow struct {
	used  int
	reset time.Time
}

// spend counts a request against the resource's window. The fake never runs
// out on its own (a test that wants a primary rate limit injects one): a
// window about to be used up starts over, so that X-RateLimit-Remaining
// stays above 0 and go-github does not refuse requests before sending them.
// Calls tells a bench how many requests it made.
func (f *Fake) spend(resource string) (used int, reset time.Time) {
	now := f.now()
	w := f.windows[resource]
	if w == nil || !now.Before(w.reset) || w.used >= RateLimit-1 {
		w = &rateWindow{reset: now.Add(time.Hour)}
		f.windows[resource] = w
	}
	w.used++
	return w.used, w.reset
}

// rateHeaders sets GitHub's rate limit headers, as it sends them on every
// API response.
func (f *Fake) rateHeaders(w http.ResponseWriter, resource string, used int, reset time.Time) {
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(RateLimit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(RateLimit-used))
	h.Set("X-RateLimit-Used", strconv.Itoa(used))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", resource)
	h.Set("X-GitHub-Request-Id", "0000:00000:0000000:0000000:00000000")
}

// authorize checks the request's credentials; 0 means it may proceed.
func (f *Fake) authorize(r *http.Request) (int, string) {
	auth := r.Header.Get("Authorization")
	scheme, cred, _ := strings.Cut(auth, " ")
	jwtPath := strings.HasPrefix(r.URL.Path, "/app/") || strings.HasSuffix(r.URL.Path, "/installation")
	if jwtPath {
		if f.app == nil {
			return http.StatusUnauthorized, "A JSON web token could not be decoded"
		}
		if !strings.EqualFold(scheme, "Bearer") {
			return http.StatusUnauthorized, "A JSON web token could not be decoded"
		}
		if err := f.verifyJWT(cred); err != nil {
			return http.StatusUnauthorized, "'Issuer' claim ('iss') must be an Integer: " + err.Error()
		}
		return 0, ""
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.tokens) == 0 {
		return 0, ""
	}
	if (strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "token")) && f.tokens[cred] {
		return 0, ""
	}
	if auth == "" {
		return http.StatusUnauthorized, "Requires authentication"
	}
	return http.StatusUnauthorized, "Bad credentials"
}

type ctxKey struct{}

type reqInfo struct {
	api      string
	pageSize int
}

// api returns the API base URL the request came to.
func api(r *http.Request) string { return r.Context().Value(ctxKey{}).(*reqInfo).api }

func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

type (
	obj = map[string]any
	arr = []any
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// ok writes a successful JSON response (ServeHTTP set the rate limit
// headers).
func (f *Fake) ok(w http.ResponseWriter, status int, v any) {
	writeJSON(w, status, v)
}

// error writes GitHub's error body.
func (f *Fake) error(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, obj{"message": msg, "documentation_url": docsURL, "status": strconv.Itoa(status)})
}

func (f *Fake) notFound(w http.ResponseWriter) { f.error(w, http.StatusNotFound, "Not Found") }

// page serves one page of items (per_page default 30, at most 100) with
// GitHub's Link header.
func page[T any](w http.ResponseWriter, r *http.Request, items []T) []T {
	per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
	if per <= 0 {
		per = 30
	}
	per = min(per, r.Context().Value(ctxKey{}).(*reqInfo).pageSize)
	p, _ := strconv.Atoi(r.URL.Query().Get("page"))
	p = max(p, 1)
	last := max((len(items)+per-1)/per, 1)
	link := func(n int, rel string) string {
		u := *r.URL
		q := u.Query()
		q.Set("page", strconv.Itoa(n))
		q.Set("per_page", strconv.Itoa(per))
		u.RawQuery = q.Encode()
		return fmt.Sprintf(`<%s%s>; rel="%s"`, api(r), u.RequestURI(), rel)
	}
	var links []string
	if p < last {
		links = append(links, link(p+1, "next"), link(last, "last"))
	}
	if p > 1 {
		links = append(links, link(1, "first"), link(p-1, "prev"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	lo := min((p-1)*per, len(items))
	hi := min(lo+per, len(items))
	return items[lo:hi]
}

// decode reads a JSON request body.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 32<<20))
	return dec.Decode(v)
}

func queryEscape(s string) string { return url.QueryEscape(s) }
