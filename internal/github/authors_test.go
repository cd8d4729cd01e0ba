package github

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/relproof/relproof/internal/testing/fakegithub"
)

func TestChangeAuthors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// change adds to the scenario; it returns the commit deployed ("":
		// the scenario's).
		change func(s *fakegithub.State, r *fakegithub.Repo, rel *fakegithub.Release) string
		env    string
		logins []string
		known  bool
		note   []string // substrings of the note
		graphQ int      // GraphQL requests expected
		// knownNote is the note of authors known, where there is one.
		knownNote string
	}{
		{
			name:   "the scenario: the pull request's author, the commits' authors and committers",
			env:    "production",
			logins: []string{"mona", "hubot", "web-flow"}, known: true,
		},
		{
			name: "a committer who is not the author",
			change: func(s *fakegithub.State, r *fakegithub.Repo, rel *fakegithub.Release) string {
				return r.AddCommit(&fakegithub.Commit{SHA: fakegithub.SHA("c"), Message: "Tweak", AuthorLogin: "mona", CommitterLogin: "mallory", Parents: []string{rel.Commit}}).SHA
			},
			env:    "production",
			logins: []string{"mona", "hubot", "web-flow", "mallory"}, known: true,
		},
		{
			name: "co-authors GitHub matches to accounts",
			change: func(s *fakegithub.State, r *fakegithub.Repo, rel *fakegithub.Release) string {
				s.Emails["trent@example.com"] = "trent"
				return r.AddCommit(&fakegithub.Commit{SHA: fakegithub.SHA("c"), AuthorLogin: "mona", Parents: []string{rel.Commit},
					Message: "Pair\n\nCo-authored-by: Eve <12345+eve@users.noreply.github.com>\nco-authored-by: Trent <TRENT@example.com>\n"}).SHA
			},
			env:    "production",
			logins: []string{"mona", "hubot", "web-flow", "eve", "trent"}, known: true, graphQ: 1,
		},
		{
			name: "a co-author GitHub matches to no account",
			change: func(s *fakegithub.State, r *fakegithub.Repo, rel *fakegithub.Release) string {
				return r.AddCommit(&fakegithub.Commit{SHA: fakegithub.SHA("c"), AuthorLogin: "mona", Parents: []string{rel.Commit},
					Message: "Pair\n\nCo-authored-by: Eve <12345+eve@users.noreply.github.com>\nCo-authored-by: Mallory <mallory@elsewhere.example>\n"}).SHA
			},
			env:    "production",
			logins: []string{"mona", "hubot", "web-flow", "eve"},
			note:   []string{"the Co-authored-by trailers name someone GitHub matched to no account of commit " + fakegithub.SHA("c")[:12]},
			graphQ: 1,
		},
		{
			name: "a co-author trailer without an email",
			change: func(s *fakegithub.State, r *fakegithub.Repo, rel *fakegithub.Release) string {
				return r.AddCommit(&fakegithub.Commit{SHA: fakegithub.SHA("c"), AuthorLogin: "mona", Parents: []string{rel.Commit}, Message: "Pair\n\nCo-authored-by: mallory\n"}).SHA
			},
			env:    "production",
			logins: []string{"mona", "hubot", "web-flow"},
			note:   []string{"Co-authored-by trailers name someone GitHub matched to no account"},
			graphQ: 1,
		},
		{
			name: "an author git names but GitHub matches to no account",
			change: func(s *fakegithub.State, r *fakegithub.Repo, rel *fakegithub.Release) string {
				return r.AddCommit(&fakegithub.Commit{SHA: fakegithub.SHA("c"), Message: "x", AuthorName: "octocat", AuthorEmail: "octocat@laptop.local", CommitterLogin: "mona", Parents: []string{rel.Commit}}).SHA
			},
			env:    "production",
			logins: []string{"mona", "hubot", "web-flow"},
			note:   []string{"the author has no GitHub account GitHub matched of commit " + fakegithub.SHA("c")[:12]},
		},
		{
			name: "a committer GitHub matches to no account",
			change: func(s *fakegithub.State, r *fakegithub.Repo, rel *fakegithub.Release) string {
				return r.AddCommit(&fakegithub.Commit{SHA: fakegithub.SHA("c"), Message: "x", AuthorLogin: "mona", CommitterName: "mona", CommitterEmail: "m@laptop.local", Parents: []string{rel.Commit}}).SHA
			},
			env:    "production",
			logins: []string{"mona", "hubot", "web-flow"},
			note:   []string{"the committer has no GitHub account GitHub matched"},
		},
		{
			name: "a first deployment: nothing to compare with",
			change: func(s *fakegithub.State, r *fakegithub.Repo, rel *fakegithub.Release) string {
				r.Deployments = r.Deployments[1:] // only GitHub's deployment for the run, which carries no digest
				return ""
			},
			// The change is the whole history: everyone who wrote or
			// committed any of it.
			env:       "production",
			logins:    []string{"mona", "hubot", "web-flow", "octocat"},
			knownNote: "a first deployment to production: the change is every commit up to 92a552ed9aad (4)",
		},
		{
			name:   "no environment",
			logins: []string{"mona"},
			note:   []string{"no environment"},
		},
		{
			name: "a range GitHub lists only in part",
			change: func(s *fakegithub.State, r *fakegithub.Repo, rel *fakegithub.Release) string {
				parent := rel.Commit
				for i := range 25 { // pages of two, ten pages read
					parent = r.AddCommit(&fakegithub.Commit{SHA: fmt.Sprintf("%040x", 0xc0ffee000+i), Message: "x", AuthorLogin: "mona", Parents: []string{parent}}).SHA
				}
				return parent
			},
			env:    "production",
			logins: []string{"mona", "hubot", "web-flow"},
			note:   []string{"has 27 commits and GitHub listed 20"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, srv, rel := fake(t)
			commit := rel.Commit
			if tc.change != nil {
				f.Update(func(s *fakegithub.State) {
					if c := tc.change(s, s.Repo("octo-org/octo-repo"), rel); c != "" {
						commit = c
					}
				})
			}
			a, err := changeAuthorsSincePrevious(context.Background(), client(t, srv), commit, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.logins, a.Logins); diff != "" {
				t.Errorf("logins (-want +got):\n%s", diff)
			}
			if a.Known != (len(tc.note) == 0) || (a.Known && a.Note != tc.knownNote) {
				t.Errorf("known = %v, note %q", a.Known, a.Note)
			}
			for _, says := range tc.note {
				if !strings.Contains(a.Note, says) {
					t.Errorf("note %q does not say %q", a.Note, says)
				}
			}
			if n := f.Count("POST", "/graphql"); n != tc.graphQ {
				t.Errorf("%d GraphQL requests, want %d", n, tc.graphQ)
			}
		})
	}
}

func TestChangeAuthorsFailures(t *testing.T) {
	t.Parallel()
	f, srv, rel := fake(t)
	co := fakegithub.SHA("co")
	f.Update(func(s *fakegithub.State) {
		s.Repo("octo-org/octo-repo").AddCommit(&fakegithub.Commit{SHA: co, AuthorLogin: "mona", Parents: []string{rel.Commit}, Message: "x\n\nCo-authored-by: Eve <eve@example.com>\n"})
	})
	c := client(t, srv)
	ctx := context.Background()
	f.Inject(fakegithub.ServerErrors("/graphql", 0))
	if _, err := changeAuthorsSincePrevious(ctx, c, co, "production"); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "reading the co-authors of commit "+co) {
		t.Errorf("GraphQL down: %v", err)
	}
	f.ClearFaults()
	f.Inject(fakegithub.Malformed("/graphql", 0))
	if _, err := changeAuthorsSincePrevious(ctx, c, co, "production"); err == nil {
		t.Error("a malformed GraphQL answer is not an error")
	}
	f.ClearFaults()
	f.Inject(fakegithub.ServerErrors("/compare/", 0))
	if _, err := changeAuthorsSincePrevious(ctx, c, rel.Commit, "production"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("compare down: %v", err)
	}
	f.ClearFaults()
	if _, err := changeAuthorsSincePrevious(ctx, c, "", "production"); !errors.Is(err, ErrConfig) {
		t.Errorf("no commit: %v", err)
	}
}

func TestCoAuthorTrailers(t *testing.T) {
	t.Parallel()
	got := coAuthorTrailers("Subject\n\nBody mentions co-authored-by: in passing\nCo-authored-by: A <a@x>\n  CO-AUTHORED-BY:B <b@y> \nCo-authored-by: nobody\n")
	if diff := cmp.Diff([]string{"a@x", "b@y", ""}, got); diff != "" {
		t.Errorf("trailers (-want +got):\n%s", diff)
	}
	if got := coAuthorTrailers("Subject\n\nSigned-off-by: A <a@x>\n"); len(got) != 0 {
		t.Errorf("a sign-off is no co-author: %v", got)
	}
}

func TestGraphQLURL(t *testing.T) {
	t.Parallel()
	for api, want := range map[string]string{
		"":                                  "https://api.github.com/graphql",
		"https://api.octo.ghe.com":          "https://api.octo.ghe.com/graphql",
		"https://github.example.com/api/v3": "https://github.example.com/api/graphql",
		"https://github.example.com":        "https://github.example.com/api/graphql",
	} {
		c, err := New(context.Background(), Options{APIURL: api, Token: "t"})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.graphqlURL(); got != want {
			t.Errorf("%q: %s, want %s", api, got, want)
		}
	}
}

// changeAuthorsSincePrevious counts the change from the environment's
// previous successful deployment as GitHub lists it, which these tests
// vouch for (relproof's callers count only from one a signed record
// vouches for).
func changeAuthorsSincePrevious(ctx context.Context, c *Client, commit, env string) (*ChangeAuthors, error) {
	var prev *PreviousDeployment
	if env != "" {
		var err error
		if prev, err = c.PreviousSuccessfulDeployment(ctx, octo, env); err != nil {
			return nil, err
		}
	}
	return c.ChangeAuthorsSince(ctx, octo, commit, env, prev, "")
}
