package cli

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/relproof/relproof/internal/attest/predicate"
	"github.com/relproof/relproof/internal/github"
	"github.com/relproof/relproof/internal/testing/fakegithub"
)

const ghToken = "ghp_RELPROOFTESTTOKEN0123456789abcdefXYZ"

// ghWorld is a fake GitHub with the release scenario, a check run that
// showed digest to production's reviewers at shownAt, and an environment
// in which commands see it.
type ghWorld struct {
	f      *fakegithub.Fake
	srv    *httptest.Server
	rel    *fakegithub.Release
	dir    string
	vars   map[string]string
	env    *Env
	key    string
	pub    string
	digest string
	// policy lists the deployment signer of the scenario's recorded
	// previous deployment (counted).
	policy string
}

func newGHWorld(t *testing.T) *ghWorld {
	t.Helper()
	f, srv := fakegithub.Start(t, fakegithub.WithToken(ghToken), fakegithub.WithClock(func() time.Time { return fixedNow }))
	w := &ghWorld{f: f, srv: srv, dir: t.TempDir(), digest: "sha256:" + strings.Repeat("5a", 32)}
	f.Update(func(s *fakegithub.State) {
		w.rel = fakegithub.Scenario(s, fixedNow)
		r := s.Repo("octo-org/octo-repo")
		// The prepare job showed the digest before the run reached the
		// environment (at -10m), with the run's GITHUB_TOKEN.
		r.CheckRuns = append(r.CheckRuns, &fakegithub.CheckRun{ID: s.ID(), Name: "relproof / production", HeadSHA: w.rel.Commit, Status: "in_progress",
			Title: github.CheckRunTitle("production", w.digest), Summary: "prepare", StartedAt: fixedNow.Add(-15 * time.Minute), Writes: 1,
			App: github.ActionsApp, ExternalID: github.CheckRunExternalID(w.rel.Run.ID, 1, "production")})
	})
	w.vars = map[string]string{
		GitHubAPIURLEnv: srv.URL, GitHubTokenEnv: ghToken, GitHubRepositoryEnv: "octo-org/octo-repo",
		GitHubMaxWaitEnv: "5ms", GitHubTimeoutEnv: "10s",
		"GITHUB_SHA": w.rel.Commit, "GITHUB_RUN_ID": fmt.Sprint(w.rel.Run.ID), "GITHUB_RUN_ATTEMPT": "1", "GITHUB_SERVER_URL": "https://github.com",
	}
	w.env = testEnv(t, w.vars)
	w.env.Dir = w.dir
	w.key, w.pub = keys(t, w.env, w.dir, "k")
	return w
}

func (w *ghWorld) path(name string) string { return filepath.Join(w.dir, name) }

// deploymentsPolicy lists deploy.pub (recordPrevious's key) as the signer
// of production's deployment records.
const deploymentsPolicy = `apiVersion: relproof.dev/v1
kind: Policy
environments:
  production:
    require: []
    signers:
      deployment: [{key: deploy.pub}]
`

// counted records the scenario's previous deployment, as release-record.yml
// does, and returns the flags with which approval record counts the change
// from it, as the pipeline runs it.
func (w *ghWorld) counted(t *testing.T) []string {
	t.Helper()
	if w.policy == "" {
		w.recordPrevious(t, true)
		w.policy = writeFile(t, w.dir, "deployments-policy.yaml", deploymentsPolicy)
	}
	return []string{"--policy", w.policy, "--from-github"}
}

// inActions makes the world a GitHub Actions step with output files.
func (w *ghWorld) inActions(t *testing.T) {
	w.vars["GITHUB_ACTIONS"] = "true"
	w.vars["GITHUB_OUTPUT"] = w.path("gh-output")
	w.vars["GITHUB_STEP_SUMMARY"] = w.path("gh-summary")
}

func (w *ghWorld) approve(extra ...string) []string {
	return append([]string{"approval", "record", w.digest, "--environment", "production", "--key", w.key,
		"--out", w.path("approval.json"), "--bundle-out", w.path("approval.sigstore.json")}, extra...)
}

// noSecrets fails if the token is in the result or in any file of dir.
func noSecrets(t *testing.T, r result, dir string) {
	t.Helper()
	if strings.Contains(r.stdout+r.stderr+r.errText(), ghToken) {
		t.Errorf("the token is in the output")
	}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(p); strings.Contains(string(b), ghToken) {
				t.Errorf("the token is in %s", p)
			}
		}
		return nil
	})
}

func absent(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s was written", p)
		}
	}
}

func TestApprovalRecord(t *testing.T) {
	t.Parallel()
	w := newGHWorld(t)
	w.inActions(t)
	r := run(t, w.env, append(w.approve(append(w.counted(t), "--prevent-self-review", "--policy-digest", "sha256:"+strings.Repeat("0c", 32))...), "--output", "json")...)
	expect(t, r, 0)
	var rep approvalReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if !rep.Approved || rep.Digest != w.digest || rep.RunID != w.rel.Run.ID || rep.CheckRun == nil || len(rep.Approvals) != 1 || !rep.Approvals[0].Counts ||
		!strings.Contains(rep.Reason, "approved by octocat (1 of 1 required)") {
		t.Errorf("report = %+v", rep)
	}
	// The change's authors came from GitHub: the pull request's, and the
	// commits' authors and committers; hubot pushed.
	if strings.Join(rep.Authors, ",") != "mona,hubot,web-flow" || !rep.AuthorsKnown || rep.Actor != "hubot" || rep.TriggeringActor != "hubot" {
		t.Errorf("authors = %v (known %v), actor %q, triggering actor %q", rep.Authors, rep.AuthorsKnown, rep.Actor, rep.TriggeringActor)
	}
	var pred predicate.Approval
	if err := json.Unmarshal([]byte(readFile(t, w.path("approval.json"))), &pred); err != nil {
		t.Fatal(err)
	}
	if pred.Digest != w.digest || pred.Environment != "production" || !pred.Approved || pred.RunID != w.rel.Run.ID || pred.CheckRunID != rep.CheckRun.ID ||
		pred.Reviews[0].Reviewer != "octocat" || pred.Reviews[0].Comment != "Ship it!" || !pred.Reviews[0].Time.Equal(w.rel.EnvDeployment.CreatedAt) ||
		pred.PolicyDigest == "" || !pred.RecordedAt.Equal(fixedNow) || pred.Repository != "octo-org/octo-repo" {
		t.Errorf("predicate = %+v", pred)
	}
	expect(t, run(t, w.env, "verify", w.digest, "--bundle", w.path("approval.sigstore.json"), "--key", w.pub, "--predicate-type", predicate.ApprovalType), 0)
	out := readFile(t, w.path("gh-output"))
	for _, want := range []string{"approved<<", "\ntrue\n", "approval-file<<", w.path("approval.json")} {
		if !strings.Contains(out, want) {
			t.Errorf("outputs lack %q:\n%s", want, out)
		}
	}
	if s := readFile(t, w.path("gh-summary")); !strings.Contains(s, "✅ approved") || !strings.Contains(s, "| @octocat | approved | production | yes |") {
		t.Errorf("summary:\n%s", s)
	}
	noSecrets(t, r, w.dir)
}

func TestApprovalRecordDenied(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		setup func(w *ghWorld, s *fakegithub.State)
		args  []string
		says  []string
	}{
		{"approval for another environment", func(w *ghWorld, s *fakegithub.State) {
			s.Repo("octo-org/octo-repo").Runs[w.rel.Run.ID].Approvals[0].Environments = []string{"staging"}
		}, nil, []string{`given for environment "staging", not "production"`}},
		{"approvals of another run", func(w *ghWorld, s *fakegithub.State) {
			r := s.Repo("octo-org/octo-repo")
			r.Runs[777] = &fakegithub.Run{ID: 777, Attempt: 1, Name: "Release", HeadSHA: w.rel.Commit, HeadBranch: "main", Event: "push", Actor: "octocat", CreatedAt: fixedNow.Add(-time.Hour), StartedAt: fixedNow.Add(-time.Hour)}
			r.CheckRuns = append(r.CheckRuns, &fakegithub.CheckRun{ID: s.ID(), Name: "relproof / production", HeadSHA: w.rel.Commit, Status: "in_progress",
				Title: github.CheckRunTitle("production", w.digest), Summary: "prepare", StartedAt: fixedNow.Add(-15 * time.Minute), ExternalID: github.CheckRunExternalID(777, 1, "production")})
		}, []string{"--run-id", "777"}, []string{"run 777 has no reviews for environment \"production\""}},
		{"approval given before the digest was shown", func(w *ghWorld, s *fakegithub.State) {
			r := s.Repo("octo-org/octo-repo")
			r.CheckRuns[len(r.CheckRuns)-1].StartedAt = fixedNow.Add(-5 * time.Minute) // re-posted after the review was asked for
		}, nil, []string{"given before the digest was shown", "check run posted at 2026-11-26T11:55:00Z"}},
		{"the reviewer authored the change", func(w *ghWorld, s *fakegithub.State) {
			s.Repo("octo-org/octo-repo").Runs[w.rel.Run.ID].Approvals[0].User = "mona"
		}, []string{"--prevent-self-review"}, []string{"mona authored the change or ran it (wrote, committed, co-authored, pushed or re-ran it), and self-review is not allowed"}},
		{"a named author approved", nil, []string{"--prevent-self-review", "--change-author", "OctoCat"}, []string{"octocat authored the change or ran it"}},
		{"a rejection", func(w *ghWorld, s *fakegithub.State) {
			s.Repo("octo-org/octo-repo").Runs[w.rel.Run.ID].Approvals[0].State = "rejected"
		}, nil, []string{"denied: rejected by octocat"}},
		{"too few reviewers", nil, []string{"--minimum-approvals", "2"}, []string{"1 of 2 required approvals count"}},
		{"the check run showed another digest", func(w *ghWorld, s *fakegithub.State) {
			r := s.Repo("octo-org/octo-repo")
			r.CheckRuns[len(r.CheckRuns)-1].Title = github.CheckRunTitle("production", "sha256:"+strings.Repeat("ee", 32))
		}, nil, []string{"showed the reviewers \"sha256:eeee", "not " + "sha256:5a5a"}},
		{"no check run showed the digest", func(w *ghWorld, s *fakegithub.State) {
			r := s.Repo("octo-org/octo-repo")
			r.CheckRuns = r.CheckRuns[:len(r.CheckRuns)-1]
		}, nil, []string{`no check run "relproof / production"`}},
		{"no deployment dates the review", func(w *ghWorld, s *fakegithub.State) {
			r := s.Repo("octo-org/octo-repo")
			r.Deployments = r.Deployments[:1] // GitHub's deployment for the run is gone
		}, nil, []string{"its time is unknown"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newGHWorld(t)
			w.inActions(t)
			if tc.setup != nil {
				w.f.Update(func(s *fakegithub.State) { tc.setup(w, s) })
			}
			// A stale approval from an earlier run must not survive a denial.
			writeFile(t, w.dir, "approval.json", `{"approved":true}`)
			r := run(t, w.env, w.approve(tc.args...)...)
			expect(t, r, 1, tc.says...)
			if !strings.Contains(r.stdout, "NOT APPROVED") {
				t.Errorf("stdout = %s", r.stdout)
			}
			absent(t, w.path("approval.json"), w.path("approval.sigstore.json"))
			if out := readFile(t, w.path("gh-output")); !strings.Contains(out, "approved<<_GitHubActionsFileCommandDelimeter_\nfalse\n") {
				t.Errorf("outputs:\n%s", out)
			}
			if !strings.Contains(r.stderr, "::error title=relproof%3A production not approved::") {
				t.Errorf("no annotation: %q", r.stderr)
			}
			noSecrets(t, r, w.dir)
		})
	}
}

func TestApprovalRecordGitHubFaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		faults []fakegithub.Fault
		code   int
		says   []string
	}{
		{"transient 5xx and rate limits", []fakegithub.Fault{
			fakegithub.ServerErrors("/approvals", 2), fakegithub.SecondaryRateLimit("/check-runs", 1, "1"),
			fakegithub.TooManyRequests("/deployments", 1, "1"), fakegithub.PrimaryRateLimit("/actions/runs/", 1, 2*time.Second),
		}, 0, nil},
		{"GitHub down", []fakegithub.Fault{fakegithub.ServerErrors("/approvals", 0)}, 2, []string{"reading the environment reviews of run", "502 Bad Gateway", "after 6 attempts"}},
		{"rate limited for an hour", []fakegithub.Fault{fakegithub.PrimaryRateLimit("/check-runs", 0, time.Hour)}, 2, []string{"rate-limited", "time budget"}},
		{"malformed answer", []fakegithub.Fault{fakegithub.Malformed("/approvals", 0)}, 2, []string{"reading the environment reviews"}},
		{"slow answer", []fakegithub.Fault{fakegithub.Slow("/approvals", 0, 3*time.Second)}, 2, []string{"time budget exhausted"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newGHWorld(t)
			if tc.name == "slow answer" {
				w.vars[GitHubTimeoutEnv] = "300ms"
			}
			w.f.Inject(tc.faults...)
			r := run(t, w.env, w.approve()...)
			expect(t, r, tc.code, tc.says...)
			if tc.code != 0 {
				absent(t, w.path("approval.json"), w.path("approval.sigstore.json"))
				if strings.Contains(r.stdout, "approved") && !strings.Contains(r.stdout, "NOT APPROVED") {
					t.Errorf("a failure reads as approved: %s", r.stdout)
				}
			}
			noSecrets(t, r, w.dir)
		})
	}
}

func TestApprovalRecordUsage(t *testing.T) {
	t.Parallel()
	w := newGHWorld(t)
	noRun := testEnv(t, map[string]string{GitHubTokenEnv: ghToken, GitHubRepositoryEnv: "o/r"})
	noCreds := testEnv(t, map[string]string{GitHubRepositoryEnv: "o/r", "GITHUB_RUN_ID": "1"})
	for _, tc := range []struct {
		name string
		env  *Env
		args []string
		says string
	}{
		{"no run", noRun, []string{"approval", "record", w.digest, "--environment", "production", "--key", w.key}, "give --run-id"},
		{"no credentials", noCreds, []string{"approval", "record", w.digest, "--environment", "production", "--key", w.key}, "no GitHub credentials: set GITHUB_TOKEN"},
		{"a tag", w.env, []string{"approval", "record", "oci://registry.example/acme/app:v1", "--environment", "production", "--key", w.key}, "registry.example/acme/app"},
		{"bad repository", w.env, w.approve("--repo", "nope"), `repository "nope": expected OWNER/NAME`},
		{"no environment", w.env, []string{"approval", "record", w.digest, "--key", w.key}, `required flag(s) "environment" not set`},
		{"bad minimum", w.env, w.approve("--minimum-approvals", "0"), "--minimum-approvals 0"},
		{"bad policy digest", w.env, w.approve("--policy-digest", "v1"), "--policy-digest"},
		{"http API off loopback", testEnv(t, map[string]string{GitHubAPIURLEnv: "http://github.example.com/api/v3", GitHubTokenEnv: ghToken, GitHubRepositoryEnv: "o/r", "GITHUB_RUN_ID": "1"}),
			[]string{"approval", "record", w.digest, "--environment", "production", "--key", w.key}, "plain http would send the token in the clear"},
		{"app key without id", w.env, w.approve("--github-app-key", w.key), "--github-app-key needs --github-app-id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, tc.env, tc.args...)
			expect(t, r, 2, tc.says)
			noSecrets(t, r, w.dir)
		})
	}
}

func TestDeployRecord(t *testing.T) {
	t.Parallel()
	w := newGHWorld(t)
	w.inActions(t)
	// The previous deployment is the one a signed record vouches for:
	// relproof's record of the scenario's (deploy.pub), and the records
	// this test makes (k.pub).
	w.recordPrevious(t, true)
	pol := writeFile(t, w.dir, "records-policy.yaml", strings.Replace(deploymentsPolicy, "[{key: deploy.pub}]", "[{key: deploy.pub}, {key: "+filepath.Base(w.pub)+"}]", 1))
	vouched := []string{"--policy", pol, "--from-github"}
	// A transient failure on the way is retried.
	w.f.Inject(fakegithub.ServerErrors("/statuses", 1))
	r := run(t, w.env, append([]string{"deploy", "record", w.digest, "--environment", "production", "--url", "https://app.example.com", "--key", w.key,
		"--out", w.path("deploy-record.json"), "--bundle-out", w.path("deployment.sigstore.json"), "--output", "json", "--github-upload"}, vouched...)...)
	expect(t, r, 0)
	var rec deployRecord
	if err := json.Unmarshal([]byte(readFile(t, w.path("deploy-record.json"))), &rec); err != nil {
		t.Fatal(err)
	}
	d := rec.Deployment
	if d == nil || d.Digest != w.digest || d.Environment != "production" || d.SHA != w.rel.Commit || d.Previous == nil || d.Previous.Digest != w.rel.PrevDigest ||
		d.RollbackDigest != w.rel.PrevDigest || len(d.Statuses) != 1 || d.Statuses[0].State != "success" || d.Statuses[0].EnvironmentURL != "https://app.example.com" {
		t.Errorf("record = %+v", d)
	}
	if r.stdout != readFile(t, w.path("deploy-record.json")) {
		t.Errorf("the JSON report is not the record:\n%s", r.stdout)
	}
	expect(t, run(t, w.env, "verify", w.digest, "--bundle", w.path("deployment.sigstore.json"), "--key", w.pub, "--predicate-type", predicate.DeploymentType), 0)
	w.f.View(func(s *fakegithub.State) {
		deps := s.Repo("octo-org/octo-repo").Deployments
		last := deps[len(deps)-1]
		if last.ID != d.ID || !strings.Contains(string(last.Payload), `"digest":"`+w.digest+`"`) || last.Statuses[0].LogURL != fmt.Sprintf("https://github.com/octo-org/octo-repo/actions/runs/%d", w.rel.Run.ID) {
			t.Errorf("GitHub's deployment = %+v %s", last, last.Payload)
		}
	})
	if out := readFile(t, w.path("gh-output")); !strings.Contains(out, "rollback-digest<<_GitHubActionsFileCommandDelimeter_\n"+w.rel.PrevDigest) {
		t.Errorf("outputs:\n%s", out)
	}
	noSecrets(t, r, w.dir)

	// The next deployment rolls back to this one by default; an explicit
	// rollback digest wins.
	next := "sha256:" + strings.Repeat("6b", 32)
	explicit := "sha256:" + strings.Repeat("7c", 32)
	r = run(t, w.env, append([]string{"deploy", "record", next, "--environment", "production", "--key", w.key, "--rollback-digest", explicit,
		"--out", w.path("next.json"), "--bundle-out", w.path("next.sigstore.json"), "--github-upload"}, vouched...)...)
	expect(t, r, 0)
	if !strings.Contains(r.stdout, "previous:   "+w.digest) || !strings.Contains(r.stdout, "rollback:   "+explicit) || !strings.Contains(r.stdout, "github:     artifact attestation ") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	// --github-upload keeps the signed record with the repository's
	// attestations, where the gate looks for it, and the record says so.
	var next2 deployRecord
	if err := json.Unmarshal([]byte(readFile(t, w.path("next.json"))), &next2); err != nil || next2.GitHubID == 0 {
		t.Errorf("record %+v, %v; want the attestation's id", next2, err)
	}
	w.f.View(func(s *fakegithub.State) {
		atts := s.Repo("octo-org/octo-repo").Attestations
		if i := slices.IndexFunc(atts, func(a *fakegithub.Attestation) bool { return a.ID == next2.GitHubID }); i < 0 || !strings.Contains(string(atts[i].Bundle), "dsseEnvelope") {
			t.Errorf("attestations = %+v; want the deployment record, %d", atts, next2.GitHubID)
		}
	})
	var pred predicate.Deployment
	if err := json.Unmarshal(predicateOf(t, w.path("next.sigstore.json")), &pred); err != nil || pred.State != "success" || pred.Digest != next || pred.Environment != "production" {
		t.Errorf("predicate %+v, %v; want the success of %s in production", pred, err, next)
	}
	// --rollback-digest none: the gate checked none, so the record names
	// none, not GitHub's unchecked last deployment.
	r = run(t, w.env, append([]string{"deploy", "record", explicit, "--environment", "production", "--key", w.key, "--rollback-digest", "none",
		"--out", w.path("none.json"), "--bundle-out", w.path("none.sigstore.json"), "--github-upload"}, vouched...)...)
	expect(t, r, 0)
	pred = predicate.Deployment{}
	if err := json.Unmarshal(predicateOf(t, w.path("none.sigstore.json")), &pred); err != nil || pred.RollbackDigest != "" || pred.PreviousDigest != next {
		t.Errorf("predicate %+v, %v; want no rollback digest, and %s as the previous one", pred, err, next)
	}
	// A deployment anyone with deployments: write can post is no previous
	// deployment; without --policy none is named at all.
	forged := "sha256:" + strings.Repeat("8d", 32)
	w.f.Update(func(s *fakegithub.State) {
		s.AddDeployment(s.Repo("octo-org/octo-repo"), "production", w.rel.Commit, forged, "success", fixedNow)
	})
	r = run(t, w.env, append([]string{"deploy", "record", next, "--environment", "production", "--key", w.key,
		"--out", w.path("after-forged.json"), "--bundle-out", w.path("after-forged.sigstore.json")}, vouched...)...)
	expect(t, r, 0)
	pred = predicate.Deployment{}
	if err := json.Unmarshal(predicateOf(t, w.path("after-forged.sigstore.json")), &pred); err != nil || pred.PreviousDigest != explicit || pred.RollbackDigest != explicit {
		t.Errorf("predicate %+v, %v; want %s, the newest recorded deployment, as the previous and rollback digest, not the forged %s", pred, err, explicit, forged)
	}
	r = run(t, w.env, "deploy", "record", next, "--environment", "production", "--key", w.key, "--break-glass",
		"--out", w.path("unvouched.json"), "--bundle-out", w.path("unvouched.sigstore.json"))
	expect(t, r, 0)
	pred = predicate.Deployment{}
	if err := json.Unmarshal(predicateOf(t, w.path("unvouched.sigstore.json")), &pred); err != nil || pred.PreviousDigest != "" || pred.RollbackDigest != "" || !pred.BreakGlass ||
		!strings.Contains(r.stdout, "previous:   none (not looked up: give --policy") {
		t.Errorf("without --policy, --break-glass: predicate %+v, %v, stdout:\n%s\nwant no previous and no rollback digest, saying why, and break-glass recorded", pred, err, r.stdout)
	}
}

func TestDeployRecordFailures(t *testing.T) {
	t.Parallel()
	w := newGHWorld(t)
	out, bundle := w.path("deploy-record.json"), w.path("deployment.sigstore.json")
	args := []string{"deploy", "record", w.digest, "--environment", "production", "--key", w.key, "--out", out, "--bundle-out", bundle}

	w.f.Inject(fakegithub.Fault{Method: "POST", Path: "/deployments", Status: 500})
	r := run(t, w.env, args...)
	expect(t, r, 2, "creating a deployment of "+w.digest+" to production", "500 Internal Server Error")
	absent(t, out, bundle)
	w.f.ClearFaults()

	expect(t, run(t, w.env, append(args, "--ref", "no-such-ref")...), 2, "No ref found for: no-such-ref")
	absent(t, out, bundle)
	expect(t, run(t, w.env, append(args, "--state", "done")...), 2, `--state "done": expected one of`)
	expect(t, run(t, w.env, append(args, "--rollback-digest", "v1.0")...), 2, "--rollback-digest")
	expect(t, run(t, w.env, append(args, "--key", w.path("none.key"))...), 2, "none.key: no such file")
	noSecrets(t, r, w.dir)

	// The record could not be stored with the attestations: the command
	// fails, and says where the signed record is.
	w.f.Inject(fakegithub.Fault{Method: "POST", Path: "/attestations", Status: 500})
	r = run(t, w.env, append(args, "--github-upload")...)
	expect(t, r, 2, "is recorded in GitHub and its signed attestation written to "+bundle, "storing it with the repository's artifact attestations failed", "500")
	if readFile(t, bundle) == "" {
		t.Error("the signed record was not kept")
	}
}

func TestSourceEvidence(t *testing.T) {
	t.Parallel()
	w := newGHWorld(t)
	dir := w.path("01-source")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	w.f.Inject(fakegithub.ServerErrors("/compare/", 1), fakegithub.SecondaryRateLimit("/reviews", 1, "1"))
	r := run(t, w.env, "source", "evidence", w.digest, "--environment", "production", "--dir", dir, "--output", "json")
	expect(t, r, 0)
	var rec sourceRecord
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dir, "source-evidence.json"))), &rec); err != nil {
		t.Fatal(err)
	}
	ev := rec.Source
	if rec.Digest != w.digest || ev.Commit != w.rel.Commit || len(ev.PullRequests) != 1 || ev.PullRequests[0].MergedBy != "octocat" || ev.Range == nil ||
		ev.Range.TotalCommits != 2 || !ev.Protection.Protected || !ev.CodeOwners.CoversWorkflows {
		t.Errorf("record = %+v", ev)
	}
	if md := readFile(t, filepath.Join(dir, "pull-request-summary.md")); !strings.Contains(md, "merged by @octocat") {
		t.Errorf("summary:\n%s", md)
	}
	if txt := readFile(t, filepath.Join(dir, "commit-range.txt")); !strings.Contains(txt, w.rel.Feature+" mona Add the feature") {
		t.Errorf("range:\n%s", txt)
	}
	noSecrets(t, r, w.dir)
}

func TestSourceEvidenceFailureWritesNothing(t *testing.T) {
	t.Parallel()
	w := newGHWorld(t)
	dir := w.path("01-source")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	w.f.Inject(fakegithub.ServerErrors("/rules/branches/", 0))
	r := run(t, w.env, "source", "evidence", w.digest, "--dir", dir)
	expect(t, r, 2, "reading the ruleset rules of branch \"main\"", "502 Bad Gateway")
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left %v", entries)
	}
	expect(t, run(t, w.env, "source", "evidence", w.digest, "--dir", w.path("missing")), 2, "not a directory")
	noSecrets(t, r, w.dir)
}

func TestGitHubAttestationsRoundTrip(t *testing.T) {
	t.Parallel()
	w := newGHWorld(t)
	artifact := writeFile(t, w.dir, "app.bin", "the artifact")
	pred := writeFile(t, w.dir, "p.json", `{"ok":true}`)
	bundle := w.path("b.json")
	expect(t, run(t, w.env, "attest", artifact, "--type", "custom", "--predicate", pred, "--predicate-type", "https://x.example/p", "--key", w.key, "--bundle-out", bundle), 0)
	ctx := context.Background()
	id, err := githubUpload(ctx, w.env, &githubFlags{}, []byte(readFile(t, bundle)))
	if err != nil || id == 0 {
		t.Fatalf("upload: %d, %v", id, err)
	}
	var stmtDigest string
	w.f.View(func(s *fakegithub.State) { stmtDigest = s.Repo("octo-org/octo-repo").Attestations[0].Digests[0] })
	entries, err := githubEntries(ctx, w.env, &githubFlags{}, stmtDigest)
	if err != nil || len(entries) != 1 || entries[0].Err != nil || !strings.HasPrefix(entries[0].Source, "github:octo-org/octo-repo/attestations/sha256:") {
		t.Fatalf("entries = %+v, %v", entries, err)
	}
	none, err := githubEntries(ctx, w.env, &githubFlags{}, "sha256:"+strings.Repeat("00", 32))
	if err != nil || len(none) != 0 {
		t.Errorf("no attestations: %v, %v", none, err)
	}
}

func TestGitHubCheckRunPosting(t *testing.T) {
	t.Parallel()
	w := newGHWorld(t)
	ctx := context.Background()
	digest := "sha256:" + strings.Repeat("9d", 32)
	first, err := postCheckRun(ctx, w.env, &githubFlags{}, checkRunReport{Environment: "staging", Digest: digest, Summary: "## ok",
		Annotations: []github.CheckAnnotation{{Level: github.AnnotationWarning, Message: "self-hosted runner"}}})
	if err != nil {
		t.Fatal(err)
	}
	second, err := postCheckRun(ctx, w.env, &githubFlags{}, checkRunReport{Environment: "staging", Digest: digest, Summary: "## done", Conclusion: github.ConclusionSuccess})
	if err != nil {
		t.Fatal(err)
	}
	if second.ID != first.ID || !second.Updated || second.Title != digest+" → staging" || !second.PostedAt.Equal(fixedNow) {
		t.Errorf("first %+v second %+v", first, second)
	}
	w.f.View(func(s *fakegithub.State) {
		for _, c := range s.Repo("octo-org/octo-repo").CheckRuns {
			if c.Name == "relproof / staging" && (c.DetailsURL != fmt.Sprintf("https://github.com/octo-org/octo-repo/actions/runs/%d", w.rel.Run.ID) || c.ExternalID != github.CheckRunExternalID(w.rel.Run.ID, 1, "staging") || c.App != github.ActionsApp || c.HeadSHA != w.rel.Commit) {
				t.Errorf("check run = %+v", c)
			}
		}
	})
}

func TestGitHubAppCredentials(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	f, srv := fakegithub.Start(t, fakegithub.WithApp(99, &key.PublicKey), fakegithub.WithClock(time.Now))
	var rel *fakegithub.Release
	f.Update(func(s *fakegithub.State) { rel = fakegithub.Scenario(s, time.Now()) })
	dir := t.TempDir()
	keyFile := writeFile(t, dir, "app.pem", keyPEM)
	vars := map[string]string{GitHubAPIURLEnv: srv.URL + "/api/v3", GitHubRepositoryEnv: "octo-org/octo-repo", GitHubMaxWaitEnv: "5ms", "GITHUB_SHA": rel.Commit}
	ctx := context.Background()
	for name, tc := range map[string]struct {
		vars  map[string]string
		flags githubFlags
	}{
		"flags":       {nil, githubFlags{appID: 99, appKey: keyFile}},
		"environment": {map[string]string{GitHubAppIDEnv: "99", GitHubAppKeyEnv: keyPEM, GitHubAppInstEnv: "4242"}, githubFlags{}},
	} {
		all := map[string]string{}
		for k, v := range vars {
			all[k] = v
		}
		for k, v := range tc.vars {
			all[k] = v
		}
		env := testEnv(t, all)
		if _, err := postCheckRun(ctx, env, &tc.flags, checkRunReport{Environment: "production", Digest: "sha256:" + strings.Repeat("11", 32), Summary: "x"}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, bad := range []map[string]string{{GitHubAppIDEnv: "abc"}, {GitHubAppIDEnv: "99"}, {GitHubAppIDEnv: "99", GitHubAppKeyEnv: keyPEM, GitHubAppInstEnv: "x"}} {
		all := map[string]string{GitHubRepositoryEnv: "octo-org/octo-repo", GitHubAPIURLEnv: srv.URL}
		for k, v := range bad {
			all[k] = v
		}
		if _, _, err := githubClient(ctx, testEnv(t, all), &githubFlags{}); ExitCode(err) != 2 {
			t.Errorf("%v: %v", bad, err)
		}
	}
}
