package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/relproof/relproof/internal/adopt"
)

// repoRoot is the repository's root, two directories up.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

type step struct {
	Name string            `yaml:"name"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	Env  map[string]string `yaml:"env"`
	With map[string]string `yaml:"with"`
}

type action struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Inputs      map[string]struct {
		Description string `yaml:"description"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []step `yaml:"steps"`
	} `yaml:"runs"`
}

type workflow struct {
	Permissions any `yaml:"permissions"`
	Jobs        map[string]struct {
		Steps []step `yaml:"steps"`
		Uses  string `yaml:"uses"`
	} `yaml:"jobs"`
}

func glob(t *testing.T, root string, patterns ...string) []string {
	t.Helper()
	var files []string
	for _, p := range patterns {
		m, err := filepath.Glob(filepath.Join(root, p))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatalf("no files match %v under %s", patterns, root)
	}
	return files
}

func decode(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// stepProblems lists steps whose scripts expand ${{ }} (script injection)
// and third-party actions not pinned to a full commit SHA.
func stepProblems(file string, steps []step) []string {
	pinned := regexp.MustCompile(`^[^@]+@[0-9a-f]{40}$`)
	var out []string
	for i, s := range steps {
		where := s.Name
		if where == "" {
			where = s.Uses
		}
		if strings.Contains(s.Run, "${{") {
			out = append(out, fmt.Sprintf("%s: step %d (%q): run: expands ${{ }}; pass the value through env:", file, i+1, where))
		}
		u := s.Uses
		if u == "" || strings.HasPrefix(u, "./") || strings.HasPrefix(u, "relproof/relproof") {
			continue
		}
		if !pinned.MatchString(u) {
			out = append(out, fmt.Sprintf("%s: step %d: uses %q: expected a third-party action pinned to a full commit SHA", file, i+1, u))
		}
	}
	return out
}

func checkSteps(t *testing.T, file string, steps []step) {
	t.Helper()
	for _, p := range stepProblems(file, steps) {
		t.Error(p)
	}
}

func TestActionsDescribeInputsAndKeepThemOutOfScripts(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	for _, f := range glob(t, root, "action.yml", "actions/*/action.yml", "testdata/actions/*/action.yml") {
		rel, _ := filepath.Rel(root, f)
		var a action
		decode(t, f, &a)
		if a.Name == "" || a.Description == "" {
			t.Errorf("%s: expected a name and a description", rel)
		}
		if a.Runs.Using != "composite" {
			t.Errorf("%s: runs.using: expected composite, found %q", rel, a.Runs.Using)
		}
		for name, in := range a.Inputs {
			if strings.TrimSpace(in.Description) == "" {
				t.Errorf("%s: input %s has no description", rel, name)
			}
		}
		for name, out := range a.Outputs {
			if strings.TrimSpace(out.Description) == "" || out.Value == "" {
				t.Errorf("%s: output %s needs a description and a value", rel, name)
			}
		}
		checkSteps(t, rel, a.Runs.Steps)
	}
}

func TestWorkflowsKeepInputsOutOfScripts(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	for _, f := range glob(t, root, ".github/workflows/*.yml", "examples/workflows/*.yml", "internal/e2e/testdata/workflows/*.yml") {
		rel, _ := filepath.Rel(root, f)
		var w workflow
		decode(t, f, &w)
		if w.Permissions == nil {
			t.Errorf("%s: expected top-level permissions (contents: read)", rel)
		}
		for name, j := range w.Jobs {
			checkSteps(t, rel+" job "+name, j.Steps)
		}
	}
}

// The check must be able to fail: a script that expands an input and an
// action pinned to a tag are both caught.
func TestStepProblemsCatchesInjectionAndUnpinned(t *testing.T) {
	t.Parallel()
	bad := []step{
		{Name: "bad", Run: `echo "${{ inputs.subject }}"`},
		{Uses: "actions/checkout@v4"},
		{Name: "good", Run: `echo "$SUBJECT"`, Env: map[string]string{"SUBJECT": "${{ inputs.subject }}"}},
		{Uses: "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683"},
		{Uses: "relproof/relproof/actions/attest@v1"},
	}
	if got := stepProblems("x.yml", bad); len(got) != 2 {
		t.Errorf("stepProblems found %d problems, want 2 (the expanded input and the unpinned action): %q", len(got), got)
	}
}

// An organization's private policy repository cannot be read with a job's
// GITHUB_TOKEN: every reusable workflow that reads the policy takes a
// policy-token secret and hands it to actions/policy.
func TestReusableWorkflowsTakeAPolicyToken(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	found := 0
	for _, f := range glob(t, root, ".github/workflows/*.yml") {
		rel, _ := filepath.Rel(root, f)
		var w struct {
			On struct {
				WorkflowCall struct {
					Secrets map[string]any `yaml:"secrets"`
				} `yaml:"workflow_call"`
			} `yaml:"on"`
			Jobs map[string]struct {
				Steps []step `yaml:"steps"`
			} `yaml:"jobs"`
		}
		decode(t, f, &w)
		for name, j := range w.Jobs {
			for _, s := range j.Steps {
				if s.Uses != "./.relproof/actions/policy" {
					continue
				}
				found++
				if got := s.With["token"]; got != "${{ secrets.policy-token || github.token }}" {
					t.Errorf("%s job %s: actions/policy is given token %q; want the policy-token secret, else the job's token", rel, name, got)
				}
				if _, ok := w.On.WorkflowCall.Secrets["policy-token"]; !ok {
					t.Errorf("%s: reads the policy and takes no policy-token secret", rel)
				}
			}
		}
	}
	if found < 3 {
		t.Errorf("found %d steps reading the policy in the reusable workflows; want deploy-gate's two and release-record's", found)
	}
}

// An input quoted in an error annotation cannot end its line and start a
// workflow command of its own.
func TestFailMessagesStayOneWorkflowCommand(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	cmd := exec.Command("bash", "-c", `source "$1"; rp_fail "input x: found \"$2\""`, "bash", filepath.Join(root, "actions/lib/relproof.sh"), "v1\n::add-mask::secret\r\n::warning::100%")
	out, err := cmd.Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("rp_fail: %v; want exit 2", err)
	}
	want := "::error title=relproof::input x: found \"v1%0A::add-mask::secret%0D%0A::warning::100%25\"\n"
	if string(out) != want {
		t.Errorf("rp_fail printed %q; want %q", out, want)
	}
}

// GitHub refuses a run at its start when a job calling a reusable workflow
// grants less than a job of the called workflow asks for ("The nested job
// ... is requesting ..., but is only allowed ..."). Every caller we ship or
// show — README, init's examples, our own and the e2e workflows — grants
// each of our reusable workflows what its jobs ask for, as policy check
// reads it (adopt.PermissionLines, whose table of what they ask for is held
// to .github/workflows).
func TestCallersGrantWhatReusableWorkflowsAskFor(t *testing.T) {
	root := repoRoot(t)
	found := map[string]int{}
	check := func(file string, doc []byte) {
		// Our own workflows call the reusable ones by path.
		doc = []byte(strings.ReplaceAll(string(doc), "uses: ./.github/workflows/", "uses: relproof/relproof/.github/workflows/"))
		w, err := adopt.ParseWorkflow(file, doc)
		if err != nil {
			if strings.Contains(string(doc), ".github/workflows/") {
				t.Errorf("%s: does not parse as a workflow: %v", file, err)
			}
			return
		}
		for _, l := range adopt.PermissionLines([]*adopt.Workflow{w}) {
			found[strings.SplitN(file, " ", 2)[0]]++
			if l.Status != adopt.OK {
				t.Error(l.Message)
			}
		}
	}
	for _, f := range glob(t, root, "examples/workflows/*.yml", "internal/e2e/testdata/workflows/*.yml", ".github/workflows/*.yml") {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, f)
		check(filepath.ToSlash(rel), b)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for i, block := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(readme, -1) {
		check(fmt.Sprintf("README.md (yaml block %d)", i+1), block[1])
	}
	// Every source is read: each must show the calls it is known to make.
	for file, n := range map[string]int{"README.md": 3, "examples/workflows/image.yml": 5, "examples/workflows/binary.yml": 5,
		"internal/e2e/testdata/workflows/release.yml": 3, "internal/e2e/testdata/workflows/audit-caller.yml": 1, ".github/workflows/release.yml": 1} {
		if found[file] < n {
			t.Errorf("%s: found %d calls of the reusable workflows; expected at least %d", file, found[file], n)
		}
	}
}
