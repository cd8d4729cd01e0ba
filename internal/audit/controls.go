package audit

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/relproof/relproof/internal/github"
)

// Control ids of the repository-settings controls. They are stable: reports,
// baselines and SARIF rule ids name them.
const (
	ControlSourceProtection   = "source-protection"
	ControlDeploymentApproval = "deployment-approval"
	ControlActionsSettings    = "actions-settings"
)

// Settings are the repository settings the controls are rated on, as read
// from GitHub. A field's Denied says GitHub refused to show it (403 or 404:
// the token may not read it) and why; the field is then empty.
type Settings struct {
	Repository    string `json:"repository"`
	DefaultBranch string `json:"default_branch"`

	// Protection is the default branch's classic protection, nil when it
	// has none.
	Protection       *github.ClassicProtection `json:"protection,omitempty"`
	ProtectionDenied string                    `json:"protection_denied,omitempty"`
	// BranchRules are the active ruleset rules on the default branch.
	BranchRules       []github.RulesetRule `json:"branch_rules"`
	BranchRulesDenied string               `json:"branch_rules_denied,omitempty"`
	// Rulesets are the rulesets BranchRules come from, by id; a ruleset
	// GitHub refused to show is in RulesetsDenied.
	Rulesets       map[int64]*github.Ruleset `json:"rulesets"`
	RulesetsDenied map[int64]string          `json:"rulesets_denied,omitempty"`

	CodeOwners       github.CodeOwners `json:"codeowners"`
	CodeOwnersDenied string            `json:"codeowners_denied,omitempty"`

	Environments       []EnvironmentSettings `json:"environments"`
	EnvironmentsDenied string                `json:"environments_denied,omitempty"`
	// RepoSecrets are the names of the repository's Actions secrets.
	RepoSecrets       []string `json:"repository_secrets"`
	RepoSecretsDenied string   `json:"repository_secrets_denied,omitempty"`

	// ProtectionApps are the slugs of the Apps taken for relproof's
	// deployment protection rule (relproof audit --protection-app);
	// empty: any App whose slug says relproof. Not read from GitHub.
	ProtectionApps []string `json:"protection_apps,omitempty"`

	Actions        *github.ActionsPermissions  `json:"actions,omitempty"`
	ActionsDenied  string                      `json:"actions_denied,omitempty"`
	Workflow       *github.WorkflowPermissions `json:"workflow,omitempty"`
	WorkflowDenied string                      `json:"workflow_denied,omitempty"`
}

// EnvironmentSettings are an environment's settings.
type EnvironmentSettings struct {
	github.Environment
	BranchPolicies       []github.BranchPolicy         `json:"branch_policies"`
	BranchPoliciesDenied string                        `json:"branch_policies_denied,omitempty"`
	CustomRules          []github.CustomProtectionRule `json:"custom_rules"`
	CustomRulesDenied    string                        `json:"custom_rules_denied,omitempty"`
	Secrets              []string                      `json:"secrets"`
	SecretsDenied        string                        `json:"secrets_denied,omitempty"`
}

// recordDenied records err when it is GitHub refusing to show a setting, and
// returns the error otherwise: a rate limit, a 5xx, a timeout or a malformed
// answer stops the audit rather than lower a rating.
func recordDenied(err error, why *string) error {
	if err == nil {
		return nil
	}
	if github.IsDenied(err) {
		*why = err.Error()
		return nil
	}
	return err
}

// ReadSettings reads what RateSettings rates, from the default branch and
// the repository's settings. Settings GitHub refuses to show are recorded as
// denied; any other failure is returned.
func ReadSettings(ctx context.Context, c *github.Client, repo github.Repo) (*Settings, error) {
	return ReadSettingsOf(ctx, c, repo, "")
}

// ReadSettingsOf is ReadSettings for a repository whose default branch is
// known already (an organization's listing names it); "" reads it.
func ReadSettingsOf(ctx context.Context, c *github.Client, repo github.Repo, branch string) (*Settings, error) {
	if branch == "" {
		var err error
		if branch, err = c.DefaultBranch(ctx, repo); err != nil {
			return nil, err
		}
	}
	s := &Settings{Repository: repo.String(), DefaultBranch: branch, BranchRules: []github.RulesetRule{},
		Rulesets: map[int64]*github.Ruleset{}, RepoSecrets: []string{}, Environments: []EnvironmentSettings{}}

	p, err := c.ClassicProtection(ctx, repo, branch)
	if err := recordDenied(err, &s.ProtectionDenied); err != nil {
		return nil, err
	}
	s.Protection = p
	rules, err := c.BranchRules(ctx, repo, branch)
	if err := recordDenied(err, &s.BranchRulesDenied); err != nil {
		return nil, err
	}
	if s.BranchRulesDenied == "" {
		s.BranchRules = rules
	}
	for _, r := range s.BranchRules {
		if _, done := s.Rulesets[r.RulesetID]; done || s.RulesetsDenied[r.RulesetID] != "" {
			continue
		}
		rs, err := c.Ruleset(ctx, repo, r.RulesetID)
		var why string
		if err := recordDenied(err, &why); err != nil {
			return nil, err
		}
		if why != "" {
			if s.RulesetsDenied == nil {
				s.RulesetsDenied = map[int64]string{}
			}
			s.RulesetsDenied[r.RulesetID] = why
			continue
		}
		s.Rulesets[r.RulesetID] = rs
	}
	co, err := c.CodeOwnersAt(ctx, repo, branch)
	if err := recordDenied(err, &s.CodeOwnersDenied); err != nil {
		return nil, err
	}
	s.CodeOwners = co

	envs, err := c.Environments(ctx, repo)
	if err := recordDenied(err, &s.EnvironmentsDenied); err != nil {
		return nil, err
	}
	for _, e := range envs {
		es := EnvironmentSettings{Environment: e, BranchPolicies: []github.BranchPolicy{}, CustomRules: []github.CustomProtectionRule{}, Secrets: []string{}}
		if e.BranchPolicy != nil && e.BranchPolicy.CustomBranchPolicies {
			bp, err := c.DeploymentBranchPolicies(ctx, repo, e.Name)
			if err := recordDenied(err, &es.BranchPoliciesDenied); err != nil {
				return nil, err
			}
			if bp != nil {
				es.BranchPolicies = bp
			}
		}
		cr, err := c.DeploymentProtectionRules(ctx, repo, e.Name)
		if err := recordDenied(err, &es.CustomRulesDenied); err != nil {
			return nil, err
		}
		if cr != nil {
			es.CustomRules = cr
		}
		sec, err := c.EnvironmentSecrets(ctx, repo, e.Name)
		if err := recordDenied(err, &es.SecretsDenied); err != nil {
			return nil, err
		}
		if es.SecretsDenied == "" && sec != nil {
			es.Secrets = sec
		}
		s.Environments = append(s.Environments, es)
	}
	sec, err := c.RepoSecrets(ctx, repo)
	if err := recordDenied(err, &s.RepoSecretsDenied); err != nil {
		return nil, err
	}
	if s.RepoSecretsDenied == "" && sec != nil {
		s.RepoSecrets = sec
	}

	a, err := c.ActionsPermissions(ctx, repo)
	if err := recordDenied(err, &s.ActionsDenied); err != nil {
		return nil, err
	}
	s.Actions = a
	w, err := c.WorkflowPermissions(ctx, repo)
	if err := recordDenied(err, &s.WorkflowDenied); err != nil {
		return nil, err
	}
	s.Workflow = w
	return s, nil
}

// RateSettings rates the repository-settings controls. It reads nothing;
// every level needs everything the levels below it need.
//
// source-protection (area source), the default branch's branch protection
// and the active rulesets on it, taken together:
//   - minimum: a pull request is required before merging, and force pushes
//     are blocked (classic protection without allow_force_pushes, or a
//     non_fast_forward rule);
//   - better: at least one approving review is required, and stale
//     approvals are dismissed when new commits are pushed;
//   - strong: review from code owners is required; every requirement above
//     comes from a source no one may bypass (classic protection enforced for
//     administrators with no pull request bypass allowances, or a ruleset
//     whose bypass actors were read and are none); and CODEOWNERS gives
//     .github/workflows/ owners (the last rule matching a workflow file has
//     at least one owner).
//
// deployment-approval (area deployment approval), per environment and
// overall the weakest of the production-like environments (named prod,
// production, prd, live or release, not pre-prod or non-prod; all
// environments but github-pages and copilot when none is):
//   - minimum: the environment requires reviewers;
//   - better: self-review is prevented, and only protected branches or
//     custom branch and tag policies may deploy, none of them a catch-all
//     ("*", "**");
//   - strong: an enabled custom deployment protection rule by relproof's
//     App (an App --protection-app names, or without one an App whose
//     slug contains "relproof") binds the approval to the
//     release's evidence; another App's rule is reported, not counted.
//
// The overall level is at most minimum while a repository secret's name
// looks like a deployment credential (deploy, prod, release, publish, kube,
// cloud, registry, signing or SSH keys), since any workflow on any branch
// can use it without the environment's approval, or while the repository
// secrets could not be read. With no environment it is below minimum.
//
// actions-settings (area build), the repository's Actions settings:
//   - minimum: the GITHUB_TOKEN's default permissions are read;
//   - better: only selected actions, or only the repository's own
//     (local_only), may run;
//   - strong: actions must be pinned to a full commit SHA
//     (sha_pinning_required);
//   - the level is one lower while workflows may approve pull requests
//     (can_approve_pull_request_reviews), which lets any writer's workflow
//     supply a required approval.
//
// A control whose settings GitHub refused to show (403 or 404: the token
// lacks administration read) is below minimum with Unknown saying why,
// never a guess. A setting that only a higher level needs and that could not
// be read (a ruleset's bypass actors, secrets, branch policies, custom rules)
// caps the level below that level, and a fact says so.
func RateSettings(s *Settings) []Control {
	return []Control{rateSource(s), rateDeployment(s), rateActions(s)}
}

// --- source ---

type protectionSource struct {
	name          string
	pr, noForce   bool
	approvals     int
	dismissStale  bool
	codeOwner     bool
	bypass        []string // who may bypass; "" entries never
	bypassUnknown string
	enforced      bool
}

func (p protectionSource) bypassable() bool { return len(p.bypass) > 0 || p.bypassUnknown != "" }

func rateSource(s *Settings) Control {
	c := Control{ID: ControlSourceProtection, Area: AreaSource, Title: fmt.Sprintf("Default branch %q protection", s.DefaultBranch), Facts: []string{}}
	switch {
	case s.ProtectionDenied != "":
		c.Unknown = "branch protection could not be read: " + s.ProtectionDenied
	case s.BranchRulesDenied != "":
		c.Unknown = "the ruleset rules of the default branch could not be read: " + s.BranchRulesDenied
	}
	var sources []protectionSource
	if p := s.Protection; p != nil {
		src := protectionSource{name: "branch protection", pr: p.PullRequestRequired, noForce: !p.AllowForcePushes, approvals: p.RequiredApprovingReviews,
			dismissStale: p.DismissStaleReviews, codeOwner: p.RequireCodeOwnerReviews, enforced: true}
		if !p.EnforceAdmins {
			src.bypass = append(src.bypass, "administrators (not enforced for admins)")
		}
		for _, b := range p.BypassPullRequest {
			src.bypass = append(src.bypass, fmt.Sprintf("%q (pull request bypass allowance)", b))
		}
		sources = append(sources, src)
		c.Facts = append(c.Facts, fmt.Sprintf("Branch protection: pull request required %s, %d approving review(s), stale reviews dismissed %s, code-owner review %s, force pushes %s, enforced for admins %s.",
			yesNo(p.PullRequestRequired), p.RequiredApprovingReviews, yesNo(p.DismissStaleReviews), yesNo(p.RequireCodeOwnerReviews), allowed(p.AllowForcePushes), yesNo(p.EnforceAdmins)))
		if len(src.bypass) > 0 {
			c.Facts = append(c.Facts, fmt.Sprintf("Branch protection may be bypassed by %s.", strings.Join(src.bypass, ", ")))
		}
	} else if s.ProtectionDenied == "" {
		c.Facts = append(c.Facts, fmt.Sprintf("Branch %q has no branch protection rule.", s.DefaultBranch))
	}

	var ids []int64
	byID := map[int64]*protectionSource{}
	for _, r := range s.BranchRules {
		src, ok := byID[r.RulesetID]
		if !ok {
			src = &protectionSource{name: fmt.Sprintf("ruleset %d", r.RulesetID), enforced: true}
			if rs := s.Rulesets[r.RulesetID]; rs != nil {
				src.name = fmt.Sprintf("ruleset %q (%d, %s)", rs.Name, rs.ID, strings.ToLower(cmp.Or(rs.SourceType, "repository")))
				src.enforced = rs.Enforcement == "" || rs.Enforcement == "active"
				switch {
				case rs.BypassActors == nil:
					src.bypassUnknown = "GitHub did not show its bypass actors to this token"
				default:
					for _, a := range rs.BypassActors {
						src.bypass = append(src.bypass, a.String())
					}
				}
			} else {
				src.bypassUnknown = "it could not be read"
				if why := s.RulesetsDenied[r.RulesetID]; why != "" {
					src.bypassUnknown += ": " + why
				}
			}
			byID[r.RulesetID] = src
			ids = append(ids, r.RulesetID)
		}
		switch r.Type {
		case "pull_request":
			src.pr = true
			if p, err := r.PullRequestParams(); err == nil {
				src.approvals = max(src.approvals, p.RequiredApprovingReviewCount)
				src.dismissStale = src.dismissStale || p.DismissStaleReviewsOnPush
				src.codeOwner = src.codeOwner || p.RequireCodeOwnerReview
			}
		case "non_fast_forward":
			src.noForce = true
		}
	}
	for _, id := range ids {
		src := byID[id]
		if !src.enforced {
			c.Facts = append(c.Facts, fmt.Sprintf("%s is not enforced (evaluate or disabled); its rules do not count.", capital(src.name)))
			continue
		}
		c.Facts = append(c.Facts, fmt.Sprintf("%s: pull request required %s, %d approving review(s), stale reviews dismissed %s, code-owner review %s, force pushes %s.",
			capital(src.name), yesNo(src.pr), src.approvals, yesNo(src.dismissStale), yesNo(src.codeOwner), allowed(!src.noForce)))
		switch {
		case src.bypassUnknown != "":
			c.Facts = append(c.Facts, fmt.Sprintf("Who may bypass %s is unknown: %s.", src.name, src.bypassUnknown))
		case len(src.bypass) > 0:
			c.Facts = append(c.Facts, fmt.Sprintf("%s may be bypassed by %s.", capital(src.name), strings.Join(src.bypass, ", ")))
		default:
			c.Facts = append(c.Facts, fmt.Sprintf("No one may bypass %s.", src.name))
		}
		sources = append(sources, *src)
	}
	if len(s.BranchRules) == 0 && s.BranchRulesDenied == "" {
		c.Facts = append(c.Facts, fmt.Sprintf("No active ruleset applies to %q.", s.DefaultBranch))
	}

	co := s.CodeOwners
	switch {
	case s.CodeOwnersDenied != "":
		c.Facts = append(c.Facts, "CODEOWNERS could not be read: "+s.CodeOwnersDenied)
	case co.File == "":
		c.Facts = append(c.Facts, "The repository has no CODEOWNERS file.")
	case co.CoversWorkflows:
		c.Facts = append(c.Facts, fmt.Sprintf("%s gives .github/workflows/ owners %s (rule %q).", co.File, quoteAll(co.Owners), co.Rule))
	case co.Rule != "":
		c.Facts = append(c.Facts, fmt.Sprintf("%s leaves .github/workflows/ without owners: the last rule matching a workflow file is %q.", co.File, co.Rule))
	default:
		c.Facts = append(c.Facts, fmt.Sprintf("%s has no rule matching the files of .github/workflows/.", co.File))
	}
	if len(co.Errors) > 0 {
		c.Facts = append(c.Facts, fmt.Sprintf("GitHub reports errors in CODEOWNERS: %s.", quoteAll(co.Errors)))
	}

	all := combine(sources, false)
	strict := combine(sources, true)
	var missing []string
	switch {
	case !all.pr || !all.noForce:
		if !all.pr {
			missing = append(missing, "require a pull request before merging")
		}
		if !all.noForce {
			missing = append(missing, "block force pushes")
		}
		c.Level = BelowMinimum
	case all.approvals < 1 || !all.dismissStale:
		if all.approvals < 1 {
			missing = append(missing, "require at least one approving review")
		}
		if !all.dismissStale {
			missing = append(missing, "dismiss stale approvals when commits are pushed")
		}
		c.Level = Minimum
	default:
		c.Level = Better
		if !all.codeOwner {
			missing = append(missing, "require review from code owners")
		}
		if !(strict.pr && strict.noForce && strict.approvals >= 1 && strict.dismissStale && (strict.codeOwner || !all.codeOwner)) {
			missing = append(missing, "let no one bypass these rules (enforce branch protection for administrators, no bypass allowances, no ruleset bypass actors — and a token that may read them)")
		}
		if !co.CoversWorkflows {
			missing = append(missing, "give .github/workflows/ an owner in CODEOWNERS, in a rule no later rule overrides")
		}
		if len(missing) == 0 {
			c.Level = Strong
		}
	}
	if len(missing) > 0 {
		c.Next = fmt.Sprintf("For %s on %q: %s.", c.Level+1, s.DefaultBranch, strings.Join(missing, "; "))
	}
	if c.Unknown != "" {
		c.Level, c.Next = BelowMinimum, "Audit with a token that may read the repository's administration settings (administration: read)."
	}
	return c
}

// combine merges what the enforced sources require; strict takes only
// those no one may bypass.
func combine(sources []protectionSource, strict bool) protectionSource {
	var out protectionSource
	for _, s := range sources {
		if !s.enforced || (strict && s.bypassable()) {
			continue
		}
		out.pr = out.pr || s.pr
		out.noForce = out.noForce || s.noForce
		out.approvals = max(out.approvals, s.approvals)
		out.dismissStale = out.dismissStale || s.dismissStale
		out.codeOwner = out.codeOwner || s.codeOwner
	}
	return out
}

// --- deployment ---

var (
	productionLike = regexp.MustCompile(`(?i)(^|[^a-z0-9])(prod|production|prd|live|release|releases)([^a-z0-9]|$)`)
	notProduction  = regexp.MustCompile(`(?i)(pre|non)[-_ ]?prod`)
	// deploymentSecret matches names of secrets that look like deployment
	// or publishing credentials.
	deploymentSecret = regexp.MustCompile(`(?i)(deploy|prod|release|publish|kube|k8s|helm|aws|azure|gcp|gcloud|google_credentials|service_account|docker|registry|npm|pypi|cargo|nuget|rubygems|cosign|signing|gpg|ssh|heroku|vercel|netlify|cloudflare|terraform|vault)`)
	// catchAll policies let any branch or tag deploy.
	catchAll = regexp.MustCompile(`^[*/]+$`)
)

// githubMade are environments GitHub creates itself.
var githubMade = []string{"github-pages", "copilot"}

// evidenceBindingApp says whether a custom protection rule's App is
// relproof's, which binds approval to the release's evidence: one of apps
// (the slugs the organization registered relproof serve under), or, when
// none are named, an App whose slug says relproof.
func evidenceBindingApp(slug string, apps []string) bool {
	if len(apps) > 0 {
		for _, a := range apps {
			if strings.EqualFold(a, slug) {
				return true
			}
		}
		return false
	}
	return strings.Contains(strings.ToLower(slug), "relproof")
}

func rateEnvironment(e EnvironmentSettings, apps []string) (Level, []string, string) {
	var facts []string
	name := fmt.Sprintf("Environment %q", e.Name)
	if len(e.Reviewers) > 0 {
		facts = append(facts, fmt.Sprintf("%s requires reviewers %s; self-review prevented %s.", name, quoteAll(e.Reviewers), yesNo(e.PreventSelfReview)))
	} else {
		facts = append(facts, fmt.Sprintf("%s requires no reviewers.", name))
	}
	if e.WaitTimer > 0 {
		facts = append(facts, fmt.Sprintf("%s waits %d minute(s) before deploying.", name, e.WaitTimer))
	}
	branchesOK := false
	var branchWhy string
	switch bp := e.BranchPolicy; {
	case bp == nil:
		facts = append(facts, fmt.Sprintf("%s lets any branch or tag deploy.", name))
		branchWhy = "restrict deployments to protected branches or to custom branch and tag policies"
	case bp.ProtectedBranches:
		facts = append(facts, fmt.Sprintf("%s lets only protected branches deploy.", name))
		branchesOK = true
	case e.BranchPoliciesDenied != "":
		facts = append(facts, fmt.Sprintf("%s has custom deployment branch policies that could not be read: %s", name, e.BranchPoliciesDenied))
		branchWhy = "let the audit read the deployment branch policies"
	default:
		var names, wild []string
		for _, p := range e.BranchPolicies {
			names = append(names, fmt.Sprintf("%s %q", p.Type, p.Name))
			if catchAll.MatchString(p.Name) {
				wild = append(wild, fmt.Sprintf("%q", p.Name))
			}
		}
		switch {
		case len(names) == 0:
			facts = append(facts, fmt.Sprintf("%s uses custom deployment branch policies but lists none, so nothing may deploy.", name))
			branchesOK = true
		case len(wild) > 0:
			facts = append(facts, fmt.Sprintf("%s lets %s deploy; %s matches every branch or tag.", name, strings.Join(names, ", "), strings.Join(wild, ", ")))
			branchWhy = "replace the catch-all deployment branch policy with the release branches and tags"
		default:
			facts = append(facts, fmt.Sprintf("%s lets only %s deploy.", name, strings.Join(names, ", ")))
			branchesOK = true
		}
	}
	evidence := false
	switch {
	case e.CustomRulesDenied != "":
		facts = append(facts, fmt.Sprintf("%s's custom deployment protection rules could not be read: %s", name, e.CustomRulesDenied))
	case len(e.CustomRules) == 0:
		facts = append(facts, fmt.Sprintf("%s has no custom deployment protection rule.", name))
	}
	for _, r := range e.CustomRules {
		switch {
		case !r.Enabled:
			facts = append(facts, fmt.Sprintf("%s has the custom protection rule of App %q, disabled.", name, r.AppSlug))
		case evidenceBindingApp(r.AppSlug, apps):
			facts = append(facts, fmt.Sprintf("%s is gated by App %q, which binds the approval to the release's evidence.", name, r.AppSlug))
			evidence = true
		default:
			facts = append(facts, fmt.Sprintf("%s is gated by App %q, not known to bind the approval to the release's evidence.", name, r.AppSlug))
		}
	}
	switch {
	case e.SecretsDenied != "":
		facts = append(facts, fmt.Sprintf("%s's secrets could not be read: %s", name, e.SecretsDenied))
	case len(e.Secrets) > 0:
		facts = append(facts, fmt.Sprintf("%s holds secrets %s.", name, quoteAll(e.Secrets)))
	}

	switch {
	case len(e.Reviewers) == 0:
		return BelowMinimum, facts, fmt.Sprintf("require reviewers on environment %q", e.Name)
	case !e.PreventSelfReview || !branchesOK:
		var m []string
		if !e.PreventSelfReview {
			m = append(m, "prevent self-review")
		}
		if !branchesOK {
			m = append(m, branchWhy)
		}
		return Minimum, facts, fmt.Sprintf("on environment %q, %s", e.Name, strings.Join(m, " and "))
	case !evidence:
		return Better, facts, fmt.Sprintf("add relproof's App as a custom deployment protection rule on environment %q", e.Name)
	}
	return Strong, facts, ""
}

func rateDeployment(s *Settings) Control {
	c := Control{ID: ControlDeploymentApproval, Area: AreaDeployment, Title: "Deployment approval through environments", Facts: []string{}}
	if s.EnvironmentsDenied != "" {
		c.Unknown = "the environments could not be read: " + s.EnvironmentsDenied
		c.Next = "Audit with a token that may read the repository's environments (actions: read or administration: read)."
		return c
	}
	var candidates, prod []EnvironmentSettings
	for _, e := range s.Environments {
		if slices.Contains(githubMade, strings.ToLower(e.Name)) {
			c.Facts = append(c.Facts, fmt.Sprintf("Environment %q is made by GitHub and not rated.", e.Name))
			continue
		}
		candidates = append(candidates, e)
		if productionLike.MatchString(e.Name) && !notProduction.MatchString(e.Name) {
			prod = append(prod, e)
		}
	}
	if len(candidates) == 0 {
		c.Facts = append(c.Facts, "The repository has no environment, so no deployment waits for an approval.")
		c.Level, c.Next = BelowMinimum, "Create a production environment with required reviewers and deploy through it."
		return c
	}
	rated := prod
	if len(prod) == 0 {
		rated = candidates
		c.Facts = append(c.Facts, fmt.Sprintf("No environment is named like production (prod, production, live, release); all %d environments are rated.", len(candidates)))
	}
	level, next := Strong, ""
	for _, e := range rated {
		l, facts, n := rateEnvironment(e, s.ProtectionApps)
		c.Facts = append(c.Facts, facts...)
		c.Facts = append(c.Facts, fmt.Sprintf("Environment %q rates %s.", e.Name, l))
		if l < level || (l == level && next == "") {
			level, next = l, n
		}
	}
	var leaked []string
	for _, name := range s.RepoSecrets {
		if deploymentSecret.MatchString(name) {
			leaked = append(leaked, fmt.Sprintf("%q", name))
		}
	}
	switch {
	case s.RepoSecretsDenied != "":
		c.Facts = append(c.Facts, "The repository's secrets could not be read, so a deployment credential held outside the environments cannot be ruled out: "+s.RepoSecretsDenied)
		if level > Minimum {
			level, next = Minimum, "let the audit read the repository's secrets (secrets: read), to rule out deployment credentials held outside the environments"
		}
	case len(leaked) > 0:
		c.Facts = append(c.Facts, fmt.Sprintf("Repository secrets %s look like deployment credentials; any workflow on any branch can use them without an environment's approval.", strings.Join(leaked, ", ")))
		if level > Minimum {
			level = Minimum
		}
		if level == Minimum {
			next = fmt.Sprintf("move %s from the repository's secrets into the production environment", strings.Join(leaked, ", "))
		}
	}
	c.Level = level
	if level < Strong && next != "" {
		c.Next = fmt.Sprintf("For %s: %s.", level+1, next)
	}
	return c
}

// --- build ---

func rateActions(s *Settings) Control {
	c := Control{ID: ControlActionsSettings, Area: AreaBuild, Title: "GitHub Actions settings", Facts: []string{}}
	switch {
	case s.ActionsDenied != "":
		c.Unknown = "the Actions permissions could not be read: " + s.ActionsDenied
	case s.WorkflowDenied != "":
		c.Unknown = "the default workflow permissions could not be read: " + s.WorkflowDenied
	}
	if c.Unknown != "" || s.Actions == nil || s.Workflow == nil {
		if c.Unknown == "" {
			c.Unknown = "the Actions settings were not read"
		}
		c.Next = "Audit with a token that may read the repository's administration settings (administration: read)."
		return c
	}
	a, w := s.Actions, s.Workflow
	if !a.Enabled {
		c.Facts = append(c.Facts, "GitHub Actions is disabled for the repository.")
	}
	c.Facts = append(c.Facts, fmt.Sprintf("The GITHUB_TOKEN's default permissions are %q.", w.DefaultWorkflowPermissions))
	c.Facts = append(c.Facts, fmt.Sprintf("Allowed actions: %q.", cmp.Or(a.AllowedActions, "all")))
	switch {
	case a.SHAPinningRequired == nil:
		c.Facts = append(c.Facts, "GitHub does not report whether actions must be pinned by SHA.")
	case *a.SHAPinningRequired:
		c.Facts = append(c.Facts, "Actions must be pinned to a full commit SHA.")
	default:
		c.Facts = append(c.Facts, "Actions need not be pinned to a commit SHA.")
	}
	if w.CanApprovePullRequestReviews {
		c.Facts = append(c.Facts, "Workflows may approve pull requests, so a writer's workflow can supply a required approval.")
	}
	var next string
	switch {
	case w.DefaultWorkflowPermissions != "read":
		c.Level, next = BelowMinimum, "set the GITHUB_TOKEN's default permissions to read"
	case a.AllowedActions != "selected" && a.AllowedActions != "local_only":
		c.Level, next = Minimum, "allow only selected actions (or only the repository's own)"
	case a.SHAPinningRequired == nil || !*a.SHAPinningRequired:
		c.Level, next = Better, "require actions to be pinned to a full commit SHA"
	default:
		c.Level = Strong
	}
	if w.CanApprovePullRequestReviews {
		if c.Level > BelowMinimum {
			c.Level--
		}
		next = "stop workflows from approving pull requests (can_approve_pull_request_reviews)"
	}
	if next != "" {
		c.Next = fmt.Sprintf("For %s: %s.", c.Level+1, next)
	}
	return c
}

// --- helpers ---

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func allowed(b bool) string {
	if b {
		return "allowed"
	}
	return "blocked"
}

// quoteAll quotes each name (%q), so that a name with a newline or
// Markdown stays one quoted word of the fact.
func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
