package github

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	gh "github.com/google/go-github/v62/github"
)

// Runner hosting of a job.
const (
	GitHubHosted   = "github-hosted"
	SelfHosted     = "self-hosted"
	HostingUnknown = "unknown"
)

// BuildEvidence is the record of a workflow run attempt: the run, its jobs,
// their runners and their logs by digest.
type BuildEvidence struct {
	Repository string `json:"repository"`
	Run        Run    `json:"run"`
	Jobs       []Job  `json:"jobs"`
}

// Job is one job of a run and the runner it ran on.
type Job struct {
	ID              int64    `json:"id"`
	Name            string   `json:"name"`
	RunAttempt      int      `json:"run_attempt"`
	Status          string   `json:"status"`
	Conclusion      string   `json:"conclusion,omitempty"`
	URL             string   `json:"url"`
	Labels          []string `json:"labels"`
	RunnerName      string   `json:"runner_name,omitempty"`
	RunnerGroupID   int64    `json:"runner_group_id,omitempty"`
	RunnerGroupName string   `json:"runner_group_name,omitempty"`
	Hosting         string   `json:"hosting"`
	// RunnerImage and RunnerImageVersion come from the job log's "Runner
	// Image" section (GitHub-hosted runners print it); the API gives neither.
	RunnerImage        string     `json:"runner_image,omitempty"`
	RunnerImageVersion string     `json:"runner_image_version,omitempty"`
	StartedAt          *time.Time `json:"started_at,omitempty"`
	CompletedAt        *time.Time `json:"completed_at,omitempty"`
	Log                *JobLog    `json:"log,omitempty"`
}

// JobLog is a job's log, by digest.
type JobLog struct {
	Digest string `json:"digest"` // sha256:HEX of the log as downloaded
	Size   int64  `json:"size"`
	File   string `json:"file,omitempty"`
}

// BuildOptions say what BuildEvidence downloads.
type BuildOptions struct {
	// Attempt is the run attempt (0: the latest).
	Attempt int
	// Logs downloads and digests every completed job's log.
	Logs bool
	// LogDir, when set, keeps each log there as job-ID.log.
	LogDir string
	// MaxLogSize bounds one log (default 1 GiB); a longer log is an error.
	MaxLogSize int64
}

// BuildEvidence reads a run attempt, its jobs and, with opts.Logs, each
// completed job's log.
func (c *Client) BuildEvidence(ctx context.Context, repo Repo, runID int64, opts BuildOptions) (*BuildEvidence, error) {
	run, err := c.Run(ctx, repo, runID)
	if err != nil {
		return nil, err
	}
	attempt := opts.Attempt
	if attempt == 0 {
		attempt = run.Attempt
	}
	if attempt != run.Attempt {
		var r workflowRun
		if _, err := c.do(ctx, http.MethodGet, fmt.Sprintf("repos/%s/%s/actions/runs/%d/attempts/%d", repo.Owner, repo.Name, runID, attempt), nil, &r); err != nil {
			return nil, c.fail(fmt.Sprintf("reading attempt %d of run %d of %s", attempt, runID, repo), err)
		}
		run = runOf(&r)
	}
	ev := &BuildEvidence{Repository: repo.String(), Run: *run, Jobs: []Job{}}
	lo := &gh.ListOptions{PerPage: 100}
	for page := 0; page < maxPages; page++ {
		jobs, resp, err := c.gh.Actions.ListWorkflowJobsAttempt(ctx, repo.Owner, repo.Name, runID, int64(attempt), lo)
		if err != nil {
			return nil, c.fail(fmt.Sprintf("listing the jobs of attempt %d of run %d of %s", attempt, runID, repo), err)
		}
		for _, j := range jobs.Jobs {
			ev.Jobs = append(ev.Jobs, jobOf(j))
		}
		if resp.NextPage == 0 {
			break
		}
		lo.Page = resp.NextPage
	}
	if !opts.Logs {
		return ev, nil
	}
	for i := range ev.Jobs {
		j := &ev.Jobs[i]
		if j.Status != "completed" {
			continue
		}
		if err := c.jobLog(ctx, repo, j, opts); err != nil {
			return nil, err
		}
	}
	return ev, nil
}

func jobOf(j *gh.WorkflowJob) Job {
	labels := j.Labels
	if labels == nil {
		labels = []string{}
	}
	out := Job{
		ID:              j.GetID(),
		Name:            j.GetName(),
		RunAttempt:      int(j.GetRunAttempt()),
		Status:          j.GetStatus(),
		Conclusion:      j.GetConclusion(),
		URL:             j.GetHTMLURL(),
		Labels:          labels,
		RunnerName:      j.GetRunnerName(),
		RunnerGroupID:   j.GetRunnerGroupID(),
		RunnerGroupName: j.GetRunnerGroupName(),
	}
	out.Hosting = hosting(out)
	if t := j.GetStartedAt(); !t.IsZero() {
		u := t.UTC()
		out.StartedAt = &u
	}
	if t := j.GetCompletedAt(); !t.IsZero() {
		u := t.UTC()
		out.CompletedAt = &u
	}
	return out
}

// hosting tells a GitHub-hosted runner from a self-hosted one by what the
// API gives: the "self-hosted" label a job asks for, the runner group GitHub
// puts its runners in ("GitHub Actions") or the default group of
// self-hosted runners ("Default"), and the names GitHub gives its runners.
func hosting(j Job) string {
	switch {
	case slices.ContainsFunc(j.Labels, func(l string) bool { return strings.EqualFold(l, "self-hosted") }):
		return SelfHosted
	case j.RunnerGroupName == "GitHub Actions", strings.HasPrefix(j.RunnerName, "GitHub Actions "), strings.HasPrefix(j.RunnerName, "Hosted Agent"):
		return GitHubHosted
	case j.RunnerGroupName == "Default":
		return SelfHosted
	}
	return HostingUnknown
}

// jobLog downloads a job's log from where GitHub redirects, digests it, and
// keeps it in opts.LogDir. The download goes to blob storage without the
// token.
func (c *Client) jobLog(ctx context.Context, repo Repo, j *Job, opts BuildOptions) error {
	op := fmt.Sprintf("downloading the log of job %d (%s) of %s", j.ID, j.Name, repo)
	u, _, err := c.gh.Actions.GetWorkflowJobLogs(ctx, repo.Owner, repo.Name, j.ID, 1)
	if err != nil {
		return c.fail(op, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return c.fail(op, err)
	}
	resp, err := c.download.Do(req)
	if err != nil {
		return c.fail(op, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return c.fail(op, fmt.Errorf("log storage answered %s", resp.Status))
	}
	limit := opts.MaxLogSize
	if limit <= 0 {
		limit = 1 << 30
	}
	var sink io.Writer = io.Discard
	var tmp *os.File
	if opts.LogDir != "" {
		tmp, err = os.CreateTemp(opts.LogDir, fmt.Sprintf(".job-%d.log.tmp-*", j.ID))
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		defer func() {
			if tmp != nil {
				tmp.Close()
				os.Remove(tmp.Name())
			}
		}()
		sink = tmp
	}
	h := sha256.New()
	img := &imageScanner{}
	n, err := io.Copy(io.MultiWriter(h, sink, img), io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return c.fail(op, err)
	}
	if n > limit {
		return fmt.Errorf("%s: the log is larger than %d bytes", op, limit)
	}
	j.Log = &JobLog{Digest: "sha256:" + hex.EncodeToString(h.Sum(nil)), Size: n}
	j.RunnerImage, j.RunnerImageVersion = img.result()
	if tmp != nil {
		name := filepath.Join(opts.LogDir, fmt.Sprintf("job-%d.log", j.ID))
		if err := errors.Join(tmp.Sync(), tmp.Close()); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		if err := os.Rename(tmp.Name(), name); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		tmp = nil
		j.Log.File = name
	}
	return nil
}

// imageScanner reads the "Runner Image" section at the top of a job log:
//
//	2024-05-01T10:00:00.0000000Z ##[group]Runner Image
//	2024-05-01T10:00:00.0000000Z Image: ubuntu-24.04
//	2024-05-01T10:00:00.0000000Z Version: 20240422.1.0
type imageScanner struct {
	buf     []byte
	lines   int
	section bool
	image   string
	version string
	done    bool
}

var logTimestamp = regexp.MustCompile(`^\x{FEFF}?\d{4}-\d\d-\d\dT[0-9:.]+Z `)

func (s *imageScanner) Write(p []byte) (int, error) {
	if s.done {
		return len(p), nil
	}
	s.buf = append(s.buf, p...)
	for !s.done {
		i := bytes.IndexByte(s.buf, '\n')
		if i < 0 {
			break
		}
		s.line(strings.TrimSpace(logTimestamp.ReplaceAllString(string(s.buf[:i]), "")))
		s.buf = s.buf[i+1:]
	}
	if len(s.buf) > 64<<10 {
		s.done = true // a line this long is no runner header
	}
	return len(p), nil
}

func (s *imageScanner) line(l string) {
	s.lines++
	switch {
	case s.lines > 400:
		s.done = true
	case strings.HasSuffix(l, "Runner Image"):
		s.section = true
	case s.section && strings.HasPrefix(l, "Image: ") && s.image == "":
		s.image = strings.TrimPrefix(l, "Image: ")
	case s.section && strings.HasPrefix(l, "Version: ") && s.version == "":
		s.version = strings.TrimPrefix(l, "Version: ")
	case s.section && strings.Contains(l, "##[endgroup]"):
		s.section = false
		s.done = s.image != ""
	}
}

func (s *imageScanner) result() (string, string) { return s.image, s.version }
