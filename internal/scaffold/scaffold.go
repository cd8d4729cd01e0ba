package scaffold

import (
	"bytes"
	"embed"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"gopkg.in/yaml.v3"
)

// Kind is what a release ships.
type Kind string

const (
	// KindImage is a container image pushed to a registry by digest.
	KindImage Kind = "image"
	// KindBinary is a file kept as a workflow artifact.
	KindBinary Kind = "binary"
)

// Options say what to write.
type Options struct {
	Kind Kind
	// Repository is OWNER/REPO on GitHub.
	Repository string
	// Registry is the image registry host (image only; default ghcr.io).
	Registry string
	// Image is HOST/PATH of the image, lower-cased (image only; default
	// REGISTRY/OWNER/REPO).
	Image string
	// Name is the release file's name (binary only; default REPO).
	Name string
	// Environments are the GitHub environments to deploy to, in promotion
	// order (default production).
	Environments []string
	// Go says the repository is a Go module: tests run with go test -json
	// and a binary is built with go build.
	Go bool
	// Workflow is the workflow file's name under .github/workflows
	// (default release.yml).
	Workflow string
}

// Paths of what is written, relative to the repository's root.
const (
	PolicyPath = ".github/relproof/policy.yaml"
	// WorkflowDir holds the workflow.
	WorkflowDir = ".github/workflows"
)

// File is one file to write.
type File struct {
	Path string
	Data []byte
}

//go:embed templates
var templates embed.FS

var (
	repoPattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$`)
	namePattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	imagePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*(:[0-9]+)?(/[a-z0-9._-]+)+$`)
	hostPattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*(:[0-9]+)?$`)
)

// OptionError is an option that cannot be used; Option names it.
type OptionError struct {
	Option string
	Err    error
}

func (e *OptionError) Error() string { return e.Option + ": " + e.Err.Error() }
func (e *OptionError) Unwrap() error { return e.Err }

func optionErr(option, format string, a ...any) error {
	return &OptionError{Option: option, Err: fmt.Errorf(format, a...)}
}

// plainName reports whether s is a name YAML reads as that same string:
// true, null, 1.0 or 0x1F would be read as a boolean, nothing or a number
// where the workflow and the policy put them, and mean something else.
func plainName(s string) bool {
	var v any
	return namePattern.MatchString(s) && yaml.Unmarshal([]byte(s), &v) == nil && v == s
}

// withDefaults checks o and fills in what it leaves out. Every value goes
// into YAML and shell: anything but the plain names GitHub allows is
// refused, naming the option.
func (o Options) withDefaults() (Options, error) {
	switch o.Kind {
	case KindImage, KindBinary:
	default:
		return o, optionErr("kind", "expected image or binary, found %q", o.Kind)
	}
	if !repoPattern.MatchString(o.Repository) {
		return o, optionErr("repository", "expected OWNER/REPO, found %q", o.Repository)
	}
	owner, repo, _ := strings.Cut(o.Repository, "/")
	if len(o.Environments) == 0 {
		o.Environments = []string{"production"}
	}
	seen := map[string]bool{}
	for _, e := range o.Environments {
		if !plainName(e) {
			return o, optionErr("environment", "expected a name of letters, digits, '.', '-' and '_' that YAML reads as a name (not true, null or a number), found %q", e)
		}
		if seen[strings.ToLower(e)] {
			return o, optionErr("environment", "%q is given twice", e)
		}
		seen[strings.ToLower(e)] = true
	}
	if o.Workflow == "" {
		o.Workflow = "release.yml"
	}
	if !namePattern.MatchString(o.Workflow) || !(strings.HasSuffix(o.Workflow, ".yml") || strings.HasSuffix(o.Workflow, ".yaml")) {
		return o, optionErr("workflow", "expected a file name ending in .yml, found %q", o.Workflow)
	}
	switch o.Kind {
	case KindImage:
		if o.Name != "" {
			return o, optionErr("name", "a release file's name is for --kind binary; an image is named by --image")
		}
		if o.Registry == "" {
			o.Registry = "ghcr.io"
		}
		if !hostPattern.MatchString(o.Registry) {
			return o, optionErr("registry", "expected a registry host such as ghcr.io, found %q", o.Registry)
		}
		if o.Image == "" {
			// Registries take lower-case repository names only; GitHub's
			// OWNER/REPO may have capitals.
			o.Image = strings.ToLower(o.Registry + "/" + owner + "/" + repo)
		}
		if !imagePattern.MatchString(o.Image) {
			return o, optionErr("image", "expected HOST/PATH in lower case, such as ghcr.io/acme/app, found %q", o.Image)
		}
	case KindBinary:
		if o.Image != "" || o.Registry != "" {
			return o, optionErr("kind", "a binary release is kept as a workflow artifact, with no image or registry; use --kind image for an image")
		}
		if o.Name == "" {
			o.Name = repo
		}
		if !plainName(o.Name) {
			return o, optionErr("name", "expected a file name of letters, digits, '.', '-' and '_' that YAML reads as a name (not true, null or a number), found %q", o.Name)
		}
	}
	return o, nil
}

// Files renders the policy and the workflow for o.
func Files(o Options) ([]File, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	funcs := template.FuncMap{
		"quote": strconv.Quote,
		"list":  func(s string) string { return "[" + strconv.Quote(s) + "]" },
		"next": func(i int) string {
			if i+1 < len(o.Environments) {
				return o.Environments[i+1]
			}
			return ""
		},
		"prev": func(i int) string {
			if i > 0 {
				return o.Environments[i-1]
			}
			return ""
		},
	}
	t, err := template.New("").Delims("[[", "]]").Funcs(funcs).ParseFS(templates, "templates/*.tmpl")
	if err != nil {
		return nil, err
	}
	data := struct {
		Options
		WorkflowPath string
		Owner        string
	}{Options: o, WorkflowPath: path.Join(WorkflowDir, o.Workflow)}
	data.Owner, _, _ = strings.Cut(o.Repository, "/")
	render := func(name string) ([]byte, error) {
		var b bytes.Buffer
		if err := t.ExecuteTemplate(&b, name, data); err != nil {
			return nil, fmt.Errorf("rendering %s: %w", name, err)
		}
		return b.Bytes(), nil
	}
	policy, err := render("policy.yaml.tmpl")
	if err != nil {
		return nil, err
	}
	wf, err := render(string(o.Kind) + ".yml.tmpl")
	if err != nil {
		return nil, err
	}
	return []File{{Path: PolicyPath, Data: policy}, {Path: data.WorkflowPath, Data: wf}}, nil
}
