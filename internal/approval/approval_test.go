package approval

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const digest = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"

var (
	posted = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	after  = posted.Add(3 * time.Minute)
	before = posted.Add(-time.Minute)
)

func ctx() Context {
	return Context{
		Digest:            digest,
		Environment:       "production",
		RunID:             42,
		CheckRunPostedAt:  posted,
		ChangeAuthors:     []string{"Mona"},
		PreventSelfReview: true,
	}
}

func approved(who string) Approval {
	return Approval{Reviewer: who, State: StateApproved, Environments: []string{"production"}, RunID: 42, Time: after}
}

func with(a Approval, f func(*Approval)) Approval { f(&a); return a }

func TestBind(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		approvals []Approval
		ctx       func(*Context)
		approved  bool
		counted   []string
		reasons   []string // per approval, a substring of its reason
		decision  string   // substring of the decision's reason
	}{
		{
			name:      "one approval after the check run",
			approvals: []Approval{approved("octocat")},
			approved:  true, counted: []string{"octocat"},
			reasons:  []string{"approved for this run"},
			decision: "approved by octocat (1 of 1 required)",
		},
		{
			name:      "environment names match without case",
			approvals: []Approval{with(approved("octocat"), func(a *Approval) { a.Environments = []string{"staging", "Production"} })},
			approved:  true, counted: []string{"octocat"},
		},
		{
			name:      "approval for another run",
			approvals: []Approval{with(approved("octocat"), func(a *Approval) { a.RunID = 41 })},
			reasons:   []string{"given for run 41, not run 42"},
			decision:  "0 of 1 required",
		},
		{
			name:      "approval for another environment",
			approvals: []Approval{with(approved("octocat"), func(a *Approval) { a.Environments = []string{"staging"} })},
			reasons:   []string{`given for environment "staging", not "production"`},
		},
		{
			name:      "approval given before the digest was shown",
			approvals: []Approval{with(approved("octocat"), func(a *Approval) { a.Time = before })},
			reasons:   []string{"given before the digest was shown: review requested at 2026-11-26T11:59:00Z, check run posted at 2026-11-26T12:00:00Z"},
		},
		{
			name:      "approval given before a newer release was deployed",
			approvals: []Approval{approved("octocat")},
			ctx: func(c *Context) {
				c.NotBefore, c.NotBeforeWhat = after.Add(time.Hour), "the environment's last recorded deployment (deployment 7 of sha256:aa)"
			},
			reasons: []string{"given before the environment's last recorded deployment (deployment 7 of sha256:aa) at 2026-11-26T13:03:00Z (review requested at 2026-11-26T12:03:00Z): the environment has been deployed to since, so this run's approvals are spent; start a new run"},
		},
		{
			name:      "approval given after the last recorded deployment counts",
			approvals: []Approval{approved("octocat")},
			ctx:       func(c *Context) { c.NotBefore, c.NotBeforeWhat = before, "the environment's last recorded deployment" },
			approved:  true, counted: []string{"octocat"},
		},
		{
			name:      "approval at the instant the check run was posted counts",
			approvals: []Approval{with(approved("octocat"), func(a *Approval) { a.Time = posted })},
			approved:  true, counted: []string{"octocat"},
		},
		{
			name:      "approval of unknown time",
			approvals: []Approval{with(approved("octocat"), func(a *Approval) { a.Time = time.Time{} })},
			reasons:   []string{"time is unknown"},
		},
		{
			name:      "self-review when prevented",
			approvals: []Approval{approved("mona")},
			reasons:   []string{"mona authored the change or ran it (wrote, committed, co-authored, pushed or re-ran it), and self-review is not allowed"},
		},
		{
			name:      "the run's actor approving is compared without case",
			approvals: []Approval{approved("HUBOT")},
			ctx:       func(c *Context) { c.ChangeAuthors = []string{"mona", "hubot"} },
			reasons:   []string{"HUBOT authored the change or ran it"},
			decision:  "denied: 0 of 1 required approvals count",
		},
		{
			name:      "authors unknown when self-review is prevented",
			approvals: []Approval{approved("octocat")},
			ctx:       func(c *Context) { c.AuthorsUnknown = "no earlier deployment to compare with" },
			reasons:   []string{"the change's authors are not known"},
			decision:  "denied: self-review is not allowed and the change's authors are not known (no earlier deployment to compare with)",
		},
		{
			name:      "authors unknown when self-review is allowed",
			approvals: []Approval{approved("octocat")},
			ctx: func(c *Context) {
				c.AuthorsUnknown = "no earlier deployment to compare with"
				c.PreventSelfReview = false
			},
			approved: true, counted: []string{"octocat"},
		},
		{
			name:      "authors unknown: a rejection still says it rejects",
			approvals: []Approval{with(approved("octocat"), func(a *Approval) { a.State = StateRejected })},
			ctx:       func(c *Context) { c.AuthorsUnknown = "a truncated range" },
			decision:  "denied: rejected by octocat",
		},
		{
			name:      "self-review allowed by the policy",
			approvals: []Approval{approved("mona")},
			ctx:       func(c *Context) { c.PreventSelfReview = false },
			approved:  true, counted: []string{"mona"},
		},
		{
			name:      "a rejection denies even with an approval",
			approvals: []Approval{approved("octocat"), with(approved("hubot"), func(a *Approval) { a.State = StateRejected })},
			counted:   []string{"octocat"},
			reasons:   []string{"approved for this run", "rejects the deployment"},
			decision:  "denied: rejected by hubot",
		},
		{
			name: "a rejection from an earlier attempt does not deny",
			approvals: []Approval{
				with(approved("hubot"), func(a *Approval) { a.State = StateRejected; a.Time = before }),
				approved("octocat"),
			},
			approved: true, counted: []string{"octocat"},
			reasons: []string{"given before the digest was shown", "approved for this run"},
		},
		{
			name:      "a comment is not an approval",
			approvals: []Approval{with(approved("octocat"), func(a *Approval) { a.State = StatePending; a.Comment = "looking" })},
			reasons:   []string{"a comment without a decision"},
		},
		{
			name:      "unknown state",
			approvals: []Approval{with(approved("octocat"), func(a *Approval) { a.State = "maybe" })},
			reasons:   []string{`unknown review state "maybe"`},
		},
		{
			name:      "too few approvals",
			approvals: []Approval{approved("octocat")},
			ctx:       func(c *Context) { c.Minimum = 2 },
			counted:   []string{"octocat"},
			decision:  "denied: 1 of 2 required approvals count",
		},
		{
			name:      "the same reviewer twice counts once",
			approvals: []Approval{approved("octocat"), approved("OctoCat")},
			ctx:       func(c *Context) { c.Minimum = 2 },
			counted:   []string{"octocat"},
			reasons:   []string{"approved for this run", "OctoCat is already counted"},
		},
		{
			name:      "two distinct reviewers",
			approvals: []Approval{approved("octocat"), approved("hubot")},
			ctx:       func(c *Context) { c.Minimum = 2 },
			approved:  true, counted: []string{"octocat", "hubot"},
			decision: "approved by octocat, hubot (2 of 2 required)",
		},
		{
			name:     "no approvals at all",
			decision: "denied: run 42 has no reviews for environment \"production\"; 1 required",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := ctx()
			if tc.ctx != nil {
				tc.ctx(&c)
			}
			d, err := Bind(tc.approvals, c)
			if err != nil {
				t.Fatal(err)
			}
			if d.Approved != tc.approved {
				t.Errorf("approved = %v, want %v (%s)", d.Approved, tc.approved, d.Reason)
			}
			if diff := cmp.Diff(tc.counted, d.Counted, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("counted (-want +got):\n%s", diff)
			}
			if len(d.Approvals) != len(tc.approvals) {
				t.Fatalf("%d verdicts for %d approvals", len(d.Approvals), len(tc.approvals))
			}
			for i, want := range tc.reasons {
				if !strings.Contains(d.Approvals[i].Reason, want) {
					t.Errorf("approval %d: reason %q does not say %q", i, d.Approvals[i].Reason, want)
				}
			}
			if !strings.Contains(d.Reason, tc.decision) {
				t.Errorf("decision reason %q does not say %q", d.Reason, tc.decision)
			}
			// Err agrees with Approved, and a denial matches ErrNotApproved.
			if err := d.Err(); (err == nil) != d.Approved || (err != nil && !errors.Is(err, ErrNotApproved)) {
				t.Errorf("Err() = %v with approved %v", err, d.Approved)
			}
		})
	}
}

func TestBindIncompleteContext(t *testing.T) {
	t.Parallel()
	for name, f := range map[string]func(*Context){
		"no digest":         func(c *Context) { c.Digest = "" },
		"no environment":    func(c *Context) { c.Environment = "" },
		"no run":            func(c *Context) { c.RunID = 0 },
		"no check run time": func(c *Context) { c.CheckRunPostedAt = time.Time{} },
		"negative minimum":  func(c *Context) { c.Minimum = -1 },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := ctx()
			f(&c)
			d, err := Bind([]Approval{approved("octocat")}, c)
			if !errors.Is(err, ErrIncompleteContext) || d != nil {
				t.Errorf("Bind = %v, %v; want ErrIncompleteContext", d, err)
			}
		})
	}
}

func TestNotApprovedErrorSaysWhy(t *testing.T) {
	t.Parallel()
	d, err := Bind(nil, ctx())
	if err != nil {
		t.Fatal(err)
	}
	want := "not approved for " + digest + " to production: denied: run 42 has no reviews"
	if got := d.Err().Error(); !strings.HasPrefix(got, want) {
		t.Errorf("error = %q, want prefix %q", got, want)
	}
}
