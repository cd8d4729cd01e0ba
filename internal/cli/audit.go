package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	intoto "github.com/in-toto/attestation/go/v1"
	"github.com/schollz/progressbar/v3"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/relproof/relproof/internal/attest"
	"github.com/relproof/relproof/internal/audit"
	"github.com/relproof/relproof/internal/decide"
	"github.com/relproof/relproof/internal/gate"
	"github.com/relproof/relproof/internal/github"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

// AuditType is the predicate type of a signed audit result.
const AuditType = "https://relproof.dev/audit/v1"

// orgReleases is --releases for --org: with 2 deployments and 2 releases a
// repository, 200 repositories stay within a token's 5000 requests an
// hour.
const orgReleases = 2

type auditOptions struct {
	gh          githubFlags
	org         string
	dir         string
	format      string
	failOn      string
	releases    int
	workers     int
	trustedRoot string
	sarifOut    string
	markdownOut string
	attest      bool
	attestOut   string
	checkRun    bool
	apps        []string
	commit      string
	signing     signingOptions
}

func newAuditCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &auditOptions{}
	cmd := &cobra.Command{
		Use:   "audit [--dir PATH] [--repo OWNER/REPO | --org ORG] [--format text|json|sarif|markdown] [--fail-on high|medium|low|never]",
		Short: "Rate a repository's release controls and find the anti-patterns in its workflows",
		Long: `Rate where release controls stand — below-minimum, minimum, better or
strong — and find the anti-patterns in the workflow files that let a release
escape them, each with its rule, file, line, why and how to fix it.

  --dir PATH alone   the workflow files of the checkout at PATH (its
                     .github/workflows, or PATH itself when it holds the
                     workflows), offline: workflow rules and build isolation
  --repo OWNER/REPO  also the repository's settings and evidence from the
                     GitHub API: default-branch protection and rulesets,
                     CODEOWNERS over .github/workflows/, environments and
                     their protection rules, Actions settings, and whether the
                     newest deployments and GitHub releases (--releases of each)
                     name a digest whose SBOM, provenance (its builder identity,
                     and the same one across releases) and, for a deployment,
                     relproof decision verify offline against --trusted-root;
                     workflows from --dir when given, else from the default
                     branch
  --org ORG          every repository of the organization that is neither
                     archived nor a fork, a few at a time within GitHub's rate
                     limit (--releases 2 unless given), with one summary table

Workflow rules: unpinned-action, unpinned-first-party-action, tag-promotion,
self-hosted-release, long-lived-secret, deploy-without-environment,
attest-not-verified, pr-target-checkout, template-injection,
missing-permissions, scan-not-by-digest. A finding on a job that builds,
signs, publishes or deploys is one severity higher.

--format sarif is SARIF 2.1.0 for GitHub code scanning (findings only: the
controls have no file and line); markdown is a check run's summary.
--sarif FILE and --markdown FILE write those as well, whatever --format.
--attest signs the result as an in-toto statement about the repository at
its commit (predicate type ` + AuditType + `), written to --attest-out.

Exit codes: 1 when a finding at or above --fail-on exists (default high);
2 when something could not be read (a repository of --org among them).
The token comes from ` + GitHubTokenEnv + `; reading settings needs a token that
may read the repository's administration settings, else those controls say
what could not be read and rate below-minimum.`,
		Example: `  relproof audit
  relproof audit --dir . --format sarif > audit.sarif
  GITHUB_TOKEN=… relproof audit --repo acme/app --format markdown
  GITHUB_TOKEN=… relproof audit --org acme --fail-on never`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAudit(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), env, g, o, cmd)
		},
	}
	f := cmd.Flags()
	addGitHubFlags(f, &o.gh)
	f.Lookup("repo").Usage = "audit this GitHub repository, OWNER/NAME, through the API (not read from " + GitHubRepositoryEnv + ": an audit goes online only when asked)"
	f.StringVar(&o.org, "org", "", "audit every repository of this GitHub organization")
	f.StringVar(&o.dir, "dir", "", "the checkout whose workflows to audit (default: . without --repo and --org)")
	f.StringVar(&o.format, "format", "text", "report format: text, json, sarif or markdown")
	f.StringVar(&o.failOn, "fail-on", "high", "exit 1 when a finding of this severity or higher exists: high, medium, low or never")
	f.IntVar(&o.releases, "releases", 5, "how many of the newest deployments, and of the newest GitHub releases, to check the evidence of (0: none; 2 with --org unless given)")
	f.IntVar(&o.workers, "workers", 4, "repositories audited at once with --org")
	f.StringArrayVar(&o.apps, "protection-app", nil, "the slug of the GitHub App relproof serve runs as, whose deployment protection rule rates an environment strong (repeatable; default: any App whose slug says relproof)")
	f.StringVar(&o.trustedRoot, "trusted-root", "", "trusted_root.json for the evidence of deployments (default: Sigstore public-good, embedded)")
	f.StringVar(&o.sarifOut, "sarif", "", "also write the SARIF report to this file")
	f.StringVar(&o.markdownOut, "markdown", "", "also write the Markdown report to this file")
	f.StringVar(&o.commit, "commit", "", "the commit --dir's workflows are at (default: GITHUB_SHA when auditing "+GitHubRepositoryEnv+", else git's HEAD of --dir)")
	f.BoolVar(&o.checkRun, "check-run", false, "post the Markdown report as the check run \"relproof audit\" on the commit (with --repo; needs checks: write)")
	f.BoolVar(&o.attest, "attest", false, "sign the audit result as an in-toto statement about the repository at its commit")
	f.StringVar(&o.attestOut, "attest-out", "audit.sigstore.json", "where --attest writes the signed statement")
	o.signing.addFlags(cmd)
	setFlagGroup(f, groupTrust, "trusted-root")
	setFlagGroup(f, groupGitHub, "org", "releases", "workers", "protection-app")
	setFlagGroup(f, groupOutput, "format", "fail-on", "sarif", "markdown", "check-run", "attest", "attest-out")
	cmd.MarkFlagsMutuallyExclusive("repo", "org")
	return cmd
}

func runAudit(ctx context.Context, w, stderr io.Writer, env *Env, g *globalOptions, o *auditOptions, cmd *cobra.Command) error {
	if ctx == nil {
		ctx = context.Background()
	}
	format := o.format
	if g.output == "json" && !cmd.Flags().Changed("format") {
		format = "json"
	}
	switch format {
	case "text", "json", "sarif", "markdown":
	default:
		return usageErrorf("--format %q: expected text, json, sarif or markdown", o.format)
	}
	failOn := audit.Severity(0)
	if o.failOn != "never" {
		s, err := audit.ParseSeverity(o.failOn)
		if err != nil {
			return usageErrorf("--fail-on: %v, or never", err)
		}
		failOn = s
	}
	if o.releases < 0 || o.releases > 100 {
		return usageErrorf("--releases %d: expected 0 to 100", o.releases)
	}
	if o.workers < 1 || o.workers > 32 {
		return usageErrorf("--workers %d: expected 1 to 32", o.workers)
	}
	if o.org != "" {
		if !cmd.Flags().Changed("releases") {
			o.releases = orgReleases
		}
		if o.dir != "" || o.attest || format == "sarif" || o.sarifOut != "" {
			return usageErrorf("--org audits many repositories: --dir, --attest and SARIF are for one (run audit --repo in each, as audit.yml does)")
		}
		return runAuditOrg(ctx, w, stderr, env, o, format, failOn)
	}
	var files []audit.File
	dir := o.dir
	if dir == "" && o.gh.repo == "" {
		dir = "."
	}
	var err error
	if dir != "" {
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(env.Dir, dir)
		}
		if files, err = readWorkflowDir(dir, o.dir); err != nil {
			return err
		}
	}
	if o.checkRun && o.gh.repo == "" {
		return usageErrorf("--check-run posts on the repository: give --repo")
	}
	var rep *audit.Report
	var client *github.Client
	if o.gh.repo != "" {
		c, repo, err := githubClient(ctx, env, &o.gh)
		if err != nil {
			return err
		}
		client = c
		verifier, err := o.verifier(c)
		if err != nil {
			return err
		}
		ro := audit.RepoOptions{Client: c, Repo: repo, Files: files, Releases: o.releases, Verify: verifier, ProtectionApps: o.apps}
		if files != nil {
			ro.Commit = o.dirCommit(env, dir, repo.String())
		}
		if rep, err = audit.AuditRepo(ctx, ro); err != nil {
			return err
		}
	} else {
		findings, facts, err := audit.CheckFiles(files)
		if err != nil {
			return usageError(err)
		}
		name := o.dir
		if name == "" {
			name = "."
		}
		rep = &audit.Report{Repository: name, Commit: o.dirCommit(env, dir, ""), Findings: findings, Controls: []audit.Control{audit.RateBuild(facts)}}
		rep.Sort()
	}
	return o.finish(ctx, w, stderr, env, client, rep, format, failOn)
}

// finish writes the report and its side files, signs it when asked, and
// says whether it fails.
func (o *auditOptions) finish(ctx context.Context, w, stderr io.Writer, env *Env, c *github.Client, rep *audit.Report, format string, failOn audit.Severity) error {
	version := env.version().Version
	var sarif bytes.Buffer
	if err := rep.WriteSARIF(&sarif, version); err != nil {
		return err
	}
	md := rep.Markdown()
	var files []outFile
	if o.sarifOut != "" {
		files = append(files, outFile{o.sarifOut, sarif.Bytes()})
	}
	if o.markdownOut != "" {
		files = append(files, outFile{o.markdownOut, []byte(md)})
	}
	if o.attest {
		bundle, err := o.signAudit(ctx, env, rep, version)
		if err != nil {
			return err
		}
		files = append(files, outFile{o.attestOut, append(bundle, '\n')})
	}
	if err := writeAll(files); err != nil {
		return err
	}
	verdict := failed(rep.Worst(), failOn)
	if o.checkRun {
		if err := postAuditCheckRun(ctx, env, c, rep, md, verdict == nil); err != nil {
			return err
		}
	}
	n := rep.Counts()
	x := actions(env, stderr)
	if err := publish(x, []string{"findings", "high", "medium", "low", "sarif-file", "markdown-file", "attestation-file"}, map[string]string{
		"findings": fmt.Sprint(len(rep.Findings)), "high": fmt.Sprint(n[audit.SeverityHigh]), "medium": fmt.Sprint(n[audit.SeverityMedium]),
		"low": fmt.Sprint(n[audit.SeverityLow]), "sarif-file": o.sarifOut, "markdown-file": o.markdownOut, "attestation-file": attestFile(o),
	}, md); err != nil {
		return err
	}
	var err error
	switch format {
	case "json":
		err = rep.WriteJSON(w)
	case "sarif":
		_, err = w.Write(sarif.Bytes())
	case "markdown":
		_, err = io.WriteString(w, md)
	default:
		err = rep.WriteText(w)
	}
	if err != nil {
		return err
	}
	return verdict
}

// AuditCheckRunName is the check run an audit posts, the name a ruleset
// requires.
const AuditCheckRunName = "relproof audit"

// postAuditCheckRun posts the report as the check run "relproof audit" on
// the audited commit, with the findings of medium severity and above as
// annotations at their lines.
func postAuditCheckRun(ctx context.Context, env *Env, c *github.Client, rep *audit.Report, md string, pass bool) error {
	head := rep.Commit
	if head == "" {
		head = env.Getenv("GITHUB_SHA")
	}
	if head == "" {
		return usageErrorf("--check-run: no commit to post it on: give --commit or set GITHUB_SHA")
	}
	repo, err := github.ParseRepo(rep.Repository)
	if err != nil {
		return err
	}
	var notes []github.CheckAnnotation
	for _, f := range rep.Findings {
		if f.Severity < audit.SeverityMedium {
			continue
		}
		level := "warning"
		if f.Severity == audit.SeverityHigh {
			level = "failure"
		}
		rule, _ := audit.RuleByID(f.Rule)
		notes = append(notes, github.CheckAnnotation{Path: f.File, StartLine: f.Line, EndLine: f.Line, Level: level, Title: f.Rule + ": " + rule.Title, Message: f.Message + "\n\n" + rule.Fix})
	}
	conclusion := github.ConclusionSuccess
	if !pass {
		conclusion = github.ConclusionFailure
	}
	n := rep.Counts()
	external := ""
	if run := env.Getenv("GITHUB_RUN_ID"); run != "" {
		external = "relproof-audit:" + run
	}
	_, err = c.PostCheckRun(ctx, repo, github.CheckRunRequest{
		Name:        AuditCheckRunName,
		HeadSHA:     head,
		Title:       fmt.Sprintf("%d findings: %d high, %d medium, %d low", len(rep.Findings), n[audit.SeverityHigh], n[audit.SeverityMedium], n[audit.SeverityLow]),
		Summary:     md,
		ExternalID:  external,
		Conclusion:  conclusion,
		Annotations: notes,
	})
	return err
}

func attestFile(o *auditOptions) string {
	if o.attest {
		return o.attestOut
	}
	return ""
}

// failed is the exit-1 error when worst reaches failOn (0: never).
func failed(worst, failOn audit.Severity) error {
	if failOn == 0 || worst < failOn {
		return nil
	}
	return denied{fmt.Errorf("audit: a finding of severity %s, at or above --fail-on %s", worst, failOn)}
}

func runAuditOrg(ctx context.Context, w, stderr io.Writer, env *Env, o *auditOptions, format string, failOn audit.Severity) error {
	if !orgName.MatchString(o.org) {
		return usageErrorf("--org %q: expected a GitHub organization's login (letters, digits and single hyphens)", o.org)
	}
	c, err := githubClientFor(ctx, env, &o.gh, github.Repo{Owner: o.org})
	if err != nil {
		return err
	}
	verifier, err := o.verifier(c)
	if err != nil {
		return err
	}
	opts := audit.OrgOptions{Client: c, Org: o.org, Releases: o.releases, Verify: verifier, Workers: o.workers, ProtectionApps: o.apps}
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		var bar *progressbar.ProgressBar
		opts.Progress = func(done, total int) {
			if bar == nil {
				bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("auditing "+o.org),
					progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
			}
			_ = bar.Set(done)
		}
	}
	rep, err := audit.AuditOrg(ctx, opts)
	if err != nil {
		return err
	}
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	case "markdown":
		_, err = io.WriteString(w, rep.Markdown())
	default:
		err = rep.WriteText(w)
	}
	if err != nil {
		return err
	}
	if len(rep.Failed) > 0 {
		return fmt.Errorf("audit of %s: %d of %d repositories could not be audited (listed above)", o.org, len(rep.Failed), len(rep.Failed)+len(rep.Reports))
	}
	return failed(rep.Worst(), failOn)
}

// orgName is a GitHub organization's login.
var orgName = regexp.MustCompile(`^[A-Za-z0-9](-?[A-Za-z0-9])*$`)

// verifier verifies a digest's attestations from the repository offline,
// and keeps only what a run of that same repository signed: evidence
// signed elsewhere, or with a key the audit cannot tie to the repository,
// vouches for nothing here.
func (o *auditOptions) verifier(c *github.Client) (audit.Verifier, error) {
	if o.releases == 0 {
		return nil, nil
	}
	tr, err := (&verifyOptions{trustedRoot: o.trustedRoot}).trustedRootMaterial()
	if err != nil {
		return nil, err
	}
	return auditVerifier(c, tr), nil
}

func auditVerifier(c *github.Client, tr root.TrustedMaterial) audit.Verifier {
	return func(ctx context.Context, repo github.Repo, digest string) (*audit.Evidence, error) {
		d, err := subject.ParseDigest(digest)
		if err != nil {
			return nil, fmt.Errorf("deployment digest %q: %w", digest, err)
		}
		s := &subject.Subject{Digest: d}
		entries, err := decide.GitHubAttestations(c, repo).Entries(ctx, s)
		if err != nil {
			return nil, err
		}
		ev := &audit.Evidence{}
		res, err := verify.Verify(s, entries, verify.Policy{TrustedRoot: tr, IgnoreIdentityUnsafe: true})
		if err != nil && !errors.Is(err, verify.ErrNotVerified) && !errors.Is(err, verify.ErrNoEvidence) {
			return nil, err
		}
		if res == nil {
			return ev, nil
		}
		for _, r := range res.Rejected {
			ev.Rejected = append(ev.Rejected, r.Reason)
		}
		for _, a := range res.Verified {
			cert := a.Certificate
			if cert == nil {
				ev.Rejected = append(ev.Rejected, fmt.Sprintf("%s: signed with a key, which the audit cannot tie to %s", a.Source, repo))
				continue
			}
			if !sameRepository(cert.SourceRepositoryURI, repo) {
				ev.Rejected = append(ev.Rejected, fmt.Sprintf("%s: signed by a run of %q, not of %s", a.Source, cert.SourceRepositoryURI, repo))
				continue
			}
			ev.Signed = true
			switch pt := a.PredicateType; {
			case strings.HasPrefix(pt, "https://slsa.dev/provenance/"):
				ev.Builders = append(ev.Builders, audit.Builder{
					Signer: workflowOf(cert.BuildSignerURI), Caller: workflowOf(cert.BuildConfigURI),
					Hosted: cert.RunnerEnvironment == "github-hosted",
				})
			case gate.Type(pt) == "sbom":
				ev.SBOM = true
			case pt == gate.DecisionType && a.Statement != nil:
				p := a.Statement.GetPredicate().AsMap()
				if p["decision"] == "allow" && p["digest"] == digest {
					if env, ok := p["environment"].(string); ok {
						ev.AllowedIn = append(ev.AllowedIn, env)
					}
				}
			}
		}
		return ev, nil
	}
}

// sameRepository says a certificate's source repository URI is repo's.
func sameRepository(uri string, repo github.Repo) bool {
	_, path, ok := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(uri, "https://"), "http://"), "/")
	return ok && strings.EqualFold(path, repo.String())
}

// workflowOf is a workflow URI without its host and ref:
// OWNER/REPO/.github/workflows/F.yml.
func workflowOf(uri string) string {
	s := strings.TrimPrefix(strings.TrimPrefix(uri, "https://"), "http://")
	if _, rest, ok := strings.Cut(s, "/"); ok && strings.Contains(s[:len(s)-len(rest)], ".") {
		s = rest
	}
	s, _, _ = strings.Cut(s, "@")
	return s
}

// readWorkflowDir reads the workflows of the checkout dir: its
// .github/workflows, or dir itself when it holds them.
func readWorkflowDir(dir, name string) ([]audit.File, error) {
	wf := filepath.Join(dir, ".github", "workflows")
	base := dir
	if st, err := os.Stat(wf); err != nil || !st.IsDir() {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, usageErrorf("--dir %s: expected a checkout (or a directory of workflow files), found none", name)
		}
		wf = dir
		base = ""
	}
	var files []audit.File
	for _, pat := range []string{"*.yml", "*.yaml"} {
		m, err := filepath.Glob(filepath.Join(wf, pat))
		if err != nil {
			return nil, err
		}
		for _, p := range m {
			st, err := os.Lstat(p)
			if err != nil {
				return nil, err
			}
			if !st.Mode().IsRegular() || st.Size() > 1<<20 {
				return nil, usageErrorf("workflow %s: expected a regular file of at most 1 MiB, found %s of %d bytes", p, st.Mode().Type(), st.Size())
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			rel := filepath.Base(p)
			if base != "" {
				if r, err := filepath.Rel(base, p); err == nil {
					rel = filepath.ToSlash(r)
				}
			}
			files = append(files, audit.File{Path: rel, Data: data})
		}
	}
	return files, nil
}

// dirCommit is the commit a checkout's workflows are at.
func (o *auditOptions) dirCommit(env *Env, dir, repo string) string {
	if o.commit != "" {
		return o.commit
	}
	if sha := env.Getenv("GITHUB_SHA"); sha != "" && (repo == "" || strings.EqualFold(env.Getenv(GitHubRepositoryEnv), repo)) {
		return sha
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// signAudit signs the audit result as an in-toto statement about the
// repository at its commit.
func (o *auditOptions) signAudit(ctx context.Context, env *Env, rep *audit.Report, version string) ([]byte, error) {
	if rep.Commit == "" || strings.Count(rep.Repository, "/") != 1 {
		return nil, usageErrorf("--attest: the statement is about OWNER/REPO at a commit; give --repo and, with --dir, --commit (or run in a git checkout)")
	}
	pred, err := attest.ToStruct(map[string]any{
		"auditor":    map[string]any{"name": "relproof", "version": version},
		"auditedAt":  env.Now().UTC().Format(time.RFC3339),
		"repository": rep.Repository,
		"commit":     rep.Commit,
		"controls":   rep.Controls,
		"findings":   rep.Findings,
	})
	if err != nil {
		return nil, err
	}
	st := &intoto.Statement{
		Type:          intoto.StatementTypeUri,
		Subject:       []*intoto.ResourceDescriptor{{Name: "https://github.com/" + rep.Repository, Digest: map[string]string{"gitCommit": rep.Commit}}},
		PredicateType: AuditType,
		Predicate:     pred,
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("the audit statement: %w", err)
	}
	signer, closeSigner, err := o.signing.signer(ctx, env)
	if err != nil {
		return nil, err
	}
	defer closeSigner()
	return attest.Sign(ctx, signer, st)
}
