package audit

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/rhysd/actionlint"
)

// ControlBuildIsolation is the id of the control rated on the workflows.
const ControlBuildIsolation = "build-isolation"

// WorkflowFacts is what the workflows say about how releases are built.
type WorkflowFacts struct {
	Files int `json:"files"`
	// ReleaseJobs are the jobs that build, sign, publish or deploy, as
	// FILE:JOB.
	ReleaseJobs []string `json:"releaseJobs"`
	// SelfHosted are release jobs on self-hosted runners, and Grouped
	// those of them that name a runner group.
	SelfHosted []string `json:"selfHosted,omitempty"`
	Grouped    []string `json:"grouped,omitempty"`
	// Builders are reusable workflows of another repository that build and
	// sign (slsa-github-generator, relproof's build-attest.yml), as called.
	Builders []string `json:"builders,omitempty"`
	// WideTokens are release jobs whose token is not narrowed by a
	// permissions: block (theirs or the workflow's).
	WideTokens []string `json:"wideTokens,omitempty"`
}

// builderRe: reusable workflows that sign the provenance with their own
// identity, not the caller's (SLSA Build L3): slsa-github-generator's, and
// relproof's build-attest.yml (called locally in relproof's own
// repository).
var builderRe = regexp.MustCompile(`(?i)^slsa-framework/slsa-github-generator/\.github/workflows/|^relproof/relproof/\.github/workflows/build-attest\.ya?ml@|^\./\.github/workflows/build-attest\.ya?ml$`)

func (c *checker) facts(f *WorkflowFacts) {
	for _, j := range c.jobs {
		name := c.path + ":" + j.id
		if j.j.WorkflowCall != nil && j.j.WorkflowCall.Uses != nil && builderRe.MatchString(strings.TrimSpace(j.j.WorkflowCall.Uses.Value)) {
			f.Builders = append(f.Builders, c.path+": "+strings.TrimSpace(j.j.WorkflowCall.Uses.Value))
			f.ReleaseJobs = append(f.ReleaseJobs, name)
			continue
		}
		if !j.releasePath() {
			continue
		}
		f.ReleaseJobs = append(f.ReleaseJobs, name)
		if c.w.Permissions == nil && j.j.Permissions == nil {
			f.WideTokens = append(f.WideTokens, name)
		}
		if r := j.j.RunsOn; r != nil {
			for _, l := range append(append([]*actionlint.String{}, r.Labels...), r.LabelsExpr) {
				if l != nil && selfHostedRe.MatchString(l.Value) {
					f.SelfHosted = append(f.SelfHosted, name)
					if r.Group != nil && r.Group.Value != "" {
						f.Grouped = append(f.Grouped, name)
					}
					break
				}
			}
		}
	}
}

// RateBuild rates build isolation from the workflows:
//
//   - below minimum: no workflow builds or ships a release (nothing to
//     rate), or a release job runs on a self-hosted runner outside a
//     runner group;
//   - minimum: release jobs on self-hosted runners are confined to runner
//     groups;
//   - better: every release job runs on a GitHub-hosted runner, a fresh
//     virtual machine per job;
//   - strong: and the artifact is built and its provenance signed by a
//     reusable workflow of another repository (slsa-github-generator or
//     relproof's build-attest.yml: the builder's identity, not the
//     caller's, signs — SLSA Build L3), and every release job's token is
//     narrowed by permissions:.
//
// Reusable workflows of another repository are followed no further: a
// workflow that only calls them has no release job of its own.
func RateBuild(f *WorkflowFacts) Control {
	c := Control{ID: ControlBuildIsolation, Area: AreaBuild, Title: "Build isolation"}
	if f == nil || len(f.ReleaseJobs) == 0 {
		c.Level = BelowMinimum
		n := 0
		if f != nil {
			n = f.Files
		}
		c.Facts = []string{fmt.Sprintf("%d workflow files, and no job in them builds, signs, publishes or deploys a release", n)}
		c.Next = "Build releases in a workflow of the repository (relproof init writes one)."
		return c
	}
	c.Facts = append(c.Facts, fmt.Sprintf("%d release jobs", len(f.ReleaseJobs)))
	ungrouped := len(f.SelfHosted) - len(f.Grouped)
	switch {
	case ungrouped > 0:
		c.Level = BelowMinimum
		c.Facts = append(c.Facts, fmt.Sprintf("on self-hosted runners outside a runner group: %s", quoteAll(f.SelfHosted)))
		c.Next = "Run release jobs on GitHub-hosted runners, or at least confine the self-hosted ones to a runner group."
		return c
	case len(f.SelfHosted) > 0:
		c.Level = Minimum
		c.Facts = append(c.Facts, fmt.Sprintf("on self-hosted runners in runner groups: %s", quoteAll(f.Grouped)))
		c.Next = "Run release jobs on GitHub-hosted (ephemeral) runners."
		return c
	}
	c.Level = Better
	c.Facts = append(c.Facts, "every release job runs on a GitHub-hosted runner")
	if len(f.Builders) == 0 {
		c.Next = "Build and sign through a reusable workflow of another repository (relproof's build-attest.yml or slsa-github-generator), so the provenance is signed by the builder, not by the workflow it builds (SLSA Build L3)."
		return c
	}
	c.Facts = append(c.Facts, fmt.Sprintf("built by reusable workflows: %s", quoteAll(f.Builders)))
	if len(f.WideTokens) > 0 {
		c.Facts = append(c.Facts, fmt.Sprintf("release jobs with the repository's default token permissions: %s", quoteAll(f.WideTokens)))
		c.Next = "Give every release job a permissions: block with only what it needs."
		return c
	}
	c.Level = Strong
	return c
}
