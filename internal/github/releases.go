package github

import (
	"context"
	"fmt"
	"time"
)

// GitHubRelease is a published release of a repository, as the audit
// reads it: its tag and the assets GitHub recorded a digest of.
type GitHubRelease struct {
	Tag         string         `json:"tag"`
	PublishedAt time.Time      `json:"publishedAt"`
	Prerelease  bool           `json:"prerelease,omitempty"`
	Assets      []ReleaseAsset `json:"assets"`
}

// ReleaseAsset is a file attached to a release. Digest is GitHub's
// sha256:HEX of it, "" for an asset uploaded before GitHub recorded
// digests.
type ReleaseAsset struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	Digest string `json:"digest,omitempty"`
}

// maxReleases is GitHub's largest page; maxReleasePages bounds how far
// RecentReleases looks past drafts.
const (
	maxReleases     = 100
	maxReleasePages = 3
)

// RecentReleases lists the newest n published releases (drafts are not
// releases), newest first, usually in one request: it asks for a few more
// than n, as a token that may push sees the drafts among them.
func (c *Client) RecentReleases(ctx context.Context, repo Repo, n int) ([]GitHubRelease, error) {
	out := []GitHubRelease{}
	if n <= 0 {
		return out, nil
	}
	type asset struct {
		Name   string  `json:"name"`
		Size   int64   `json:"size"`
		State  string  `json:"state"`
		Digest *string `json:"digest"`
	}
	var page []struct {
		TagName     string    `json:"tag_name"`
		Draft       bool      `json:"draft"`
		Prerelease  bool      `json:"prerelease"`
		PublishedAt time.Time `json:"published_at"`
		Assets      []asset   `json:"assets"`
	}
	next := 1
	for pages := 0; next != 0 && len(out) < n && pages < maxReleasePages; pages++ {
		page = nil
		resp, err := c.do(ctx, "GET", fmt.Sprintf("repos/%s/%s/releases?per_page=%d&page=%d", repo.Owner, repo.Name, min(2*n+5, maxReleases), next), nil, &page)
		if err != nil {
			return nil, c.fail(fmt.Sprintf("listing the releases of %s", repo), err)
		}
		next = resp.NextPage
		for _, r := range page {
			if r.Draft || len(out) == n {
				continue
			}
			rel := GitHubRelease{Tag: r.TagName, PublishedAt: r.PublishedAt.UTC(), Prerelease: r.Prerelease, Assets: []ReleaseAsset{}}
			for _, a := range r.Assets {
				if a.State != "" && a.State != "uploaded" {
					continue
				}
				ra := ReleaseAsset{Name: a.Name, Size: a.Size}
				if a.Digest != nil {
					ra.Digest = *a.Digest
				}
				rel.Assets = append(rel.Assets, ra)
			}
			out = append(out, rel)
		}
	}
	return out, nil
}
