package adopt

import (
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/relproof/relproof/internal/fsutil"
)

// Workflow is one workflow file, as far as evidence is concerned.
type Workflow struct {
	// Path is the file as given (e.g. .github/workflows/release.yml).
	Path string
	// Refs are refs a run of it may be for, from its push trigger
	// (refs/tags/v* for tags: ["v*"]); empty when it says none.
	Refs []string
	Jobs []*Job
	// Permissions is the workflow's GITHUB_TOKEN grant; nil when none.
	Permissions Permissions
}

// Job is a workflow's job: a reusable workflow call or steps.
type Job struct {
	ID          string
	Uses        string            // a reusable workflow, OWNER/REPO/.github/workflows/F@REF
	With        map[string]string // its inputs
	Environment string
	Steps       []*Step
	Line        int
	// Permissions is the job's GITHUB_TOKEN grant; nil when none.
	Permissions Permissions
}

// Step is one step of a job.
type Step struct {
	Name, ID, Uses, Run string
	With                map[string]string
	// If and ContinueOnError are the step's own conditions, as written.
	If, ContinueOnError string
	Line                int
}

// Label names the step for people: its name, else its action or id.
func (s *Step) Label() string {
	switch {
	case s.Name != "":
		return s.Name
	case s.Uses != "":
		return s.Uses
	case s.ID != "":
		return s.ID
	}
	return fmt.Sprintf("at line %d", s.Line)
}

// ReadWorkflows reads every *.yml and *.yaml file of dir. A file that is
// not a workflow is an error naming it.
func ReadWorkflows(dir string) ([]*Workflow, error) {
	paths, err := fsutil.YAMLFiles(dir)
	if err != nil {
		return nil, err
	}
	var out []*Workflow
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		w, err := ParseWorkflow(p, b)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

// ParseWorkflow reads one workflow file.
func ParseWorkflow(path string, data []byte) (*Workflow, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("workflow %s: expected YAML, found: %w", path, err)
	}
	if len(root.Content) == 0 {
		return nil, fmt.Errorf("workflow %s: expected a mapping with jobs, found an empty document", path)
	}
	if root.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("workflow %s: expected a mapping with jobs, found %s", path, kindName(root.Content[0]))
	}
	doc := root.Content[0]
	w := &Workflow{Path: path}
	w.Refs = triggerRefs(get(doc, "on"))
	w.Permissions = readPermissions(get(doc, "permissions"))
	jobs := get(doc, "jobs")
	if jobs == nil || jobs.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("workflow %s: expected jobs, a mapping of job ids, found none", path)
	}
	for i := 0; i+1 < len(jobs.Content); i += 2 {
		id, jn := jobs.Content[i].Value, jobs.Content[i+1]
		if jn.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("%s:%d: job %s: expected a mapping, found %s", path, jn.Line, id, kindName(jn))
		}
		j := &Job{ID: id, Uses: scalar(get(jn, "uses")), With: stringMap(get(jn, "with")), Line: jobs.Content[i].Line,
			Permissions: readPermissions(get(jn, "permissions"))}
		switch env := get(jn, "environment"); {
		case env == nil:
		case env.Kind == yaml.ScalarNode:
			j.Environment = env.Value
		case env.Kind == yaml.MappingNode:
			j.Environment = scalar(get(env, "name"))
		}
		if steps := get(jn, "steps"); steps != nil && steps.Kind == yaml.SequenceNode {
			for _, sn := range steps.Content {
				if sn.Kind != yaml.MappingNode {
					continue
				}
				j.Steps = append(j.Steps, &Step{
					Name: scalar(get(sn, "name")), ID: scalar(get(sn, "id")), Uses: scalar(get(sn, "uses")),
					Run: scalar(get(sn, "run")), With: stringMap(get(sn, "with")), Line: sn.Line,
					If: scalar(get(sn, "if")), ContinueOnError: scalar(get(sn, "continue-on-error")),
				})
			}
		}
		w.Jobs = append(w.Jobs, j)
	}
	return w, nil
}

// triggerRefs reads the refs a push trigger runs for: tags become
// refs/tags/PATTERN, branches refs/heads/PATTERN.
func triggerRefs(on *yaml.Node) []string {
	if on == nil || on.Kind != yaml.MappingNode {
		return nil
	}
	push := get(on, "push")
	if push == nil || push.Kind != yaml.MappingNode {
		return nil
	}
	var refs []string
	for _, f := range []struct{ key, prefix string }{{"tags", "refs/tags/"}, {"branches", "refs/heads/"}} {
		if n := get(push, f.key); n != nil && n.Kind == yaml.SequenceNode {
			for _, p := range n.Content {
				if !strings.HasPrefix(p.Value, "!") {
					refs = append(refs, f.prefix+p.Value)
				}
			}
		}
	}
	return refs
}

func get(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

func stringMap(n *yaml.Node) map[string]string {
	out := map[string]string{}
	if n == nil || n.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		out[n.Content[i].Value] = scalar(n.Content[i+1])
	}
	return out
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "a mapping"
}

// action splits uses into the action or workflow (OWNER/REPO[/PATH]) and
// its ref.
func action(uses string) (name, ref string) {
	name, ref, _ = strings.Cut(uses, "@")
	return name, ref
}
