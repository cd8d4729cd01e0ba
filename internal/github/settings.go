package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// The repository settings relproof audit rates: classic branch protection,
// rulesets and their bypass actors, CODEOWNERS, environments (reviewers,
// deployment branch policies, custom protection rules, secrets), repository
// secrets and the Actions permissions. Most need a token that may read the
// repository's administration settings; GitHub answers 403 or 404 to one
// that may not, which IsDenied tells apart from a failure.

// IsDenied reports whether err is GitHub refusing to show a setting (403 or
// 404): the token lacks the administration, secrets or environments
// permission, or the setting is hidden from it. A rate limit, a 5xx or a
// timeout is not a denial.
func IsDenied(err error) bool {
	return !errors.Is(err, ErrRateLimited) && (errors.Is(err, ErrForbidden) || errors.Is(err, ErrNotFound))
}

// ClassicProtection is a branch's classic protection rule, as the audit
// reads it.
type ClassicProtection struct {
	ProtectionRules
	// PullRequestRequired: changes reach the branch through a pull request.
	PullRequestRequired bool `json:"pull_request_required"`
	// BypassPullRequest are the users, teams and apps that may push without
	// a pull request ("user:LOGIN", "team:SLUG", "app:SLUG").
	BypassPullRequest []string `json:"bypass_pull_request,omitempty"`
}

// ClassicProtection reads the classic protection rule of branch; nil and no
// error when the branch has none. A token that may not read it gets an error
// IsDenied recognises.
func (c *Client) ClassicProtection(ctx context.Context, repo Repo, branch string) (*ClassicProtection, error) {
	p, _, err := c.gh.Repositories.GetBranchProtection(ctx, repo.Owner, repo.Name, branch)
	if errors.Is(err, gh.ErrBranchNotProtected) {
		return nil, nil
	}
	if err != nil {
		return nil, c.fail(fmt.Sprintf("reading the protection of branch %q of %s", branch, repo), err)
	}
	cp := &ClassicProtection{ProtectionRules: *protectionRules(p)}
	if rv := p.GetRequiredPullRequestReviews(); rv != nil {
		cp.PullRequestRequired = true
		if b := rv.GetBypassPullRequestAllowances(); b != nil {
			for _, u := range b.Users {
				cp.BypassPullRequest = append(cp.BypassPullRequest, "user:"+u.GetLogin())
			}
			for _, t := range b.Teams {
				cp.BypassPullRequest = append(cp.BypassPullRequest, "team:"+t.GetSlug())
			}
			for _, a := range b.Apps {
				cp.BypassPullRequest = append(cp.BypassPullRequest, "app:"+a.GetSlug())
			}
		}
	}
	return cp, nil
}

// BranchRules reads the ruleset rules GitHub enforces on branch (active
// rulesets only, the repository's and its organization's).
func (c *Client) BranchRules(ctx context.Context, repo Repo, branch string) ([]RulesetRule, error) {
	out := []RulesetRule{}
	for page := 1; ; page++ {
		if page > maxPages {
			return out, c.fail(fmt.Sprintf("reading the ruleset rules of branch %q of %s", branch, repo), fmt.Errorf("%w: more than %d pages", ErrIncomplete, maxPages))
		}
		var rules []RulesetRule
		path := fmt.Sprintf("repos/%s/%s/rules/branches/%s?per_page=100&page=%d", repo.Owner, repo.Name, url.PathEscape(branch), page)
		resp, err := c.do(ctx, http.MethodGet, path, nil, &rules)
		if err != nil {
			return out, c.fail(fmt.Sprintf("reading the ruleset rules of branch %q of %s", branch, repo), err)
		}
		out = append(out, rules...)
		if resp.NextPage == 0 {
			return out, nil
		}
	}
}

// Ruleset is a repository ruleset (or an organization's that applies to
// the repository).
type Ruleset struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Target      string `json:"target,omitempty"`
	SourceType  string `json:"source_type"`
	Source      string `json:"source"`
	Enforcement string `json:"enforcement"`
	// BypassActors is nil when GitHub did not show them: it shows them only
	// to a token that may edit the ruleset.
	BypassActors         []BypassActor `json:"bypass_actors"`
	CurrentUserCanBypass string        `json:"current_user_can_bypass,omitempty"`
	Conditions           struct {
		RefName struct {
			Include []string `json:"include"`
			Exclude []string `json:"exclude"`
		} `json:"ref_name"`
	} `json:"conditions"`
	Rules []RulesetRule `json:"rules"`
}

// BypassActor may bypass a ruleset.
type BypassActor struct {
	ActorID    *int64 `json:"actor_id"`
	ActorType  string `json:"actor_type"`
	BypassMode string `json:"bypass_mode"`
}

// String names the actor, e.g. "RepositoryRole 5 (always)".
func (b BypassActor) String() string {
	s := b.ActorType
	if b.ActorID != nil {
		s += fmt.Sprintf(" %d", *b.ActorID)
	}
	if b.BypassMode != "" {
		s += " (" + b.BypassMode + ")"
	}
	return s
}

// Rulesets lists the rulesets of the repository and those of its
// organization that apply to it. Listed rulesets carry no rules or bypass
// actors; Ruleset reads them.
func (c *Client) Rulesets(ctx context.Context, repo Repo) ([]Ruleset, error) {
	op := fmt.Sprintf("listing the rulesets of %s", repo)
	out := []Ruleset{}
	for page := 1; ; page++ {
		if page > maxPages {
			return out, c.fail(op, fmt.Errorf("%w: more than %d pages", ErrIncomplete, maxPages))
		}
		var sets []Ruleset
		resp, err := c.do(ctx, http.MethodGet, fmt.Sprintf("repos/%s/%s/rulesets?includes_parents=true&per_page=100&page=%d", repo.Owner, repo.Name, page), nil, &sets)
		if err != nil {
			return out, c.fail(op, err)
		}
		out = append(out, sets...)
		if resp.NextPage == 0 {
			return out, nil
		}
	}
}

// Ruleset reads one ruleset, with its rules and, when the token may see
// them, its bypass actors.
func (c *Client) Ruleset(ctx context.Context, repo Repo, id int64) (*Ruleset, error) {
	var rs Ruleset
	if _, err := c.do(ctx, http.MethodGet, fmt.Sprintf("repos/%s/%s/rulesets/%d?includes_parents=true", repo.Owner, repo.Name, id), nil, &rs); err != nil {
		return nil, c.fail(fmt.Sprintf("reading ruleset %d of %s", id, repo), err)
	}
	if rs.ID != id {
		return nil, c.fail(fmt.Sprintf("reading ruleset %d of %s", id, repo), fmt.Errorf("%w: GitHub answered ruleset %d", ErrMalformed, rs.ID))
	}
	return &rs, nil
}

// CodeOwnersAt reads the CODEOWNERS GitHub applies at ref (the first of
// CodeOwnersFiles) and whether its last matching rule gives the workflow
// files owners.
func (c *Client) CodeOwnersAt(ctx context.Context, repo Repo, ref string) (CodeOwners, error) {
	return c.codeOwners(ctx, repo, ref)
}

// Environment is a deployment environment and its protection rules.
type Environment struct {
	Name string `json:"name"`
	// Reviewers are the required reviewers ("User octocat", "Team
	// release"); empty when the environment requires none.
	Reviewers         []string `json:"reviewers"`
	PreventSelfReview bool     `json:"prevent_self_review"`
	// WaitTimer is the wait before a deployment, in minutes.
	WaitTimer int `json:"wait_timer,omitempty"`
	// BranchPolicy is nil when any branch or tag may deploy.
	BranchPolicy *DeploymentBranchPolicy `json:"deployment_branch_policy"`
}

// DeploymentBranchPolicy says which refs may deploy to an environment.
type DeploymentBranchPolicy struct {
	ProtectedBranches    bool `json:"protected_branches"`
	CustomBranchPolicies bool `json:"custom_branch_policies"`
}

type rawEnvironment struct {
	Name            string `json:"name"`
	ProtectionRules []struct {
		Type              string `json:"type"`
		WaitTimer         int    `json:"wait_timer"`
		PreventSelfReview bool   `json:"prevent_self_review"`
		Reviewers         []struct {
			Type     string `json:"type"`
			Reviewer struct {
				Login string `json:"login"`
				Slug  string `json:"slug"`
			} `json:"reviewer"`
		} `json:"reviewers"`
	} `json:"protection_rules"`
	BranchPolicy *DeploymentBranchPolicy `json:"deployment_branch_policy"`
}

func (r rawEnvironment) environment() Environment {
	e := Environment{Name: r.Name, Reviewers: []string{}, BranchPolicy: r.BranchPolicy}
	for _, p := range r.ProtectionRules {
		switch p.Type {
		case "wait_timer":
			e.WaitTimer = p.WaitTimer
		case "required_reviewers":
			e.PreventSelfReview = p.PreventSelfReview
			for _, rv := range p.Reviewers {
				name := rv.Reviewer.Login
				if rv.Type == "Team" || name == "" {
					name = rv.Reviewer.Slug
				}
				if name != "" {
					e.Reviewers = append(e.Reviewers, rv.Type+" "+name)
				}
			}
		}
	}
	return e
}

// Environments lists the repository's environments.
func (c *Client) Environments(ctx context.Context, repo Repo) ([]Environment, error) {
	op := fmt.Sprintf("listing the environments of %s", repo)
	out := []Environment{}
	for page := 1; ; page++ {
		if page > maxPages {
			return out, c.fail(op, fmt.Errorf("%w: more than %d pages", ErrIncomplete, maxPages))
		}
		var body struct {
			Environments []rawEnvironment `json:"environments"`
		}
		resp, err := c.do(ctx, http.MethodGet, fmt.Sprintf("repos/%s/%s/environments?per_page=100&page=%d", repo.Owner, repo.Name, page), nil, &body)
		if err != nil {
			return out, c.fail(op, err)
		}
		for _, r := range body.Environments {
			out = append(out, r.environment())
		}
		if resp.NextPage == 0 {
			return out, nil
		}
	}
}

// BranchPolicy is a custom deployment branch or tag policy: a name pattern.
type BranchPolicy struct {
	Name string `json:"name"`
	Type string `json:"type"` // branch or tag ("" is branch)
}

// DeploymentBranchPolicies lists an environment's custom deployment branch
// and tag policies.
func (c *Client) DeploymentBranchPolicies(ctx context.Context, repo Repo, env string) ([]BranchPolicy, error) {
	op := fmt.Sprintf("listing the deployment branch policies of environment %q of %s", env, repo)
	out := []BranchPolicy{}
	for page := 1; ; page++ {
		if page > maxPages {
			return out, c.fail(op, fmt.Errorf("%w: more than %d pages", ErrIncomplete, maxPages))
		}
		var body struct {
			BranchPolicies []BranchPolicy `json:"branch_policies"`
		}
		resp, err := c.do(ctx, http.MethodGet, fmt.Sprintf("repos/%s/%s/environments/%s/deployment-branch-policies?per_page=100&page=%d", repo.Owner, repo.Name, url.PathEscape(env), page), nil, &body)
		if err != nil {
			return out, c.fail(op, err)
		}
		for _, p := range body.BranchPolicies {
			if p.Type == "" {
				p.Type = "branch"
			}
			out = append(out, p)
		}
		if resp.NextPage == 0 {
			return out, nil
		}
	}
}

// CustomProtectionRule is a custom deployment protection rule: a GitHub App
// that approves or rejects deployments to the environment.
type CustomProtectionRule struct {
	ID      int64  `json:"id"`
	Enabled bool   `json:"enabled"`
	AppSlug string `json:"app_slug"`
	AppID   int64  `json:"app_id"`
}

// DeploymentProtectionRules lists an environment's custom deployment
// protection rules.
func (c *Client) DeploymentProtectionRules(ctx context.Context, repo Repo, env string) ([]CustomProtectionRule, error) {
	var body struct {
		Rules []struct {
			ID      int64 `json:"id"`
			Enabled bool  `json:"enabled"`
			App     struct {
				ID   int64  `json:"id"`
				Slug string `json:"slug"`
			} `json:"app"`
		} `json:"custom_deployment_protection_rules"`
	}
	if _, err := c.do(ctx, http.MethodGet, fmt.Sprintf("repos/%s/%s/environments/%s/deployment_protection_rules", repo.Owner, repo.Name, url.PathEscape(env)), nil, &body); err != nil {
		return nil, c.fail(fmt.Sprintf("reading the custom deployment protection rules of environment %q of %s", env, repo), err)
	}
	out := []CustomProtectionRule{}
	for _, r := range body.Rules {
		out = append(out, CustomProtectionRule{ID: r.ID, Enabled: r.Enabled, AppSlug: r.App.Slug, AppID: r.App.ID})
	}
	return out, nil
}

// secretNames reads a paginated list of Actions secrets' names.
func (c *Client) secretNames(ctx context.Context, op, path string) ([]string, error) {
	out := []string{}
	for page := 1; ; page++ {
		if page > maxPages {
			return out, c.fail(op, fmt.Errorf("%w: more than %d pages", ErrIncomplete, maxPages))
		}
		var body struct {
			Secrets []struct {
				Name string `json:"name"`
			} `json:"secrets"`
		}
		resp, err := c.do(ctx, http.MethodGet, fmt.Sprintf("%s?per_page=100&page=%d", path, page), nil, &body)
		if err != nil {
			return out, c.fail(op, err)
		}
		for _, s := range body.Secrets {
			out = append(out, s.Name)
		}
		if resp.NextPage == 0 {
			return out, nil
		}
	}
}

// EnvironmentSecrets lists the names of an environment's secrets.
func (c *Client) EnvironmentSecrets(ctx context.Context, repo Repo, env string) ([]string, error) {
	return c.secretNames(ctx, fmt.Sprintf("listing the secrets of environment %q of %s", env, repo),
		fmt.Sprintf("repos/%s/%s/environments/%s/secrets", repo.Owner, repo.Name, url.PathEscape(env)))
}

// RepoSecrets lists the names of the repository's Actions secrets (those
// every workflow of the repository may use, on any branch).
func (c *Client) RepoSecrets(ctx context.Context, repo Repo) ([]string, error) {
	return c.secretNames(ctx, fmt.Sprintf("listing the Actions secrets of %s", repo), fmt.Sprintf("repos/%s/%s/actions/secrets", repo.Owner, repo.Name))
}

// ActionsPermissions is the repository's GitHub Actions policy.
type ActionsPermissions struct {
	Enabled bool `json:"enabled"`
	// AllowedActions is all, local_only or selected.
	AllowedActions string `json:"allowed_actions"`
	// SHAPinningRequired is nil when GitHub does not report it (a GitHub
	// Enterprise Server without the setting).
	SHAPinningRequired *bool `json:"sha_pinning_required"`
}

// ActionsPermissions reads whether Actions is enabled, which actions may
// run and whether they must be pinned by commit SHA.
func (c *Client) ActionsPermissions(ctx context.Context, repo Repo) (*ActionsPermissions, error) {
	var p ActionsPermissions
	if _, err := c.do(ctx, http.MethodGet, fmt.Sprintf("repos/%s/%s/actions/permissions", repo.Owner, repo.Name), nil, &p); err != nil {
		return nil, c.fail(fmt.Sprintf("reading the GitHub Actions permissions of %s", repo), err)
	}
	p.AllowedActions = strings.TrimSpace(p.AllowedActions)
	return &p, nil
}

// WorkflowPermissions are the GITHUB_TOKEN's defaults in the repository.
type WorkflowPermissions struct {
	// DefaultWorkflowPermissions is read or write.
	DefaultWorkflowPermissions string `json:"default_workflow_permissions"`
	// CanApprovePullRequestReviews: workflows may approve pull requests.
	CanApprovePullRequestReviews bool `json:"can_approve_pull_request_reviews"`
}

// WorkflowPermissions reads the GITHUB_TOKEN's default permissions and
// whether workflows may approve pull requests.
func (c *Client) WorkflowPermissions(ctx context.Context, repo Repo) (*WorkflowPermissions, error) {
	var p WorkflowPermissions
	if _, err := c.do(ctx, http.MethodGet, fmt.Sprintf("repos/%s/%s/actions/permissions/workflow", repo.Owner, repo.Name), nil, &p); err != nil {
		return nil, c.fail(fmt.Sprintf("reading the default workflow permissions of %s", repo), err)
	}
	return &p, nil
}

// rulesetParams decodes a rule's parameters; a rule without any gives the
// zero value.
func rulesetParams[T any](r RulesetRule) (T, error) {
	var v T
	if len(r.Parameters) == 0 || string(r.Parameters) == "null" {
		return v, nil
	}
	err := json.Unmarshal(r.Parameters, &v)
	return v, err
}

// PullRequestRule is the parameters of a ruleset's pull_request rule.
type PullRequestRule struct {
	RequiredApprovingReviewCount int  `json:"required_approving_review_count"`
	RequireCodeOwnerReview       bool `json:"require_code_owner_review"`
	DismissStaleReviewsOnPush    bool `json:"dismiss_stale_reviews_on_push"`
	RequireLastPushApproval      bool `json:"require_last_push_approval"`
}

// PullRequestParams decodes the parameters of a pull_request rule.
func (r RulesetRule) PullRequestParams() (PullRequestRule, error) {
	return rulesetParams[PullRequestRule](r)
}
