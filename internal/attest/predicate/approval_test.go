package predicate

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/relproof/relproof/internal/approval"
)

const testDigest = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"

func TestNewApproval(t *testing.T) {
	t.Parallel()
	posted := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	d, err := approval.Bind([]approval.Approval{
		{Reviewer: "octocat", State: "approved", Comment: "Ship it!", Environments: []string{"production"}, RunID: 42, Time: posted.Add(time.Minute), TimeBasis: "deployment 7 created"},
		{Reviewer: "mona", State: "approved", Environments: []string{"production"}, RunID: 42, Time: posted.Add(time.Minute)},
	}, approval.Context{Digest: testDigest, Environment: "production", RunID: 42, CheckRunPostedAt: posted, ChangeAuthors: []string{"mona"}, PreventSelfReview: true})
	if err != nil {
		t.Fatal(err)
	}
	p := NewApproval(d, ApprovalInput{Repository: "acme/app", RunAttempt: 2, CheckRunID: 9, RecordedAt: posted.Add(time.Hour).In(time.FixedZone("x", 3600))})
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"environment":"production"`, `"digest":"` + testDigest + `"`, `"runId":42`, `"runAttempt":2`, `"checkRunId":9`,
		`"checkRunPostedAt":"2026-11-26T12:00:00Z"`, `"approved":true`, `"minimum":1`, `"preventSelfReview":true`,
		`"reviewer":"octocat","state":"approved","comment":"Ship it!","time":"2026-11-26T12:01:00Z","timeBasis":"deployment 7 created","environments":["production"],"counts":true`,
		`"reviewer":"mona"`, `"counts":false,"reason":"mona authored the change`,
		`"recordedAt":"2026-11-26T13:00:00Z"`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("predicate does not have %s:\n%s", want, b)
		}
	}
	if strings.Contains(string(b), "policyDigest") {
		t.Errorf("an absent policy digest is written: %s", b)
	}
}

func TestApprovalValidate(t *testing.T) {
	t.Parallel()
	ok := Approval{Environment: "production", Digest: testDigest, RunID: 1, CheckRunPostedAt: time.Unix(1, 0)}
	for name, f := range map[string]func(*Approval){
		"no environment": func(p *Approval) { p.Environment = "" },
		"no run":         func(p *Approval) { p.RunID = 0 },
		"no check run":   func(p *Approval) { p.CheckRunPostedAt = time.Time{} },
		"tag not digest": func(p *Approval) { p.Digest = "v1.2.3" },
		"short digest":   func(p *Approval) { p.Digest = "sha256:abc" },
		"upper-case hex": func(p *Approval) { p.Digest = strings.ToUpper(testDigest) },
	} {
		p := ok
		f(&p)
		if err := p.Validate(); !errors.Is(err, ErrInvalidPredicate) {
			t.Errorf("%s: Validate() = %v, want ErrInvalidPredicate", name, err)
		}
	}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid predicate: %v", err)
	}
}
