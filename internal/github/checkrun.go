package github

import (
	"context"
	"fmt"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"
)

// Annotation levels of check runs.
const (
	AnnotationNotice  = "notice"
	AnnotationWarning = "warning"
	AnnotationFailure = "failure"
)

// Check run conclusions relproof posts.
const (
	ConclusionSuccess        = "success"
	ConclusionFailure        = "failure"
	ConclusionNeutral        = "neutral"
	ConclusionActionRequired = "action_required"
)

// maxAnnotations is how many annotations GitHub takes in one request.
const maxAnnotations = 50

// CheckRunRequest is a check run to post on a commit.
type CheckRunRequest struct {
	Name       string // see CheckRunName
	HeadSHA    string
	Title      string // see CheckRunTitle
	Summary    string // Markdown
	Text       string // Markdown, optional
	DetailsURL string
	ExternalID string
	// Conclusion completes the check run; "" leaves it in progress.
	Conclusion  string
	Annotations []CheckAnnotation
}

// CheckAnnotation is an annotation of a check run. Path defaults to
// ".github" (GitHub requires one) and lines to 1.
type CheckAnnotation struct {
	Path      string
	StartLine int
	EndLine   int
	Level     string // notice, warning or failure
	Title     string
	Message   string
}

// CheckRun is a posted check run.
type CheckRun struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	HeadSHA    string `json:"head_sha"`
	URL        string `json:"url"`
	HTMLURL    string `json:"html_url"`
	Status     string `json:"status"`
	Conclusion string `json:"conclusion,omitempty"`
	Title      string `json:"title"`
	Summary    string `json:"summary"`
	// PostedAt is when relproof last wrote the check run (its started_at,
	// which relproof sets on every write): when it last showed its title.
	PostedAt time.Time `json:"posted_at"`
	// Updated says that an existing check run of the same name was updated
	// rather than a new one created.
	Updated bool `json:"updated"`
}

// CheckRunName is the name of relproof's check run for an environment.
func CheckRunName(environment string) string { return "relproof / " + environment }

// CheckRunTitle is the title that shows reviewers which digest they approve.
func CheckRunTitle(environment, digest string) string {
	return fmt.Sprintf("%s → %s", digest, environment)
}

// DigestOfTitle returns the digest a CheckRunTitle shows, or "".
func DigestOfTitle(title string) string {
	d, _, ok := strings.Cut(title, " → ")
	if !ok {
		return ""
	}
	return d
}

// PostCheckRun creates the named check run on the commit, or updates the one
// already there (re-runs do not make duplicates). Annotations beyond the 50
// GitHub takes per request are sent in further updates; GitHub appends
// annotations, so an update adds to those a previous run left.
func (c *Client) PostCheckRun(ctx context.Context, repo Repo, r CheckRunRequest) (*CheckRun, error) {
	if r.Name == "" || r.HeadSHA == "" || r.Title == "" {
		return nil, fmt.Errorf("%w: a check run needs a name, a head SHA and a title", ErrConfig)
	}
	op := fmt.Sprintf("posting check run %q on %s in %s", r.Name, r.HeadSHA, repo)
	existing, err := c.findCheckRun(ctx, repo, r.HeadSHA, r.Name)
	if err != nil {
		return nil, err
	}
	now := gh.Timestamp{Time: c.now().UTC().Truncate(time.Second)}
	annotations := annotationsOf(r.Annotations)
	first := annotations[:min(len(annotations), maxAnnotations)]
	output := &gh.CheckRunOutput{Title: gh.String(r.Title), Summary: gh.String(r.Summary), Annotations: first}
	if r.Text != "" {
		output.Text = gh.String(r.Text)
	}
	status, conclusion, completedAt := "in_progress", (*string)(nil), (*gh.Timestamp)(nil)
	if r.Conclusion != "" {
		status, conclusion, completedAt = "completed", gh.String(r.Conclusion), &now
	}
	var cr *gh.CheckRun
	if existing == nil {
		cr, _, err = c.gh.Checks.CreateCheckRun(ctx, repo.Owner, repo.Name, gh.CreateCheckRunOptions{
			Name: r.Name, HeadSHA: r.HeadSHA, DetailsURL: optional(r.DetailsURL), ExternalID: optional(r.ExternalID),
			Status: gh.String(status), Conclusion: conclusion, StartedAt: &now, CompletedAt: completedAt, Output: output,
		})
	} else {
		cr, _, err = c.updateCheckRun(ctx, repo, existing.GetID(), checkRunUpdate{
			Name: r.Name, DetailsURL: optional(r.DetailsURL), ExternalID: optional(r.ExternalID),
			Status: gh.String(status), Conclusion: conclusion, StartedAt: &now, CompletedAt: completedAt, Output: output,
		})
	}
	if err != nil {
		return nil, c.fail(op, err)
	}
	for rest := annotations[len(first):]; len(rest) > 0; {
		n := min(len(rest), maxAnnotations)
		if _, _, err := c.updateCheckRun(ctx, repo, cr.GetID(), checkRunUpdate{Name: r.Name, Output: &gh.CheckRunOutput{Title: gh.String(r.Title), Summary: gh.String(r.Summary), Annotations: rest[:n]}}); err != nil {
			return nil, c.fail(op+": adding annotations", err)
		}
		rest = rest[n:]
	}
	out := checkRunOf(cr)
	out.Updated = existing != nil
	if out.PostedAt.IsZero() {
		out.PostedAt = now.Time
	}
	return out, nil
}

// checkRunUpdate is go-github's UpdateCheckRunOptions with started_at, which
// GitHub takes on update and v62 does not send.
type checkRunUpdate struct {
	Name        string             `json:"name"`
	DetailsURL  *string            `json:"details_url,omitempty"`
	ExternalID  *string            `json:"external_id,omitempty"`
	Status      *string            `json:"status,omitempty"`
	Conclusion  *string            `json:"conclusion,omitempty"`
	StartedAt   *gh.Timestamp      `json:"started_at,omitempty"`
	CompletedAt *gh.Timestamp      `json:"completed_at,omitempty"`
	Output      *gh.CheckRunOutput `json:"output,omitempty"`
}

func (c *Client) updateCheckRun(ctx context.Context, repo Repo, id int64, u checkRunUpdate) (*gh.CheckRun, *gh.Response, error) {
	var cr gh.CheckRun
	resp, err := c.do(ctx, "PATCH", fmt.Sprintf("repos/%s/%s/check-runs/%d", repo.Owner, repo.Name, id), u, &cr)
	if err != nil {
		return nil, resp, err
	}
	return &cr, resp, nil
}

// FindCheckRun returns the latest check run of that name on the commit; the
// error matches ErrNotFound when there is none.
func (c *Client) FindCheckRun(ctx context.Context, repo Repo, headSHA, name string) (*CheckRun, error) {
	cr, err := c.findCheckRun(ctx, repo, headSHA, name)
	if err != nil {
		return nil, err
	}
	if cr == nil {
		return nil, &Error{Op: fmt.Sprintf("finding check run %q on %s in %s", name, headSHA, repo), Message: "no such check run", kind: ErrNotFound}
	}
	return checkRunOf(cr), nil
}

// CheckRun reads a check run by id.
func (c *Client) CheckRun(ctx context.Context, repo Repo, id int64) (*CheckRun, error) {
	cr, _, err := c.gh.Checks.GetCheckRun(ctx, repo.Owner, repo.Name, id)
	if err != nil {
		return nil, c.fail(fmt.Sprintf("reading check run %d of %s", id, repo), err)
	}
	return checkRunOf(cr), nil
}

func (c *Client) findCheckRun(ctx context.Context, repo Repo, headSHA, name string) (*gh.CheckRun, error) {
	res, _, err := c.gh.Checks.ListCheckRunsForRef(ctx, repo.Owner, repo.Name, headSHA, &gh.ListCheckRunsOptions{
		CheckName: gh.String(name), Filter: gh.String("latest"), ListOptions: gh.ListOptions{PerPage: 100},
	})
	if err != nil {
		return nil, c.fail(fmt.Sprintf("listing check runs %q on %s in %s", name, headSHA, repo), err)
	}
	var found *gh.CheckRun
	for _, cr := range res.CheckRuns {
		if cr.GetName() == name && (found == nil || cr.GetID() > found.GetID()) {
			found = cr
		}
	}
	return found, nil
}

func checkRunOf(cr *gh.CheckRun) *CheckRun {
	return &CheckRun{
		ID:         cr.GetID(),
		Name:       cr.GetName(),
		HeadSHA:    cr.GetHeadSHA(),
		URL:        cr.GetURL(),
		HTMLURL:    cr.GetHTMLURL(),
		Status:     cr.GetStatus(),
		Conclusion: cr.GetConclusion(),
		Title:      cr.GetOutput().GetTitle(),
		Summary:    cr.GetOutput().GetSummary(),
		PostedAt:   cr.GetStartedAt().UTC(),
	}
}

func annotationsOf(in []CheckAnnotation) []*gh.CheckRunAnnotation {
	out := make([]*gh.CheckRunAnnotation, 0, len(in))
	for _, a := range in {
		path, start, end, level := a.Path, a.StartLine, a.EndLine, a.Level
		if path == "" {
			path = ".github"
		}
		start = max(start, 1)
		end = max(end, start)
		if level == "" {
			level = AnnotationNotice
		}
		ann := &gh.CheckRunAnnotation{Path: gh.String(path), StartLine: gh.Int(start), EndLine: gh.Int(end), AnnotationLevel: gh.String(level), Message: gh.String(a.Message)}
		if a.Title != "" {
			ann.Title = gh.String(a.Title)
		}
		out = append(out, ann)
	}
	return out
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return gh.String(s)
}
