package decide

import (
	"context"
	"encoding/json"

	"github.com/relproof/relproof/internal/github"
)

// GitHubAttestations is the repository's GitHub artifact attestations as a
// source of evidence.
func GitHubAttestations(c *github.Client, repo github.Repo) Source {
	return Attestations("github:"+repo.String(), func(ctx context.Context, digest string) ([]json.RawMessage, error) {
		return c.Attestations(ctx, repo, digest)
	})
}

// GitHubDeployments is the repository's deployments with a digest, for
// FindRollbackTarget.
func GitHubDeployments(c *github.Client, repo github.Repo) Deployments {
	return func(ctx context.Context, env, exclude string, max int) ([]Deployment, bool, error) {
		found, truncated, err := c.DeploymentsOf(ctx, repo, env, exclude, max)
		if err != nil {
			return nil, false, err
		}
		out := make([]Deployment, len(found))
		for i, d := range found {
			out[i] = Deployment{ID: d.ID, Digest: d.Digest, Repository: repo.String(), SHA: d.SHA, URL: d.URL, CreatedAt: d.CreatedAt, Succeeded: d.Succeeded}
		}
		return out, truncated, nil
	}
}
