package fakesigstore

import (
	"net/http"
	"strings"
	"time"
)

// githubURL is the base of the URIs Fulcio derives from GitHub claims.
const githubURL = "https://github.com"

// Claims are the GitHub Actions OIDC claims of one job. Empty fields take the
// defaults documented on each field, so a test sets only what it checks.
type Claims struct {
	Repository        string // OWNER/REPO; required
	Ref               string // refs/heads/main, refs/tags/v1.0.0; required
	SHA               string // commit being built; required
	WorkflowRef       string // OWNER/REPO/.github/workflows/F.yml@REF; required
	JobWorkflowRef    string // reusable workflow that runs the job; default WorkflowRef
	EventName         string // default "push"
	RunnerEnvironment string // "github-hosted" (default) or "self-hosted"
	RunID             string // default "1"
	RunAttempt        string // default "1"

	Workflow             string // workflow name; default the path in WorkflowRef, as GitHub does for unnamed workflows
	WorkflowSHA          string // default SHA
	JobWorkflowSHA       string // default WorkflowSHA when JobWorkflowRef is defaulted, else SHA
	RepositoryOwner      string // default the OWNER of Repository
	RepositoryID         string // default "100"
	RepositoryOwnerID    string // default "200"
	RepositoryVisibility string // default "public"
	Actor                string // default RepositoryOwner
	ActorID              string // default RepositoryOwnerID
	Environment          string // deployment environment; empty for none
	// Subject is the sub claim; default as GitHub forms it:
	// repo:OWNER/REPO:environment:ENV, repo:OWNER/REPO:pull_request or
	// repo:OWNER/REPO:ref:REF.
	Subject string
	// ExpiresAt is the exp claim; default five minutes after issue. A time in
	// the past gives an expired token (issued five minutes before it).
	ExpiresAt time.Time
}

// withDefaults fills the empty fields as documented on Claims.
func (c Claims) withDefaults() Claims {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.WorkflowSHA, c.SHA)
	if c.JobWorkflowRef == "" {
		c.JobWorkflowRef = c.WorkflowRef
		def(&c.JobWorkflowSHA, c.WorkflowSHA)
	}
	def(&c.JobWorkflowSHA, c.SHA)
	def(&c.EventName, "push")
	def(&c.RunnerEnvironment, "github-hosted")
	def(&c.RunID, "1")
	def(&c.RunAttempt, "1")
	def(&c.Workflow, workflowPath(c.WorkflowRef))
	owner, _, _ := strings.Cut(c.Repository, "/")
	def(&c.RepositoryOwner, owner)
	def(&c.RepositoryID, "100")
	def(&c.RepositoryOwnerID, "200")
	def(&c.RepositoryVisibility, "public")
	def(&c.Actor, c.RepositoryOwner)
	def(&c.ActorID, c.RepositoryOwnerID)
	switch {
	case c.Environment != "":
		def(&c.Subject, "repo:"+c.Repository+":environment:"+c.Environment)
	case c.EventName == "pull_request":
		def(&c.Subject, "repo:"+c.Repository+":pull_request")
	default:
		def(&c.Subject, "repo:"+c.Repository+":ref:"+c.Ref)
	}
	return c
}

// workflowPath turns OWNER/REPO/.github/workflows/F.yml@REF into
// .github/workflows/F.yml.
func workflowPath(workflowRef string) string {
	p, _, _ := strings.Cut(workflowRef, "@")
	parts := strings.SplitN(p, "/", 3)
	if len(parts) < 3 {
		return p
	}
	return parts[2]
}

// SAN is the URI Fulcio puts in the certificate for these claims:
// https://github.com/ + the job workflow ref.
func (c Claims) SAN() string {
	return githubURL + "/" + c.withDefaults().JobWorkflowRef
}

// jwtClaims is the token payload GitHub issues for these claims, without the
// registered claims (iss, aud, exp, iat, nbf, jti).
func (c Claims) jwtClaims() map[string]any {
	c = c.withDefaults()
	m := map[string]any{
		"sub":                   c.Subject,
		"ref":                   c.Ref,
		"ref_type":              refType(c.Ref),
		"ref_protected":         "false",
		"sha":                   c.SHA,
		"repository":            c.Repository,
		"repository_owner":      c.RepositoryOwner,
		"repository_owner_id":   c.RepositoryOwnerID,
		"repository_id":         c.RepositoryID,
		"repository_visibility": c.RepositoryVisibility,
		"run_id":                c.RunID,
		"run_number":            c.RunID,
		"run_attempt":           c.RunAttempt,
		"actor":                 c.Actor,
		"actor_id":              c.ActorID,
		"workflow":              c.Workflow,
		"workflow_ref":          c.WorkflowRef,
		"workflow_sha":          c.WorkflowSHA,
		"job_workflow_ref":      c.JobWorkflowRef,
		"job_workflow_sha":      c.JobWorkflowSHA,
		"event_name":            c.EventName,
		"runner_environment":    c.RunnerEnvironment,
		"head_ref":              "",
		"base_ref":              "",
	}
	if c.Environment != "" {
		m["environment"] = c.Environment
	}
	return m
}

func refType(ref string) string {
	if strings.HasPrefix(ref, "refs/tags/") {
		return "tag"
	}
	return "branch"
}

// RefineClaims makes the ID-token endpoint pass the claims registered for a
// request token, with the request, through f, and issue what it returns (or
// refuse the token with its error). The act e2e uses it to give each job of
// a run its own job_workflow_ref, as GitHub does.
func (s *Stack) RefineClaims(f func(r *http.Request, c Claims) (Claims, error)) {
	s.issuer.mu.Lock()
	s.issuer.refine = f
	s.issuer.mu.Unlock()
}

// ActionsEnv is the environment of a GitHub Actions job with these claims:
// the ID-token request pair that go-githubactions' GetIDToken reads, pointing
// at this stack's issuer, and the GITHUB_* variables that match the claims.
// Pass it through githubactions.WithGetenv.
func (s *Stack) ActionsEnv(c Claims) map[string]string {
	requestToken := s.issuer.registerRequestToken(c)
	c = c.withDefaults()
	refName := c.Ref
	for _, p := range []string{"refs/heads/", "refs/tags/"} {
		refName = strings.TrimPrefix(refName, p)
	}
	return map[string]string{
		"ACTIONS_ID_TOKEN_REQUEST_URL":   s.IssuerURL + tokenRequestPath + "?api-version=2.0",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": requestToken,
		"GITHUB_ACTIONS":                 "true",
		"GITHUB_SERVER_URL":              githubURL,
		"GITHUB_API_URL":                 "https://api.github.com",
		"GITHUB_REPOSITORY":              c.Repository,
		"GITHUB_REPOSITORY_ID":           c.RepositoryID,
		"GITHUB_REPOSITORY_OWNER":        c.RepositoryOwner,
		"GITHUB_REPOSITORY_OWNER_ID":     c.RepositoryOwnerID,
		"GITHUB_REF":                     c.Ref,
		"GITHUB_REF_NAME":                refName,
		"GITHUB_REF_TYPE":                refType(c.Ref),
		"GITHUB_SHA":                     c.SHA,
		"GITHUB_WORKFLOW":                c.Workflow,
		"GITHUB_WORKFLOW_REF":            c.WorkflowRef,
		"GITHUB_WORKFLOW_SHA":            c.WorkflowSHA,
		"GITHUB_EVENT_NAME":              c.EventName,
		"GITHUB_RUN_ID":                  c.RunID,
		"GITHUB_RUN_NUMBER":              c.RunID,
		"GITHUB_RUN_ATTEMPT":             c.RunAttempt,
		"GITHUB_ACTOR":                   c.Actor,
		"GITHUB_ACTOR_ID":                c.ActorID,
		"GITHUB_TRIGGERING_ACTOR":        c.Actor,
		"RUNNER_ENVIRONMENT":             c.RunnerEnvironment,
	}
}
