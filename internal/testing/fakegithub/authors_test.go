package fakegithub_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/relproof/relproof/internal/testing/fakegithub"
)

// The fake tells apart what GitHub tells apart for self-review: a commit's
// author and committer accounts, a run's actor and triggering actor, the
// accounts of co-authors, and which app posted a check run (only that app
// may change it).
func TestSelfReviewFacts(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	f, srv := fakegithub.Start(t, fakegithub.WithClock(func() time.Time { return at }))
	var rel *fakegithub.Release
	pushed := fakegithub.SHA("pushed")
	f.Update(func(s *fakegithub.State) {
		rel = fakegithub.Scenario(s, at)
		r := s.Repo("octo-org/octo-repo")
		r.AddCommit(&fakegithub.Commit{SHA: pushed, AuthorLogin: "mona", CommitterLogin: "mallory", Parents: []string{rel.Commit},
			Message: "Fix\n\nCo-authored-by: Eve <12345+eve@users.noreply.github.com>\nCo-authored-by: Trent <trent@example.com>\nCo-authored-by: Nobody <nobody@example.com>\n"})
		s.Emails["trent@example.com"] = "trent"
		rel.Run.TriggeringActor = "mallory"
		r.CheckRuns = append(r.CheckRuns, &fakegithub.CheckRun{ID: s.ID(), Name: "relproof / production", HeadSHA: pushed, Status: "completed", Conclusion: "success",
			Title: "t", Summary: "s", App: "octoapp", ExternalID: "relproof:1:1:production", StartedAt: at})
	})
	repo := srv.URL + "/repos/octo-org/octo-repo"

	var cmp struct {
		Commits []struct {
			Author    struct{ Login string } `json:"author"`
			Committer struct{ Login string } `json:"committer"`
			Commit    struct {
				Committer struct{ Name, Email string } `json:"committer"`
			} `json:"commit"`
		} `json:"commits"`
	}
	mustJSON(t, get(t, repo+"/compare/"+rel.Base+"..."+pushed), &cmp)
	var logins []string
	for _, c := range cmp.Commits {
		logins = append(logins, c.Author.Login+"/"+c.Committer.Login+"/"+c.Commit.Committer.Name)
	}
	if got, want := strings.Join(logins, " "), "mona/mona/mona hubot/web-flow/GitHub mona/mallory/mallory"; got != want {
		t.Errorf("authors/committers = %s, want %s", got, want)
	}

	var run struct {
		Actor           struct{ Login string } `json:"actor"`
		TriggeringActor struct{ Login string } `json:"triggering_actor"`
	}
	mustJSON(t, get(t, fmt.Sprintf("%s/actions/runs/%d", repo, rel.Run.ID)), &run)
	if run.Actor.Login != "hubot" || run.TriggeringActor.Login != "mallory" {
		t.Errorf("run actor %q, triggering actor %q", run.Actor.Login, run.TriggeringActor.Login)
	}

	for _, endpoint := range []string{srv.URL + "/graphql", srv.URL + "/api/graphql"} {
		body := fmt.Sprintf(`{"query":"query($owner: String!, $name: String!, $oid: GitObjectID!) { repository(owner: $owner, name: $name) { object(oid: $oid) { ... on Commit { authors(first: 100) { totalCount nodes { email user { login } } } } } } }","variables":{"owner":"octo-org","name":"octo-repo","oid":%q}}`, pushed)
		var ans struct {
			Data struct {
				Repository struct {
					Object struct {
						Authors struct {
							TotalCount int
							Nodes      []struct {
								Email string
								User  *struct{ Login string }
							}
						}
					}
				}
			}
		}
		mustJSON(t, post(t, "POST", endpoint, body), &ans)
		var got []string
		for _, n := range ans.Data.Repository.Object.Authors.Nodes {
			login := "null"
			if n.User != nil {
				login = n.User.Login
			}
			got = append(got, n.Email+"="+login)
		}
		want := "mona@users.noreply.github.com=mona 12345+eve@users.noreply.github.com=eve trent@example.com=trent nobody@example.com=null"
		if strings.Join(got, " ") != want || ans.Data.Repository.Object.Authors.TotalCount != 4 {
			t.Errorf("%s: authors = %v (total %d), want %s", endpoint, got, ans.Data.Repository.Object.Authors.TotalCount, want)
		}
	}
	if b := post(t, "POST", srv.URL+"/graphql", `{"query":"{ viewer { login } }"}`); !strings.Contains(string(b), `"errors"`) {
		t.Errorf("another query: %s", b)
	}

	var list struct {
		CheckRuns []struct {
			ID  int64
			App struct{ Slug string } `json:"app"`
		} `json:"check_runs"`
	}
	mustJSON(t, get(t, repo+"/commits/"+pushed+"/check-runs?filter=all"), &list)
	if len(list.CheckRuns) != 1 || list.CheckRuns[0].App.Slug != "octoapp" {
		t.Fatalf("check runs = %+v", list.CheckRuns)
	}
	req, _ := http.NewRequest("PATCH", fmt.Sprintf("%s/check-runs/%d", repo, list.CheckRuns[0].ID), strings.NewReader(`{"name":"relproof / production"}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var msg struct{ Message string }
	_ = json.Unmarshal(b, &msg)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(msg.Message, "can only be modified by the GitHub App that created it") {
		t.Errorf("GitHub Actions changed another app's check run: %d %s", resp.StatusCode, b)
	}
}
