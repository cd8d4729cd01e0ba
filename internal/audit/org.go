package audit

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/relproof/relproof/internal/github"
	"github.com/relproof/relproof/internal/report/safe"
)

// OrgOptions say what to audit in an organization.
type OrgOptions struct {
	Client   *github.Client
	Org      string
	Releases int
	Verify   Verifier
	// ProtectionApps: see RepoOptions.
	ProtectionApps []string
	// Workers bounds how many repositories are audited at once (default
	// 4): the GitHub client's transport paces and retries within the rate
	// limit, and more workers only queue behind it.
	Workers int
	// Progress, when set, is called after each repository.
	Progress func(done, total int)
}

// OrgReport is the audit of every repository of an organization.
type OrgReport struct {
	Org     string    `json:"org"`
	Reports []*Report `json:"repositories"`
	// Failed are the repositories that could not be audited, with why.
	Failed map[string]string `json:"failed,omitempty"`
	// Skipped are archived repositories and forks, which ship nothing.
	Skipped []string `json:"skipped,omitempty"`
}

// AuditOrg audits every repository of the organization that is neither
// archived nor a fork. A repository that cannot be audited is listed in
// Failed; the others are still audited.
func AuditOrg(ctx context.Context, o OrgOptions) (*OrgReport, error) {
	repos, err := o.Client.OrgRepos(ctx, o.Org)
	if err != nil {
		return nil, err
	}
	out := &OrgReport{Org: o.Org, Failed: map[string]string{}}
	var todo []github.OrgRepository
	for _, r := range repos {
		if r.Archived || r.Fork {
			out.Skipped = append(out.Skipped, r.Repo.String())
			continue
		}
		todo = append(todo, r)
	}
	workers := o.Workers
	if workers <= 0 {
		workers = 4
	}
	var mu sync.Mutex
	done := 0
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for _, r := range todo {
		repo := r.Repo
		g.Go(func() error {
			rep, err := AuditRepo(gctx, RepoOptions{Client: o.Client, Repo: repo, DefaultBranch: r.DefaultBranch, Releases: o.Releases, Verify: o.Verify, ProtectionApps: o.ProtectionApps})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				out.Failed[repo.String()] = err.Error()
			} else {
				out.Reports = append(out.Reports, rep)
			}
			done++
			if o.Progress != nil {
				o.Progress(done, len(todo))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	sort.Slice(out.Reports, func(a, b int) bool { return out.Reports[a].Repository < out.Reports[b].Repository })
	sort.Strings(out.Skipped)
	return out, nil
}

// AreaLevel is the weakest level among the report's controls of area, and
// false when it has none.
func (r *Report) AreaLevel(a Area) (Level, bool) {
	l, found := Strong, false
	for _, c := range r.Controls {
		if c.Area == a {
			l, found = min(l, c.Level), true
		}
	}
	return l, found
}

var areas = []Area{AreaSource, AreaBuild, AreaArtifact, AreaDeployment}

func (r *Report) areaCells() []string {
	var cells []string
	for _, a := range areas {
		if l, ok := r.AreaLevel(a); ok {
			cells = append(cells, l.String())
		} else {
			cells = append(cells, "-")
		}
	}
	n := r.Counts()
	return append(cells, fmt.Sprintf("%d/%d/%d", n[SeverityHigh], n[SeverityMedium], n[SeverityLow]))
}

// Worst is the highest severity of any finding in any repository.
func (o *OrgReport) Worst() Severity {
	var w Severity
	for _, r := range o.Reports {
		w = max(w, r.Worst())
	}
	return w
}

// WriteText writes the organization's summary table, one repository a
// line: the weakest level per area and the findings by severity.
func (o *OrgReport) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "relproof audit of organization %s: %d repositories audited, %d failed, %d skipped (archived or forks)\n\n", safe.Text(o.Org), len(o.Reports), len(o.Failed), len(o.Skipped))
	fmt.Fprintf(w, "%-40s %-14s %-14s %-18s %-20s %s\n", "repository", "source", "build", "artifact identity", "deployment approval", "findings h/m/l")
	for _, r := range o.Reports {
		c := r.areaCells()
		fmt.Fprintf(w, "%-40s %-14s %-14s %-18s %-20s %s\n", safe.Text(r.Repository), c[0], c[1], c[2], c[3], c[4])
	}
	for _, name := range o.failedNames() {
		fmt.Fprintf(w, "%-40s could not be audited: %s\n", safe.Text(name), safe.Text(o.Failed[name]))
	}
	return nil
}

// Markdown renders the summary table.
func (o *OrgReport) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "## relproof audit: organization %s\n\n%d repositories audited, %d failed, %d skipped (archived or forks).\n\n", safe.Markdown(o.Org), len(o.Reports), len(o.Failed), len(o.Skipped))
	b.WriteString("| repository | source | build | artifact identity | deployment approval | findings high/medium/low |\n|---|---|---|---|---|---|\n")
	for _, r := range o.Reports {
		c := r.areaCells()
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", safe.Markdown(r.Repository), c[0], c[1], c[2], c[3], c[4])
	}
	for _, name := range o.failedNames() {
		fmt.Fprintf(&b, "| %s | could not be audited: %s | | | | |\n", safe.Markdown(name), safe.Markdown(o.Failed[name]))
	}
	return b.String()
}

func (o *OrgReport) failedNames() []string {
	var names []string
	for n := range o.Failed {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
