package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The shell the actions run — actions/lib and every composite step's run
// script — passes shellcheck (actionlint checks the workflows' scripts; it
// does not read composite actions). .ci/run installs shellcheck and sets
// RELPROOF_REQUIRE_SHELLCHECK, so CI never skips this.
func TestActionScriptsPassShellcheck(t *testing.T) {
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		if os.Getenv("RELPROOF_REQUIRE_SHELLCHECK") != "" {
			t.Fatal("shellcheck is not on PATH")
		}
		t.Skip("skipping: shellcheck is not on PATH (apt-get install shellcheck; .ci/run installs it)")
	}
	root := repoRoot(t)
	files := glob(t, root, "actions/lib/*.sh")
	dir := t.TempDir()
	for _, a := range append(glob(t, root, "actions/*/action.yml"), filepath.Join(root, "action.yml")) {
		b, err := os.ReadFile(a)
		if err != nil {
			t.Fatal(err)
		}
		var act action
		if err := yaml.Unmarshal(b, &act); err != nil {
			t.Fatalf("%s: %v", a, err)
		}
		rel, _ := filepath.Rel(root, a)
		for i, s := range act.Runs.Steps {
			if s.Run == "" {
				continue
			}
			// The step's script as the runner writes it; the helpers it
			// sources are checked on their own.
			name := filepath.Join(dir, strings.NewReplacer("/", "_", ".", "_").Replace(rel)+"_step"+string(rune('a'+i))+".sh")
			// The step's env: is set by the runner: shellcheck is told so.
			var env strings.Builder
			for k := range s.Env {
				env.WriteString(k + "=${" + k + "-}\n")
			}
			script := "#!/usr/bin/env bash\n# " + rel + ", step " + s.Name + "\n" + env.String() + "# shellcheck source=/dev/null\n" + s.Run
			if err := os.WriteFile(name, []byte(script), 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, name)
		}
	}
	if len(files) < 10 {
		t.Fatalf("only %d scripts found", len(files))
	}
	cmd := exec.Command(sc, append([]string{"--shell=bash", "--severity=style", "-e", "SC1091"}, files...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}
