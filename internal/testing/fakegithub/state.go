package fakegithub

import (
	"encoding/json"
	"regexp"
	"strings"
	"time"
)

// State is everything the fake knows. Tests change it in Fake.Update and
// read it in Fake.View; handlers change it under the same lock.
type State struct {
	Repos map[string]*Repo // by "owner/name", lower-case
	// Emails are the verified emails of accounts: email (lower-case) →
	// login. GitHub matches a commit's authors to accounts by them (and by
	// an account's noreply address, LOGIN@ or ID+LOGIN@users.noreply.github.com,
	// which needs no entry).
	Emails map[string]string
	nextID int64
}

// LoginOf returns the account GitHub matches an email to, or "".
func (s *State) LoginOf(email string) string {
	email = strings.ToLower(strings.TrimSpace(email))
	if l, ok := s.Emails[email]; ok {
		return l
	}
	if m := noreply.FindStringSubmatch(email); m != nil {
		return m[1]
	}
	return ""
}

var noreply = regexp.MustCompile(`^(?:[0-9]+\+)?([a-z0-9][a-z0-9-]*(?:\[bot\])?)@users\.noreply\.github\.com$`)

// ID returns a new id, unique in the fake.
func (s *State) ID() int64 {
	s.nextID++
	return s.nextID
}

// Repo returns the repository "owner/name", creating it when needed.
func (s *State) Repo(fullName string) *Repo {
	key := strings.ToLower(fullName)
	if r, ok := s.Repos[key]; ok {
		return r
	}
	owner, name, _ := strings.Cut(fullName, "/")
	r := &Repo{
		Owner: owner, Name: name, ID: s.ID(), DefaultBranch: "main",
		Commits: map[string]*Commit{}, Branches: map[string]*Branch{}, Files: map[string]string{},
		Runs: map[int64]*Run{}, Environments: map[string]int64{}, state: s,
	}
	s.Repos[key] = r
	return r
}

// Repo is a repository.
type Repo struct {
	Owner, Name   string
	ID            int64
	DefaultBranch string
	Private       bool
	Archived      bool
	Fork          bool
	Description   string
	Homepage      string
	Commits       map[string]*Commit
	Branches      map[string]*Branch
	Pulls         []*Pull
	// Files are the repository's files, the same at every ref.
	Files map[string]string
	// RefFiles are files as they are at one ref (as the request names it),
	// over Files.
	RefFiles map[string]map[string]string
	// Symlinks are symbolic links, path → target (relative to the link's
	// directory, as git stores it), and Submodules are submodules, path →
	// URL; both at every ref. The contents API lists and serves them as
	// GitHub does.
	Symlinks         map[string]string
	Submodules       map[string]string
	CodeownersErrors []CodeownersError
	Runs             map[int64]*Run
	Deployments      []*Deployment
	// Releases are the repository's GitHub releases (releases.go).
	Releases     []*GitHubRelease
	CheckRuns    []*CheckRun
	Attestations []*Attestation
	// ProtectionRuleReviews are the answers given to custom deployment
	// protection rules.
	ProtectionRuleReviews []ProtectionRuleReview
	// StatusReports are the comments posted on pending custom deployment
	// protection rules without a state.
	StatusReports []ProtectionRuleReview
	Environments  map[string]int64 // name → id
	// Installation is the GitHub App installation on the repository.
	Installation int64
	// Settings are the repository settings relproof audit reads
	// (settings.go).
	Settings Settings
	state    *State
}

// FullName returns "owner/name".
func (r *Repo) FullName() string { return r.Owner + "/" + r.Name }

// environmentID returns the id of an environment, creating it.
func (r *Repo) environmentID(name string) int64 {
	key := strings.ToLower(name)
	if id, ok := r.Environments[key]; ok {
		return id
	}
	id := r.state.ID()
	r.Environments[key] = id
	return id
}

// Commit is a commit. AuthorLogin is "" for an author with no GitHub
// account (give AuthorName), and CommitterLogin "" for a committer with none
// (give CommitterName). A commit with neither committer login nor name was
// committed by its author; "web-flow" is GitHub committing for the web UI.
// Co-authored-by trailers go in the Message.
type Commit struct {
	SHA            string
	Message        string
	AuthorLogin    string
	AuthorName     string
	AuthorEmail    string
	CommitterLogin string
	CommitterName  string
	CommitterEmail string
	Date           time.Time
	Parents        []string
	Files          []string // paths the commit changed
	Verified       bool     // signed, and the signature verified
}

// AddCommit adds a commit (its parent is the previous one added when none is
// given) and returns it.
func (r *Repo) AddCommit(c *Commit) *Commit {
	if c.AuthorName == "" {
		c.AuthorName = c.AuthorLogin
	}
	if c.AuthorEmail == "" {
		c.AuthorEmail = c.AuthorLogin + "@users.noreply.github.com"
	}
	if c.CommitterLogin == "" && c.CommitterName == "" {
		c.CommitterLogin, c.CommitterName, c.CommitterEmail = c.AuthorLogin, c.AuthorName, c.AuthorEmail
	}
	switch {
	case c.CommitterLogin == "web-flow":
		c.CommitterName, c.CommitterEmail = "GitHub", "noreply@github.com"
	case c.CommitterName == "":
		c.CommitterName = c.CommitterLogin
	}
	if c.CommitterEmail == "" {
		c.CommitterEmail = c.CommitterLogin + "@users.noreply.github.com"
	}
	r.Commits[c.SHA] = c
	return c
}

// AddDeployment adds a deployment of digest (in its payload, as relproof
// puts it) at sha to env, with one status of state at time at: what any
// workflow with deployments: write can post.
func (s *State) AddDeployment(r *Repo, env, sha, digest, state string, at time.Time) *Deployment {
	d := &Deployment{ID: s.ID(), SHA: sha, Ref: "main", Task: "deploy", Environment: env,
		Payload: []byte(`{"digest":"` + digest + `"}`), CreatedAt: at, UpdatedAt: at,
		Statuses: []*DeploymentStatus{{ID: s.ID(), State: state, CreatedAt: at}}}
	r.Deployments = append(r.Deployments, d)
	return d
}

// ancestors returns the commits reachable from sha, nearest first.
func (r *Repo) ancestors(sha string) []*Commit {
	var out []*Commit
	seen := map[string]bool{}
	for queue := []string{sha}; len(queue) > 0; {
		c, ok := r.Commits[queue[0]]
		queue = queue[1:]
		if !ok || seen[c.SHA] {
			continue
		}
		seen[c.SHA] = true
		out = append(out, c)
		queue = append(queue, c.Parents...)
	}
	return out
}

// Branch is a branch, its classic protection and the ruleset rules that
// apply to it.
type Branch struct {
	Name       string
	HeadSHA    string
	Protection *Protection
	Rules      []Rule
}

// Protected is what GitHub says of the branch: protection or a ruleset.
func (b *Branch) Protected() bool { return b.Protection != nil || len(b.Rules) > 0 }

// Protection is classic branch protection.
type Protection struct {
	RequiredApprovingReviews int
	RequireCodeOwnerReviews  bool
	DismissStaleReviews      bool
	RequireLastPushApproval  bool
	EnforceAdmins            bool
	RequiredLinearHistory    bool
	AllowForcePushes         bool
	AllowDeletions           bool
	RequiredSignatures       bool
	StatusChecks             []string
	// Restrictions: who may push.
	PushUsers, PushTeams, PushApps []string
	// DismissalUsers, DismissalTeams, DismissalApps may dismiss reviews.
	DismissalUsers, DismissalTeams, DismissalApps []string
	// BypassUsers, BypassTeams, BypassApps may push without a pull request.
	BypassUsers, BypassTeams, BypassApps []string
}

// Rule is a ruleset rule that applies to a branch.
type Rule struct {
	Type       string
	RulesetID  int64
	Source     string // "owner/repo" or "org"
	SourceType string // Repository or Organization
	Parameters map[string]any
}

// Pull is a pull request.
type Pull struct {
	Number         int
	Title          string
	Body           string
	Author         string
	State          string // open, closed
	Merged         bool
	MergedBy       string
	MergedAt       time.Time
	MergeCommitSHA string
	Base, Head     string // branch names
	HeadSHA        string
	BaseSHA        string
	// Commits are the pull request's commits; with MergeCommitSHA they are
	// the commits /commits/{sha}/pulls finds it by.
	Commits            []string
	Reviews            []*PullReview
	Labels             []string
	Assignees          []string
	RequestedReviewers []string
	RequestedTeams     []string
	Milestone          string
	Draft              bool
	CreatedAt          time.Time
}

// PullReview is a pull request review.
type PullReview struct {
	ID          int64
	User        string
	State       string // APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED
	Body        string
	CommitID    string
	SubmittedAt time.Time
}

// CodeownersError is an error GitHub found in CODEOWNERS.
type CodeownersError struct {
	Line, Column int
	Kind         string
	Source       string
	Suggestion   string
	Message      string
	Path         string
}

// Run is a workflow run (its latest attempt).
type Run struct {
	ID, WorkflowID int64
	Attempt        int
	RunNumber      int
	Name           string
	Path           string
	Event          string
	HeadBranch     string
	HeadSHA        string
	// Actor triggered the run (pushed, opened, dispatched);
	// TriggeringActor started its latest attempt (re-ran it), Actor when "".
	Actor           string
	TriggeringActor string
	Status          string
	Conclusion      string
	CreatedAt       time.Time
	StartedAt       time.Time // this attempt's start
	Jobs            []*Job    // of every attempt
	Approvals       []*EnvApproval
	// Attempts holds earlier attempts' start times, by attempt number.
	AttemptStarts map[int]time.Time
	// PendingEnvironments are the environments whose deployment waits for
	// the custom protection rule (until it answers).
	PendingEnvironments []string
}

// Job is a job of a run attempt.
type Job struct {
	ID              int64
	Attempt         int
	Name            string
	Labels          []string
	RunnerID        int64
	RunnerName      string
	RunnerGroupID   int64
	RunnerGroupName string
	Status          string
	Conclusion      string
	CreatedAt       time.Time
	StartedAt       time.Time
	CompletedAt     time.Time
	Steps           []Step
	Log             string
}

// Step is a job step.
type Step struct {
	Number      int
	Name        string
	Status      string
	Conclusion  string
	StartedAt   time.Time
	CompletedAt time.Time
}

// EnvApproval is an entry of a run's environment review log. GitHub's log
// carries no time, and neither does the fake's.
type EnvApproval struct {
	User         string
	State        string // approved, rejected, pending
	Comment      string
	Environments []string
}

// Deployment is a deployment.
type Deployment struct {
	ID          int64
	SHA, Ref    string
	Task        string
	Payload     json.RawMessage
	Environment string
	Description string
	Creator     string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Statuses    []*DeploymentStatus // oldest first
	Production  bool
	Transient   bool
}

// DeploymentStatus is a deployment status.
type DeploymentStatus struct {
	ID             int64
	State          string
	Description    string
	EnvironmentURL string
	LogURL         string
	Creator        string
	CreatedAt      time.Time
}

// CheckRun is a check run.
type CheckRun struct {
	ID         int64
	Name       string
	HeadSHA    string
	Status     string
	Conclusion string
	Title      string
	Summary    string
	Text       string
	DetailsURL string
	ExternalID string
	// App is the slug of the app that posted it: "github-actions" for a
	// workflow's GITHUB_TOKEN (the default), "relproof" for the fake's App.
	// Only that app may update it.
	App         string
	StartedAt   time.Time
	CompletedAt time.Time
	Annotations []json.RawMessage
	// Writes counts creates and updates.
	Writes int
}

// Attestation is a stored Sigstore bundle and the subject digests of its
// statement.
type Attestation struct {
	ID      int64
	Bundle  json.RawMessage
	Digests []string
}

// ProtectionRuleReview is an answer to a custom deployment protection rule.
type ProtectionRuleReview struct {
	RunID       int64
	Environment string
	State       string
	Comment     string
	// At is when the fake received it (its own clock, not WithClock's).
	At time.Time
}
