package audit

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzCheckWorkflow: whatever bytes a workflow file holds, checking it
// never panics, and every finding is of a known rule at a line of the file.
func FuzzCheckWorkflow(f *testing.F) {
	m, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "audit-corpus", "workflows", "*"))
	for _, p := range m {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("on: push\njobs:\n  a:\n    runs-on: [self-hosted]\n    steps:\n      - run: |\n          docker push x:latest\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		fs, err := CheckWorkflow("w.yml", src)
		if err != nil {
			return
		}
		lines := len(splitLines(string(src)))
		for _, x := range fs {
			if _, ok := RuleByID(x.Rule); !ok {
				t.Fatalf("finding of unknown rule %q", x.Rule)
			}
			if x.Line < 1 || x.Line > lines {
				t.Fatalf("finding %s at line %d of a %d-line file", x.Rule, x.Line, lines)
			}
		}
	})
}
