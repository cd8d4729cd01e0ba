// Package actionsio is relproof's side of the GitHub Actions runner protocol,
// over github.com/sethvargo/go-githubactions: inputs, outputs (GITHUB_OUTPUT),
// the step summary (GITHUB_STEP_SUMMARY), annotations, ::add-mask:: and the
// OIDC token. The environment and the writer for workflow commands are
// injected, so nothing here reads the process's environment or stdout.
//
// go-githubactions panics when it cannot write an environment file; IO turns
// those panics into errors.
package actionsio

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"
)

// ErrNotInActions is returned by what only works inside a workflow run.
var ErrNotInActions = errors.New("not running in GitHub Actions")

// IO talks to the Actions runner.
type IO struct {
	getenv func(string) string
	w      io.Writer
	http   *http.Client
	action *githubactions.Action
}

// Option configures an IO.
type Option func(*IO)

// WithHTTPClient sets the client that requests OIDC tokens.
func WithHTTPClient(c *http.Client) Option { return func(x *IO) { x.http = c } }

// New returns an IO that reads the environment through getenv and writes
// workflow commands (annotations, masks) to w. The runner reads commands from
// a step's stdout and stderr alike; commands that also print a report should
// give stderr, so that `--output json` stays JSON.
func New(getenv func(string) string, w io.Writer, opts ...Option) *IO {
	x := &IO{getenv: getenv, w: w}
	for _, o := range opts {
		o(x)
	}
	ghOpts := []githubactions.Option{githubactions.WithGetenv(getenv), githubactions.WithWriter(w)}
	if x.http != nil {
		ghOpts = append(ghOpts, githubactions.WithHTTPClient(x.http))
	}
	x.action = githubactions.New(ghOpts...)
	return x
}

// Enabled reports whether the process runs as a GitHub Actions step
// (GITHUB_ACTIONS=true).
func (x *IO) Enabled() bool { return x.getenv("GITHUB_ACTIONS") == "true" }

// Input returns the action input name (INPUT_NAME), trimmed.
func (x *IO) Input(name string) string { return strings.TrimSpace(x.action.GetInput(name)) }

// BoolInput parses the input name as a YAML 1.2 core boolean, as
// @actions/core's getBooleanInput does; "" gives def.
func (x *IO) BoolInput(name string, def bool) (bool, error) {
	switch v := x.Input(name); v {
	case "":
		return def, nil
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE":
		return false, nil
	default:
		return false, fmt.Errorf("input %q: %q is not a boolean (true or false)", name, v)
	}
}

// delimiter is the heredoc delimiter go-githubactions writes environment
// file commands with; a value containing it could forge other outputs.
const delimiter = "_GitHubActionsFileCommandDelimeter_"

// SetOutput sets the step output name to value (GITHUB_OUTPUT).
func (x *IO) SetOutput(name, value string) error {
	if err := x.needFile("GITHUB_OUTPUT"); err != nil {
		return err
	}
	if strings.Contains(name, delimiter) || strings.Contains(value, delimiter) || strings.ContainsAny(name, "\r\n=") {
		return fmt.Errorf("output %q: refusing a name or value that could forge other outputs", name)
	}
	return catch(func() { x.action.SetOutput(name, value) })
}

// SetOutputs sets several outputs, in the order of names.
func (x *IO) SetOutputs(names []string, values map[string]string) error {
	for _, n := range names {
		if err := x.SetOutput(n, values[n]); err != nil {
			return err
		}
	}
	return nil
}

// AddSummary appends Markdown to the job's step summary (GITHUB_STEP_SUMMARY).
func (x *IO) AddSummary(markdown string) error {
	if err := x.needFile("GITHUB_STEP_SUMMARY"); err != nil {
		return err
	}
	return catch(func() { x.action.AddStepSummary(markdown) })
}

// Mask asks the runner to hide secret in the log from now on.
func (x *IO) Mask(secret string) error {
	if secret == "" {
		return nil
	}
	return catch(func() {
		for _, line := range strings.Split(secret, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				x.action.AddMask(line)
			}
		}
	})
}

// Level is an annotation's severity.
type Level string

// Annotation levels.
const (
	Notice  Level = "notice"
	Warning Level = "warning"
	Error   Level = "error"
)

// Annotation is a message the runner shows on the run (and on a file line
// when File is set).
type Annotation struct {
	Level   Level
	Title   string
	File    string
	Line    int
	EndLine int
	Message string
}

// Annotate writes an annotation command.
func (x *IO) Annotate(a Annotation) error {
	fields := map[string]string{}
	if a.Title != "" {
		fields["title"] = a.Title
	}
	if a.File != "" {
		fields["file"] = a.File
	}
	if a.Line > 0 {
		fields["line"] = strconv.Itoa(a.Line)
	}
	if a.EndLine > 0 {
		fields["endLine"] = strconv.Itoa(a.EndLine)
	}
	act := x.action.WithFieldsMap(fields)
	return catch(func() {
		switch a.Level {
		case Error:
			act.Errorf("%s", a.Message)
		case Warning:
			act.Warningf("%s", a.Message)
		default:
			act.Noticef("%s", a.Message)
		}
	})
}

// IDToken requests a GitHub Actions OIDC token for audience (the job needs
// `permissions: id-token: write`). The token is masked before it is returned.
func (x *IO) IDToken(ctx context.Context, audience string) (string, error) {
	if x.getenv("ACTIONS_ID_TOKEN_REQUEST_URL") == "" {
		return "", fmt.Errorf("requesting an OIDC token: %w: ACTIONS_ID_TOKEN_REQUEST_URL is not set (does the job have `permissions: id-token: write`?)", ErrNotInActions)
	}
	tok, err := x.action.GetIDToken(ctx, audience)
	if err != nil {
		return "", fmt.Errorf("requesting an OIDC token for audience %q: %w", audience, err)
	}
	if tok == "" {
		return "", fmt.Errorf("requesting an OIDC token for audience %q: the runtime returned no token", audience)
	}
	if err := x.Mask(tok); err != nil {
		return "", err
	}
	return tok, nil
}

// JobWorkflowRef returns the workflow the job runs in, OWNER/REPO/PATH@REF,
// from the job_workflow_ref claim of its OIDC token: in a reusable
// workflow that is the reusable workflow, where GITHUB_WORKFLOW_REF names
// the caller's. The token comes straight from the job's runtime, so its
// claims are read without checking its signature; Fulcio puts the same
// claim in a keyless signature's certificate, where verifiers check it.
func (x *IO) JobWorkflowRef(ctx context.Context) (string, error) {
	tok, err := x.IDToken(ctx, "relproof")
	if err != nil {
		return "", err
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("OIDC token: expected a JWT of three parts, found %d", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return "", fmt.Errorf("OIDC token: payload is not base64url: %w", err)
	}
	var claims struct {
		JobWorkflowRef string `json:"job_workflow_ref"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", fmt.Errorf("OIDC token: payload is not JSON: %w", err)
	}
	if claims.JobWorkflowRef == "" {
		return "", errors.New("OIDC token: expected a job_workflow_ref claim, found none")
	}
	return claims.JobWorkflowRef, nil
}

func (x *IO) needFile(env string) error {
	if x.getenv(env) == "" {
		return fmt.Errorf("%w: %s is not set", ErrNotInActions, env)
	}
	return nil
}

// catch runs f and turns a go-githubactions panic into an error.
func catch(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = fmt.Errorf("github actions: %w", e)
				return
			}
			err = fmt.Errorf("github actions: %v", r)
		}
	}()
	f()
	return nil
}
