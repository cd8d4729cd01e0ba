package audit

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/relproof/relproof/internal/github"
	"github.com/relproof/relproof/internal/testing/fakegithub"
)

const settingsToken = "ghp_SETTINGSTOKEN0123456789abcdefghijkl"

var octoRepo = github.Repo{Owner: "octo-org", Name: "octo-repo"}

// readFake serves a repository set up by setup on the fake GitHub, with the
// faults given, and reads its settings over loopback.
func readFake(t *testing.T, setup func(*fakegithub.Repo), faults ...fakegithub.Fault) (*Settings, error) {
	t.Helper()
	f, srv := fakegithub.Start(t, fakegithub.WithToken(settingsToken), fakegithub.WithPageSize(2))
	f.Update(func(s *fakegithub.State) {
		r := s.Repo("octo-org/octo-repo")
		head := fakegithub.SHA("head")
		r.AddCommit(&fakegithub.Commit{SHA: head, Message: "head", AuthorLogin: "octocat", Date: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
		r.Branches["main"] = &fakegithub.Branch{Name: "main", HeadSHA: head}
		if setup != nil {
			setup(r)
		}
	})
	f.Inject(faults...)
	c, err := github.New(context.Background(), github.Options{APIURL: srv.URL, Token: settingsToken,
		Retry: github.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond, Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return ReadSettings(context.Background(), c, octoRepo)
}

// rate reads the repository and returns the control id.
func rate(t *testing.T, id string, setup func(*fakegithub.Repo), faults ...fakegithub.Fault) Control {
	t.Helper()
	s, err := readFake(t, setup, faults...)
	if err != nil {
		t.Fatalf("ReadSettings: %v", err)
	}
	for _, c := range RateSettings(s) {
		if c.ID == id {
			for _, f := range c.Facts {
				if strings.ContainsAny(f, "\n\r") {
					t.Errorf("a fact spans lines: %q", f)
				}
			}
			return c
		}
	}
	t.Fatalf("no control %q", id)
	return Control{}
}

// forbid answers 403 to requests whose path contains path, as GitHub
// answers a token without administration: read.
func forbid(path string) fakegithub.Fault {
	return fakegithub.Fault{Path: path, Status: http.StatusForbidden, Message: "Resource not accessible by integration"}
}

type levelCase struct {
	name  string
	setup func(*fakegithub.Repo)
	fault []fakegithub.Fault
	want  Level
	// unknown: Unknown is set; next and fact: substrings of Next and of
	// one of the facts.
	unknown    bool
	next, fact string
}

func runLevels(t *testing.T, id string, cases []levelCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := rate(t, id, tc.setup, tc.fault...)
			if c.Level != tc.want || (c.Unknown != "") != tc.unknown {
				t.Fatalf("level %s (unknown %q), want %s (unknown %v)\nfacts: %q\nnext: %s", c.Level, c.Unknown, tc.want, tc.unknown, c.Facts, c.Next)
			}
			if c.Level == Strong && c.Next != "" {
				t.Errorf("next at strong: %s", c.Next)
			}
			if c.Level < Strong && c.Next == "" {
				t.Errorf("no next below strong")
			}
			if !strings.Contains(c.Next, tc.next) {
				t.Errorf("next %q lacks %q", c.Next, tc.next)
			}
			if tc.fact != "" && !strings.Contains(strings.Join(c.Facts, "\n"), tc.fact) {
				t.Errorf("facts %q lack %q", c.Facts, tc.fact)
			}
		})
	}
}

const coversWorkflows = "* @octo-org/dev\n/.github/workflows/ @octo-org/security\n"

func strongProtection(r *fakegithub.Repo) {
	r.Branches["main"].Protection = &fakegithub.Protection{RequiredApprovingReviews: 1, DismissStaleReviews: true, RequireCodeOwnerReviews: true, EnforceAdmins: true}
	r.Files[".github/CODEOWNERS"] = coversWorkflows
}

func pullRequestRule(approvals int, stale, codeOwner bool) fakegithub.Rule {
	return fakegithub.Rule{Type: "pull_request", Parameters: map[string]any{
		"required_approving_review_count": approvals, "dismiss_stale_reviews_on_push": stale, "require_code_owner_review": codeOwner,
		"require_last_push_approval": false, "required_review_thread_resolution": false}}
}

func TestControlsSourceProtection(t *testing.T) {
	t.Parallel()
	runLevels(t, ControlSourceProtection, []levelCase{
		{name: "unprotected", want: BelowMinimum, next: "require a pull request", fact: "no branch protection rule"},
		{name: "ruleset without force-push block misses minimum", setup: func(r *fakegithub.Repo) {
			r.AddRuleset(&fakegithub.Ruleset{Name: "pr", Rules: []fakegithub.Rule{pullRequestRule(1, true, true)}}, "main")
		}, want: BelowMinimum, next: "block force pushes"},
		{name: "ruleset reaches minimum", setup: func(r *fakegithub.Repo) {
			r.AddRuleset(&fakegithub.Ruleset{Name: "pr", Rules: []fakegithub.Rule{pullRequestRule(0, false, false), {Type: "non_fast_forward"}}}, "main")
		}, want: Minimum, next: "at least one approving review"},
		{name: "stale reviews kept misses better", setup: func(r *fakegithub.Repo) {
			r.Branches["main"].Protection = &fakegithub.Protection{RequiredApprovingReviews: 2, EnforceAdmins: true, RequireCodeOwnerReviews: true}
		}, want: Minimum, next: "dismiss stale approvals"},
		{name: "admins may bypass: better", setup: func(r *fakegithub.Repo) {
			strongProtection(r)
			r.Branches["main"].Protection.EnforceAdmins = false
		}, want: Better, next: "let no one bypass", fact: "administrators"},
		{name: "branch protection reaches strong", setup: strongProtection, want: Strong, fact: "gives .github/workflows/ owners"},
		{name: "ruleset without bypass actors reaches strong", setup: func(r *fakegithub.Repo) {
			r.AddRuleset(&fakegithub.Ruleset{Name: "main", Rules: []fakegithub.Rule{pullRequestRule(1, true, true), {Type: "non_fast_forward"}}}, "main")
			r.Files["CODEOWNERS"] = coversWorkflows
		}, want: Strong, fact: "No one may bypass"},
		{name: "a bypass actor makes strong unreachable", setup: func(r *fakegithub.Repo) {
			r.AddRuleset(&fakegithub.Ruleset{Name: "main", Rules: []fakegithub.Rule{pullRequestRule(1, true, true), {Type: "non_fast_forward"}},
				BypassActors: []fakegithub.BypassActor{{ActorID: 5, ActorType: "RepositoryRole"}}}, "main")
			r.Files[".github/CODEOWNERS"] = coversWorkflows
		}, want: Better, next: "let no one bypass", fact: "RepositoryRole 5 (always)"},
		{name: "bypass actors hidden from the token: not strong", setup: func(r *fakegithub.Repo) {
			r.AddRuleset(&fakegithub.Ruleset{Name: "main", HideBypassActors: true, Rules: []fakegithub.Rule{pullRequestRule(1, true, true), {Type: "non_fast_forward"}}}, "main")
			r.Files[".github/CODEOWNERS"] = coversWorkflows
		}, want: Better, next: "let no one bypass", fact: "did not show its bypass actors"},
		{name: "an unbypassable ruleset over bypassable protection is strong", setup: func(r *fakegithub.Repo) {
			strongProtection(r)
			r.Branches["main"].Protection.EnforceAdmins = false
			r.AddRuleset(&fakegithub.Ruleset{Name: "main", Rules: []fakegithub.Rule{pullRequestRule(1, true, true), {Type: "non_fast_forward"}}}, "main")
		}, want: Strong},
		{name: "a pull request bypass allowance makes strong unreachable", setup: func(r *fakegithub.Repo) {
			strongProtection(r)
			r.Branches["main"].Protection.BypassUsers = []string{"mallory"}
		}, want: Better, fact: `"user:mallory"`},
		{name: "an evaluate-mode ruleset does not count", setup: func(r *fakegithub.Repo) {
			r.AddRuleset(&fakegithub.Ruleset{Name: "trial", Enforcement: "evaluate", Rules: []fakegithub.Rule{pullRequestRule(1, true, true), {Type: "non_fast_forward"}}}, "main")
		}, want: BelowMinimum},
		{name: "no code-owner review misses strong", setup: func(r *fakegithub.Repo) {
			strongProtection(r)
			r.Branches["main"].Protection.RequireCodeOwnerReviews = false
		}, want: Better, next: "require review from code owners"},
		{name: "a later CODEOWNERS rule un-owns the workflows", setup: func(r *fakegithub.Repo) {
			strongProtection(r)
			r.Files[".github/CODEOWNERS"] = coversWorkflows + "/.github/workflows/*.yml\n"
		}, want: Better, next: "give .github/workflows/ an owner", fact: "leaves .github/workflows/ without owners"},
		{name: "no CODEOWNERS misses strong", setup: func(r *fakegithub.Repo) {
			strongProtection(r)
			delete(r.Files, ".github/CODEOWNERS")
		}, want: Better, fact: "no CODEOWNERS"},
		{name: "protection hidden from the token is unknown", setup: strongProtection, fault: []fakegithub.Fault{forbid("/branches/main/protection")},
			want: BelowMinimum, unknown: true, next: "administration: read"},
	})
}

func environment(mod func(*fakegithub.Environment)) func(*fakegithub.Repo) {
	return func(r *fakegithub.Repo) {
		e := &fakegithub.Environment{Name: "production", Reviewers: []string{"octocat", "team:release"}, PreventSelfReview: true,
			ProtectedBranches: true, ProtectionRules: []fakegithub.CustomRule{{App: "relproof"}}, Secrets: []string{"DEPLOY_KEY"}}
		if mod != nil {
			mod(e)
		}
		r.Settings.Environments = append(r.Settings.Environments, e)
		r.Settings.Secrets = []string{"CODECOV_TOKEN"}
	}
}

func TestControlsDeploymentApproval(t *testing.T) {
	t.Parallel()
	runLevels(t, ControlDeploymentApproval, []levelCase{
		{name: "no environment", want: BelowMinimum, fact: "no environment", next: "Create a production environment"},
		{name: "no reviewers misses minimum", setup: environment(func(e *fakegithub.Environment) { e.Reviewers = nil }), want: BelowMinimum, next: "require reviewers"},
		{name: "reviewers reach minimum", setup: environment(func(e *fakegithub.Environment) { e.PreventSelfReview = false }), want: Minimum, next: "prevent self-review"},
		{name: "reviewers but any branch may deploy", setup: environment(func(e *fakegithub.Environment) { e.ProtectedBranches = false }),
			want: Minimum, next: "restrict deployments", fact: "lets any branch or tag deploy"},
		{name: "a catch-all branch policy is any branch", setup: environment(func(e *fakegithub.Environment) {
			e.ProtectedBranches, e.CustomBranches = false, true
			e.BranchPolicies = []fakegithub.BranchPolicy{{Name: "main"}, {Name: "*"}}
		}), want: Minimum, next: "catch-all", fact: `matches every branch or tag`},
		{name: "custom branch and tag policies reach better", setup: environment(func(e *fakegithub.Environment) {
			e.ProtectedBranches, e.CustomBranches, e.ProtectionRules = false, true, nil
			e.BranchPolicies = []fakegithub.BranchPolicy{{Name: "main"}, {Name: "v*", Type: "tag"}}
		}), want: Better, next: "relproof's App", fact: `tag "v*"`},
		{name: "another App's rule is not evidence-bound", setup: environment(func(e *fakegithub.Environment) {
			e.ProtectionRules = []fakegithub.CustomRule{{App: "a-custom-app"}}
		}), want: Better, fact: "not known to bind"},
		{name: "relproof's disabled rule does not count", setup: environment(func(e *fakegithub.Environment) {
			e.ProtectionRules = []fakegithub.CustomRule{{App: "relproof", Disabled: true}}
		}), want: Better, fact: "disabled"},
		{name: "relproof's App reaches strong", setup: environment(nil), want: Strong, fact: "binds the approval"},
		{name: "a deployment credential held by the repository", setup: func(r *fakegithub.Repo) {
			environment(nil)(r)
			r.Settings.Secrets = append(r.Settings.Secrets, "PROD_DEPLOY_KEY")
		}, want: Minimum, next: `move "PROD_DEPLOY_KEY"`, fact: "any workflow on any branch"},
		{name: "the weakest production-like environment decides", setup: func(r *fakegithub.Repo) {
			environment(nil)(r)
			r.Settings.Environments = append(r.Settings.Environments,
				&fakegithub.Environment{Name: "release-eu", Reviewers: []string{"octocat"}},
				&fakegithub.Environment{Name: "pre-prod"}, &fakegithub.Environment{Name: "github-pages"})
		}, want: Minimum, fact: `Environment "release-eu" rates minimum`},
		{name: "no production-like environment: all are rated", setup: func(r *fakegithub.Repo) {
			r.Settings.Environments = []*fakegithub.Environment{{Name: "staging", Reviewers: []string{"octocat"}}}
		}, want: Minimum, fact: "No environment is named like production"},
		{name: "environments hidden from the token are unknown", setup: environment(nil), fault: []fakegithub.Fault{forbid("/environments")},
			want: BelowMinimum, unknown: true, next: "environments"},
		{name: "repository secrets hidden cap at minimum", setup: environment(nil), fault: []fakegithub.Fault{forbid("/actions/secrets")},
			want: Minimum, next: "secrets: read", fact: "could not be read"},
		{name: "custom rules hidden cap at better", setup: environment(nil), fault: []fakegithub.Fault{forbid("/deployment_protection_rules")},
			want: Better, fact: "could not be read"},
	})
}

func TestControlsActionsSettings(t *testing.T) {
	t.Parallel()
	actions := func(a fakegithub.ActionsPermissions) func(*fakegithub.Repo) {
		return func(r *fakegithub.Repo) { r.Settings.Actions = &a }
	}
	runLevels(t, ControlActionsSettings, []levelCase{
		{name: "GitHub's defaults: write token", want: BelowMinimum, next: "read", fact: `"write"`},
		{name: "read token reaches minimum", setup: actions(fakegithub.ActionsPermissions{DefaultWorkflowPermissions: "read", AllowedActions: "all"}), want: Minimum, next: "selected actions"},
		{name: "selected actions reach better", setup: actions(fakegithub.ActionsPermissions{DefaultWorkflowPermissions: "read", AllowedActions: "selected"}), want: Better, next: "pinned"},
		{name: "SHA pinning without an allow list misses better", setup: actions(fakegithub.ActionsPermissions{DefaultWorkflowPermissions: "read", AllowedActions: "all", SHAPinningRequired: true}), want: Minimum},
		{name: "local only and SHA pinning reach strong", setup: actions(fakegithub.ActionsPermissions{DefaultWorkflowPermissions: "read", AllowedActions: "local_only", SHAPinningRequired: true}), want: Strong},
		{name: "workflows approving pull requests lower it", setup: actions(fakegithub.ActionsPermissions{DefaultWorkflowPermissions: "read", AllowedActions: "selected", SHAPinningRequired: true, CanApprovePullRequestReviews: true}),
			want: Better, next: "approving pull requests", fact: "approve pull requests"},
		{name: "Actions permissions hidden from the token are unknown", fault: []fakegithub.Fault{forbid("/actions/permissions")}, want: BelowMinimum, unknown: true},
	})
}

// Names come from people who may be attackers: a newline or Markdown in a
// secret's or an environment's name stays inside one quoted fact.
func TestControlsQuoteNames(t *testing.T) {
	t.Parallel()
	evil := "X\n## Approved by security\n- [ok](https://evil.example)"
	c := rate(t, ControlDeploymentApproval, func(r *fakegithub.Repo) {
		environment(func(e *fakegithub.Environment) { e.Secrets = []string{evil} })(r)
		r.Settings.Secrets = []string{"DEPLOY_" + evil}
	})
	joined := strings.Join(c.Facts, "\n")
	if !strings.Contains(joined, `"X\n## Approved by security`) || !strings.Contains(c.Next, `"DEPLOY_X\n## Approved`) {
		t.Errorf("names not quoted:\n%s\nnext: %s", joined, c.Next)
	}
}

// A GitHub that fails (5xx, rate limits) stops the audit: it never turns
// into a rating.
func TestControlsReadFailureIsAnError(t *testing.T) {
	t.Parallel()
	_, err := readFake(t, environment(nil), fakegithub.ServerErrors("/environments", 0))
	if !errors.Is(err, github.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

// The fake's strong scenario reads back as Scenario and SettingsScenario
// set it: the settings endpoints agree with each other.
func TestControlsScenario(t *testing.T) {
	t.Parallel()
	f, srv := fakegithub.Start(t, fakegithub.WithToken(settingsToken))
	f.Update(func(s *fakegithub.State) {
		fakegithub.Scenario(s, time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
		fakegithub.SettingsScenario(s)
	})
	c, err := github.New(context.Background(), github.Options{APIURL: srv.URL, Token: settingsToken})
	if err != nil {
		t.Fatal(err)
	}
	s, err := ReadSettings(context.Background(), c, octoRepo)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Level{}
	for _, c := range RateSettings(s) {
		got[c.ID] = c.Level
		if c.Unknown != "" {
			t.Errorf("%s unknown: %s", c.ID, c.Unknown)
		}
	}
	// Scenario's CODEOWNERS gives /.github/ to security; its branch
	// protection is enforced for admins; the org ruleset's bypass actors
	// do not lower what the protection alone requires.
	want := map[string]Level{ControlSourceProtection: Strong, ControlDeploymentApproval: Strong, ControlActionsSettings: Strong}
	for id, l := range want {
		if got[id] != l {
			t.Errorf("%s = %s, want %s", id, got[id], l)
		}
	}
	if len(s.Environments) != 2 || s.Environments[0].BranchPolicies[1].Type != "tag" || s.Rulesets[73] == nil || len(s.Rulesets[73].BypassActors) != 1 {
		t.Errorf("settings = %+v", s)
	}
}

// TestProtectionApps: an App counts as relproof's by the slug the
// organization named (--protection-app), or without one by a slug that
// says relproof; another App named "relproof-lookalike" does not count when
// the organization named its own.
func TestProtectionApps(t *testing.T) {
	for _, tc := range []struct {
		slug string
		apps []string
		want bool
	}{
		{"relproof", nil, true},
		{"acme-relproof", nil, true},
		{"deploy-guard", nil, false},
		{"acme-gate", []string{"acme-gate"}, true},
		{"Acme-Gate", []string{"acme-gate"}, true},
		{"relproof-lookalike", []string{"acme-gate"}, false},
	} {
		if got := evidenceBindingApp(tc.slug, tc.apps); got != tc.want {
			t.Errorf("App %q with --protection-app %v: %v, want %v", tc.slug, tc.apps, got, tc.want)
		}
	}
}
