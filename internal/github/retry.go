package github

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// RetryPolicy says how the client retries and how long a call may take.
type RetryPolicy struct {
	// MaxRetries is the most retries of one request (default 5).
	MaxRetries int
	// MinWait is the first backoff after a 5xx or a network error; it
	// doubles with every retry, up to 30s (default 1s).
	MinWait time.Duration
	// MaxWait caps every single wait, including the waits GitHub asks for.
	// The default is Timeout. Lower it only in tests: a retry made before
	// the time GitHub gave is wasted.
	MaxWait time.Duration
	// Timeout bounds one call, retries and waits included (default 2m). A
	// wait that would not end before it is not waited for: the call fails
	// at once with ErrRateLimited or ErrUnavailable.
	Timeout time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxRetries == 0 {
		p.MaxRetries = 5
	}
	if p.MaxRetries < 0 {
		p.MaxRetries = 0
	}
	if p.MinWait <= 0 {
		p.MinWait = time.Second
	}
	if p.Timeout <= 0 {
		p.Timeout = 2 * time.Minute
	}
	if p.MaxWait <= 0 || p.MaxWait > p.Timeout {
		p.MaxWait = p.Timeout
	}
	return p
}

// maxBackoff caps the exponential backoff for 5xx and network errors.
const maxBackoff = 30 * time.Second

// secondaryDefaultWait is how long GitHub says to wait after a secondary
// rate limit that names no time ("wait for at least one minute").
const secondaryDefaultWait = time.Minute

// errorBodyCap is how much of an error response is read.
const errorBodyCap = 64 << 10

// retrier is the policy go-retryablehttp runs with.
type retrier struct {
	p   RetryPolicy
	now func() time.Time
}

// budgetError is a retry the time budget cannot afford.
type budgetError struct {
	method, path string
	status       int
	wait, left   time.Duration
	attempts     int
}

func (e *budgetError) Error() string {
	what := "GitHub rate-limited the request"
	if e.status >= 500 {
		what = "GitHub kept failing"
	}
	return fmt.Sprintf("%s and asks to wait %s, more than the %s left of the call's time budget",
		what, e.wait.Round(time.Second), e.left.Round(time.Second))
}

// retriesError is a request that failed without a response, every time.
type retriesError struct {
	method, path string
	attempts     int
	err          error
}

func (e *retriesError) Error() string { return e.err.Error() }
func (e *retriesError) Unwrap() error { return e.err }

// checkRetry decides whether to retry a response or a transport error.
func (rt *retrier) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	}
	if !rt.retryable(resp) {
		return false, nil
	}
	// The wait GitHub asks for, not the capped one: retrying before it is
	// over is wasted, so a wait the budget cannot afford ends the call now.
	wait := rt.wait(resp, 0)
	if deadline, ok := ctx.Deadline(); ok {
		if left := time.Until(deadline); wait >= left {
			return false, &budgetError{method: resp.Request.Method, path: resp.Request.URL.Path, status: resp.StatusCode, wait: wait, left: left}
		}
	}
	return true, nil
}

// retryable reports whether resp is a transient failure. Requests that
// change state (POST, PATCH) are retried only where GitHub did not act on
// them: rate limits and gateway errors.
func (rt *retrier) retryable(resp *http.Response) bool {
	switch s := resp.StatusCode; {
	case s == http.StatusTooManyRequests:
		return true
	case s == http.StatusForbidden:
		return isRateLimit(resp)
	case s == http.StatusBadGateway, s == http.StatusServiceUnavailable, s == http.StatusGatewayTimeout:
		return true
	case s >= 500 && s != http.StatusNotImplemented:
		m := resp.Request.Method
		return m == http.MethodGet || m == http.MethodHead || m == http.MethodPut || m == http.MethodDelete
	}
	return false
}

// isRateLimit reports whether a 403 is a primary or secondary rate limit,
// as GitHub's documentation tells them apart: a Retry-After header,
// X-RateLimit-Remaining: 0, or a message that says so.
func isRateLimit(resp *http.Response) bool {
	if resp.Header.Get("Retry-After") != "" || resp.Header.Get("X-RateLimit-Remaining") == "0" {
		return true
	}
	if resp.Body == nil {
		return false
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, errorBodyCap))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return bytes.Contains(bytes.ToLower(body), []byte("rate limit"))
}

// wait is how long to wait before retrying after resp (nil after a
// transport error), before any cap.
func (rt *retrier) wait(resp *http.Response, attempt int) time.Duration {
	if resp != nil {
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), rt.now()); ok {
			return d
		}
		limited := resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusForbidden
		if limited && resp.Header.Get("X-RateLimit-Remaining") == "0" {
			if reset, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
				return max(time.Unix(reset, 0).Sub(rt.now()), 0) + time.Second
			}
		}
		if limited {
			return secondaryDefaultWait
		}
	}
	d := float64(rt.p.MinWait) * math.Pow(2, float64(attempt))
	if d > float64(maxBackoff) {
		return maxBackoff
	}
	return time.Duration(d)
}

// backoff is the go-retryablehttp Backoff: wait, capped by MaxWait.
func (rt *retrier) backoff(_, _ time.Duration, attempt int, resp *http.Response) time.Duration {
	return min(rt.wait(resp, attempt), rt.p.MaxWait)
}

// errorHandler runs when retries end in failure. A response is handed on
// (go-github turns it into its error) marked with the number of attempts.
func (rt *retrier) errorHandler(resp *http.Response, err error, attempts int) (*http.Response, error) {
	if be, ok := err.(*budgetError); ok {
		be.attempts = attempts
		if resp != nil {
			resp.Body.Close()
		}
		return nil, be
	}
	if resp != nil && err != context.Canceled && err != context.DeadlineExceeded {
		resp.Header.Set(attemptsHeader, strconv.Itoa(attempts))
		return resp, nil
	}
	if resp != nil {
		resp.Body.Close()
	}
	if err == nil {
		err = fmt.Errorf("giving up")
	}
	re := &retriesError{attempts: attempts, err: err}
	return nil, re
}

// retryAfter parses a Retry-After value: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
