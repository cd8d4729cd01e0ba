package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"unicode/utf8"

	gh "github.com/google/go-github/v62/github"
)

// MaxStatusReport is the longest comment GitHub takes in a deployment
// protection rule's status report or answer, in characters.
const MaxStatusReport = 1024

// StatusReport posts a status report on a run's pending custom deployment
// protection rule for environment: a comment the reviewers see, with no
// state, so the rule stays pending. GitHub takes at most 10 per deployment.
func (c *Client) StatusReport(ctx context.Context, repo Repo, runID int64, environment, comment string) error {
	if utf8.RuneCountInString(comment) > MaxStatusReport {
		return fmt.Errorf("%w: a status report of %d characters, GitHub takes %d", ErrConfig, utf8.RuneCountInString(comment), MaxStatusReport)
	}
	body := map[string]string{"environment_name": environment, "comment": comment}
	if _, err := c.do(ctx, http.MethodPost, fmt.Sprintf("repos/%s/%s/actions/runs/%d/deployment_protection_rule", repo.Owner, repo.Name, runID), body, nil); err != nil {
		return c.fail(fmt.Sprintf("posting a status report on run %d for %s", runID, environment), err)
	}
	return nil
}

// DefaultBranch is the repository's default branch.
func (c *Client) DefaultBranch(ctx context.Context, repo Repo) (string, error) {
	r, _, err := c.gh.Repositories.Get(ctx, repo.Owner, repo.Name)
	if err != nil {
		return "", c.fail(fmt.Sprintf("reading repository %s", repo), err)
	}
	if r.GetDefaultBranch() == "" {
		return "", c.fail(fmt.Sprintf("reading repository %s", repo), fmt.Errorf("%w: no default branch", ErrMalformed))
	}
	return r.GetDefaultBranch(), nil
}

// File reads a file of the repository at ref, and the SHA of the blob.
// A directory, a link or a submodule is not a file.
func (c *Client) File(ctx context.Context, repo Repo, path, ref string) ([]byte, string, error) {
	fc, _, _, err := c.gh.Repositories.GetContents(ctx, repo.Owner, repo.Name, path, &gh.RepositoryContentGetOptions{Ref: ref})
	if err != nil {
		return nil, "", c.fail(fmt.Sprintf("reading %s at %s in %s", path, ref, repo), err)
	}
	if fc == nil || fc.GetType() != "file" {
		return nil, "", c.fail(fmt.Sprintf("reading %s at %s in %s", path, ref, repo), fmt.Errorf("%w: not a file", ErrNotFound))
	}
	content, err := fc.GetContent()
	if err != nil {
		return nil, "", c.fail(fmt.Sprintf("reading %s at %s in %s", path, ref, repo), errors.Join(ErrMalformed, err))
	}
	return []byte(content), fc.GetSHA(), nil
}
