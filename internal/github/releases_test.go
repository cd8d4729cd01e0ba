package github

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/relproof/relproof/internal/testing/fakegithub"
)

// TestRecentReleases reads the newest published releases in one request:
// drafts are no releases, and an asset without a digest from GitHub has
// none here either.
func TestRecentReleases(t *testing.T) {
	f, srv, _ := fake(t)
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	digest := "sha256:" + strings.Repeat("ab", 32)
	f.Update(func(s *fakegithub.State) {
		r := s.Repo("octo-org/octo-repo")
		for i, tag := range []string{"v1.0.0", "v1.1.0", "v2.0.0-draft", "v1.2.0"} {
			r.Releases = append(r.Releases, &fakegithub.GitHubRelease{ID: s.ID(), Tag: tag, Draft: strings.HasSuffix(tag, "draft"),
				CreatedAt: at.Add(time.Duration(i) * time.Hour), PublishedAt: at.Add(time.Duration(i) * time.Hour),
				Assets: []*fakegithub.ReleaseAsset{{ID: s.ID(), Name: "app-" + tag + ".tar.gz", Size: 10, Digest: digest}, {ID: s.ID(), Name: "old.zip", Size: 1}}})
		}
	})
	c := client(t, srv)
	before := f.TotalCalls()
	rels, err := c.RecentReleases(context.Background(), octo, 2)
	if err != nil {
		t.Fatal(err)
	}
	if n := f.TotalCalls() - before; n > 2 {
		t.Errorf("%d requests, want at most 2 (the fake's pages are small)", n)
	}
	if len(rels) != 2 || rels[0].Tag != "v1.2.0" || rels[1].Tag != "v1.1.0" {
		t.Fatalf("releases %+v, want v1.2.0 and v1.1.0 (the draft is none)", rels)
	}
	if a := rels[0].Assets; len(a) != 2 || a[0].Digest != digest || a[1].Digest != "" {
		t.Errorf("assets %+v, want the digest GitHub gave and none for the old asset", a)
	}
	if rels, err := c.RecentReleases(context.Background(), octo, 0); err != nil || len(rels) != 0 {
		t.Errorf("n = 0: %v, %v", rels, err)
	}
}
