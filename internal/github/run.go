package github

import (
	"context"
	"fmt"
	"net/http"
	"time"

	gh "github.com/google/go-github/v62/github"
)

// Run is a workflow run, as evidence.
type Run struct {
	ID              int64     `json:"id"`
	Attempt         int       `json:"attempt"`
	Name            string    `json:"name"`
	WorkflowPath    string    `json:"workflow_path"`
	Event           string    `json:"event"`
	HeadBranch      string    `json:"head_branch"`
	HeadSHA         string    `json:"head_sha"`
	Status          string    `json:"status"`
	Conclusion      string    `json:"conclusion,omitempty"`
	URL             string    `json:"url"`
	Actor           string    `json:"actor"`
	TriggeringActor string    `json:"triggering_actor,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	StartedAt       time.Time `json:"started_at"`
}

// Run reads a workflow run (its latest attempt).
func (c *Client) Run(ctx context.Context, repo Repo, runID int64) (*Run, error) {
	var r workflowRun
	if _, err := c.do(ctx, http.MethodGet, fmt.Sprintf("repos/%s/%s/actions/runs/%d", repo.Owner, repo.Name, runID), nil, &r); err != nil {
		return nil, c.fail(fmt.Sprintf("reading workflow run %d of %s", runID, repo), err)
	}
	return runOf(&r), nil
}

// workflowRun is go-github's WorkflowRun with the workflow file's path,
// which v62 does not decode.
type workflowRun struct {
	gh.WorkflowRun
	Path string `json:"path"`
}

func runOf(r *workflowRun) *Run {
	return &Run{
		ID:              r.GetID(),
		Attempt:         r.GetRunAttempt(),
		Name:            r.GetName(),
		WorkflowPath:    r.Path,
		Event:           r.GetEvent(),
		HeadBranch:      r.GetHeadBranch(),
		HeadSHA:         r.GetHeadSHA(),
		Status:          r.GetStatus(),
		Conclusion:      r.GetConclusion(),
		URL:             r.GetHTMLURL(),
		Actor:           r.GetActor().GetLogin(),
		TriggeringActor: r.GetTriggeringActor().GetLogin(),
		CreatedAt:       r.GetCreatedAt().UTC(),
		StartedAt:       r.GetRunStartedAt().UTC(),
	}
}
