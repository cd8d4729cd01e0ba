package github

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
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
	// ExternalID names who posted the check run (see CheckRunExternalID).
	// An existing check run is updated only when it names the same poster.
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
	// ExternalID is what the poster says it is (see CheckRunExternalID);
	// App is the slug of the GitHub App that posted it, which GitHub
	// records ("github-actions" for a workflow's GITHUB_TOKEN).
	ExternalID string `json:"external_id,omitempty"`
	App        string `json:"app"`
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

// ActionsApp is the slug of GitHub Actions, the app that posts the check
// runs of a workflow's GITHUB_TOKEN.
const ActionsApp = "github-actions"

// CheckRunExternalID is the external_id relproof gives the check run a
// workflow run posts for an environment: "relproof:RUN_ID:ATTEMPT:ENV".
func CheckRunExternalID(runID int64, attempt int, environment string) string {
	return fmt.Sprintf("relproof:%d:%d:%s", runID, attempt, environment)
}

// parseExternalID reads a CheckRunExternalID; ok is false for anything else.
func parseExternalID(s string) (runID int64, attempt int, environment string, ok bool) {
	parts := strings.SplitN(s, ":", 4)
	if len(parts) != 4 || parts[0] != "relproof" || parts[3] == "" {
		return 0, 0, "", false
	}
	runID, err1 := strconv.ParseInt(parts[1], 10, 64)
	attempt, err2 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || runID <= 0 || attempt <= 0 {
		return 0, 0, "", false
	}
	return runID, attempt, parts[3], true
}

// samePoster reports whether two external ids name the same poster: the
// same workflow run (any attempt) and environment, or, for ids that are not
// relproof's, the same id.
func samePoster(a, b string) bool {
	ra, _, ea, oka := parseExternalID(a)
	rb, _, eb, okb := parseExternalID(b)
	if oka || okb {
		return oka && okb && ra == rb && strings.EqualFold(ea, eb)
	}
	return a == b
}

// RunCheckRun is the check run a workflow run posted to show an
// environment's reviewers the digest: named CheckRunName(Environment),
// posted by GitHub Actions, whose external id names the run.
type RunCheckRun struct {
	Environment string
	HeadSHA     string // "" skips the commit check
	RunID       int64
	// Attempt is the run's latest attempt. A check run posted by any
	// attempt up to it is the run's: re-running only the failed jobs keeps
	// the check run an earlier attempt posted, and a prepare job that runs
	// again updates the same check run (and its time).
	Attempt int
}

// Mismatch says why cr is not the run's check run, or "" when it is. It
// quotes nothing the poster chose.
func (w RunCheckRun) Mismatch(cr *CheckRun) string {
	runID, attempt, env, ok := parseExternalID(cr.ExternalID)
	switch {
	case cr.Name != CheckRunName(w.Environment):
		return fmt.Sprintf("check run %d is not named %q", cr.ID, CheckRunName(w.Environment))
	case w.HeadSHA != "" && cr.HeadSHA != w.HeadSHA:
		return fmt.Sprintf("check run %d is on commit %s, not %s", cr.ID, cr.HeadSHA, w.HeadSHA)
	case cr.App != ActionsApp:
		return fmt.Sprintf("check run %d was posted by the app %q, not by GitHub Actions (%s)", cr.ID, cr.App, ActionsApp)
	case !ok:
		return fmt.Sprintf("check run %d has no external id naming a relproof run", cr.ID)
	case runID != w.RunID:
		return fmt.Sprintf("check run %d was posted for run %d, not run %d", cr.ID, runID, w.RunID)
	case !strings.EqualFold(env, w.Environment):
		return fmt.Sprintf("check run %d was posted for another environment than %q", cr.ID, w.Environment)
	case attempt > max(w.Attempt, 1):
		return fmt.Sprintf("check run %d names attempt %d of run %d, which has had %d", cr.ID, attempt, w.RunID, w.Attempt)
	}
	return ""
}

// FindRunCheckRun returns the check run the workflow run posted on the
// commit (see RunCheckRun), among every check run of that name, not only
// the latest: a check run another app or another run posted later is
// passed over. When none is the run's, or more than one claims to be, the
// error is a *CheckRunMismatchError saying why each was passed over.
func (c *Client) FindRunCheckRun(ctx context.Context, repo Repo, w RunCheckRun) (*CheckRun, error) {
	if w.HeadSHA == "" || w.RunID <= 0 || w.Environment == "" {
		return nil, fmt.Errorf("%w: finding a run's check run needs a commit, a run and an environment", ErrConfig)
	}
	name := CheckRunName(w.Environment)
	all, err := c.checkRunsNamed(ctx, repo, w.HeadSHA, name)
	if err != nil {
		return nil, err
	}
	e := &CheckRunMismatchError{Name: name, HeadSHA: w.HeadSHA, RunID: w.RunID}
	var found []*CheckRun
	for _, cr := range all {
		run := checkRunOf(cr)
		if why := w.Mismatch(run); why != "" {
			e.PassedOver = append(e.PassedOver, why)
			continue
		}
		found = append(found, run)
	}
	if len(found) == 1 {
		return found[0], nil
	}
	for _, cr := range found {
		e.Claimants = append(e.Claimants, cr.ID)
	}
	return nil, e
}

// CheckRunMismatchError says that no single check run on a commit is the
// one a run posted. It matches ErrNotFound when none is.
type CheckRunMismatchError struct {
	Name    string
	HeadSHA string
	RunID   int64
	// PassedOver says why each check run of that name is not the run's.
	PassedOver []string
	// Claimants are the check runs that each could be the run's, when
	// more than one is.
	Claimants []int64
}

func (e *CheckRunMismatchError) Error() string {
	var b strings.Builder
	if len(e.Claimants) > 1 {
		ids := make([]string, len(e.Claimants))
		for i, id := range e.Claimants {
			ids[i] = strconv.FormatInt(id, 10)
		}
		fmt.Fprintf(&b, "check runs %s on %s all claim to be the %q run %d posted; which one showed the digest is unknown", strings.Join(ids, ", "), e.HeadSHA, e.Name, e.RunID)
	} else {
		fmt.Fprintf(&b, "no check run %q on %s was posted by run %d", e.Name, e.HeadSHA, e.RunID)
	}
	if len(e.PassedOver) > 0 {
		b.WriteString(" (passed over: " + strings.Join(e.PassedOver, "; ") + ")")
	}
	return b.String()
}

// Is reports whether target is ErrNotFound and no check run claimed to be
// the run's.
func (e *CheckRunMismatchError) Is(target error) bool {
	return target == ErrNotFound && len(e.Claimants) == 0
}

// PostCheckRun creates the named check run on the commit, or updates the one
// the same poster already made there (r.ExternalID names the same run and
// environment, whatever the attempt: re-runs do not make duplicates, and
// another run's check run of the same name is left alone). Annotations beyond the 50
// GitHub takes per request are sent in further updates; GitHub appends
// annotations, so an update adds to those a previous run left.
func (c *Client) PostCheckRun(ctx context.Context, repo Repo, r CheckRunRequest) (*CheckRun, error) {
	if r.Name == "" || r.HeadSHA == "" || r.Title == "" {
		return nil, fmt.Errorf("%w: a check run needs a name, a head SHA and a title", ErrConfig)
	}
	op := fmt.Sprintf("posting check run %q on %s in %s", r.Name, r.HeadSHA, repo)
	named, err := c.checkRunsNamed(ctx, repo, r.HeadSHA, r.Name)
	if err != nil {
		return nil, err
	}
	// The poster's own check runs, newest first. GitHub lets only the app
	// that made a check run change it: one another app made that claims the
	// same poster is passed over, and a new one made when none is left.
	var mine []*gh.CheckRun
	for _, cr := range named {
		if samePoster(cr.GetExternalID(), r.ExternalID) {
			mine = append(mine, cr)
		}
	}
	slices.SortFunc(mine, func(a, b *gh.CheckRun) int { return cmp.Compare(b.GetID(), a.GetID()) })
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
	updated := false
	for _, existing := range mine {
		cr, _, err = c.updateCheckRun(ctx, repo, existing.GetID(), checkRunUpdate{
			Name: r.Name, DetailsURL: optional(r.DetailsURL), ExternalID: optional(r.ExternalID),
			Status: gh.String(status), Conclusion: conclusion, StartedAt: &now, CompletedAt: completedAt, Output: output,
		})
		if err == nil {
			updated = true
			break
		}
		if ferr := c.fail(op, err); !errors.Is(ferr, ErrForbidden) {
			return nil, ferr
		}
	}
	if !updated {
		cr, _, err = c.gh.Checks.CreateCheckRun(ctx, repo.Owner, repo.Name, gh.CreateCheckRunOptions{
			Name: r.Name, HeadSHA: r.HeadSHA, DetailsURL: optional(r.DetailsURL), ExternalID: optional(r.ExternalID),
			Status: gh.String(status), Conclusion: conclusion, StartedAt: &now, CompletedAt: completedAt, Output: output,
		})
		if err != nil {
			return nil, c.fail(op, err)
		}
	}
	for rest := annotations[len(first):]; len(rest) > 0; {
		n := min(len(rest), maxAnnotations)
		if _, _, err := c.updateCheckRun(ctx, repo, cr.GetID(), checkRunUpdate{Name: r.Name, Output: &gh.CheckRunOutput{Title: gh.String(r.Title), Summary: gh.String(r.Summary), Annotations: rest[:n]}}); err != nil {
			return nil, c.fail(op+": adding annotations", err)
		}
		rest = rest[n:]
	}
	out := checkRunOf(cr)
	out.Updated = updated
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

// FindCheckRun returns the latest check run of that name on the commit,
// whoever posted it; the error matches ErrNotFound when there is none. To
// find the check run a workflow run posted, use FindRunCheckRun.
func (c *Client) FindCheckRun(ctx context.Context, repo Repo, headSHA, name string) (*CheckRun, error) {
	named, err := c.checkRunsNamed(ctx, repo, headSHA, name)
	if err != nil {
		return nil, err
	}
	var found *gh.CheckRun
	for _, cr := range named {
		if found == nil || cr.GetID() > found.GetID() {
			found = cr
		}
	}
	if found == nil {
		return nil, &Error{Op: fmt.Sprintf("finding check run %q on %s in %s", name, headSHA, repo), Message: "no such check run", kind: ErrNotFound}
	}
	return checkRunOf(found), nil
}

// CheckRun reads a check run by id.
func (c *Client) CheckRun(ctx context.Context, repo Repo, id int64) (*CheckRun, error) {
	cr, _, err := c.gh.Checks.GetCheckRun(ctx, repo.Owner, repo.Name, id)
	if err != nil {
		return nil, c.fail(fmt.Sprintf("reading check run %d of %s", id, repo), err)
	}
	return checkRunOf(cr), nil
}

// checkRunsNamed lists every check run of that name on the commit: all of
// them (GitHub's default, filter=latest, shows only the most recent of a
// name, which whoever posts last decides), from every page.
func (c *Client) checkRunsNamed(ctx context.Context, repo Repo, headSHA, name string) ([]*gh.CheckRun, error) {
	opts := &gh.ListCheckRunsOptions{CheckName: gh.String(name), Filter: gh.String("all"), ListOptions: gh.ListOptions{PerPage: 100}}
	var out []*gh.CheckRun
	for page := 0; ; page++ {
		if page == maxPages {
			return nil, c.fail(fmt.Sprintf("listing check runs %q on %s in %s", name, headSHA, repo), fmt.Errorf("more than %d pages of them", maxPages))
		}
		res, resp, err := c.gh.Checks.ListCheckRunsForRef(ctx, repo.Owner, repo.Name, headSHA, opts)
		if err != nil {
			return nil, c.fail(fmt.Sprintf("listing check runs %q on %s in %s", name, headSHA, repo), err)
		}
		for _, cr := range res.CheckRuns {
			if cr.GetName() == name {
				out = append(out, cr)
			}
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
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
		ExternalID: cr.GetExternalID(),
		App:        cr.GetApp().GetSlug(),
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
