package github

import (
	"context"
	"encoding/base64"
	"fmt"
	jwt "github.com/golang-jwt/jwt/v4"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gh "github.com/google/go-github/v62/github"
	"github.com/hashicorp/go-retryablehttp"
)

// DefaultAPIURL is GitHub.com's REST API.
const DefaultAPIURL = "https://api.github.com"

// Options configure a Client.
type Options struct {
	// APIURL is the REST API's base URL, as GITHUB_API_URL gives it:
	// https://api.github.com (the default), https://HOST/api/v3 for GitHub
	// Enterprise Server (go-github's WithEnterpriseURLs), or
	// https://api.SUBDOMAIN.ghe.com. Plain http is refused except on
	// loopback.
	APIURL string
	// Token authenticates as a user, a GitHub Actions job (GITHUB_TOKEN)
	// or an installation. Mutually exclusive with App.
	Token string
	// App authenticates as a GitHub App installation.
	App *AppCredentials
	// Transport carries the requests (default: a clone of
	// http.DefaultTransport).
	Transport http.RoundTripper
	Retry     RetryPolicy
	// Now is the clock that reads X-RateLimit-Reset and stamps what the
	// client writes (check run times). Default time.Now.
	Now       func() time.Time
	UserAgent string
}

// AppCredentials are a GitHub App's id and private key. The client mints
// installation tokens with them (ghinstallation), for InstallationID or, when
// it is 0, for the installation on Repo.
type AppCredentials struct {
	AppID          int64
	PrivateKey     []byte // PEM, RSA
	InstallationID int64
	Repo           Repo
	// AppOnly acts as the App itself (a JWT), not as an installation: for
	// listing its installations.
	AppOnly bool
	// Sign, when set, signs the App's JWTs instead of PrivateKey: a key
	// held in a KMS, which must sign as RS256 (RSA, PKCS #1 v1.5, SHA-256)
	// because GitHub verifies App JWTs so.
	Sign func(ctx context.Context, message []byte) ([]byte, error)
}

// rs256 signs App JWTs with AppCredentials.Sign.
type rs256 struct {
	ctx  context.Context
	sign func(ctx context.Context, message []byte) ([]byte, error)
}

func (s rs256) Sign(claims jwt.Claims) (string, error) {
	unsigned, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SigningString()
	if err != nil {
		return "", err
	}
	// A KMS that does not answer must not hold the installation's token
	// (ghinstallation signs under its lock) for ever.
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	sig, err := s.sign(ctx, []byte(unsigned))
	if err != nil {
		return "", fmt.Errorf("signing the App's JWT: %w", err)
	}
	return unsigned + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// Client reads and writes GitHub. It is safe for concurrent use.
type Client struct {
	gh       *gh.Client
	download *http.Client
	api      *url.URL
	now      func() time.Time
	secrets  []string
}

// downloadTimeout bounds a download (a job log), body included.
const downloadTimeout = 10 * time.Minute

// New returns a client for o. It makes a request only to find a GitHub App's
// installation when none is given.
func New(ctx context.Context, o Options) (*Client, error) {
	if o.Token != "" && o.App != nil {
		return nil, fmt.Errorf("%w: a token and a GitHub App are both configured; give one", ErrConfig)
	}
	api, err := apiURL(o.APIURL)
	if err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.UserAgent == "" {
		o.UserAgent = "relproof"
	}
	base := o.Transport
	if base == nil {
		base = http.DefaultTransport.(*http.Transport).Clone()
	}
	policy := o.Retry.withDefaults()
	rt := &retrier{p: policy, now: o.Now}
	c := &Client{api: api, now: o.Now, secrets: []string{o.Token}}

	capped := capTransport{base}
	wrap := func(authed http.RoundTripper) *http.Client {
		rc := &retryablehttp.Client{
			HTTPClient: &http.Client{
				Transport:     &authTransport{host: api.Host, authed: authed, plain: capped},
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			},
			RetryMax:     policy.MaxRetries,
			RetryWaitMin: policy.MinWait,
			RetryWaitMax: policy.MaxWait,
			CheckRetry:   rt.checkRetry,
			Backoff:      rt.backoff,
			ErrorHandler: rt.errorHandler,
		}
		return &http.Client{Transport: budgetTransport{d: policy.Timeout, next: &retryablehttp.RoundTripper{Client: rc}}}
	}
	newGH := func(hc *http.Client) *gh.Client {
		g := gh.NewClient(hc)
		g.BaseURL = api
		g.UploadURL = api
		g.UserAgent = o.UserAgent
		return g
	}

	var authed http.RoundTripper = capped
	switch {
	case o.Token != "":
		authed = &tokenTransport{token: o.Token, next: capped}
	case o.App != nil:
		authed, err = c.appTransport(ctx, o.App, capped, wrap, newGH)
		if err != nil {
			return nil, err
		}
	}
	c.gh = newGH(wrap(authed))

	dl := &retryablehttp.Client{
		HTTPClient:   &http.Client{Transport: userAgent{ua: o.UserAgent, next: base}},
		RetryMax:     policy.MaxRetries,
		RetryWaitMin: policy.MinWait,
		RetryWaitMax: policy.MaxWait,
		CheckRetry:   rt.checkRetry,
		Backoff:      rt.backoff,
		ErrorHandler: rt.errorHandler,
	}
	c.download = &http.Client{Transport: budgetTransport{d: max(policy.Timeout, downloadTimeout), next: &retryablehttp.RoundTripper{Client: dl}}}
	return c, nil
}

// appTransport returns the transport that authenticates as the app's
// installation, finding the installation on the repository when needed.
func (c *Client) appTransport(ctx context.Context, app *AppCredentials, capped http.RoundTripper, wrap func(http.RoundTripper) *http.Client, newGH func(*http.Client) *gh.Client) (http.RoundTripper, error) {
	if app.AppID <= 0 {
		return nil, fmt.Errorf("%w: GitHub App id %d: expected a positive number", ErrConfig, app.AppID)
	}
	var atr *ghinstallation.AppsTransport
	var err error
	if app.Sign != nil {
		atr, err = ghinstallation.NewAppsTransportWithOptions(capped, app.AppID, ghinstallation.WithSigner(rs256{ctx: context.WithoutCancel(ctx), sign: app.Sign}))
	} else {
		atr, err = ghinstallation.NewAppsTransport(capped, app.AppID, app.PrivateKey)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: GitHub App %d private key: %s", ErrConfig, app.AppID, c.redact(err.Error()))
	}
	atr.BaseURL = strings.TrimSuffix(c.api.String(), "/")
	if app.AppOnly {
		return atr, nil
	}
	id := app.InstallationID
	if id == 0 {
		if app.Repo.Owner == "" {
			return nil, fmt.Errorf("%w: GitHub App %d: no installation id, and no repository to find it for", ErrConfig, app.AppID)
		}
		apps := newGH(wrap(atr)).Apps
		inst, _, err := apps.FindRepositoryInstallation(ctx, app.Repo.Owner, app.Repo.Name)
		if app.Repo.Name == "" {
			// An organization (relproof audit --org): its installation.
			inst, _, err = apps.FindOrganizationInstallation(ctx, app.Repo.Owner)
		}
		if err != nil {
			return nil, c.fail(fmt.Sprintf("finding GitHub App %d's installation on %s", app.AppID, app.Repo), err)
		}
		id = inst.GetID()
	}
	itr := ghinstallation.NewFromAppsTransport(atr, id)
	itr.BaseURL = atr.BaseURL
	return itr, nil
}

// apiURL parses and checks the API base URL, with a trailing slash.
func apiURL(s string) (*url.URL, error) {
	if s == "" {
		s = DefaultAPIURL
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("%w: GitHub API URL %q: expected https://HOST[/api/v3]", ErrConfig, s)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: GitHub API URL %q: expected no credentials, query or fragment", ErrConfig, u.Redacted())
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("%w: GitHub API URL %q: plain http would send the token in the clear; use https", ErrConfig, s)
	}
	host := strings.ToLower(u.Hostname())
	if host != "api.github.com" && !strings.HasSuffix(host, ".ghe.com") {
		// GitHub Enterprise Server: go-github's convention, /api/v3/.
		g, err := gh.NewClient(nil).WithEnterpriseURLs(u.String(), u.String())
		if err != nil {
			return nil, fmt.Errorf("%w: GitHub API URL %q: %w", ErrConfig, s, err)
		}
		return g.BaseURL, nil
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// APIURL returns the API base URL the client talks to.
func (c *Client) APIURL() string { return c.api.String() }

// do makes a request go-github has no method for. body is encoded as JSON;
// the response is decoded into v when v is not nil.
func (c *Client) do(ctx context.Context, method, path string, body, v any) (*gh.Response, error) {
	req, err := c.gh.NewRequest(method, path, body)
	if err != nil {
		return nil, err
	}
	return c.gh.Do(ctx, req, v)
}
