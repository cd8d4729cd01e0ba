package github

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/relproof/relproof/internal/testing/fakegithub"
)

const testToken = "ghp_TESTTOKEN0123456789abcdefghijklmnopq"

var at = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// fake starts a fake GitHub with the release scenario and a token.
func fake(t *testing.T) (*fakegithub.Fake, *httptest.Server, *fakegithub.Release) {
	t.Helper()
	// Pages of two make every list the client reads span pages.
	f, srv := fakegithub.Start(t, fakegithub.WithToken(testToken), fakegithub.WithClock(func() time.Time { return at }), fakegithub.WithPageSize(2))
	var rel *fakegithub.Release
	f.Update(func(s *fakegithub.State) { rel = fakegithub.Scenario(s, at) })
	return f, srv, rel
}

// fastRetries keeps waits short: a Retry-After of seconds is waited for a
// few milliseconds.
var fastRetries = RetryPolicy{MaxRetries: 4, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond, Timeout: 5 * time.Second}

func client(t *testing.T, srv *httptest.Server, mod ...func(*Options)) *Client {
	t.Helper()
	o := Options{APIURL: srv.URL, Token: testToken, Retry: fastRetries, Now: func() time.Time { return at }}
	for _, m := range mod {
		m(&o)
	}
	c, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var octo = Repo{Owner: "octo-org", Name: "octo-repo"}
