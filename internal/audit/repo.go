package audit

import (
	"context"
	"fmt"

	"github.com/relproof/relproof/internal/github"
)

// RepoOptions say what to audit in one repository on GitHub.
type RepoOptions struct {
	Client *github.Client
	Repo   github.Repo
	// Files, when not nil, are the workflows (from a checkout); otherwise
	// they are read from the default branch.
	Files []File
	// Commit is the commit Files were read at, if known.
	Commit string
	// DefaultBranch is the repository's default branch when known (an
	// organization's listing names it); "" reads it.
	DefaultBranch string
	// Releases is how many of the newest deployments to check (0: none).
	Releases int
	// ProtectionApps are the slugs relproof serve is registered under, whose
	// deployment protection rule binds approvals to evidence; empty: any
	// App whose slug says relproof.
	ProtectionApps []string
	// Verify verifies a digest's evidence offline; nil skips the evidence
	// controls (they are then not reported, never rated).
	Verify Verifier
}

// AuditRepo audits one repository: its workflows, its settings and the
// evidence of its newest deployments.
func AuditRepo(ctx context.Context, o RepoOptions) (*Report, error) {
	c, repo := o.Client, o.Repo
	settings, err := ReadSettingsOf(ctx, c, repo, o.DefaultBranch)
	if err != nil {
		return nil, err
	}
	settings.ProtectionApps = o.ProtectionApps
	r := &Report{Repository: repo.String(), Commit: o.Commit}
	files := o.Files
	if files == nil {
		if r.Commit, err = c.BranchHead(ctx, repo, settings.DefaultBranch); err != nil {
			return nil, err
		}
		wf, err := c.WorkflowFiles(ctx, repo, r.Commit)
		if err != nil {
			return nil, err
		}
		for _, f := range wf {
			files = append(files, File{Path: f.Path, Data: f.Data})
		}
	}
	findings, facts, err := CheckFiles(files)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", repo, err)
	}
	r.Findings = findings
	r.Controls = append(RateSettings(settings), RateBuild(facts))
	if o.Verify != nil && o.Releases > 0 {
		rel, without, err := ReadReleases(ctx, c, repo, o.Releases, o.Verify)
		switch {
		case github.IsDenied(err):
			r.Controls = append(r.Controls, evidenceUnknown("GitHub refused to list the deployments or releases: "+err.Error())...)
		case err != nil:
			return nil, err
		default:
			cs := RateEvidence(rel)
			if without > 0 {
				cs[0].Facts = append(cs[0].Facts, fmt.Sprintf("%d GitHub releases have no artifact GitHub recorded a digest of (uploaded before it did)", without))
			}
			r.Controls = append(r.Controls, cs...)
		}
	}
	r.Sort()
	return r, nil
}
