package audit

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/relproof/relproof/internal/github"
)

// Control ids of the evidence controls.
const (
	ControlArtifactIdentity    = "artifact-identity"
	ControlDeploymentDecisions = "deployment-decisions"
)

// Evidence is what verified, offline, for one digest: only statements
// whose signature, certificate chain and log entry verified against the
// trusted root, and whose certificate names this repository as the source
// of the run that signed them, count.
type Evidence struct {
	// Builders are the signers of verified SLSA provenance.
	Builders []Builder `json:"builders,omitempty"`
	SBOM     bool      `json:"sbom"`
	// Signed: a verified attestation or signature of any kind.
	Signed bool `json:"signed"`
	// AllowedIn are the environments a verified relproof decision allowed
	// the digest into.
	AllowedIn []string `json:"allowedIn,omitempty"`
	// Rejected are the bundles that did not verify, with why.
	Rejected []string `json:"rejected,omitempty"`
}

// Builder is who signed a provenance statement, in the certificate's
// terms.
type Builder struct {
	// Signer is the workflow that signed (the certificate's SAN, without
	// its @ref), OWNER/REPO/.github/workflows/F.yml.
	Signer string `json:"signer"`
	// Caller is the workflow the run was started for (Build Config URI,
	// without its @ref).
	Caller string `json:"caller"`
	// Hosted says the runner was GitHub-hosted.
	Hosted bool `json:"hosted"`
}

// Reusable says the provenance was signed by a reusable workflow other than
// the one the run was for: the builder is isolated from the build it
// describes (SLSA Build L3); otherwise it is the caller's own (L2).
func (b Builder) Reusable() bool { return b.Signer != "" && b.Signer != b.Caller }

// Verifier reads and verifies offline the evidence a repository keeps for a
// digest (its attestations).
type Verifier func(ctx context.Context, repo github.Repo, digest string) (*Evidence, error)

// Release is one recent deployment, or one GitHub release's artifact, with
// the evidence for its digest.
type Release struct {
	// Deployment is the deployment; nil for a GitHub release's artifact.
	Deployment *github.Deployment `json:"deployment,omitempty"`
	// Tag and Asset name a GitHub release's artifact.
	Tag   string `json:"tag,omitempty"`
	Asset string `json:"asset,omitempty"`
	// Digest is what was deployed or released; "" when the deployment
	// names none.
	Digest   string    `json:"digest"`
	Evidence *Evidence `json:"evidence,omitempty"`
	// Unknown says why the evidence could not be read.
	Unknown string `json:"unknown,omitempty"`
}

// notArtifact: files released beside an artifact that are about it
// (signatures, certificates, checksums, SBOMs, attestations), not it.
var notArtifact = regexp.MustCompile(`(?i)(\.sig|\.pem|\.crt|\.cert|\.asc|\.sbom|\.spdx|\.spdx\.json|\.cdx\.json|\.intoto\.jsonl|\.sigstore(\.json)?|\.bundle|\.sha(256|512)(sum)?|\.md5|\.att)$|checksums?|sha256sums|sha512sums|provenance|attestation`)

// ReadReleases reads the newest n deployments and the artifact (the first
// asset that is no signature, checksum or SBOM) of each of the newest n
// GitHub releases, and verifies the evidence of each distinct digest once.
// releasesWithout counts the releases none of whose artifacts GitHub
// recorded a digest of.
func ReadReleases(ctx context.Context, c *github.Client, repo github.Repo, n int, verify Verifier) (out []Release, releasesWithout int, err error) {
	deps, err := c.RecentDeployments(ctx, repo, n)
	if err != nil {
		return nil, 0, err
	}
	for i := range deps {
		out = append(out, Release{Deployment: &deps[i], Digest: deps[i].Digest})
	}
	rels, err := c.RecentReleases(ctx, repo, n)
	if err != nil {
		return nil, 0, err
	}
	for _, rel := range rels {
		found := false
		for _, a := range rel.Assets {
			if a.Digest != "" && !notArtifact.MatchString(a.Name) {
				out = append(out, Release{Tag: rel.Tag, Asset: a.Name, Digest: a.Digest})
				found = true
				break
			}
		}
		if !found && len(rel.Assets) > 0 {
			releasesWithout++
		}
	}
	cache := map[string]*Release{}
	for i := range out {
		r := &out[i]
		if r.Digest == "" {
			continue
		}
		if seen, ok := cache[r.Digest]; ok {
			r.Evidence, r.Unknown = seen.Evidence, seen.Unknown
			continue
		}
		ev, err := verify(ctx, repo, r.Digest)
		if err != nil {
			if ctx.Err() != nil {
				return nil, 0, ctx.Err()
			}
			r.Unknown = err.Error()
		}
		r.Evidence = ev
		cache[r.Digest] = r
	}
	return out, releasesWithout, nil
}

// RateEvidence rates what the newest deployments and releases show.
//
// Artifact identity, over the digests deployed and the GitHub releases'
// artifacts:
//   - below minimum: nothing was deployed or released with a digest, or a
//     deployment names no digest (it deployed a tag or a branch);
//   - minimum: every deployment names the digest it deployed;
//   - better: and every digest has a verified SBOM attestation;
//   - strong: and verified provenance for every digest, signed by a
//     reusable workflow on a GitHub-hosted runner (SLSA Build L3) — the
//     same signer for every release: a signer that changes between
//     releases (drift) caps the level at better.
//
// Deployment decisions:
//   - below minimum: no deployment was read, or one names no digest;
//   - minimum: digests are recorded, and no deployment had a relproof
//     decision for its digest;
//   - better: some did;
//   - strong: every one did — a verified decision that allowed that
//     digest into that deployment's environment.
func RateEvidence(rs []Release) []Control {
	id := Control{ID: ControlArtifactIdentity, Area: AreaArtifact, Title: "Artifact identity and provenance"}
	dec := Control{ID: ControlDeploymentDecisions, Area: AreaDeployment, Title: "A relproof decision for every deployed digest"}
	var deployments, noDigest, releases, sbom, prov, l3, decided, unknown int
	signers := map[string][]string{}
	digests := map[string]bool{}
	for _, r := range rs {
		if r.Deployment != nil {
			deployments++
			if r.Digest == "" {
				noDigest++
				continue
			}
			if r.Evidence != nil && slices.Contains(r.Evidence.AllowedIn, r.Deployment.Environment) {
				decided++
			}
		} else {
			releases++
		}
		if digests[r.Digest] {
			continue
		}
		digests[r.Digest] = true
		if r.Unknown != "" {
			unknown++
		}
		ev := r.Evidence
		if ev == nil {
			continue
		}
		if ev.SBOM {
			sbom++
		}
		if len(ev.Builders) > 0 {
			prov++
			reusable := false
			for _, b := range ev.Builders {
				signers[b.Signer] = append(signers[b.Signer], short(r.Digest))
				reusable = reusable || (b.Reusable() && b.Hosted)
			}
			if reusable {
				l3++
			}
		}
	}
	n := len(digests)
	facts := []string{fmt.Sprintf("%d deployments read, %d of them naming no digest; %d GitHub releases' artifacts with a digest; %d distinct digests", deployments, noDigest, releases, n)}
	if unknown > 0 {
		facts = append(facts, fmt.Sprintf("the evidence of %d digests could not be read", unknown))
	}
	switch {
	case noDigest > 0:
		for _, c := range []*Control{&id, &dec} {
			c.Level = BelowMinimum
			c.Facts = append(facts, "deployment approved by tag only: a deployment names no digest, so what was approved cannot be tied to what ran")
			c.Next = "Deploy by digest and record it in the deployment's payload (relproof deploy does)."
		}
		return []Control{id, dec}
	case n == 0:
		id.Level, id.Facts = BelowMinimum, append(facts, "nothing shows what was released: no deployment or GitHub release names a digest")
		id.Next = "Record deployments with the digest they deploy (relproof deploy, or deploy-gate.yml and release-record.yml), or publish GitHub releases, whose assets GitHub records the digest of."
	default:
		id.Facts = append(facts,
			fmt.Sprintf("verified SBOM for %d of %d digests", sbom, n),
			fmt.Sprintf("verified provenance for %d of %d digests; signed by a reusable workflow on a GitHub-hosted runner (SLSA Build L3) for %d", prov, n, l3))
		names := make([]string, 0, len(signers))
		for s := range signers {
			names = append(names, s)
		}
		sort.Strings(names)
		for _, s := range names {
			id.Facts = append(id.Facts, fmt.Sprintf("provenance signer %q for %s", s, strings.Join(signers[s], ", ")))
		}
		switch {
		case sbom < n:
			id.Level, id.Next = Minimum, "Attest an SBOM for every release digest (relproof sbom + attest, or build-attest.yml)."
		case prov < n || l3 < n:
			id.Level, id.Next = Better, "Attest SLSA provenance for every release from a reusable workflow on a GitHub-hosted runner (build-attest.yml)."
		case len(signers) > 1:
			id.Level, id.Next = Better, "Sign every release's provenance with the same builder: the signer changed between releases (drift), so a verifier pinned to one would refuse the others, and one that accepts all trusts more than one builder."
			id.Facts = append(id.Facts, fmt.Sprintf("signer drift: %d different provenance signers across %d releases", len(signers), n))
		default:
			id.Level = Strong
		}
	}
	dec.Facts = append(facts, fmt.Sprintf("a verified relproof decision allowing the digest into its environment for %d of %d deployments", decided, deployments))
	switch {
	case deployments == 0:
		dec.Level, dec.Facts = BelowMinimum, append(facts, "no deployment recorded on GitHub: nothing shows what was deployed, or that it was allowed")
		dec.Next = "Record deployments with the digest they deploy (relproof deploy, or deploy-gate.yml and release-record.yml)."
	case decided == 0:
		dec.Level, dec.Next = Minimum, "Gate deployments with relproof (deploy-gate.yml, or the relproof App as a deployment protection rule) so each has a signed decision for its digest."
	case decided < deployments:
		dec.Level, dec.Next = Better, "Gate every deployment with relproof: some digests were deployed without a decision."
	default:
		dec.Level = Strong
	}
	return []Control{id, dec}
}

// evidenceUnknown are the evidence controls when the deployments could not
// be read: below minimum, saying why, never a guess.
func evidenceUnknown(why string) []Control {
	var out []Control
	for _, c := range RateEvidence(nil) {
		c.Facts = nil
		c.Unknown = why
		out = append(out, c)
	}
	return out
}

func short(digest string) string {
	_, h, ok := strings.Cut(digest, ":")
	if ok && len(h) > 12 {
		return digest[:len(digest)-len(h)] + h[:12]
	}
	return digest
}
