package fakegithub

import (
	"fmt"
	"net/http"
	"sort"
	"time"
)

// GitHubRelease is a release of a repository with its assets.
type GitHubRelease struct {
	ID          int64
	Tag         string
	Name        string
	Draft       bool
	Prerelease  bool
	Author      string
	CreatedAt   time.Time
	PublishedAt time.Time
	Assets      []*ReleaseAsset
}

// ReleaseAsset is a file attached to a release; Digest is GitHub's
// sha256:HEX of it ("" for none, as for assets older than GitHub's digests).
type ReleaseAsset struct {
	ID          int64
	Name        string
	ContentType string
	Size        int64
	Digest      string
}

func (f *Fake) releaseRoutes(repo string) {
	f.handle("GET "+repo+"/releases", f.listReleases)
}

// listReleases answers GET /repos/{owner}/{repo}/releases, newest first.
func (f *Fake) listReleases(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	rels := append([]*GitHubRelease(nil), repo.Releases...)
	sort.SliceStable(rels, func(a, b int) bool { return rels[a].CreatedAt.After(rels[b].CreatedAt) })
	b := base(r)
	out := arr{}
	for _, rel := range rels {
		out = append(out, repo.release(b, rel))
	}
	f.ok(w, http.StatusOK, page(w, r, out))
}

func (repo *Repo) release(b apiBase, rel *GitHubRelease) obj {
	api := fmt.Sprintf("%s/repos/%s/releases/%d", b, repo.FullName(), rel.ID)
	html := fmt.Sprintf("https://github.com/%s/releases/tag/%s", repo.FullName(), rel.Tag)
	author := rel.Author
	if author == "" {
		author = "octocat"
	}
	assets := arr{}
	for _, a := range rel.Assets {
		var digest any
		if a.Digest != "" {
			digest = a.Digest
		}
		assets = append(assets, obj{
			"url":                  fmt.Sprintf("%s/repos/%s/releases/assets/%d", b, repo.FullName(), a.ID),
			"browser_download_url": fmt.Sprintf("https://github.com/%s/releases/download/%s/%s", repo.FullName(), rel.Tag, a.Name),
			"id":                   a.ID, "node_id": nodeID("ReleaseAsset", a.ID), "name": a.Name, "label": "", "state": "uploaded",
			"content_type": a.ContentType, "size": a.Size, "digest": digest, "download_count": 42,
			"created_at": rel.PublishedAt.Format(time.RFC3339), "updated_at": rel.PublishedAt.Format(time.RFC3339), "uploader": user(b, author),
		})
	}
	var published any
	if !rel.Draft {
		published = rel.PublishedAt.Format(time.RFC3339)
	}
	return obj{
		"url": api, "html_url": html, "assets_url": api + "/assets",
		"upload_url":  fmt.Sprintf("https://uploads.github.com/repos/%s/releases/%d/assets{?name,label}", repo.FullName(), rel.ID),
		"tarball_url": fmt.Sprintf("%s/repos/%s/tarball/%s", b, repo.FullName(), rel.Tag),
		"zipball_url": fmt.Sprintf("%s/repos/%s/zipball/%s", b, repo.FullName(), rel.Tag),
		"id":          rel.ID, "node_id": nodeID("Release", rel.ID), "tag_name": rel.Tag, "target_commitish": repo.DefaultBranch,
		"name": rel.Name, "body": "Release " + rel.Tag, "draft": rel.Draft, "prerelease": rel.Prerelease,
		"created_at": rel.CreatedAt.Format(time.RFC3339), "published_at": published, "author": user(b, author), "assets": assets,
	}
}
