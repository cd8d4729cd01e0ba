package github

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// responseBodyCap bounds any API response body the client reads whole.
const responseBodyCap = 64 << 20

// authTransport adds credentials to requests for the API host only: a job
// log's redirect to blob storage, or any other host, never sees the token.
type authTransport struct {
	host   string            // the API's host[:port]
	authed http.RoundTripper // adds the credential (a token, or an app installation)
	plain  http.RoundTripper
}

func (t *authTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host == t.host {
		return t.authed.RoundTrip(r)
	}
	return t.plain.RoundTrip(r)
}

// tokenTransport sets a bearer token.
type tokenTransport struct {
	token string
	next  http.RoundTripper
}

func (t *tokenTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.Header.Set("Authorization", "Bearer "+t.token)
	return t.next.RoundTrip(r2)
}

// capTransport bounds how much of a response is read: an error body to
// errorBodyCap, anything else to responseBodyCap.
type capTransport struct{ next http.RoundTripper }

func (t capTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	limit := int64(responseBodyCap)
	if resp.StatusCode >= 400 {
		limit = errorBodyCap
	}
	resp.Body = limitedBody{io.LimitReader(resp.Body, limit), resp.Body}
	return resp, nil
}

type limitedBody struct {
	io.Reader
	io.Closer
}

// budgetTransport bounds a request, retries included, to d. The deadline
// holds until the response body is closed.
type budgetTransport struct {
	d    time.Duration
	next http.RoundTripper
}

func (t budgetTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(r.Context(), t.d)
	resp, err := t.next.RoundTrip(r.WithContext(ctx))
	if err != nil {
		timedOut := ctx.Err() == context.DeadlineExceeded && r.Context().Err() == nil
		cancel()
		if timedOut {
			return nil, fmt.Errorf("%w: no answer within %s", ErrTimeout, t.d)
		}
		return nil, err
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	if resp.StatusCode < 400 && resp.Header.Get("X-RateLimit-Remaining") == "0" {
		// The retry layer is the one rate limit policy. A success that used
		// the last request must not make go-github refuse the next request
		// on its own: that request goes out, and a 403 is waited for.
		// go-github reads a missing Remaining as 0, and with a Reset to
		// come it would refuse all the same: both go.
		resp.Header.Del("X-RateLimit-Remaining")
		resp.Header.Del("X-RateLimit-Reset")
	}
	return resp, nil
}

type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// userAgent sets the User-Agent of requests that have none (downloads).
type userAgent struct {
	ua   string
	next http.RoundTripper
}

func (t userAgent) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("User-Agent") != "" {
		return t.next.RoundTrip(r)
	}
	r2 := r.Clone(r.Context())
	r2.Header.Set("User-Agent", t.ua)
	return t.next.RoundTrip(r2)
}

// hostOf returns the host[:port] of a URL string, lower-cased.
func hostOf(u string) string {
	u = strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	h, _, _ := strings.Cut(u, "/")
	return strings.ToLower(h)
}
