package github

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"

	"github.com/relproof/relproof/internal/approval"
)

// RunApprovals are a workflow run's environment reviews.
type RunApprovals struct {
	Repository string              `json:"repository"`
	Run        Run                 `json:"run"`
	Approvals  []approval.Approval `json:"approvals"`
}

// envApproval is one entry of GET /repos/{o}/{r}/actions/runs/{id}/approvals
// (go-github v62 has no method for it).
type envApproval struct {
	State        string `json:"state"`
	Comment      string `json:"comment"`
	Environments []struct {
		Name string `json:"name"`
	} `json:"environments"`
	User struct {
		Login string `json:"login"`
	} `json:"user"`
}

// maxPages bounds every paginated read.
const maxPages = 10

// RunApprovals reads the run's environment review log and dates each review.
//
// The log carries no timestamps. GitHub records a deployment when a job that
// targets an environment is reached, and asks for reviews from then on, so a
// review of the run for environment E was given no earlier than the first
// deployment to E created since the run began. That time is each review's
// Time (its TimeBasis says which deployment): a lower bound, sound for every
// attempt of the run. When no such deployment is found, Time stays zero and
// approval.Bind will not count the review.
func (c *Client) RunApprovals(ctx context.Context, repo Repo, runID int64) (*RunApprovals, error) {
	run, err := c.Run(ctx, repo, runID)
	if err != nil {
		return nil, err
	}
	op := fmt.Sprintf("reading the environment reviews of run %d of %s", runID, repo)
	var raw []envApproval
	if _, err := c.do(ctx, http.MethodGet, fmt.Sprintf("repos/%s/%s/actions/runs/%d/approvals", repo.Owner, repo.Name, runID), nil, &raw); err != nil {
		return nil, c.fail(op, err)
	}
	requested := map[string]requestTime{}
	out := &RunApprovals{Repository: repo.String(), Run: *run, Approvals: make([]approval.Approval, 0, len(raw))}
	for _, a := range raw {
		envs := make([]string, 0, len(a.Environments))
		for _, e := range a.Environments {
			envs = append(envs, e.Name)
		}
		ap := approval.Approval{
			Reviewer:     a.User.Login,
			State:        a.State,
			Comment:      a.Comment,
			Environments: envs,
			RunID:        runID,
		}
		// A review that covers several environments is dated by the
		// earliest request among them.
		for _, env := range envs {
			rq, ok := requested[strings.ToLower(env)]
			if !ok {
				if rq, err = c.reviewRequested(ctx, repo, run, env); err != nil {
					return nil, err
				}
				requested[strings.ToLower(env)] = rq
			}
			if rq.at.IsZero() {
				ap.Time, ap.TimeBasis = time.Time{}, rq.basis
				break
			}
			if ap.Time.IsZero() || rq.at.Before(ap.Time) {
				ap.Time, ap.TimeBasis = rq.at, rq.basis
			}
		}
		out.Approvals = append(out.Approvals, ap)
	}
	return out, nil
}

type requestTime struct {
	at    time.Time
	basis string
}

// reviewRequested finds the earliest time the run can have asked for a
// review of env: the first deployment to env created since the run was
// created, preferring deployments of the run's commit. Deployments that
// carry a digest are relproof's records of releases (another run's
// release-record, perhaps made while this run waited), not the ones GitHub
// makes when a job reaches the environment, and say nothing of when this
// run asked.
func (c *Client) reviewRequested(ctx context.Context, repo Repo, run *Run, env string) (requestTime, error) {
	for _, sha := range []string{run.HeadSHA, ""} {
		deps, truncated, err := c.listDeployments(ctx, repo, env, sha)
		if err != nil {
			return requestTime{}, err
		}
		// Newest first: when the listing stopped before a deployment older
		// than the run, the first since the run began may not be among them.
		if truncated && (len(deps) == 0 || !deps[len(deps)-1].GetCreatedAt().Before(run.CreatedAt)) {
			return requestTime{basis: fmt.Sprintf("unknown: %s has more deployments since run %d began than relproof reads, and GitHub's review log carries no time", env, run.ID)}, nil
		}
		var since []*gh.Deployment
		for _, d := range deps {
			if !d.GetCreatedAt().Before(run.CreatedAt) && payloadOf(d.Payload).Digest == "" {
				since = append(since, d)
			}
		}
		if len(since) == 0 {
			continue
		}
		sort.SliceStable(since, func(i, j int) bool { return since[i].GetCreatedAt().Before(since[j].GetCreatedAt().Time) })
		d := since[0]
		at := d.GetCreatedAt().UTC()
		return requestTime{at: at, basis: fmt.Sprintf("review requested no earlier than %s: deployment %d to %s, the first since run %d began", at.Format(time.RFC3339), d.GetID(), env, run.ID)}, nil
	}
	return requestTime{basis: fmt.Sprintf("unknown: no deployment to %s since run %d began, and GitHub's review log carries no time", env, run.ID)}, nil
}

// deploymentsPerPage is the page size deployments are listed with.
const deploymentsPerPage = 100

// listDeployments lists the environment's deployments (of sha, when given),
// newest first, up to maxPages pages; truncated says there were more.
func (c *Client) listDeployments(ctx context.Context, repo Repo, env, sha string) ([]*gh.Deployment, bool, error) {
	opts := &gh.DeploymentsListOptions{Environment: env, SHA: sha, ListOptions: gh.ListOptions{PerPage: deploymentsPerPage}}
	var all []*gh.Deployment
	for page := 0; ; page++ {
		if page == maxPages {
			return slices.Clip(all), true, nil
		}
		deps, resp, err := c.gh.Repositories.ListDeployments(ctx, repo.Owner, repo.Name, opts)
		if err != nil {
			return nil, false, c.fail(fmt.Sprintf("listing deployments to %s in %s", env, repo), err)
		}
		all = append(all, deps...)
		if resp.NextPage == 0 {
			return slices.Clip(all), false, nil
		}
		opts.Page = resp.NextPage
	}
}
