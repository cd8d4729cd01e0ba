package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/relproof/relproof/internal/github"
	"github.com/relproof/relproof/internal/subject"
)

func newSourceCmd(env *Env, g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "source",
		Short: "Source evidence from GitHub",
	}
	cmd.AddCommand(newSourceEvidenceCmd(env, g))
	return cmd
}

type sourceEvidenceOptions struct {
	gh          githubFlags
	commit      string
	environment string
	branch      string
	dir         string
}

// Files `source evidence` writes (the evidence pack's 01-source/).
const (
	sourceSummaryFile = "pull-request-summary.md"
	sourceRangeFile   = "commit-range.txt"
	sourceJSONFile    = "source-evidence.json"
)

// sourceRecord is source-evidence.json: the source of a digest.
type sourceRecord struct {
	Subject string                 `json:"subject"`
	Digest  string                 `json:"digest"`
	Source  *github.SourceEvidence `json:"source"`
	Files   []string               `json:"files"`
}

func newSourceEvidenceCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &sourceEvidenceOptions{}
	cmd := &cobra.Command{
		Use:   "evidence SUBJECT [--commit SHA]",
		Short: "Write what GitHub records about the source of a digest",
		Long: `Read what GitHub records about the commit the subject was built from, and
write it into --dir as the evidence pack's 01-source/ files:

  pull-request-summary.md  the pull requests that brought the commit, their
                           reviews and at which commit each was given, who
                           merged; branch protection and rulesets; whether
                           CODEOWNERS covers .github/workflows/
  commit-range.txt         the commits since the previous successful
                           deployment to --environment
  source-evidence.json     all of it, with the subject's digest

All three are written, or none. The branch is --branch, or the base of the
merged pull request. Reads GITHUB_API_URL, GITHUB_TOKEN (or a GitHub App),
GITHUB_REPOSITORY and GITHUB_SHA (the default --commit).`,
		Example: `  relproof source evidence oci://ghcr.io/acme/app@sha256:… --commit "$GITHUB_SHA" \
    --environment production --dir release-evidence/01-source`,
		Args: exactArgs(1, "one SUBJECT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSourceEvidence(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), env, g, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.commit, "commit", "", "the commit the subject was built from (default: GITHUB_SHA)")
	f.StringVar(&o.environment, "environment", "", "list the commits since this environment's previous successful deployment")
	f.StringVar(&o.branch, "branch", "", "the branch whose protection to read (default: the merged pull request's base)")
	f.StringVar(&o.dir, "dir", ".", "write the evidence files into this directory")
	addGitHubFlags(f, &o.gh)
	return cmd
}

func runSourceEvidence(ctx context.Context, w, stderr io.Writer, env *Env, g *globalOptions, o *sourceEvidenceOptions, input string) error {
	commit := o.commit
	if commit == "" {
		commit = env.Getenv("GITHUB_SHA")
	}
	if commit == "" {
		return usageErrorf("no commit: give --commit SHA or set GITHUB_SHA")
	}
	if fi, err := os.Stat(o.dir); err != nil || !fi.IsDir() {
		return usageErrorf("--dir %s: not a directory", o.dir)
	}
	subj, err := subject.Resolve(ctx, input, subject.WithRemoteOptions(env.Remote...), subject.WithClock(env.Now))
	if err != nil {
		return err
	}
	c, repo, err := githubClient(ctx, env, &o.gh)
	if err != nil {
		return err
	}
	ev, err := c.SourceEvidence(ctx, repo, commit, github.SourceOptions{Branch: o.branch, Environment: o.environment})
	if err != nil {
		return err
	}
	files := []string{filepath.Join(o.dir, sourceSummaryFile), filepath.Join(o.dir, sourceRangeFile), filepath.Join(o.dir, sourceJSONFile)}
	rec := sourceRecord{Subject: subj.String(), Digest: subj.Digest.String(), Source: ev, Files: files}
	recJSON, err := indentJSON(rec)
	if err != nil {
		return err
	}
	summary := ev.PullRequestSummary()
	if err := writeAll([]outFile{{files[0], []byte(summary)}, {files[1], []byte(ev.CommitRangeText())}, {files[2], recJSON}}); err != nil {
		return err
	}
	x := actions(env, stderr)
	if err := publish(x, []string{"summary-file", "commit-range-file", "evidence-file"},
		map[string]string{"summary-file": files[0], "commit-range-file": files[1], "evidence-file": files[2]}, summary); err != nil {
		return err
	}
	return g.report(w, rec, rec.text)
}

func (r sourceRecord) text(w io.Writer) {
	ev := r.Source
	fmt.Fprintf(w, "source of %s: commit %s in %s\n", r.Subject, ev.Commit, ev.Repository)
	for _, pr := range ev.PullRequests {
		fmt.Fprintf(w, "  pull request #%d by %s, merged by %s; approved at head by %v\n", pr.Number, pr.Author, orNone(pr.MergedBy), pr.ApprovedAtHead)
	}
	if len(ev.PullRequests) == 0 {
		fmt.Fprintf(w, "  no pull request: pushed directly\n")
	}
	fmt.Fprintf(w, "  branch %q protected: %v; CODEOWNERS covers workflows: %v\n", ev.Branch, ev.Protection.Protected, ev.CodeOwners.CoversWorkflows)
	if ev.Range != nil {
		fmt.Fprintf(w, "  %d commits since the last deployment to %s\n", ev.Range.TotalCommits, ev.Range.Environment)
	}
	for _, f := range r.Files {
		fmt.Fprintf(w, "  wrote %s\n", f)
	}
}
