package fakegithub

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Settings are a repository's settings that relproof audit reads:
// environments, Actions secrets, rulesets and the Actions permissions.
// Branch protection and ruleset rules stay on the Branch.
type Settings struct {
	Environments []*Environment
	// Secrets are the names of the repository's Actions secrets.
	Secrets  []string
	Rulesets []*Ruleset
	// Actions is the Actions policy; nil is GitHub's default for a new
	// repository (enabled, all actions, write token, no SHA pinning).
	Actions *ActionsPermissions
}

// Environment is a deployment environment's settings.
type Environment struct {
	Name      string
	WaitTimer int // minutes
	// Reviewers are required reviewers: logins, or "team:SLUG".
	Reviewers         []string
	PreventSelfReview bool
	// ProtectedBranches: only protected branches may deploy.
	ProtectedBranches bool
	// CustomBranches: only refs matching BranchPolicies may deploy. With
	// neither, any branch or tag may.
	CustomBranches bool
	BranchPolicies []BranchPolicy
	// ProtectionRules are custom deployment protection rules (Apps).
	ProtectionRules []CustomRule
	Secrets         []string
}

// BranchPolicy is a custom deployment branch or tag policy.
type BranchPolicy struct {
	Name string
	Type string // branch (default) or tag
}

// CustomRule is a custom deployment protection rule.
type CustomRule struct {
	App      string // the App's slug
	Disabled bool
}

// Ruleset is a ruleset. Its rules apply to the branches AddRuleset names.
type Ruleset struct {
	ID          int64
	Name        string
	Enforcement string // active (default), evaluate or disabled
	// Organization makes it the owner organization's ruleset.
	Organization bool
	Include      []string
	Exclude      []string
	BypassActors []BypassActor
	// HideBypassActors answers as GitHub does to a token that may not edit
	// the ruleset: without bypass_actors.
	HideBypassActors bool
	Rules            []Rule
}

// BypassActor may bypass a ruleset.
type BypassActor struct {
	ActorID   int64 // 0 is null
	ActorType string
	Mode      string // always (default) or pull_request
}

// ActionsPermissions is the repository's Actions policy.
type ActionsPermissions struct {
	Disabled                     bool
	AllowedActions               string // all (default), local_only, selected
	SHAPinningRequired           bool
	DefaultWorkflowPermissions   string // read or write (default)
	CanApprovePullRequestReviews bool
}

// AddRuleset adds a ruleset and applies its rules to the branches, as
// GET /rules/branches/{branch} then lists them.
func (r *Repo) AddRuleset(rs *Ruleset, branches ...string) *Ruleset {
	if rs.ID == 0 {
		rs.ID = r.state.ID()
	}
	if rs.Enforcement == "" {
		rs.Enforcement = "active"
	}
	r.Settings.Rulesets = append(r.Settings.Rulesets, rs)
	for _, name := range branches {
		if rs.Include == nil || !slices.Contains(rs.Include, "refs/heads/"+name) {
			rs.Include = append(rs.Include, "refs/heads/"+name)
		}
		b, ok := r.Branches[name]
		if !ok || rs.Enforcement != "active" {
			continue
		}
		for _, ru := range rs.Rules {
			ru.RulesetID = rs.ID
			ru.Source, ru.SourceType = r.FullName(), "Repository"
			if rs.Organization {
				ru.Source, ru.SourceType = r.Owner, "Organization"
			}
			b.Rules = append(b.Rules, ru)
		}
	}
	return rs
}

// Environment returns the environment's settings, nil when there is none.
func (r *Repo) Environment(name string) *Environment {
	for _, e := range r.Settings.Environments {
		if strings.EqualFold(e.Name, name) {
			return e
		}
	}
	return nil
}

func (f *Fake) settingsRoutes(repo string) {
	f.handle("GET "+repo+"/environments", f.listEnvironments)
	f.handle("GET "+repo+"/environments/{env}", f.getEnvironment)
	f.handle("GET "+repo+"/environments/{env}/deployment-branch-policies", f.listBranchPolicies)
	f.handle("GET "+repo+"/environments/{env}/deployment_protection_rules", f.listCustomRules)
	f.handle("GET "+repo+"/environments/{env}/secrets", f.listEnvSecrets)
	f.handle("GET "+repo+"/actions/secrets", f.listRepoSecrets)
	f.handle("GET "+repo+"/rulesets", f.listRulesets)
	f.handle("GET "+repo+"/rulesets/{id}", f.getRuleset)
	f.handle("GET "+repo+"/actions/permissions", f.actionsPermissions)
	f.handle("GET "+repo+"/actions/permissions/workflow", f.workflowPermissions)
}

func (repo *Repo) environment(r apiBase, e *Environment) obj {
	id := repo.environmentID(e.Name)
	rule := func(kind string) obj {
		rid := stableID("gate", fmt.Sprintf("%s/%s/%s", repo.FullName(), e.Name, kind))
		return obj{"id": rid, "node_id": nodeID("Gate", rid), "type": kind}
	}
	rules := arr{}
	if e.WaitTimer > 0 {
		o := rule("wait_timer")
		o["wait_timer"] = e.WaitTimer
		rules = append(rules, o)
	}
	if len(e.Reviewers) > 0 {
		reviewers := arr{}
		for _, rv := range e.Reviewers {
			if slug, ok := strings.CutPrefix(rv, "team:"); ok {
				reviewers = append(reviewers, obj{"type": "Team", "reviewer": team(r, repo.Owner, slug)})
				continue
			}
			reviewers = append(reviewers, obj{"type": "User", "reviewer": user(r, rv)})
		}
		o := rule("required_reviewers")
		o["prevent_self_review"], o["reviewers"] = e.PreventSelfReview, reviewers
		rules = append(rules, o)
	}
	var policy any
	if e.ProtectedBranches || e.CustomBranches {
		rules = append(rules, rule("branch_policy"))
		policy = obj{"protected_branches": e.ProtectedBranches, "custom_branch_policies": e.CustomBranches}
	}
	u := repo.api(r) + "/environments/" + e.Name
	return obj{
		"id": id, "node_id": nodeID("Environment", id), "name": e.Name, "url": u,
		"html_url":   repo.html() + "/deployments/activity_log?environments_filter=" + queryEscape(e.Name),
		"created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
		"protection_rules": rules, "deployment_branch_policy": policy,
	}
}

func (f *Fake) listEnvironments(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	out := arr{}
	for _, e := range repo.Settings.Environments {
		out = append(out, repo.environment(base(r), e))
	}
	f.ok(w, http.StatusOK, obj{"total_count": len(out), "environments": orEmpty(page(w, r, out))})
}

// env finds the request's environment, answering 404 when there is none.
func (f *Fake) env(w http.ResponseWriter, r *http.Request, repo *Repo) *Environment {
	e := repo.Environment(r.PathValue("env"))
	if e == nil {
		f.notFound(w)
	}
	return e
}

func (f *Fake) getEnvironment(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	if e := f.env(w, r, repo); e != nil {
		f.ok(w, http.StatusOK, repo.environment(base(r), e))
	}
}

func (f *Fake) listBranchPolicies(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	e := f.env(w, r, repo)
	if e == nil {
		return
	}
	if !e.CustomBranches {
		// GitHub lists policies only for custom branch policies.
		f.error(w, http.StatusNotFound, "Not Found")
		return
	}
	out := arr{}
	for _, p := range e.BranchPolicies {
		typ := cmpOr(p.Type, "branch")
		id := stableID("branch-policy", repo.FullName()+"/"+e.Name+"/"+typ+"/"+p.Name)
		out = append(out, obj{"id": id, "node_id": nodeID("GateBranchPolicy", id), "name": p.Name, "type": typ})
	}
	f.ok(w, http.StatusOK, obj{"total_count": len(out), "branch_policies": orEmpty(page(w, r, out))})
}

func (f *Fake) listCustomRules(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	e := f.env(w, r, repo)
	if e == nil {
		return
	}
	out := arr{}
	for _, c := range e.ProtectionRules {
		id := stableID("custom-rule", repo.FullName()+"/"+e.Name+"/"+c.App)
		appID := stableID("app", c.App)
		out = append(out, obj{"id": id, "node_id": nodeID("DeploymentProtectionRule", id), "enabled": !c.Disabled,
			"app": obj{"id": appID, "node_id": nodeID("Integration", appID), "slug": c.App, "integration_url": base(r).String() + "/apps/" + c.App}})
	}
	f.ok(w, http.StatusOK, obj{"total_count": len(out), "custom_deployment_protection_rules": out})
}

func (f *Fake) secrets(w http.ResponseWriter, r *http.Request, names []string) {
	out := arr{}
	for _, n := range names {
		out = append(out, obj{"name": n, "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-02T00:00:00Z"})
	}
	f.ok(w, http.StatusOK, obj{"total_count": len(out), "secrets": orEmpty(page(w, r, out))})
}

func (f *Fake) listEnvSecrets(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	if e := f.env(w, r, repo); e != nil {
		f.secrets(w, r, e.Secrets)
	}
}

func (f *Fake) listRepoSecrets(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	f.secrets(w, r, repo.Settings.Secrets)
}

func (repo *Repo) ruleset(r apiBase, rs *Ruleset, full bool) obj {
	source, sourceType := repo.FullName(), "Repository"
	if rs.Organization {
		source, sourceType = repo.Owner, "Organization"
	}
	self := fmt.Sprintf("%s/rulesets/%d", repo.api(r), rs.ID)
	o := obj{
		"id": rs.ID, "name": rs.Name, "source_type": sourceType, "source": source, "enforcement": rs.Enforcement,
		"node_id":    nodeID("RepositoryRuleset", rs.ID),
		"_links":     obj{"self": obj{"href": self}, "html": obj{"href": fmt.Sprintf("%s/rules/%d", repo.html(), rs.ID)}},
		"created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-02T00:00:00Z",
	}
	if !full {
		return o
	}
	o["target"] = "branch"
	o["current_user_can_bypass"] = "never"
	o["conditions"] = obj{"ref_name": obj{"include": toArr(rs.Include), "exclude": toArr(rs.Exclude)}}
	rules := arr{}
	for _, ru := range rs.Rules {
		x := obj{"type": ru.Type}
		if ru.Parameters != nil {
			x["parameters"] = ru.Parameters
		}
		rules = append(rules, x)
	}
	o["rules"] = rules
	if !rs.HideBypassActors {
		actors := arr{}
		for _, a := range rs.BypassActors {
			var id any = a.ActorID
			if a.ActorID == 0 {
				id = nil
			}
			actors = append(actors, obj{"actor_id": id, "actor_type": a.ActorType, "bypass_mode": cmpOr(a.Mode, "always")})
		}
		o["bypass_actors"] = actors
	}
	return o
}

func (f *Fake) listRulesets(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	out := arr{}
	for _, rs := range repo.Settings.Rulesets {
		out = append(out, repo.ruleset(base(r), rs, false))
	}
	f.ok(w, http.StatusOK, page(w, r, out))
}

func (f *Fake) getRuleset(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	id, _ := pathID(r, "id")
	for _, rs := range repo.Settings.Rulesets {
		if rs.ID == id {
			f.ok(w, http.StatusOK, repo.ruleset(base(r), rs, true))
			return
		}
	}
	f.notFound(w)
}

func (repo *Repo) actions() ActionsPermissions {
	if repo.Settings.Actions == nil {
		return ActionsPermissions{AllowedActions: "all", DefaultWorkflowPermissions: "write"}
	}
	return *repo.Settings.Actions
}

func (f *Fake) actionsPermissions(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	a := repo.actions()
	o := obj{"enabled": !a.Disabled, "sha_pinning_required": a.SHAPinningRequired}
	if !a.Disabled {
		o["allowed_actions"] = cmpOr(a.AllowedActions, "all")
		o["selected_actions_url"] = repo.api(base(r)) + "/actions/permissions/selected-actions"
	}
	f.ok(w, http.StatusOK, o)
}

func (f *Fake) workflowPermissions(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	a := repo.actions()
	f.ok(w, http.StatusOK, obj{"default_workflow_permissions": cmpOr(a.DefaultWorkflowPermissions, "write"), "can_approve_pull_request_reviews": a.CanApprovePullRequestReviews})
}

func (b apiBase) String() string { return string(b) }

// SettingsScenario gives Scenario's repository the settings of a release
// pipeline rated strong where a repository can show it: a production
// environment gated by reviewers who may not approve their own runs,
// protected branches and relproof's App, a staging environment, the
// rulesets behind main's ruleset rules, and tight Actions permissions.
// Every list it fills has entries (the contract test reads it).
func SettingsScenario(s *State) {
	repo := s.Repo("octo-org/octo-repo")
	repo.Settings.Environments = append(repo.Settings.Environments,
		&Environment{Name: "production", WaitTimer: 30, Reviewers: []string{"octocat", "team:release"}, PreventSelfReview: true,
			CustomBranches: true, BranchPolicies: []BranchPolicy{{Name: "main"}, {Name: "v*", Type: "tag"}},
			ProtectionRules: []CustomRule{{App: "relproof"}}, Secrets: []string{"DEPLOY_KEY", "KUBECONFIG"}},
		&Environment{Name: "staging", ProtectedBranches: true, Secrets: []string{"STAGING_TOKEN"}},
	)
	repo.Settings.Secrets = []string{"CODECOV_TOKEN", "GIST_ID"}
	// The rulesets Scenario's rules on main come from.
	repo.Settings.Rulesets = append(repo.Settings.Rulesets,
		&Ruleset{ID: 42, Name: "main", Enforcement: "active", Include: []string{"~DEFAULT_BRANCH"}, Exclude: []string{"refs/heads/dev*"}, Rules: []Rule{{Type: "pull_request", Parameters: map[string]any{
			"required_approving_review_count": 1, "require_code_owner_review": true, "dismiss_stale_reviews_on_push": true,
			"require_last_push_approval": true, "required_review_thread_resolution": false,
		}}}, BypassActors: []BypassActor{{ActorID: 5, ActorType: "RepositoryRole", Mode: "pull_request"}}},
		&Ruleset{ID: 73, Name: "org commit rules", Enforcement: "active", Organization: true, Include: []string{"~ALL"}, Exclude: []string{"refs/heads/dev*"}, Rules: []Rule{
			{Type: "commit_message_pattern", Parameters: map[string]any{"operator": "starts_with", "pattern": "issue", "name": "", "negate": false}},
			{Type: "non_fast_forward"},
		}, BypassActors: []BypassActor{{ActorID: 1, ActorType: "OrganizationAdmin"}}},
	)
	repo.Settings.Actions = &ActionsPermissions{AllowedActions: "selected", SHAPinningRequired: true, DefaultWorkflowPermissions: "read"}
}
