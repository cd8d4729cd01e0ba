package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/relproof/relproof/internal/actionsio"
	"github.com/relproof/relproof/internal/decide"
	"github.com/relproof/relproof/internal/github"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

// Environment variables the GitHub commands read.
const (
	GitHubAPIURLEnv     = "GITHUB_API_URL"
	GitHubTokenEnv      = "GITHUB_TOKEN"
	GitHubRepositoryEnv = "GITHUB_REPOSITORY"
	GitHubAppIDEnv      = "RELPROOF_GITHUB_APP_ID"
	GitHubAppKeyEnv     = "RELPROOF_GITHUB_APP_PRIVATE_KEY" // the PEM itself, e.g. from a secret
	GitHubAppInstEnv    = "RELPROOF_GITHUB_APP_INSTALLATION_ID"
	// GitHubTimeoutEnv bounds each GitHub call, retries included (a Go
	// duration; default 2m). GitHubMaxWaitEnv caps each wait between
	// retries (default: the timeout).
	GitHubTimeoutEnv = "RELPROOF_GITHUB_TIMEOUT"
	GitHubMaxWaitEnv = "RELPROOF_GITHUB_MAX_WAIT"
)

// githubFlags are the flags of commands that talk to GitHub. The token is
// never a flag (flags show in process lists): it comes from GITHUB_TOKEN.
type githubFlags struct {
	repo            string
	appID           int64
	appKey          string
	appInstallation int64
}

// addGitHubFlags registers the GitHub flags on fs.
func addGitHubFlags(fs *pflag.FlagSet, o *githubFlags) {
	fs.StringVar(&o.repo, "repo", "", "GitHub repository OWNER/NAME (default: "+GitHubRepositoryEnv+")")
	fs.Int64Var(&o.appID, "github-app-id", 0, "authenticate as this GitHub App (default: "+GitHubAppIDEnv+"; otherwise "+GitHubTokenEnv+" is used)")
	fs.StringVar(&o.appKey, "github-app-key", "", "the GitHub App's private key file (PEM; default: the key in "+GitHubAppKeyEnv+")")
	fs.Int64Var(&o.appInstallation, "github-app-installation-id", 0, "the App's installation (default: "+GitHubAppInstEnv+", or the installation on --repo)")
	setFlagGroup(fs, groupGitHub, "repo", "github-app-id", "github-app-key", "github-app-installation-id")
}

// githubClient builds the GitHub client and names the repository, from the
// flags and the environment: GITHUB_API_URL (GitHub Enterprise Server
// works), GITHUB_TOKEN or a GitHub App, GITHUB_REPOSITORY.
func githubClient(ctx context.Context, env *Env, o *githubFlags) (*github.Client, github.Repo, error) {
	repoName := o.repo
	if repoName == "" {
		repoName = env.Getenv(GitHubRepositoryEnv)
	}
	if repoName == "" {
		return nil, github.Repo{}, usageErrorf("no repository: give --repo OWNER/NAME or set %s", GitHubRepositoryEnv)
	}
	repo, err := github.ParseRepo(repoName)
	if err != nil {
		return nil, github.Repo{}, usageError(err)
	}
	c, err := githubClientFor(ctx, env, o, repo)
	return c, repo, err
}

// githubClientFor builds the GitHub client for repo, or for an
// organization when repo has only an Owner.
func githubClientFor(ctx context.Context, env *Env, o *githubFlags, repo github.Repo) (*github.Client, error) {
	var err error
	opts := github.Options{APIURL: env.Getenv(GitHubAPIURLEnv), Now: env.Now, UserAgent: "relproof"}
	if opts.Retry, err = retryPolicy(env); err != nil {
		return nil, err
	}
	app, err := appCredentials(env, o, repo)
	if err != nil {
		return nil, err
	}
	switch token := env.Getenv(GitHubTokenEnv); {
	case app != nil:
		opts.App = app
	case token != "":
		opts.Token = token
	default:
		return nil, usageErrorf("no GitHub credentials: set %s, or give --github-app-id and --github-app-key", GitHubTokenEnv)
	}
	c, err := github.New(ctx, opts)
	if err != nil {
		if errors.Is(err, github.ErrConfig) {
			return nil, usageError(err)
		}
		return nil, err
	}
	return c, nil
}

func appCredentials(env *Env, o *githubFlags, repo github.Repo) (*github.AppCredentials, error) {
	id := o.appID
	if id == 0 {
		if v := env.Getenv(GitHubAppIDEnv); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return nil, usageErrorf("%s %q: expected the App's numeric id", GitHubAppIDEnv, v)
			}
			id = n
		}
	}
	if id == 0 {
		if o.appKey != "" {
			return nil, usageErrorf("--github-app-key needs --github-app-id")
		}
		return nil, nil
	}
	var key []byte
	switch {
	case o.appKey != "":
		data, err := readKey(o.appKey, "GitHub App private key")
		if err != nil {
			return nil, err
		}
		key = data
	case env.Getenv(GitHubAppKeyEnv) != "":
		key = []byte(env.Getenv(GitHubAppKeyEnv))
	default:
		return nil, usageErrorf("GitHub App %d: no private key: give --github-app-key FILE or set %s", id, GitHubAppKeyEnv)
	}
	inst := o.appInstallation
	if inst == 0 {
		if v := env.Getenv(GitHubAppInstEnv); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return nil, usageErrorf("%s %q: expected the installation's numeric id", GitHubAppInstEnv, v)
			}
			inst = n
		}
	}
	return &github.AppCredentials{AppID: id, PrivateKey: key, InstallationID: inst, Repo: repo}, nil
}

func retryPolicy(env *Env) (github.RetryPolicy, error) {
	var p github.RetryPolicy
	for _, v := range []struct {
		name string
		dst  *time.Duration
	}{{GitHubTimeoutEnv, &p.Timeout}, {GitHubMaxWaitEnv, &p.MaxWait}} {
		s := env.Getenv(v.name)
		if s == "" {
			continue
		}
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return p, usageErrorf("%s %q: expected a duration such as 90s", v.name, s)
		}
		*v.dst = d
	}
	return p, nil
}

// actions returns the Actions runner's side, writing workflow commands to
// w (stderr, so that --output json stays JSON).
func actions(env *Env, w io.Writer) *actionsio.IO {
	return actionsio.New(env.Getenv, w)
}

// publish writes a command's results as step outputs and its Markdown as the
// step summary when it runs in GitHub Actions; elsewhere it does nothing.
func publish(x *actionsio.IO, names []string, outputs map[string]string, summary string) error {
	if !x.Enabled() {
		return nil
	}
	// A runner without GITHUB_OUTPUT or GITHUB_STEP_SUMMARY (an old one, a
	// local act) simply gets neither.
	if err := x.SetOutputs(names, outputs); err != nil && !errors.Is(err, actionsio.ErrNotInActions) {
		return err
	}
	if summary != "" {
		if err := x.AddSummary(summary); err != nil && !errors.Is(err, actionsio.ErrNotInActions) {
			return err
		}
	}
	return nil
}

// denied is a deployment relproof refuses: it exits 1.
type denied struct{ err error }

func (d denied) Error() string        { return d.err.Error() }
func (d denied) Unwrap() error        { return d.err }
func (d denied) Is(target error) bool { return target == ErrDenied }

// --- for attest, verify and gate (wired by their commands) ---

// githubUpload stores a signed bundle with the repository's artifact
// attestations (`attest --github-upload`) and returns its id.
func githubUpload(ctx context.Context, env *Env, o *githubFlags, bundle []byte) (int64, error) {
	c, repo, err := githubClient(ctx, env, o)
	if err != nil {
		return 0, err
	}
	return c.UploadAttestation(ctx, repo, bundle)
}

// githubEntries reads the repository's attestations of digest as evidence
// entries (`verify --from-github`). A bundle that cannot be read is an entry
// that fails, as with files.
func githubEntries(ctx context.Context, env *Env, o *githubFlags, digest string) ([]verify.Entry, error) {
	c, repo, err := githubClient(ctx, env, o)
	if err != nil {
		return nil, err
	}
	d, err := subject.ParseDigest(digest)
	if err != nil {
		return nil, err
	}
	return decide.GitHubAttestations(c, repo).Entries(ctx, &subject.Subject{Digest: d})
}

// checkRunReport is what a command posts as its check run (`--check-run`).
type checkRunReport struct {
	Environment string
	Digest      string
	HeadSHA     string // default: GITHUB_SHA
	Conclusion  string // github.ConclusionSuccess, …; "" leaves it in progress
	Summary     string // Markdown
	Text        string
	Annotations []github.CheckAnnotation
}

// postCheckRun posts (or updates) the check run "relproof / ENV" titled
// with the digest, and returns it; its PostedAt is when reviewers were shown
// the digest. In a workflow run its external id names the run
// (relproof:GITHUB_RUN_ID:GITHUB_RUN_ATTEMPT:ENV; attempt 1 when
// GITHUB_RUN_ATTEMPT is unset), which is how `approval record` tells it from
// a check run of the same name another run or app posted; it updates only
// the check run the same run posted, whatever the attempt.
func postCheckRun(ctx context.Context, env *Env, o *githubFlags, r checkRunReport) (*github.CheckRun, error) {
	head := r.HeadSHA
	if head == "" {
		head = env.Getenv("GITHUB_SHA")
	}
	if head == "" {
		return nil, usageErrorf("--check-run: no commit to post it on: set GITHUB_SHA")
	}
	c, repo, err := githubClient(ctx, env, o)
	if err != nil {
		return nil, err
	}
	details := ""
	if srv, run := env.Getenv("GITHUB_SERVER_URL"), env.Getenv("GITHUB_RUN_ID"); srv != "" && run != "" {
		details = fmt.Sprintf("%s/%s/actions/runs/%s", strings.TrimSuffix(srv, "/"), repo, run)
	}
	return c.PostCheckRun(ctx, repo, github.CheckRunRequest{
		Name:        github.CheckRunName(r.Environment),
		HeadSHA:     head,
		Title:       github.CheckRunTitle(r.Environment, r.Digest),
		Summary:     r.Summary,
		Text:        r.Text,
		DetailsURL:  details,
		ExternalID:  checkRunExternalID(env, r.Environment),
		Conclusion:  r.Conclusion,
		Annotations: r.Annotations,
	})
}

// checkRunExternalID names the workflow run posting a check run for the
// environment, or is "" outside one.
func checkRunExternalID(env *Env, environment string) string {
	runID, err := strconv.ParseInt(env.Getenv("GITHUB_RUN_ID"), 10, 64)
	if err != nil || runID <= 0 {
		return ""
	}
	attempt, err := strconv.Atoi(env.Getenv("GITHUB_RUN_ATTEMPT"))
	if err != nil || attempt < 1 {
		attempt = 1
	}
	return github.CheckRunExternalID(runID, attempt, environment)
}

// indentJSON encodes v as indented JSON, with a final newline.
func indentJSON(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
