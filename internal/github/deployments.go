package github

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"
)

// Deployment states relproof posts (GitHub's deployment status states).
const (
	DeploymentSuccess    = "success"
	DeploymentInProgress = "in_progress"
	DeploymentFailure    = "failure"
	DeploymentError      = "error"
	DeploymentInactive   = "inactive"
	DeploymentQueued     = "queued"
	DeploymentPending    = "pending"
)

// DeploymentStates are the states a deployment status may have.
var DeploymentStates = []string{DeploymentSuccess, DeploymentInProgress, DeploymentQueued, DeploymentPending, DeploymentFailure, DeploymentError, DeploymentInactive}

// DeploymentPayload is what relproof puts in a deployment's payload: the
// digest deployed travels with the deployment.
type DeploymentPayload struct {
	Digest         string `json:"digest"`
	Subject        string `json:"subject,omitempty"`
	RollbackDigest string `json:"rollback_digest,omitempty"`
}

// DeploymentRequest is a deployment to create.
type DeploymentRequest struct {
	Environment string
	// Ref is the commit (or branch, tag) deployed; GitHub records its SHA.
	Ref               string
	Payload           DeploymentPayload
	Description       string
	Production        *bool
	Transient         bool
	State             string // the status to post (default success)
	EnvironmentURL    string
	LogURL            string
	StatusDescription string
}

// Deployment is a deployment and what GitHub recorded about it.
type Deployment struct {
	Repository  string             `json:"repository"`
	ID          int64              `json:"id"`
	URL         string             `json:"url"`
	Environment string             `json:"environment"`
	Ref         string             `json:"ref"`
	SHA         string             `json:"sha"`
	Digest      string             `json:"digest"`
	Subject     string             `json:"subject,omitempty"`
	Creator     string             `json:"creator,omitempty"`
	CreatedAt   time.Time          `json:"created_at"`
	Statuses    []DeploymentStatus `json:"statuses"`
	// Previous is the environment's last successful deployment that carries
	// a digest, before this one: the default rollback target.
	Previous       *PreviousDeployment `json:"previous,omitempty"`
	RollbackDigest string              `json:"rollback_digest,omitempty"`
}

// DeploymentStatus is one status of a deployment.
type DeploymentStatus struct {
	ID             int64     `json:"id"`
	State          string    `json:"state"`
	Description    string    `json:"description,omitempty"`
	EnvironmentURL string    `json:"environment_url,omitempty"`
	LogURL         string    `json:"log_url,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

// PreviousDeployment is an earlier successful deployment.
type PreviousDeployment struct {
	ID        int64     `json:"id"`
	URL       string    `json:"url"`
	Digest    string    `json:"digest"`
	SHA       string    `json:"sha"`
	CreatedAt time.Time `json:"created_at"`
}

// PreviousSuccessfulDeployment finds the environment's most recent deployment
// that succeeded and carries a digest in its payload, as GitHub lists them
// (deployments GitHub Actions makes for jobs carry none and are passed
// over, as is a payload whose digest is not one). It returns nil when there
// is none. GitHub's deployments are anyone's with deployments: write: what
// relproof trusts, it takes from decide.FindRollbackTarget.
func (c *Client) PreviousSuccessfulDeployment(ctx context.Context, repo Repo, env string) (*PreviousDeployment, error) {
	deps, truncated, err := c.listDeployments(ctx, repo, env, "")
	if err != nil {
		return nil, err
	}
	for _, d := range deps {
		p := payloadOf(d.Payload)
		if !digestShaped.MatchString(p.Digest) {
			continue
		}
		statuses, err := c.deploymentStatuses(ctx, repo, d.GetID())
		if err != nil {
			return nil, err
		}
		if succeeded(statuses) {
			prev := previousOf(d, p)
			return &prev, nil
		}
	}
	// None among all relproof reads is not none at all: never take a list
	// cut short for an environment that was never deployed to.
	if truncated {
		return nil, fmt.Errorf("%w: %s has more deployments than relproof read, and none of those succeeded with a digest; relproof does not take that for a first release", ErrIncomplete, env)
	}
	return nil, nil
}

// digestShaped is what a digest in a payload must look like to be taken.
var digestShaped = regexp.MustCompile(`^sha(256:[0-9a-f]{64}|512:[0-9a-f]{128})$`)

// DeploymentOf is one of an environment's deployments that carries a
// digest, with what its statuses say.
type DeploymentOf struct {
	PreviousDeployment
	// Succeeded: one of its statuses is success, and none is a failure or
	// an error (a status posted after a failure does not undo it).
	Succeeded bool
}

// DeploymentsOf lists the environment's deployments that carry a digest in
// their payload, of digests other than digest, newest first, at most max of
// them, and whether GitHub has more than relproof read. GitHub's
// deployments and their statuses are anyone's with deployments: write;
// decide.FindRollbackTarget takes one only with a signed deployment record.
func (c *Client) DeploymentsOf(ctx context.Context, repo Repo, env, digest string, max int) ([]DeploymentOf, bool, error) {
	deps, truncated, err := c.listDeployments(ctx, repo, env, "")
	if err != nil {
		return nil, false, err
	}
	var found []DeploymentOf
	for _, d := range deps {
		p := payloadOf(d.Payload)
		if p.Digest == "" || p.Digest == digest {
			continue
		}
		if len(found) == max {
			return found, true, nil
		}
		statuses, err := c.deploymentStatuses(ctx, repo, d.GetID())
		if err != nil {
			return nil, false, err
		}
		found = append(found, DeploymentOf{PreviousDeployment: previousOf(d, p), Succeeded: succeeded(statuses)})
	}
	return found, truncated, nil
}

func previousOf(d *gh.Deployment, p DeploymentPayload) PreviousDeployment {
	return PreviousDeployment{ID: d.GetID(), URL: d.GetURL(), Digest: p.Digest, SHA: d.GetSHA(), CreatedAt: d.GetCreatedAt().UTC()}
}

// succeeded: one of the statuses is success, and none is a failure or an
// error (a success posted after a failure does not undo it).
func succeeded(statuses []DeploymentStatus) bool {
	return slices.ContainsFunc(statuses, func(s DeploymentStatus) bool { return s.State == DeploymentSuccess }) &&
		!slices.ContainsFunc(statuses, func(s DeploymentStatus) bool { return s.State == DeploymentFailure || s.State == DeploymentError })
}

// payloadOf reads relproof's payload from a deployment; GitHub returns a
// payload given as a JSON string as that string.
func payloadOf(raw json.RawMessage) DeploymentPayload {
	var p DeploymentPayload
	if err := json.Unmarshal(raw, &p); err == nil {
		return p
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		_ = json.Unmarshal([]byte(s), &p)
	}
	return p
}

// CreateDeployment creates a deployment of r.Ref to r.Environment with the
// digest in its payload, and posts its status. Commit status checks are not
// required (the gate has decided), and GitHub does not merge the default
// branch into the ref.
func (c *Client) CreateDeployment(ctx context.Context, repo Repo, r DeploymentRequest) (*Deployment, error) {
	if r.Environment == "" || r.Ref == "" || r.Payload.Digest == "" {
		return nil, fmt.Errorf("%w: a deployment needs an environment, a ref and a digest", ErrConfig)
	}
	state := r.State
	if state == "" {
		state = DeploymentSuccess
	}
	op := fmt.Sprintf("creating a deployment of %s to %s in %s", r.Payload.Digest, r.Environment, repo)
	noContexts := []string{}
	req := &gh.DeploymentRequest{
		Ref:                   gh.String(r.Ref),
		Task:                  gh.String("deploy"),
		AutoMerge:             gh.Bool(false),
		RequiredContexts:      &noContexts,
		Payload:               r.Payload,
		Environment:           gh.String(r.Environment),
		Description:           gh.String(r.Description),
		TransientEnvironment:  gh.Bool(r.Transient),
		ProductionEnvironment: r.Production,
	}
	d, _, err := c.gh.Repositories.CreateDeployment(ctx, repo.Owner, repo.Name, req)
	if err != nil {
		return nil, c.fail(op, err)
	}
	if d.GetID() == 0 {
		return nil, c.fail(op, fmt.Errorf("%w: GitHub answered without a deployment id", ErrMalformed))
	}
	sreq := &gh.DeploymentStatusRequest{
		State:        gh.String(state),
		Description:  gh.String(r.StatusDescription),
		Environment:  gh.String(r.Environment),
		AutoInactive: gh.Bool(state == DeploymentSuccess),
	}
	if r.EnvironmentURL != "" {
		sreq.EnvironmentURL = gh.String(r.EnvironmentURL)
	}
	if r.LogURL != "" {
		sreq.LogURL = gh.String(r.LogURL)
	}
	if _, _, err := c.gh.Repositories.CreateDeploymentStatus(ctx, repo.Owner, repo.Name, d.GetID(), sreq); err != nil {
		return nil, c.fail(fmt.Sprintf("posting the %s status of deployment %d", state, d.GetID()), err)
	}
	statuses, err := c.deploymentStatuses(ctx, repo, d.GetID())
	if err != nil {
		return nil, err
	}
	p := payloadOf(d.Payload)
	if p.Digest != r.Payload.Digest {
		return nil, c.fail(op, fmt.Errorf("%w: deployment %d's payload carries digest %q, not %s", ErrMalformed, d.GetID(), p.Digest, r.Payload.Digest))
	}
	return &Deployment{
		Repository:  repo.String(),
		ID:          d.GetID(),
		URL:         d.GetURL(),
		Environment: d.GetEnvironment(),
		Ref:         d.GetRef(),
		SHA:         d.GetSHA(),
		Digest:      p.Digest,
		Subject:     p.Subject,
		Creator:     d.GetCreator().GetLogin(),
		CreatedAt:   d.GetCreatedAt().UTC(),
		Statuses:    statuses,
	}, nil
}

// deploymentStatuses lists a deployment's statuses, newest first.
func (c *Client) deploymentStatuses(ctx context.Context, repo Repo, id int64) ([]DeploymentStatus, error) {
	opts := &gh.ListOptions{PerPage: 100}
	out := []DeploymentStatus{}
	for page := 0; page < maxPages; page++ {
		ss, resp, err := c.gh.Repositories.ListDeploymentStatuses(ctx, repo.Owner, repo.Name, id, opts)
		if err != nil {
			return nil, c.fail(fmt.Sprintf("listing the statuses of deployment %d in %s", id, repo), err)
		}
		for _, s := range ss {
			out = append(out, DeploymentStatus{
				ID:             s.GetID(),
				State:          strings.ToLower(s.GetState()),
				Description:    s.GetDescription(),
				EnvironmentURL: s.GetEnvironmentURL(),
				LogURL:         s.GetLogURL(),
				CreatedAt:      s.GetCreatedAt().UTC(),
			})
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return out, nil
}
