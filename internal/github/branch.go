package github

import (
	"context"
	"fmt"
)

// BranchHead is the commit at the head of branch.
func (c *Client) BranchHead(ctx context.Context, repo Repo, branch string) (string, error) {
	b, _, err := c.gh.Repositories.GetBranch(ctx, repo.Owner, repo.Name, branch, 1)
	if err != nil {
		return "", c.fail(fmt.Sprintf("reading branch %s of %s", branch, repo), err)
	}
	sha := b.GetCommit().GetSHA()
	if !isCommitSHA(sha) {
		return "", c.fail(fmt.Sprintf("reading branch %s of %s", branch, repo), fmt.Errorf("%w: head %q is not a commit SHA", ErrMalformed, sha))
	}
	return sha, nil
}

// isCommitSHA says s is a full 40-hex SHA-1 or 64-hex SHA-256 commit id.
func isCommitSHA(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			return false
		}
	}
	return true
}
