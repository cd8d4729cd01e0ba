package approval_test

import (
	"fmt"
	"time"

	"github.com/relproof/relproof/internal/approval"
)

func ExampleBind() {
	shown := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	d, err := approval.Bind([]approval.Approval{
		{Reviewer: "mona", State: "approved", Environments: []string{"production"}, RunID: 42, Time: shown.Add(time.Minute)},
		{Reviewer: "octocat", State: "approved", Environments: []string{"production"}, RunID: 42, Time: shown.Add(time.Minute)},
		{Reviewer: "hubot", State: "approved", Environments: []string{"production"}, RunID: 41, Time: shown.Add(time.Minute)},
	}, approval.Context{
		Digest:            "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef",
		Environment:       "production",
		RunID:             42,
		CheckRunPostedAt:  shown,
		ChangeAuthors:     []string{"mona"},
		PreventSelfReview: true,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(d.Reason)
	for _, v := range d.Approvals {
		fmt.Printf("%s: %v, %s\n", v.Reviewer, v.Counts, v.Reason)
	}
	// Output:
	// approved by octocat (1 of 1 required)
	// mona: false, mona authored the change or ran it (wrote, committed, co-authored, pushed or re-ran it), and self-review is not allowed
	// octocat: true, approved for this run and environment after the digest was shown
	// hubot: false, given for run 41, not run 42
}
