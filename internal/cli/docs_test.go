package cli

import (
	"os"
	"path/filepath"
	"testing"
)

// The checked-in reference must match the commands' help text.
func TestDocsUpToDate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := WriteDocs(dir); err != nil {
		t.Fatal(err)
	}
	const checkedIn = "../../docs/cli"
	generated, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	existing, _ := filepath.Glob(filepath.Join(checkedIn, "*.md"))
	if len(generated) != len(existing) {
		t.Errorf("docs/cli has %d pages, the commands make %d: run `go run ./cmd/relproof/gendocs docs/cli`", len(existing), len(generated))
	}
	for _, g := range generated {
		want, _ := os.ReadFile(g)
		got, err := os.ReadFile(filepath.Join(checkedIn, filepath.Base(g)))
		if err != nil || string(got) != string(want) {
			t.Errorf("docs/cli/%s is stale: run `go run ./cmd/relproof/gendocs docs/cli`", filepath.Base(g))
		}
	}
}
