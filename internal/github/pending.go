package github

import (
	"context"
	"fmt"
	"net/http"

	gh "github.com/google/go-github/v62/github"
)

// Installations lists the App's installations (a client made with
// AppCredentials.AppOnly).
func (c *Client) Installations(ctx context.Context) ([]int64, error) {
	var ids []int64
	lo := &gh.ListOptions{PerPage: 100}
	for page := 0; page < maxPages; page++ {
		list, resp, err := c.gh.Apps.ListInstallations(ctx, lo)
		if err != nil {
			return nil, c.fail("listing the App's installations", err)
		}
		for _, in := range list {
			ids = append(ids, in.GetID())
		}
		if resp.NextPage == 0 {
			return ids, nil
		}
		lo.Page = resp.NextPage
	}
	return nil, fmt.Errorf("%w: the App has more than %d pages of installations", ErrIncomplete, maxPages)
}

// InstallationRepos lists the repositories of the installation the client
// acts as.
func (c *Client) InstallationRepos(ctx context.Context) ([]Repo, error) {
	var repos []Repo
	lo := &gh.ListOptions{PerPage: 100}
	for page := 0; page < maxPages; page++ {
		list, resp, err := c.gh.Apps.ListRepos(ctx, lo)
		if err != nil {
			return nil, c.fail("listing the installation's repositories", err)
		}
		for _, r := range list.Repositories {
			repos = append(repos, Repo{Owner: r.GetOwner().GetLogin(), Name: r.GetName()})
		}
		if resp.NextPage == 0 {
			return repos, nil
		}
		lo.Page = resp.NextPage
	}
	return nil, fmt.Errorf("%w: the installation has more than %d pages of repositories", ErrIncomplete, maxPages)
}

// WaitingRun is a workflow run waiting for a deployment protection rule
// or a reviewer.
type WaitingRun struct {
	ID      int64
	HeadSHA string
}

// WaitingRuns lists the repository's runs whose status is waiting.
func (c *Client) WaitingRuns(ctx context.Context, repo Repo) ([]WaitingRun, error) {
	var runs []WaitingRun
	opts := &gh.ListWorkflowRunsOptions{Status: "waiting", ListOptions: gh.ListOptions{PerPage: 100}}
	for page := 0; page < maxPages; page++ {
		list, resp, err := c.gh.Actions.ListRepositoryWorkflowRuns(ctx, repo.Owner, repo.Name, opts)
		if err != nil {
			return nil, c.fail(fmt.Sprintf("listing the waiting runs of %s", repo), err)
		}
		for _, r := range list.WorkflowRuns {
			runs = append(runs, WaitingRun{ID: r.GetID(), HeadSHA: r.GetHeadSHA()})
		}
		if resp.NextPage == 0 {
			return runs, nil
		}
		opts.Page = resp.NextPage
	}
	return nil, fmt.Errorf("%w: %s has more than %d pages of waiting runs", ErrIncomplete, repo, maxPages)
}

// PendingEnvironments lists the environments a run's deployments wait for
// (GET …/actions/runs/{id}/pending_deployments).
func (c *Client) PendingEnvironments(ctx context.Context, repo Repo, runID int64) ([]string, error) {
	var items []struct {
		Environment struct {
			Name string `json:"name"`
		} `json:"environment"`
	}
	if _, err := c.do(ctx, http.MethodGet, fmt.Sprintf("repos/%s/%s/actions/runs/%d/pending_deployments", repo.Owner, repo.Name, runID), nil, &items); err != nil {
		return nil, c.fail(fmt.Sprintf("listing the pending deployments of run %d", runID), err)
	}
	var envs []string
	for _, it := range items {
		if it.Environment.Name != "" {
			envs = append(envs, it.Environment.Name)
		}
	}
	return envs, nil
}
