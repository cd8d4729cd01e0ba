package github

import (
	"fmt"
	"strings"
	"time"

	"github.com/relproof/relproof/internal/report/safe"
)

// PullRequestSummary renders the source evidence for people, as Markdown
// (01-source/pull-request-summary.md of the evidence pack).
func (ev *SourceEvidence) PullRequestSummary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Source of `%s` in %s\n\n", short(ev.Commit), ev.Repository)
	b.WriteString("| fact | value |\n|---|---|\n")
	fmt.Fprintf(&b, "| commit | `%s` |\n", ev.Commit)
	if ev.Branch != "" {
		fmt.Fprintf(&b, "| branch | `%s` |\n", ev.Branch)
	}
	fmt.Fprintf(&b, "| branch protected | %s |\n", ev.Protection.summary())
	fmt.Fprintf(&b, "| CODEOWNERS covers `.github/workflows/` | %s |\n", ev.CodeOwners.summary())
	fmt.Fprintf(&b, "| change authors | %s |\n", orNone(logins(ev.Authors)))
	if ev.Range != nil {
		fmt.Fprintf(&b, "| commits since the last deployment to %s | %s |\n", ev.Range.Environment, ev.Range.summary())
	}
	b.WriteString("\n## Pull requests\n\n")
	if len(ev.PullRequests) == 0 {
		b.WriteString("No pull request brought this commit: it was pushed directly.\n")
	}
	for _, pr := range ev.PullRequests {
		fmt.Fprintf(&b, "### [#%d](%s) %s\n\n", pr.Number, pr.URL, escapeCell(pr.Title))
		fmt.Fprintf(&b, "- author: @%s\n", pr.Author)
		switch {
		case pr.Merged:
			fmt.Fprintf(&b, "- merged by @%s", pr.MergedBy)
			if pr.MergedAt != nil {
				fmt.Fprintf(&b, " at %s", pr.MergedAt.Format(time.RFC3339))
			}
			fmt.Fprintf(&b, " into `%s` (merge commit `%s`)\n", pr.BaseRef, short(pr.MergeCommitSHA))
		default:
			fmt.Fprintf(&b, "- %s, not merged\n", pr.State)
		}
		fmt.Fprintf(&b, "- head `%s` at `%s`; approved at the head by %s\n\n", pr.HeadRef, short(pr.HeadSHA), orNone(logins(pr.ApprovedAtHead)))
		if len(pr.Reviews) == 0 {
			b.WriteString("No reviews.\n\n")
			continue
		}
		b.WriteString("| reviewer | state | at commit | submitted |\n|---|---|---|---|\n")
		for _, r := range pr.Reviews {
			at := "`" + short(r.CommitID) + "`"
			if r.AtHead {
				at += " (head)"
			}
			when := ""
			if r.SubmittedAt != nil {
				when = r.SubmittedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(&b, "| @%s | %s | %s | %s |\n", r.Reviewer, r.State, at, when)
		}
		b.WriteString("\n")
	}
	if rs := ev.Protection.Rulesets; len(rs) > 0 {
		b.WriteString("## Ruleset rules on the branch\n\n| rule | ruleset | source |\n|---|---|---|\n")
		for _, r := range rs {
			fmt.Fprintf(&b, "| %s | %d | %s (%s) |\n", r.Type, r.RulesetID, r.RulesetSource, r.RulesetSourceType)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// CommitRangeText renders the commit range as text
// (01-source/commit-range.txt of the evidence pack).
func (ev *SourceEvidence) CommitRangeText() string {
	r := ev.Range
	if r == nil {
		return fmt.Sprintf("# %s: no environment given, no commit range\n", ev.Commit)
	}
	var b strings.Builder
	if r.Base == "" {
		fmt.Fprintf(&b, "# %s: no previous successful deployment to %s; head %s\n", ev.Repository, r.Environment, r.Head)
		return b.String()
	}
	fmt.Fprintf(&b, "# %s %s..%s: %d commits to %s since deployment %d (%s)\n", ev.Repository, r.Base, r.Head, r.TotalCommits, r.Environment, r.PreviousDeploymentID, r.PreviousDigest)
	for _, c := range r.Commits {
		fmt.Fprintf(&b, "%s %s %s\n", c.SHA, c.Author, c.Subject)
	}
	if r.Truncated {
		fmt.Fprintf(&b, "# … %d more commits not listed\n", r.TotalCommits-len(r.Commits))
	}
	return b.String()
}

func (p BranchProtection) summary() string {
	if p.Branch == "" {
		return "unknown: " + p.Note
	}
	s := "no"
	if p.Protected {
		s = "yes"
	}
	var parts []string
	if r := p.Rules; r != nil {
		parts = append(parts, fmt.Sprintf("branch protection: %d approving reviews, code owner reviews %s, stale reviews dismissed %s, admins included %s",
			r.RequiredApprovingReviews, yesNo(r.RequireCodeOwnerReviews), yesNo(r.DismissStaleReviews), yesNo(r.EnforceAdmins)))
	} else if p.Note != "" {
		parts = append(parts, p.Note)
	}
	if len(p.Rulesets) > 0 {
		parts = append(parts, fmt.Sprintf("%d ruleset rules", len(p.Rulesets)))
	}
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, "; ") + ")"
	}
	return s
}

func (c CodeOwners) summary() string {
	switch {
	case c.File == "":
		return "no: no CODEOWNERS file"
	case c.CoversWorkflows:
		return fmt.Sprintf("yes: `%s` in %s", c.Rule, c.File)
	case c.Rule != "":
		return fmt.Sprintf("no: `%s` in %s gives no owners", c.Rule, c.File)
	default:
		return fmt.Sprintf("no: no rule of %s matches", c.File)
	}
}

func (r *CommitRange) summary() string {
	if r.Base == "" {
		return "none: no previous successful deployment"
	}
	return fmt.Sprintf("%d (`%s..%s`, previous digest `%s`)", r.TotalCommits, short(r.Base), short(r.Head), r.PreviousDigest)
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func logins(ls []string) string {
	at := make([]string, len(ls))
	for i, l := range ls {
		at[i] = "@" + l
	}
	return strings.Join(at, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func escapeCell(s string) string { return safe.Markdown(s) }
