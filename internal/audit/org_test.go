package audit

import (
	"context"
	"testing"

	"github.com/relproof/relproof/internal/github"
	"github.com/relproof/relproof/internal/testing/fakegithub"
)

// orgRepos is the size of the organization the budget is checked on.
const orgRepos = 200

// TestAuditOrgWithinRateLimit: --org over 200 repositories makes fewer
// requests than an hour of a token's REST budget (5000), with the evidence
// of the 2 newest deployments and GitHub releases each (--org's default);
// it prints the calls per repository.
func TestAuditOrgWithinRateLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("audits 200 repositories of the fake; run without -short")
	}
	f, c, _ := orgFakeWith(t, orgRepos, nil)
	rep, err := AuditOrg(context.Background(), OrgOptions{Client: c, Org: "acme", Releases: 2, Verify: readsAttestations(c), Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Reports) != orgRepos || len(rep.Failed) != 0 {
		t.Fatalf("%d repositories audited, %d failed: %v", len(rep.Reports), len(rep.Failed), rep.Failed)
	}
	total, max := f.TotalCalls(), 0
	for k, n := range f.Calls() {
		if k != "" && k[:4] != "org:" {
			max = maxInt(max, n)
		}
	}
	t.Logf("%d repositories: %d requests, %.1f per repository (at most %d for one)", orgRepos, total, float64(total)/orgRepos, max)
	if total >= fakegithub.RateLimit {
		t.Errorf("%d requests for %d repositories: more than an hour's budget of %d", total, orgRepos, fakegithub.RateLimit)
	}
}

// readsAttestations reads each digest's attestations as the CLI's
// verifier does (one request), so the requests counted are the real ones.
func readsAttestations(c *github.Client) Verifier {
	return func(ctx context.Context, repo github.Repo, digest string) (*Evidence, error) {
		if _, err := c.Attestations(ctx, repo, digest); err != nil {
			return nil, err
		}
		return &Evidence{}, nil
	}
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// BenchmarkAuditOrg audits an organization of 200 repositories of the
// fake (loopback HTTP) and reports the requests per repository:
//
//	go test ./internal/audit -run '^$' -bench AuditOrg -benchtime 3x
func BenchmarkAuditOrg(b *testing.B) {
	f, c, _ := orgFakeWith(b, orgRepos, nil)
	start := f.TotalCalls()
	for b.Loop() {
		if _, err := AuditOrg(context.Background(), OrgOptions{Client: c, Org: "acme", Releases: 2, Verify: readsAttestations(c), Workers: 4}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(f.TotalCalls()-start)/float64(b.N)/orgRepos, "requests/repo")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/org")
}
