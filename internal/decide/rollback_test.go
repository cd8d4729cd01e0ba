package decide

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/relproof/relproof/internal/attest"
	"github.com/relproof/relproof/internal/attest/predicate"
	"github.com/relproof/relproof/internal/policy"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

// record is a signed deployment record of d to env as deployment id.
func (w world) record(t *testing.T, d subject.Digest, env string, id int64, state string) verify.Entry {
	t.Helper()
	return w.recordAt(t, d, env, id, state, time.Unix(1, 0))
}

// recordAt is record, made at time at.
func (w world) recordAt(t *testing.T, d subject.Digest, env string, id int64, state string, at time.Time) verify.Entry {
	t.Helper()
	return w.recordPredicate(t, &predicate.Deployment{Environment: env, Digest: d.String(), Repository: "acme/app", DeploymentID: id,
		DeploymentURL: "https://api.github.com/repos/acme/app/deployments/1", State: state, Time: at.UTC()})
}

// breakGlass is record, of a deployment that went out on a break-glass
// decision.
func (w world) breakGlass(t *testing.T, d subject.Digest, env string, id int64) verify.Entry {
	t.Helper()
	return w.recordPredicate(t, &predicate.Deployment{Environment: env, Digest: d.String(), Repository: "acme/app", DeploymentID: id,
		DeploymentURL: "https://api.github.com/repos/acme/app/deployments/1", State: "success", BreakGlass: true, Time: time.Unix(1, 0).UTC()})
}

// recordPredicate signs pred, a deployment record, with w's signer.
func (w world) recordPredicate(t *testing.T, pred *predicate.Deployment) verify.Entry {
	t.Helper()
	d, err := subject.ParseDigest(pred.Digest)
	if err != nil {
		t.Fatal(err)
	}
	b, err := attest.SignPredicate(context.Background(), w.signer, &subject.Subject{Kind: subject.KindDigest, Digest: d}, predicate.DeploymentType, pred)
	if err != nil {
		t.Fatal(err)
	}
	e, err := verify.ReadBundles("deployment.json", b)
	if err != nil {
		t.Fatal(err)
	}
	return e[0]
}

func TestFindRollbackTarget(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	older := digest(3)
	listed := func(deps ...Deployment) Deployments {
		return func(_ context.Context, env, exclude string, max int) ([]Deployment, bool, error) {
			if env != "staging" || exclude != w.release.Digest.String() || max < 1 {
				t.Errorf("listed (%q, %q, %d)", env, exclude, max)
			}
			return deps, false, nil
		}
	}
	forged := Deployment{ID: 9, Digest: older.String(), Repository: "acme/app", Succeeded: true}        // newest, nobody recorded it
	recorded := Deployment{ID: 5, Digest: w.previous.String(), Repository: "acme/app", Succeeded: true} // relproof recorded it
	failedSince := recorded
	failedSince.Succeeded = false // a failure posted since
	failed := Deployment{ID: 4, Digest: older.String(), Repository: "acme/app"}
	for _, tc := range []struct {
		name    string
		deps    Deployments
		records []verify.Entry
		want    RollbackTarget
		note    string
	}{
		{"no deployments: a first release", listed(), nil, RollbackTarget{FirstRelease: true}, ""},
		{"the newest recorded deployment, past one nobody recorded", listed(forged, recorded),
			[]verify.Entry{w.record(t, w.previous, "staging", 5, "success")}, RollbackTarget{Digest: w.previous.String(), Deployment: &recorded}, ""},
		{"none recorded", listed(forged), nil, RollbackTarget{}, "deployment 9 of " + older.String() + ": no deployment record for it was found"},
		{"a record of another deployment", listed(recorded), []verify.Entry{w.record(t, w.previous, "staging", 6, "success")}, RollbackTarget{}, "records deployment 6"},
		{"a record of another environment", listed(recorded), []verify.Entry{w.record(t, w.previous, "production", 5, "success")}, RollbackTarget{}, `records a deployment to "production"`},
		{"only a recorded failure, which GitHub calls a success: a first release", listed(recorded), []verify.Entry{w.record(t, w.previous, "staging", 5, "failure")}, RollbackTarget{FirstRelease: true}, ""},
		{"only a record without a state: no first release", listed(recorded), []verify.Entry{w.record(t, w.previous, "staging", 5, "")}, RollbackTarget{}, `its record says "", not success`},
		{"a recorded success that GitHub says failed since", listed(failedSince), []verify.Entry{w.record(t, w.previous, "staging", 5, "success")}, RollbackTarget{},
			"recorded as a success, and GitHub's statuses of it say it did not succeed"},
		// A failure anyone may post on the newest recorded success does not
		// move the target to an older recorded release.
		{"a failure posted on the newest recorded success, an older one recorded too", listed(failedSince, Deployment{ID: 3, Digest: older.String(), Repository: "acme/app", Succeeded: true}),
			[]verify.Entry{w.record(t, w.previous, "staging", 5, "success"), w.record(t, older, "staging", 3, "success")}, RollbackTarget{}, "relproof does not pass over it to an older release"},
		{"only deployments recorded as failed: a first release", listed(Deployment{ID: 5, Digest: w.previous.String(), Repository: "acme/app"}),
			[]verify.Entry{w.record(t, w.previous, "staging", 5, "failure")}, RollbackTarget{FirstRelease: true}, ""},
		{"a recorded failure beside a deployment nobody recorded", listed(forged, Deployment{ID: 5, Digest: w.previous.String(), Repository: "acme/app", Succeeded: true}),
			[]verify.Entry{w.record(t, w.previous, "staging", 5, "failure")}, RollbackTarget{}, `deployment 5 of ` + w.previous.String() + `: its record says "failure"`},
		{"a failed deployment nobody recorded: no first release", listed(failed), nil, RollbackTarget{}, "deployment 4 of " + older.String() + ": no deployment record for it was found"},
		{"a record in another repository", listed(Deployment{ID: 5, Digest: w.previous.String(), Repository: "evil/app"}),
			[]verify.Entry{w.record(t, w.previous, "staging", 5, "success")}, RollbackTarget{}, `records a deployment in "acme/app"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := FindRollbackTarget(context.Background(), RollbackRequest{Subject: w.release, Policy: w.pol, Environment: "staging",
				Sources: []Source{Read(append(w.entries, tc.records...))}, Deployments: tc.deps})
			if err != nil {
				t.Fatal(err)
			}
			if got.Digest != tc.want.Digest || got.DeploymentID() != tc.want.DeploymentID() || got.FirstRelease != tc.want.FirstRelease ||
				(tc.want.Digest != "") != (got.Record != "") || !strings.Contains(got.Note, tc.note) || (tc.note == "") != (got.Note == "") {
				t.Errorf("target %+v; want %+v with a note saying %q", got, tc.want, tc.note)
			}
		})
	}

	// A policy that lists no deployment signers: nobody vouches.
	open, err := policy.Parse("policy.yaml", []byte("apiVersion: relproof.dev/v1\nkind: Policy\nenvironments:\n  staging:\n    level: minimum\n    approvals: {minimum: 0}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := FindRollbackTarget(context.Background(), RollbackRequest{Subject: w.release, Policy: open, Environment: "staging",
		Sources: []Source{Read(append(w.entries, w.record(t, w.previous, "staging", 5, "success")))}, Deployments: listed(recorded)})
	if err != nil || got.Digest != "" || got.FirstRelease || !strings.Contains(got.Note, "the policy lists no signer under signers.deployment") {
		t.Errorf("no deployment signers: %+v, %v; want no target, saying why", got, err)
	}

	// A listing cut short with nothing in it is not a first release.
	cut := func(context.Context, string, string, int) ([]Deployment, bool, error) { return nil, true, nil }
	if got, err := FindRollbackTarget(context.Background(), RollbackRequest{Subject: w.release, Policy: w.pol, Environment: "staging", Deployments: cut}); err == nil {
		t.Errorf("cut short: %+v; want an error", got)
	}
	// Only recorded failures among the deployments read, but GitHub has
	// more: an older one may be a recorded success, so no first release.
	cutFailures := func(context.Context, string, string, int) ([]Deployment, bool, error) {
		return []Deployment{{ID: 5, Digest: w.previous.String(), Repository: "acme/app"}}, true, nil
	}
	got, err = FindRollbackTarget(context.Background(), RollbackRequest{Subject: w.release, Policy: w.pol, Environment: "staging",
		Sources: []Source{Read(append(w.entries, w.record(t, w.previous, "staging", 5, "failure")))}, Deployments: cutFailures})
	if err != nil || got.FirstRelease || !strings.Contains(got.Note, "relproof reads the newest") {
		t.Errorf("recorded failures, listing cut short: %+v, %v; want no first release, saying relproof read only the newest", got, err)
	}
	// Of two records of one deployment, the later one says what happened.
	got, err = FindRollbackTarget(context.Background(), RollbackRequest{Subject: w.release, Policy: w.pol, Environment: "staging",
		Sources:     []Source{Read(append(w.entries, w.record(t, w.previous, "staging", 5, "success"), w.recordAt(t, w.previous, "staging", 5, "failure", time.Unix(2, 0))))},
		Deployments: listed(recorded)})
	if err != nil || got.Digest != "" || !got.FirstRelease {
		t.Errorf("a success record, then a failure record: %+v, %v; want the failure to count (a first release)", got, err)
	}

	// A break-glass deployment is the rollback target, but a change is
	// counted from the newest recorded one before it that was not.
	reviewed := Deployment{ID: 3, Digest: older.String(), Repository: "acme/app", Succeeded: true}
	got, err = FindRollbackTarget(context.Background(), RollbackRequest{Subject: w.release, Policy: w.pol, Environment: "staging",
		Sources:     []Source{Read(append(w.entries, w.breakGlass(t, w.previous, "staging", 5), w.record(t, older, "staging", 3, "success")))},
		Deployments: listed(recorded, reviewed)})
	if err != nil || got.Digest != w.previous.String() || got.Reviewed == nil || got.Reviewed.ID != 3 {
		t.Errorf("a break-glass deployment after a reviewed one: %+v, %v; want the rollback to %s, the change counted from deployment 3", got, err, w.previous)
	}
	got, err = FindRollbackTarget(context.Background(), RollbackRequest{Subject: w.release, Policy: w.pol, Environment: "staging",
		Sources: []Source{Read(append(w.entries, w.breakGlass(t, w.previous, "staging", 5)))}, Deployments: listed(recorded)})
	if err != nil || got.Digest != w.previous.String() || got.Reviewed != nil {
		t.Errorf("only a break-glass deployment: %+v, %v; want the rollback to %s, the change counted from nothing", got, err, w.previous)
	}
	got, err = FindRollbackTarget(context.Background(), RollbackRequest{Subject: w.release, Policy: w.pol, Environment: "staging",
		Sources: []Source{Read(append(w.entries, w.record(t, w.previous, "staging", 5, "success")))}, Deployments: listed(recorded)})
	if err != nil || got.Reviewed == nil || got.Reviewed.ID != 5 {
		t.Errorf("a reviewed deployment: %+v, %v; want the change counted from it", got, err)
	}

	// The decision says which deployment it rolls back to, and why none.
	d, err := Decide(context.Background(), Request{Subject: w.release, Policy: w.pol, Environment: "staging", Sources: []Source{Read(w.entries)},
		RollbackNote: "none of the 1 successful deployment(s) has a record", Now: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if c := check(d, "rollback"); c == nil || !strings.Contains(c.Message, "no rollback digest: none of the 1") {
		t.Errorf("rollback check %+v; want the note", c)
	}
}

// A decision is overtaken by a deployment of another digest that a signed
// record vouches for and that was made after it, whatever the record's
// state or GitHub's statuses of it say; a deployment nobody recorded
// overtakes nothing; a listing cut short with no record in it is no
// answer.
func TestOvertaken(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	decided := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	before, after := decided.Add(-time.Hour), decided.Add(time.Hour)
	dep := func(id int64, d subject.Digest, at time.Time, succeeded bool) Deployment {
		return Deployment{ID: id, Digest: d.String(), Repository: "acme/app", CreatedAt: at, Succeeded: succeeded}
	}
	listed := func(truncated bool, deps ...Deployment) Deployments {
		return func(context.Context, string, string, int) ([]Deployment, bool, error) { return deps, truncated, nil }
	}
	older := digest(3)
	for _, tc := range []struct {
		name    string
		deps    Deployments
		records []verify.Entry
		says    string // "" when the decision is current
	}{
		{"no deployments", listed(false), nil, ""},
		{"the recorded deployment is older than the decision", listed(false, dep(5, w.previous, before, true)),
			[]verify.Entry{w.record(t, w.previous, "staging", 5, "success")}, ""},
		{"a deployment recorded after the decision", listed(false, dep(5, w.previous, after, true)),
			[]verify.Entry{w.record(t, w.previous, "staging", 5, "success")}, "deployment 5 of " + w.previous.String() + " at 2026-11-26T13:00:00Z"},
		{"one recorded at the very time of the decision", listed(false, dep(5, w.previous, decided, true)),
			[]verify.Entry{w.record(t, w.previous, "staging", 5, "success")}, "deployment 5"},
		// Posting a failure on it does not hide the newer deployment.
		{"a deployment recorded after the decision, a failure posted on it since", listed(false, dep(5, w.previous, after, false), dep(3, older, before, true)),
			[]verify.Entry{w.record(t, w.previous, "staging", 5, "success"), w.record(t, older, "staging", 3, "success")}, "deployment 5"},
		{"a deployment recorded as failed after the decision", listed(false, dep(5, w.previous, after, true)),
			[]verify.Entry{w.record(t, w.previous, "staging", 5, "failure")}, "deployment 5"},
		{"a deployment nobody recorded, after the decision", listed(false, dep(9, older, after, true), dep(5, w.previous, before, true)),
			[]verify.Entry{w.record(t, w.previous, "staging", 5, "success")}, ""},
		{"a listing cut short, nothing recorded in it", listed(true, dep(9, older, after, true)), nil, "cannot tell whether the environment was deployed to after the decision"},
		{"a listing cut short, a record older than the decision in it", listed(true, dep(9, older, after, true), dep(5, w.previous, before, true)),
			[]verify.Entry{w.record(t, w.previous, "staging", 5, "success")}, ""},
		// A decision is for one deployment: its own digest recorded at or
		// after it uses it up, found by the digest, with no deployment
		// GitHub lists (they can be deleted).
		{"its own digest recorded after the decision, the deployment deleted since", listed(false),
			[]verify.Entry{w.recordAt(t, w.release.Digest, "staging", 11, "success", after)}, "a deployment of its digest was recorded at 2026-11-26T13:00:00Z (deployment 11"},
		{"its own digest recorded after the decision, as failed", listed(false, dep(5, w.previous, before, true)),
			[]verify.Entry{w.record(t, w.previous, "staging", 5, "success"), w.recordAt(t, w.release.Digest, "staging", 11, "failure", after)}, "deployment 11"},
		{"its own digest recorded at the very time of the decision", listed(false),
			[]verify.Entry{w.recordAt(t, w.release.Digest, "staging", 11, "success", decided)}, "deployment 11"},
		{"its own digest recorded before the decision (a redeployment)", listed(false),
			[]verify.Entry{w.recordAt(t, w.release.Digest, "staging", 11, "success", before)}, ""},
		{"its own digest recorded after the decision, in another environment", listed(false),
			[]verify.Entry{w.recordAt(t, w.release.Digest, "production", 11, "success", after)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			target, err := FindRollbackTarget(context.Background(), RollbackRequest{Subject: w.release, Policy: w.pol, Environment: "staging",
				Sources: []Source{Read(append(w.entries, tc.records...))}, Deployments: tc.deps, Own: true})
			if err != nil {
				t.Fatal(err)
			}
			got := target.Overtaken(decided)
			if (tc.says == "") != (got == "") || !strings.Contains(got, tc.says) {
				t.Errorf("Overtaken = %q; want %q", got, tc.says)
			}
		})
	}
}
