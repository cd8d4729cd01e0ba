package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"
)

// SourceEvidence is what GitHub records about the source of a commit: the
// reviewed change that brought it, what changed since the environment's last
// deployment, and how its branch is protected.
type SourceEvidence struct {
	Repository   string        `json:"repository"`
	Commit       string        `json:"commit"`
	Branch       string        `json:"branch,omitempty"`
	PullRequests []PullRequest `json:"pull_requests"`
	// Authors are the logins who authored the change: the pull requests'
	// authors and the range's commit authors.
	Authors    []string         `json:"authors"`
	Range      *CommitRange     `json:"commit_range,omitempty"`
	Protection BranchProtection `json:"protection"`
	CodeOwners CodeOwners       `json:"codeowners"`
}

// PullRequest is a pull request that brought the commit.
type PullRequest struct {
	Number         int        `json:"number"`
	Title          string     `json:"title"`
	URL            string     `json:"url"`
	Author         string     `json:"author"`
	State          string     `json:"state"`
	Merged         bool       `json:"merged"`
	MergedBy       string     `json:"merged_by,omitempty"`
	MergedAt       *time.Time `json:"merged_at,omitempty"`
	MergeCommitSHA string     `json:"merge_commit_sha,omitempty"`
	BaseRef        string     `json:"base_ref"`
	HeadRef        string     `json:"head_ref"`
	HeadSHA        string     `json:"head_sha"`
	Reviews        []Review   `json:"reviews"`
	// ApprovedAtHead are the reviewers whose approval was given at the head
	// commit (so it covers every change merged).
	ApprovedAtHead []string `json:"approved_at_head"`
}

// Review is a pull request review.
type Review struct {
	Reviewer    string     `json:"reviewer"`
	State       string     `json:"state"` // APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED
	CommitID    string     `json:"commit_id"`
	AtHead      bool       `json:"at_head"`
	SubmittedAt *time.Time `json:"submitted_at,omitempty"`
}

// CommitRange is what changed since the environment's previous deployment.
type CommitRange struct {
	Environment          string        `json:"environment"`
	PreviousDeploymentID int64         `json:"previous_deployment_id,omitempty"`
	PreviousDigest       string        `json:"previous_digest,omitempty"`
	Base                 string        `json:"base,omitempty"` // "" when the environment has no previous deployment
	Head                 string        `json:"head"`
	Status               string        `json:"status,omitempty"` // ahead, behind, diverged, identical
	TotalCommits         int           `json:"total_commits"`
	Commits              []RangeCommit `json:"commits"`
	Truncated            bool          `json:"truncated,omitempty"`
}

// RangeCommit is one commit of a range.
type RangeCommit struct {
	SHA string `json:"sha"`
	// Author is the author's login, else the name git records (which the
	// committer writes): for people to read.
	Author  string `json:"author"`
	Subject string `json:"subject"`
	// AuthorLogin and CommitterLogin are the accounts GitHub matched the
	// commit's author and committer to; "" when it matched none.
	AuthorLogin    string `json:"author_login,omitempty"`
	CommitterLogin string `json:"committer_login,omitempty"`
	// coAuthors are the emails of the commit's Co-authored-by trailers
	// ("" for a trailer that gives none).
	coAuthors []string
}

// BranchProtection says how the branch is protected.
type BranchProtection struct {
	Branch string `json:"branch"`
	// Protected is GitHub's own answer: branch protection or a ruleset
	// applies to the branch.
	Protected bool `json:"protected"`
	// Rules are the branch protection settings; nil when the branch has
	// none or the token may not read them (Note says which).
	Rules *ProtectionRules `json:"branch_protection,omitempty"`
	// Rulesets are the ruleset rules that apply to the branch.
	Rulesets []RulesetRule `json:"ruleset_rules"`
	Note     string        `json:"note,omitempty"`
}

// ProtectionRules are the branch protection settings that bear on review.
type ProtectionRules struct {
	RequiredApprovingReviews int      `json:"required_approving_reviews"`
	RequireCodeOwnerReviews  bool     `json:"require_code_owner_reviews"`
	DismissStaleReviews      bool     `json:"dismiss_stale_reviews"`
	RequireLastPushApproval  bool     `json:"require_last_push_approval"`
	EnforceAdmins            bool     `json:"enforce_admins"`
	RequiredStatusChecks     []string `json:"required_status_checks"`
	RequiredLinearHistory    bool     `json:"required_linear_history"`
	AllowForcePushes         bool     `json:"allow_force_pushes"`
	AllowDeletions           bool     `json:"allow_deletions"`
	RequiredSignatures       bool     `json:"required_signatures"`
}

// RulesetRule is a rule from a ruleset that applies to the branch.
type RulesetRule struct {
	Type              string          `json:"type"`
	RulesetID         int64           `json:"ruleset_id"`
	RulesetSource     string          `json:"ruleset_source"`
	RulesetSourceType string          `json:"ruleset_source_type"`
	Parameters        json.RawMessage `json:"parameters,omitempty"`
}

// CodeOwners says whether CODEOWNERS covers the workflow files.
type CodeOwners struct {
	File            string   `json:"file,omitempty"` // "" when there is none
	CoversWorkflows bool     `json:"covers_workflows"`
	Rule            string   `json:"rule,omitempty"` // the line that applies to .github/workflows/
	Owners          []string `json:"owners"`
	Errors          []string `json:"errors"`
}

// SourceOptions say what SourceEvidence reads beyond the commit.
type SourceOptions struct {
	// Branch whose protection is read; "" takes the base branch of the
	// merged pull request that brought the commit.
	Branch string
	// Environment, when set, reads the commit range since its previous
	// successful deployment.
	Environment string
}

// maxRangeCommits is how many commits of a range are read.
const maxRangeCommits = 1000

// SourceEvidence gathers the source record of a commit.
func (c *Client) SourceEvidence(ctx context.Context, repo Repo, commit string, opts SourceOptions) (*SourceEvidence, error) {
	if commit == "" {
		return nil, fmt.Errorf("%w: no commit", ErrConfig)
	}
	ev := &SourceEvidence{Repository: repo.String(), Commit: commit, PullRequests: []PullRequest{}, Authors: []string{}}
	prs, err := c.pullRequestsOf(ctx, repo, commit)
	if err != nil {
		return nil, err
	}
	ev.PullRequests = prs
	for _, pr := range prs {
		ev.addAuthor(pr.Author)
	}
	ev.Branch = opts.Branch
	if ev.Branch == "" {
		for _, pr := range prs {
			if pr.Merged {
				ev.Branch = pr.BaseRef
				break
			}
		}
	}
	if opts.Environment != "" {
		if ev.Range, err = c.commitRange(ctx, repo, opts.Environment, commit); err != nil {
			return nil, err
		}
		for _, rc := range ev.Range.Commits {
			ev.addAuthor(rc.Author)
		}
	}
	if ev.Protection, err = c.branchProtection(ctx, repo, ev.Branch); err != nil {
		return nil, err
	}
	if ev.CodeOwners, err = c.codeOwners(ctx, repo, commit); err != nil {
		return nil, err
	}
	return ev, nil
}

func (ev *SourceEvidence) addAuthor(login string) {
	if login != "" && !slices.ContainsFunc(ev.Authors, func(a string) bool { return strings.EqualFold(a, login) }) {
		ev.Authors = append(ev.Authors, login)
	}
}

// pullRequestsOf reads the pull requests that contain the commit, each
// with who merged it and its reviews.
func (c *Client) pullRequestsOf(ctx context.Context, repo Repo, commit string) ([]PullRequest, error) {
	op := fmt.Sprintf("listing the pull requests of commit %s in %s", commit, repo)
	var simple []*gh.PullRequest
	lo := &gh.ListOptions{PerPage: 100}
	for page := 0; page < maxPages; page++ {
		prs, resp, err := c.gh.PullRequests.ListPullRequestsWithCommit(ctx, repo.Owner, repo.Name, commit, lo)
		if err != nil {
			return nil, c.fail(op, err)
		}
		simple = append(simple, prs...)
		if resp.NextPage == 0 {
			break
		}
		lo.Page = resp.NextPage
	}
	out := make([]PullRequest, 0, len(simple))
	for _, s := range simple {
		// The list gives "simple" pull requests: who merged is only in the
		// full one.
		full, _, err := c.gh.PullRequests.Get(ctx, repo.Owner, repo.Name, s.GetNumber())
		if err != nil {
			return nil, c.fail(fmt.Sprintf("reading pull request #%d of %s", s.GetNumber(), repo), err)
		}
		pr := PullRequest{
			Number:         full.GetNumber(),
			Title:          full.GetTitle(),
			URL:            full.GetHTMLURL(),
			Author:         full.GetUser().GetLogin(),
			State:          full.GetState(),
			Merged:         full.GetMerged(),
			MergedBy:       full.GetMergedBy().GetLogin(),
			MergeCommitSHA: full.GetMergeCommitSHA(),
			BaseRef:        full.GetBase().GetRef(),
			HeadRef:        full.GetHead().GetRef(),
			HeadSHA:        full.GetHead().GetSHA(),
			Reviews:        []Review{},
			ApprovedAtHead: []string{},
		}
		if t := full.GetMergedAt(); !t.IsZero() {
			u := t.UTC()
			pr.MergedAt = &u
		}
		if pr.Reviews, err = c.reviews(ctx, repo, pr.Number, pr.HeadSHA); err != nil {
			return nil, err
		}
		for _, r := range pr.Reviews {
			if r.State == "APPROVED" && r.AtHead && !slices.Contains(pr.ApprovedAtHead, r.Reviewer) {
				pr.ApprovedAtHead = append(pr.ApprovedAtHead, r.Reviewer)
			}
		}
		out = append(out, pr)
	}
	return out, nil
}

func (c *Client) reviews(ctx context.Context, repo Repo, number int, head string) ([]Review, error) {
	out := []Review{}
	lo := &gh.ListOptions{PerPage: 100}
	for page := 0; page < maxPages; page++ {
		rs, resp, err := c.gh.PullRequests.ListReviews(ctx, repo.Owner, repo.Name, number, lo)
		if err != nil {
			return nil, c.fail(fmt.Sprintf("listing the reviews of pull request #%d of %s", number, repo), err)
		}
		for _, r := range rs {
			rv := Review{Reviewer: r.GetUser().GetLogin(), State: r.GetState(), CommitID: r.GetCommitID(), AtHead: r.GetCommitID() != "" && r.GetCommitID() == head}
			if t := r.GetSubmittedAt(); !t.IsZero() {
				u := t.UTC()
				rv.SubmittedAt = &u
			}
			out = append(out, rv)
		}
		if resp.NextPage == 0 {
			break
		}
		lo.Page = resp.NextPage
	}
	return out, nil
}

// commitRange lists the commits from the environment's previous successful
// deployment to head.
func (c *Client) commitRange(ctx context.Context, repo Repo, env, head string) (*CommitRange, error) {
	prev, err := c.PreviousSuccessfulDeployment(ctx, repo, env)
	if err != nil {
		return nil, err
	}
	return c.commitRangeSince(ctx, repo, env, head, prev)
}

// commitRangeSince lists the commits from prev's to head; a nil prev is
// an empty range with no base.
func (c *Client) commitRangeSince(ctx context.Context, repo Repo, env, head string, prev *PreviousDeployment) (*CommitRange, error) {
	cr := &CommitRange{Environment: env, Head: head, Commits: []RangeCommit{}}
	if prev == nil {
		return cr, nil
	}
	cr.PreviousDeploymentID, cr.PreviousDigest, cr.Base = prev.ID, prev.Digest, prev.SHA
	lo := &gh.ListOptions{PerPage: 100}
	for page := 0; page < maxPages && len(cr.Commits) < maxRangeCommits; page++ {
		cmp, resp, err := c.gh.Repositories.CompareCommits(ctx, repo.Owner, repo.Name, prev.SHA, head, lo)
		if err != nil {
			return nil, c.fail(fmt.Sprintf("comparing %s...%s in %s", prev.SHA, head, repo), err)
		}
		cr.Status, cr.TotalCommits = cmp.GetStatus(), cmp.GetTotalCommits()
		for _, rc := range cmp.Commits {
			if len(cr.Commits) == maxRangeCommits {
				break
			}
			cr.Commits = append(cr.Commits, rangeCommit(rc))
		}
		if resp.NextPage == 0 {
			break
		}
		lo.Page = resp.NextPage
	}
	cr.Truncated = cr.TotalCommits > len(cr.Commits)
	return cr, nil
}

// rangeCommit reads one commit of a comparison or a history.
func rangeCommit(rc *gh.RepositoryCommit) RangeCommit {
	author := rc.GetAuthor().GetLogin()
	if author == "" {
		author = rc.GetCommit().GetAuthor().GetName()
	}
	subject, _, _ := strings.Cut(rc.GetCommit().GetMessage(), "\n")
	return RangeCommit{SHA: rc.GetSHA(), Author: author, Subject: subject,
		AuthorLogin: rc.GetAuthor().GetLogin(), CommitterLogin: rc.GetCommitter().GetLogin(), coAuthors: coAuthorTrailers(rc.GetCommit().GetMessage())}
}

// branchProtection reads whether the branch is protected, its protection
// settings when the token may read them, and the ruleset rules for it.
func (c *Client) branchProtection(ctx context.Context, repo Repo, branch string) (BranchProtection, error) {
	bp := BranchProtection{Branch: branch, Rulesets: []RulesetRule{}}
	if branch == "" {
		bp.Note = "no branch: give --branch, or deploy a commit a merged pull request brought"
		return bp, nil
	}
	b, _, err := c.gh.Repositories.GetBranch(ctx, repo.Owner, repo.Name, branch, 1)
	if err != nil {
		return bp, c.fail(fmt.Sprintf("reading branch %q of %s", branch, repo), err)
	}
	bp.Protected = b.GetProtected()

	p, _, err := c.gh.Repositories.GetBranchProtection(ctx, repo.Owner, repo.Name, branch)
	switch {
	case err == nil:
		bp.Rules = protectionRules(p)
	case errors.Is(err, gh.ErrBranchNotProtected):
		bp.Note = "no branch protection rule"
	default:
		ferr := c.fail(fmt.Sprintf("reading the protection of branch %q of %s", branch, repo), err)
		if !errors.Is(ferr, ErrForbidden) && !errors.Is(ferr, ErrNotFound) {
			return bp, ferr
		}
		bp.Note = "the token may not read branch protection settings (they need administration: read)"
	}

	// go-github v62 refuses rule types it does not know; these are decoded
	// as they come.
	for page := 1; page <= maxPages; page++ {
		var rules []RulesetRule
		path := fmt.Sprintf("repos/%s/%s/rules/branches/%s?per_page=100&page=%d", repo.Owner, repo.Name, url.PathEscape(branch), page)
		resp, err := c.do(ctx, http.MethodGet, path, nil, &rules)
		if err != nil {
			return bp, c.fail(fmt.Sprintf("reading the ruleset rules of branch %q of %s", branch, repo), err)
		}
		bp.Rulesets = append(bp.Rulesets, rules...)
		if resp.NextPage == 0 {
			break
		}
	}
	return bp, nil
}

func protectionRules(p *gh.Protection) *ProtectionRules {
	r := &ProtectionRules{
		EnforceAdmins:         p.GetEnforceAdmins().Enabled,
		RequiredLinearHistory: p.GetRequireLinearHistory().Enabled,
		AllowForcePushes:      p.GetAllowForcePushes().Enabled,
		AllowDeletions:        p.GetAllowDeletions().Enabled,
		RequiredSignatures:    p.GetRequiredSignatures().GetEnabled(),
		RequiredStatusChecks:  []string{},
	}
	if rv := p.GetRequiredPullRequestReviews(); rv != nil {
		r.RequiredApprovingReviews = rv.RequiredApprovingReviewCount
		r.RequireCodeOwnerReviews = rv.RequireCodeOwnerReviews
		r.DismissStaleReviews = rv.DismissStaleReviews
		r.RequireLastPushApproval = rv.RequireLastPushApproval
	}
	if sc := p.GetRequiredStatusChecks(); sc != nil {
		if sc.Contexts != nil {
			r.RequiredStatusChecks = append(r.RequiredStatusChecks, *sc.Contexts...)
		}
		if sc.Checks != nil {
			for _, ch := range *sc.Checks {
				if ch != nil && !slices.Contains(r.RequiredStatusChecks, ch.Context) {
					r.RequiredStatusChecks = append(r.RequiredStatusChecks, ch.Context)
				}
			}
		}
	}
	return r
}

// codeOwners reads the commit's CODEOWNERS and whether it gives the
// workflow files owners.
func (c *Client) codeOwners(ctx context.Context, repo Repo, commit string) (CodeOwners, error) {
	co := CodeOwners{Owners: []string{}, Errors: []string{}}
	for _, path := range CodeOwnersFiles {
		fc, _, _, err := c.gh.Repositories.GetContents(ctx, repo.Owner, repo.Name, path, &gh.RepositoryContentGetOptions{Ref: commit})
		if err != nil {
			ferr := c.fail(fmt.Sprintf("reading %s at %s in %s", path, commit, repo), err)
			if errors.Is(ferr, ErrNotFound) {
				continue
			}
			return co, ferr
		}
		if fc == nil || fc.GetType() != "file" {
			continue
		}
		content, err := fc.GetContent()
		if err != nil {
			return co, c.fail(fmt.Sprintf("reading %s at %s in %s", path, commit, repo), fmt.Errorf("%w: %w", ErrMalformed, err))
		}
		co.File = path
		rules := parseCodeOwners(content)
		co.CoversWorkflows = true
		for _, probe := range workflowProbes {
			r := ownerRule(rules, probe)
			if r == nil || len(r.owners) == 0 {
				co.CoversWorkflows = false
				if r != nil {
					co.Rule = r.text
				}
				break
			}
			co.Rule, co.Owners = r.text, r.owners
		}
		if !co.CoversWorkflows {
			co.Owners = []string{}
		}
		break
	}
	if co.File == "" {
		return co, nil
	}
	errs, _, err := c.gh.Repositories.GetCodeownersErrors(ctx, repo.Owner, repo.Name, &gh.GetCodeownersErrorsOptions{Ref: commit})
	if err != nil {
		ferr := c.fail(fmt.Sprintf("reading the CODEOWNERS errors of %s", repo), err)
		if !errors.Is(ferr, ErrNotFound) {
			return co, ferr
		}
		return co, nil
	}
	for _, e := range errs.Errors {
		co.Errors = append(co.Errors, fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Kind))
	}
	return co, nil
}
