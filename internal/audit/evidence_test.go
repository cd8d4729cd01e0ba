package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/relproof/relproof/internal/github"
)

func dep(env, digest string) *github.Deployment {
	return &github.Deployment{Environment: env, Digest: digest}
}

func digestN(i int) string { return fmt.Sprintf("sha256:%064x", i+1) }

var (
	l3 = Builder{Signer: "relproof/relproof/.github/workflows/build-attest.yml", Caller: "acme/app/.github/workflows/release.yml", Hosted: true}
	l2 = Builder{Signer: "acme/app/.github/workflows/release.yml", Caller: "acme/app/.github/workflows/release.yml", Hosted: true}
)

func rel(env string, i int, ev *Evidence) Release {
	return Release{Deployment: dep(env, digestN(i)), Digest: digestN(i), Evidence: ev}
}

// asset is a GitHub release's artifact i.
func asset(i int, ev *Evidence) Release {
	return Release{Tag: fmt.Sprintf("v1.%d.0", i), Asset: "app.tar.gz", Digest: digestN(i), Evidence: ev}
}

func levels(cs []Control) map[string]Level {
	out := map[string]Level{}
	for _, c := range cs {
		out[c.ID] = c.Level
	}
	return out
}

// TestRateEvidence: each level of artifact identity and deployment
// decisions, reached and missed.
func TestRateEvidence(t *testing.T) {
	full := func(envs ...string) *Evidence {
		return &Evidence{Builders: []Builder{l3}, SBOM: true, Signed: true, AllowedIn: envs}
	}
	for _, tc := range []struct {
		name          string
		rs            []Release
		identity, dec Level
		fact          string
	}{
		{"nothing deployed or released", nil, BelowMinimum, BelowMinimum, "nothing shows what was released"},
		{"releases only, with provenance and SBOMs", []Release{asset(0, full()), asset(1, full())}, Strong, BelowMinimum, "no deployment recorded"},
		{"a release's artifact without provenance", []Release{asset(0, full()), asset(1, &Evidence{SBOM: true})}, Better, BelowMinimum, "verified provenance for 1 of 2"},
		{"a deployment and a release of the same digest", []Release{rel("production", 0, full("production")), asset(0, full())}, Strong, Strong, "1 distinct digests"},
		{"a deployment by tag", []Release{rel("production", 0, full("production")), {Deployment: dep("production", "")}}, BelowMinimum, BelowMinimum, "deployment approved by tag only"},
		{"digests, nothing verified", []Release{rel("production", 0, &Evidence{}), rel("production", 1, &Evidence{})}, Minimum, Minimum, "verified SBOM for 0 of 2 digests"},
		{"SBOMs, provenance from the caller (L2)", []Release{rel("production", 0, &Evidence{SBOM: true, Builders: []Builder{l2}})}, Better, Minimum, "SLSA Build L3) for 0"},
		{"SBOM and provenance for one digest of two", []Release{rel("production", 0, full()), rel("production", 1, &Evidence{SBOM: true})}, Better, Minimum, "verified provenance for 1 of 2"},
		{"a self-hosted reusable builder", []Release{rel("production", 0, &Evidence{SBOM: true, Builders: []Builder{{Signer: l3.Signer, Caller: l3.Caller}}})}, Better, Minimum, ""},
		{"everything, some decided", []Release{rel("production", 0, full("production")), rel("production", 1, full())}, Strong, Better, "for 1 of 2 deployments"},
		{"everything, all decided", []Release{rel("production", 0, full("production")), rel("staging", 0, full("production", "staging"))}, Strong, Strong, ""},
		{"a decision for another environment", []Release{rel("production", 0, full("staging"))}, Strong, Minimum, "for 0 of 1 deployments"},
		{"signer drift", []Release{rel("production", 0, full("production")), rel("production", 1, &Evidence{SBOM: true, AllowedIn: []string{"production"}, Builders: []Builder{{Signer: "acme/app/.github/workflows/build.yml", Caller: "acme/app/.github/workflows/release.yml", Hosted: true}}})}, Better, Strong, "signer drift: 2 different provenance signers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := RateEvidence(tc.rs)
			got := levels(cs)
			if got[ControlArtifactIdentity] != tc.identity || got[ControlDeploymentDecisions] != tc.dec {
				t.Errorf("artifact identity %s, decisions %s; want %s, %s\n%+v", got[ControlArtifactIdentity], got[ControlDeploymentDecisions], tc.identity, tc.dec, cs)
			}
			if tc.fact != "" && !strings.Contains(fmt.Sprint(cs), tc.fact) {
				t.Errorf("no fact says %q:\n%+v", tc.fact, cs)
			}
			for _, c := range cs {
				if c.Level < Strong && c.Next == "" {
					t.Errorf("%s at %s says nothing of the next level", c.ID, c.Level)
				}
			}
		})
	}
}

// TestReadReleasesVerifiesEachDigestOnce, and a verifier's failure is the
// release's Unknown, never evidence.
func TestReadReleasesVerifiesEachDigestOnce(t *testing.T) {
	c, repo := orgFake(t, 1, nil)
	calls := map[string]int{}
	verify := func(_ context.Context, _ github.Repo, digest string) (*Evidence, error) {
		calls[digest]++
		if len(calls) == 2 {
			return nil, errors.New("the attestations API is down")
		}
		return &Evidence{SBOM: true}, nil
	}
	rs, _, err := ReadReleases(context.Background(), c, repo[0], 5, verify)
	if err != nil {
		t.Fatal(err)
	}
	// The fake's 2 deployments and 2 GitHub releases, each release's
	// archive (not its signature).
	if len(rs) != 4 || rs[2].Asset != "service-000_linux_amd64.tar.gz" || rs[2].Deployment != nil || rs[0].Deployment == nil {
		t.Fatalf("releases %+v, want the fake's 2 deployments and 2 releases' archives", rs)
	}
	for d, n := range calls {
		if n != 1 {
			t.Errorf("digest %s verified %d times", d, n)
		}
	}
	unknown := 0
	for _, r := range rs {
		if r.Unknown != "" {
			unknown++
			if r.Evidence != nil {
				t.Errorf("a release whose evidence could not be read has evidence %+v", r.Evidence)
			}
		}
	}
	if unknown != 1 {
		t.Errorf("%d releases unknown, want 1", unknown)
	}
}
