package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/relproof/relproof/internal/attest/predicate"
	"github.com/relproof/relproof/internal/github"
	"github.com/relproof/relproof/internal/testing/fakegithub"
)

// The attacks on self-review: whoever pushed, re-ran, committed or
// co-authored the change approves it, or the change's authors cannot be
// known. octocat is the scenario's reviewer; each case makes octocat one of
// those who made or ran the change, or hides who did.
// releaseAfter releases a commit n commits after the scenario's, as the
// check run that showed the digest was posted on.
func releaseAfter(w *ghWorld, r *fakegithub.Repo, n int) {
	parent := w.rel.Commit
	for i := range n {
		parent = r.AddCommit(&fakegithub.Commit{SHA: fmt.Sprintf("%040x", 0xc0ffee000+i), Message: "x", AuthorLogin: "mona", Parents: []string{parent}}).SHA
	}
	w.vars["GITHUB_SHA"] = parent
	for _, cr := range r.CheckRuns {
		if cr.Name == "relproof / production" {
			cr.HeadSHA = parent
		}
	}
}

func TestApprovalRecordSelfReviewAttacks(t *testing.T) {
	t.Parallel()
	// feature is the pull request's commit, in the range since the last
	// deployment.
	feature := func(w *ghWorld, s *fakegithub.State) *fakegithub.Commit {
		return s.Repo("octo-org/octo-repo").Commits[w.rel.Feature]
	}
	for _, tc := range []struct {
		name  string
		setup func(w *ghWorld, s *fakegithub.State)
		says  []string
	}{
		{"the actor who pushed approves", func(w *ghWorld, s *fakegithub.State) {
			w.rel.Run.Actor = "octocat"
		}, []string{"octocat authored the change or ran it (wrote, committed, co-authored, pushed or re-ran it), and self-review is not allowed"}},
		{"the triggering actor who re-ran the run approves", func(w *ghWorld, s *fakegithub.State) {
			w.rel.Run.Attempt, w.rel.Run.TriggeringActor = 2, "OctoCat"
		}, []string{"octocat authored the change or ran it (wrote, committed, co-authored, pushed or re-ran it), and self-review is not allowed"}},
		{"a committer who is not the author approves", func(w *ghWorld, s *fakegithub.State) {
			c := feature(w, s)
			c.CommitterLogin, c.CommitterName, c.CommitterEmail = "octocat", "Mona Lisa", "mona@example.com" // git names mona; GitHub knows better
		}, []string{"octocat authored the change or ran it"}},
		{"a co-author approves", func(w *ghWorld, s *fakegithub.State) {
			feature(w, s).Message += "\n\nCo-authored-by: Not Octocat <583231+octocat@users.noreply.github.com>\n"
		}, []string{"octocat authored the change or ran it"}},
		{"a co-author by a verified email approves", func(w *ghWorld, s *fakegithub.State) {
			s.Emails["the.octocat@example.com"] = "octocat"
			feature(w, s).Message += "\n\nCo-authored-by: Someone Else <The.Octocat@example.com>\n"
		}, []string{"octocat authored the change or ran it"}},
		{"a first deployment: who wrote any of the history approves", func(w *ghWorld, s *fakegithub.State) {
			r := s.Repo("octo-org/octo-repo")
			r.Deployments = r.Deployments[1:] // no earlier deployment: the change is the whole history
			r.Commits[w.rel.Base].AuthorLogin = "octocat"
		}, []string{"octocat authored the change or ran it"}},
		{"a first deployment of a history too long to read: the authors are unknown", func(w *ghWorld, s *fakegithub.State) {
			r := s.Repo("octo-org/octo-repo")
			r.Deployments = r.Deployments[1:]
			releaseAfter(w, r, 1001)
		}, []string{"self-review is not allowed and the change's authors are not known", "a first deployment to production brings every commit up to", "its history is longer than the 1000 commits read"}},
		{"a commit author with no GitHub account: the authors are unknown", func(w *ghWorld, s *fakegithub.State) {
			c := feature(w, s)
			// octocat wrote it, and had git name someone else; GitHub
			// matches the email to no account.
			c.AuthorLogin, c.AuthorName, c.AuthorEmail = "", "dependabot[bot]", "octocat@laptop.local"
		}, []string{"the change's authors are not known", "the author has no GitHub account GitHub matched of commit " + fakegithub.SHA("feature")[:12]}},
		{"a co-author with no GitHub account: the authors are unknown", func(w *ghWorld, s *fakegithub.State) {
			feature(w, s).Message += "\n\nCo-authored-by: Octo Cat <octocat@laptop.local>\n"
		}, []string{"the change's authors are not known", "Co-authored-by trailers name someone GitHub matched to no account"}},
		{"a range GitHub lists only in part: the authors are unknown", func(w *ghWorld, s *fakegithub.State) {
			r := s.Repo("octo-org/octo-repo")
			releaseAfter(w, r, 1001)
		}, []string{"the change's authors are not known", "has 1003 commits and GitHub listed 1000"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newGHWorld(t)
			w.f.Update(func(s *fakegithub.State) { tc.setup(w, s) })
			writeFile(t, w.dir, "approval.json", `{"approved":true}`)
			r := run(t, w.env, w.approve(append(w.counted(t), "--prevent-self-review")...)...)
			expect(t, r, 1, tc.says...)
			absent(t, w.path("approval.json"), w.path("approval.sigstore.json"))
			noSecrets(t, r, w.dir)
		})
	}
}

// Without --prevent-self-review the same approval counts, and the record
// still says who may not review and what is not known, for a gate whose
// policy prevents self-review.
func TestApprovalRecordRecordsUnknownAuthors(t *testing.T) {
	t.Parallel()
	w := newGHWorld(t)
	w.f.Update(func(s *fakegithub.State) {
		// The feature's author has no account GitHub matched.
		c := s.Repo("octo-org/octo-repo").Commits[w.rel.Feature]
		c.AuthorLogin, c.AuthorName, c.AuthorEmail = "", "Mona", "mona@laptop.local"
		w.rel.Run.Actor = "octocat"
	})
	expect(t, run(t, w.env, w.approve()...), 0)
	var pred predicate.Approval
	if err := json.Unmarshal([]byte(readFile(t, w.path("approval.json"))), &pred); err != nil {
		t.Fatal(err)
	}
	if !pred.Approved || pred.PreventSelfReview || pred.Actor != "octocat" || pred.ChangeAuthorsKnown || !strings.Contains(pred.ChangeAuthorsNote, "the author has no GitHub account GitHub matched") {
		t.Errorf("predicate = %+v", pred)
	}
}

// The genuine case: a reviewer who neither made nor ran the change approves
// after the digest was shown. The record says who ran the run, who
// re-ran it, and every account that made the change.
func TestApprovalRecordSelfReviewControl(t *testing.T) {
	t.Parallel()
	w := newGHWorld(t)
	w.f.Update(func(s *fakegithub.State) {
		r := s.Repo("octo-org/octo-repo")
		w.rel.Run.Attempt, w.rel.Run.TriggeringActor = 2, "release-captain"
		c := r.Commits[w.rel.Feature]
		c.CommitterLogin = "monalisa"
		c.Message += "\n\nCo-authored-by: Eve <12345+eve@users.noreply.github.com>\n"
	})
	r := run(t, w.env, append(w.approve(append(w.counted(t), "--prevent-self-review")...), "--output", "json")...)
	expect(t, r, 0)
	var rep approvalReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.Approved || !strings.Contains(rep.Reason, "approved by octocat (1 of 1 required)") {
		t.Fatalf("report = %+v", rep)
	}
	var pred predicate.Approval
	if err := json.Unmarshal([]byte(readFile(t, w.path("approval.json"))), &pred); err != nil {
		t.Fatal(err)
	}
	if !pred.Approved || !pred.PreventSelfReview || pred.Actor != "hubot" || pred.TriggeringActor != "release-captain" || pred.RunAttempt != 2 ||
		strings.Join(pred.ChangeAuthors, ",") != "mona,monalisa,eve,hubot,web-flow" || !pred.ChangeAuthorsKnown || pred.ChangeAuthorsNote != "" {
		t.Errorf("predicate = %+v", pred)
	}
	expect(t, run(t, w.env, "verify", w.digest, "--bundle", w.path("approval.sigstore.json"), "--key", w.pub, "--predicate-type", predicate.ApprovalType), 0)
	if txt := run(t, w.env, w.approve(append(w.counted(t), "--prevent-self-review")...)...).stdout; !strings.Contains(txt, "self-review: actor hubot, triggering actor release-captain; change authors: mona, monalisa, eve, hubot, web-flow") {
		t.Errorf("text report:\n%s", txt)
	}
}

// The attacks on the check run: a check run named "relproof / production"
// that another app or another run posted, later (so it is the latest), and
// backdated so that a review given before this run showed the digest would
// count. This run's check run showed the digest at -5m, after the review
// was asked for (-10m): bound to it, the review does not count.
func TestApprovalRecordCheckRunAttacks(t *testing.T) {
	t.Parallel()
	forged := func(w *ghWorld, s *fakegithub.State, app, externalID string) int64 {
		r := s.Repo("octo-org/octo-repo")
		cr := &fakegithub.CheckRun{ID: s.ID(), Name: "relproof / production", HeadSHA: w.rel.Commit, Status: "completed", Conclusion: "success",
			Title: github.CheckRunTitle("production", w.digest), Summary: "looks right", App: app, ExternalID: externalID, StartedAt: fixedNow.Add(-2 * time.Hour)}
		r.CheckRuns = append(r.CheckRuns, cr)
		return cr.ID
	}
	// ours is the check run of the run the world starts with.
	ours := func(w *ghWorld, s *fakegithub.State) *fakegithub.CheckRun {
		crs := s.Repo("octo-org/octo-repo").CheckRuns
		return crs[len(crs)-1]
	}
	for _, tc := range []struct {
		name  string
		setup func(w *ghWorld, s *fakegithub.State) []string // extra args
		says  []string
	}{
		{"another app posts one later", func(w *ghWorld, s *fakegithub.State) []string {
			forged(w, s, "octoapp", github.CheckRunExternalID(w.rel.Run.ID, 1, "production"))
			return nil
		}, []string{"given before the digest was shown", "check run posted at 2026-11-26T11:55:00Z"}},
		{"another run posts one later", func(w *ghWorld, s *fakegithub.State) []string {
			forged(w, s, github.ActionsApp, github.CheckRunExternalID(777, 1, "production"))
			return nil
		}, []string{"given before the digest was shown", "check run posted at 2026-11-26T11:55:00Z"}},
		{"a workflow posts one later that names no run", func(w *ghWorld, s *fakegithub.State) []string {
			forged(w, s, github.ActionsApp, "")
			return nil
		}, []string{"given before the digest was shown", "check run posted at 2026-11-26T11:55:00Z"}},
		{"another app's is the only one", func(w *ghWorld, s *fakegithub.State) []string {
			r := s.Repo("octo-org/octo-repo")
			r.CheckRuns = r.CheckRuns[:len(r.CheckRuns)-1]
			forged(w, s, "octoapp", github.CheckRunExternalID(w.rel.Run.ID, 1, "production"))
			return nil
		}, []string{`no check run "relproof / production" on ` + fakegithub.SHA("head") + " was posted by run 30433642", `posted by the app "octoapp", not by GitHub Actions`}},
		{"another run's is the only one", func(w *ghWorld, s *fakegithub.State) []string {
			r := s.Repo("octo-org/octo-repo")
			r.CheckRuns = r.CheckRuns[:len(r.CheckRuns)-1]
			forged(w, s, github.ActionsApp, github.CheckRunExternalID(777, 1, "production"))
			return nil
		}, []string{"was posted by run 30433642", "was posted for run 777, not run 30433642"}},
		{"--check-run-id names another app's", func(w *ghWorld, s *fakegithub.State) []string {
			id := forged(w, s, "octoapp", github.CheckRunExternalID(w.rel.Run.ID, 1, "production"))
			return []string{"--check-run-id", jsonNumber(id)}
		}, []string{`posted by the app "octoapp"`, "--check-run-id"}},
		{"--check-run-id names another run's", func(w *ghWorld, s *fakegithub.State) []string {
			id := forged(w, s, github.ActionsApp, github.CheckRunExternalID(777, 1, "production"))
			return []string{"--check-run-id", jsonNumber(id)}
		}, []string{"was posted for run 777, not run 30433642", "--check-run-id"}},
		{"a workflow forges this run's external id", func(w *ghWorld, s *fakegithub.State) []string {
			forged(w, s, github.ActionsApp, github.CheckRunExternalID(w.rel.Run.ID, 1, "production"))
			return nil
		}, []string{"all claim to be the \"relproof / production\" run 30433642 posted"}},
		{"a check run names an attempt the run has not had", func(w *ghWorld, s *fakegithub.State) []string {
			r := s.Repo("octo-org/octo-repo")
			r.CheckRuns = r.CheckRuns[:len(r.CheckRuns)-1]
			forged(w, s, github.ActionsApp, github.CheckRunExternalID(w.rel.Run.ID, 2, "production"))
			return nil
		}, []string{"names attempt 2 of run 30433642, which has had 1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newGHWorld(t)
			var extra []string
			w.f.Update(func(s *fakegithub.State) {
				ours(w, s).StartedAt = fixedNow.Add(-5 * time.Minute) // re-posted after the review was asked for
				extra = tc.setup(w, s)
			})
			r := run(t, w.env, w.approve(extra...)...)
			expect(t, r, 1, tc.says...)
			absent(t, w.path("approval.json"), w.path("approval.sigstore.json"))
		})
	}
}

// The genuine case: the prepare job posts the check run (postCheckRun),
// another app and another run post theirs later, and the record binds to
// this run's, in a later attempt that re-ran only the failed jobs too.
func TestApprovalRecordCheckRunControl(t *testing.T) {
	t.Parallel()
	w := newGHWorld(t)
	w.f.Update(func(s *fakegithub.State) {
		r := s.Repo("octo-org/octo-repo")
		r.CheckRuns = r.CheckRuns[:len(r.CheckRuns)-1] // the world's own; the prepare job posts it below
	})
	prepare := *w.env
	prepare.Now = func() time.Time { return fixedNow.Add(-15 * time.Minute) }
	posted, err := postCheckRun(context.Background(), &prepare, &githubFlags{}, checkRunReport{Environment: "production", Digest: w.digest, Summary: "awaiting approval"})
	if err != nil {
		t.Fatal(err)
	}
	if posted.ExternalID != github.CheckRunExternalID(w.rel.Run.ID, 1, "production") || posted.App != github.ActionsApp {
		t.Fatalf("posted = %+v", posted)
	}
	w.f.Update(func(s *fakegithub.State) {
		r := s.Repo("octo-org/octo-repo")
		for _, later := range []*fakegithub.CheckRun{
			{App: "octoapp", ExternalID: github.CheckRunExternalID(w.rel.Run.ID, 1, "production")},
			{App: github.ActionsApp, ExternalID: github.CheckRunExternalID(777, 1, "production")},
		} {
			later.ID, later.Name, later.HeadSHA, later.Status = s.ID(), "relproof / production", w.rel.Commit, "completed"
			later.Title, later.Summary, later.StartedAt = github.CheckRunTitle("production", "sha256:"+strings.Repeat("ee", 32)), "other", fixedNow.Add(-time.Minute)
			r.CheckRuns = append(r.CheckRuns, later)
		}
		w.rel.Run.Attempt = 2 // only the failed approve job re-ran
	})
	w.vars["GITHUB_RUN_ATTEMPT"] = "2"
	r := run(t, w.env, append(w.approve(append(w.counted(t), "--prevent-self-review")...), "--output", "json")...)
	expect(t, r, 0)
	var rep approvalReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.Approved || rep.CheckRun == nil || rep.CheckRun.ID != posted.ID || !rep.CheckRun.PostedAt.Equal(fixedNow.Add(-15*time.Minute)) {
		t.Errorf("report = %+v, check run %+v; want check run %d", rep, rep.CheckRun, posted.ID)
	}
	// --check-run-id naming it binds to it as well.
	expect(t, run(t, w.env, w.approve(append(w.counted(t), "--prevent-self-review", "--check-run-id", jsonNumber(posted.ID))...)...), 0)

	// The prepare job of attempt 3 posts again: the same check run, now
	// naming attempt 3, not another one.
	w.f.Update(func(s *fakegithub.State) { w.rel.Run.Attempt = 3 })
	w.vars["GITHUB_RUN_ATTEMPT"] = "3"
	again, err := postCheckRun(context.Background(), w.env, &githubFlags{}, checkRunReport{Environment: "production", Digest: w.digest, Summary: "awaiting approval"})
	if err != nil || again.ID != posted.ID || !again.Updated || again.ExternalID != github.CheckRunExternalID(w.rel.Run.ID, 3, "production") {
		t.Errorf("re-posted = %+v, %v", again, err)
	}
}

func jsonNumber(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// With --policy, the change is counted from the environment's newest
// deployment that a signed deployment record vouches for: a deployment any
// workflow with deployments: write posted at the commit does not make the
// change nobody's, and with no recorded deployment the change is the whole
// history.
func TestApprovalRecordCountsFromARecordedDeployment(t *testing.T) {
	t.Parallel()
	const pol = deploymentsPolicy
	forge := func(w *ghWorld, s *fakegithub.State) {
		s.AddDeployment(s.Repo("octo-org/octo-repo"), "production", w.rel.Commit, "sha256:"+strings.Repeat("e0", 32), "success", fixedNow)
	}
	for _, tc := range []struct {
		name     string
		setup    func(w *ghWorld, s *fakegithub.State)
		unrecord bool
		exit     int
		says     []string
	}{
		{"counted from the recorded deployment", nil, false, 0, nil},
		{"a deployment forged at the commit", func(w *ghWorld, s *fakegithub.State) {
			s.Repo("octo-org/octo-repo").Commits[w.rel.Feature].CommitterLogin = "octocat"
			forge(w, s)
		}, false, 1, []string{"octocat authored the change or ran it"}},
		{"no recorded deployment: the whole history, which octocat began", nil, true, 1, []string{"octocat authored the change or ran it"}},
		{"a recorded deployment of a commit that is not an ancestor: the authors are unknown", func(w *ghWorld, s *fakegithub.State) {
			r := s.Repo("octo-org/octo-repo")
			side := r.AddCommit(&fakegithub.Commit{SHA: fakegithub.SHA("side"), Message: "on a branch", AuthorLogin: "mona", Parents: []string{w.rel.Feature}})
			w.rel.PrevDeployment.SHA = side.SHA
		}, false, 1, []string{"the change's authors are not known", "is neither an ancestor nor a descendant of", `"diverged"`}},
		// A rollback: the commit deployed is behind the recorded deployment,
		// and brings no commit that was not deployed before.
		{"a recorded deployment of a later commit: a rollback brings no new commit", func(w *ghWorld, s *fakegithub.State) {
			r := s.Repo("octo-org/octo-repo")
			later := r.AddCommit(&fakegithub.Commit{SHA: fakegithub.SHA("later"), Message: "later", AuthorLogin: "octocat", Parents: []string{w.rel.Commit}})
			w.rel.PrevDeployment.SHA = later.SHA
		}, false, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newGHWorld(t)
			if tc.setup != nil {
				w.f.Update(func(s *fakegithub.State) { tc.setup(w, s) })
			}
			p := writeFile(t, w.dir, "policy.yaml", pol)
			w.recordPrevious(t, !tc.unrecord)
			r := run(t, w.env, w.approve("--prevent-self-review", "--policy", p, "--from-github", "--output", "json")...)
			expect(t, r, tc.exit, tc.says...)
			if tc.unrecord && !strings.Contains(r.stdout, "no deployment to production to count the change from (GitHub lists deployments, and none has a signed deployment record)") {
				t.Errorf("the record does not say why the change is the whole history:\n%s", r.stdout)
			}
		})
	}
	// Re-running only the recording jobs of an old release's run, after a
	// newer release was deployed, would record the old release anew on its
	// old approvals: they no longer count.
	// A failure posted on the newer release's deployment since does not
	// hide it.
	for _, failed := range []bool{false, true} {
		t.Run(fmt.Sprintf("a newer release recorded since the approvals (a failure posted on it: %v)", failed), func(t *testing.T) {
			t.Parallel()
			w := newGHWorld(t)
			p := writeFile(t, w.dir, "policy.yaml", pol)
			signer := deploymentSigner(t, w.dir)
			newer := "sha256:" + strings.Repeat("9e", 32)
			var id int64
			w.f.Update(func(s *fakegithub.State) {
				d := s.AddDeployment(s.Repo("octo-org/octo-repo"), "production", w.rel.Base, newer, "success", w.rel.EnvDeployment.CreatedAt.Add(time.Hour))
				if failed {
					d.Statuses = append(d.Statuses, &fakegithub.DeploymentStatus{ID: s.ID(), State: "failure", CreatedAt: fixedNow})
				}
				id = d.ID
			})
			recordDeployment(t, w.f, signer, &predicate.Deployment{Environment: "production", Digest: newer, Repository: "octo-org/octo-repo",
				DeploymentID: id, DeploymentURL: "https://api.github.com/repos/octo-org/octo-repo/deployments/2", State: "success", Time: fixedNow})
			r := run(t, w.env, w.approve("--prevent-self-review", "--policy", p, "--from-github")...)
			expect(t, r, 1, fmt.Sprintf("given before the environment's last recorded deployment (deployment %d of %s)", id, newer), "the environment has been deployed to since")
		})
	}
	// A re-run of the record job after this digest's deployment was
	// recorded: its approvals were for that deployment, and deleting
	// GitHub's deployment does not hide the record, found by the digest.
	t.Run("this digest recorded since the approvals, its deployment deleted", func(t *testing.T) {
		t.Parallel()
		w := newGHWorld(t)
		p := writeFile(t, w.dir, "policy.yaml", pol)
		signer := deploymentSigner(t, w.dir)
		w.recordPreviousWith(t, signer)
		recordDeployment(t, w.f, signer, &predicate.Deployment{Environment: "production", Digest: w.digest, Repository: "octo-org/octo-repo",
			DeploymentID: 99, DeploymentURL: "https://api.github.com/repos/octo-org/octo-repo/deployments/99", State: "success", Time: fixedNow})
		r := run(t, w.env, w.approve("--prevent-self-review", "--policy", p, "--from-github")...)
		expect(t, r, 1, "given before the environment's last recorded deployment of this digest (deployment 99)", "the environment has been deployed to since")
	})
	// A deployment that went out on a break-glass decision may have had no
	// reviewer who did not make it: the change is counted from the
	// recorded deployment before it, so its commits are reviewed now.
	for _, breakGlass := range []bool{true, false} {
		t.Run(fmt.Sprintf("a recorded deployment at the commit, break-glass %v", breakGlass), func(t *testing.T) {
			t.Parallel()
			w := newGHWorld(t)
			p := writeFile(t, w.dir, "policy.yaml", pol)
			signer := deploymentSigner(t, w.dir)
			w.recordPreviousWith(t, signer)
			urgent, at := "sha256:"+strings.Repeat("b6", 32), w.rel.EnvDeployment.CreatedAt.Add(-time.Hour)
			var id int64
			w.f.Update(func(s *fakegithub.State) {
				s.Repo("octo-org/octo-repo").Commits[w.rel.Feature].CommitterLogin = "octocat"
				id = s.AddDeployment(s.Repo("octo-org/octo-repo"), "production", w.rel.Commit, urgent, "success", at).ID
			})
			recordDeployment(t, w.f, signer, &predicate.Deployment{Environment: "production", Digest: urgent, Repository: "octo-org/octo-repo",
				DeploymentID: id, DeploymentURL: "https://api.github.com/repos/octo-org/octo-repo/deployments/2", State: "success", BreakGlass: breakGlass, Time: at})
			r := run(t, w.env, w.approve("--prevent-self-review", "--policy", p, "--from-github")...)
			if breakGlass {
				expect(t, r, 1, "octocat authored the change or ran it")
			} else {
				expect(t, r, 0) // counted from the commit itself: no commit of octocat's
			}
		})
	}
	// Without --policy no deployment is vouched for: the change is the
	// whole history, however recent a deployment GitHub lists.
	t.Run("no policy: a deployment forged at the commit is not counted from", func(t *testing.T) {
		t.Parallel()
		w := newGHWorld(t)
		w.f.Update(func(s *fakegithub.State) {
			s.Repo("octo-org/octo-repo").Commits[w.rel.Feature].CommitterLogin = "octocat"
			forge(w, s)
		})
		r := run(t, w.env, w.approve("--prevent-self-review", "--output", "json")...)
		expect(t, r, 1, "octocat authored the change or ran it")
		if !strings.Contains(r.stdout, "no deployment to production to count the change from (no --policy names who may vouch for a deployment") {
			t.Errorf("the record does not say why the change is the whole history:\n%s", r.stdout)
		}
	})
	t.Run("a policy that cannot be read", func(t *testing.T) {
		t.Parallel()
		w := newGHWorld(t)
		expect(t, run(t, w.env, w.approve("--prevent-self-review", "--policy", w.path("none.yaml"))...), 2, "none.yaml")
	})
}
