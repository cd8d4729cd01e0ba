package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"
)

// Classes of errors callers match with errors.Is.
var (
	ErrNotFound     = errors.New("not found")
	ErrUnauthorized = errors.New("unauthorized")
	ErrForbidden    = errors.New("forbidden")
	ErrRateLimited  = errors.New("rate limited")
	ErrUnavailable  = errors.New("GitHub unavailable")
	ErrTimeout      = errors.New("time budget exhausted")
	ErrMalformed    = errors.New("malformed response")
	ErrConfig       = errors.New("GitHub client configuration")
	// ErrIncomplete: GitHub listed more than relproof reads, and what it
	// read does not settle the question.
	ErrIncomplete = errors.New("incomplete listing")
)

// Error is a failed GitHub call. Its text never contains a credential.
type Error struct {
	Op       string // what relproof was doing
	Method   string
	Path     string // the API path, without host or query
	Status   int    // HTTP status, 0 when no response came
	Message  string // GitHub's message, or the transport's error
	Attempts int    // requests made, retries included (0 when unknown)
	kind     error
	ctxErr   error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	if e.Method != "" {
		fmt.Fprintf(&b, "%s %s: ", e.Method, e.Path)
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, "%d %s", e.Status, http.StatusText(e.Status))
		if e.Message != "" {
			b.WriteString(": ")
		}
	}
	b.WriteString(e.Message)
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Unwrap returns the error's class, and the context's error when the call
// was cancelled or ran out of time.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.kind != nil {
		errs = append(errs, e.kind)
	}
	if e.ctxErr != nil {
		errs = append(errs, e.ctxErr)
	}
	return errs
}

// attemptsHeader carries the number of attempts from the retry layer to the
// error, on the last response.
const attemptsHeader = "Relproof-Attempts"

// fail turns err into an *Error for op, redacting secrets.
func (c *Client) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	e := &Error{Op: op}
	var (
		er  *gh.ErrorResponse
		rl  *gh.RateLimitError
		arl *gh.AbuseRateLimitError
		be  *budgetError
		re  *retriesError
	)
	var resp *http.Response
	switch {
	case errors.As(err, &rl):
		resp, e.Message, e.kind = rl.Response, rl.Message, ErrRateLimited
		if !rl.Rate.Reset.IsZero() {
			e.Message += fmt.Sprintf(" (resets at %s)", rl.Rate.Reset.UTC().Format(time.RFC3339))
		}
	case errors.As(err, &arl):
		resp, e.Message, e.kind = arl.Response, arl.Message, ErrRateLimited
		if arl.RetryAfter != nil {
			e.Message += fmt.Sprintf(" (retry after %s)", arl.RetryAfter.Round(time.Second))
		}
	case errors.As(err, &er):
		resp, e.Message = er.Response, er.Message
		if len(er.Errors) > 0 {
			var details []string
			for _, d := range er.Errors {
				if d.Message != "" {
					details = append(details, d.Message)
				} else {
					details = append(details, strings.TrimSpace(d.Field+" "+d.Code))
				}
			}
			e.Message += " (" + strings.Join(details, "; ") + ")"
		}
	case errors.As(err, &be):
		e.Status, e.Message, e.kind, e.Attempts = be.status, be.Error(), ErrRateLimited, be.attempts
		if be.status >= 500 {
			e.kind = ErrUnavailable
		}
		e.Method, e.Path = be.method, be.path
	case errors.As(err, &re):
		e.Message, e.Attempts, e.kind = re.err.Error(), re.attempts, ErrUnavailable
		e.Method, e.Path = re.method, re.path
	default:
		e.Message = err.Error()
	}
	if resp != nil {
		e.Status = resp.StatusCode
		if resp.Request != nil {
			e.Method, e.Path = resp.Request.Method, resp.Request.URL.Path
		}
		fmt.Sscan(resp.Header.Get(attemptsHeader), &e.Attempts)
	}
	if e.kind == nil {
		e.kind = classify(e.Status)
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		e.ctxErr = context.DeadlineExceeded
		if e.kind == nil {
			e.kind = ErrTimeout
		}
	case errors.Is(err, context.Canceled):
		e.ctxErr = context.Canceled
	case errors.Is(err, ErrTimeout):
		e.kind = ErrTimeout
	case errors.Is(err, ErrIncomplete):
		e.kind = ErrIncomplete
	}
	if e.Message == "" && e.kind != nil && e.Status == 0 {
		e.Message = e.kind.Error()
	}
	e.Message = c.redact(e.Message)
	if base := strings.TrimSuffix(c.api.Path, "/"); base != "" {
		e.Path = strings.TrimPrefix(e.Path, base)
	}
	e.Path = c.redact(e.Path)
	return e
}

func classify(status int) error {
	switch {
	case status == http.StatusNotFound:
		return ErrNotFound
	case status == http.StatusUnauthorized:
		return ErrUnauthorized
	case status == http.StatusTooManyRequests:
		return ErrRateLimited
	case status == http.StatusForbidden:
		return ErrForbidden
	case status >= 500:
		return ErrUnavailable
	}
	return nil
}

// tokenPattern matches GitHub tokens (classic, fine-grained, app and
// installation tokens) and JWTs, so that a token relproof did not mint
// itself is redacted too.
var tokenPattern = regexp.MustCompile(`\b(gh[opsur]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{16,}|v1\.[0-9a-f]{40}|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})`)

// redact removes every secret the client knows and anything shaped like a
// token from s.
func (c *Client) redact(s string) string {
	for _, secret := range c.secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[REDACTED]")
		}
	}
	return tokenPattern.ReplaceAllString(s, "[REDACTED]")
}

// IsNotFound reports whether err is a 404 from GitHub.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
