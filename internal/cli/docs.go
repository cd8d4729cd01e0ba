package cli

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra/doc"
)

// WriteDocs writes the Markdown reference of every command into dir.
func WriteDocs(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing docs: %w", err)
	}
	env := &Env{Getenv: func(string) string { return "" }, Now: time.Now, Dir: "."}
	root := New(env)
	root.DisableAutoGenTag = true
	if err := doc.GenMarkdownTree(root, dir); err != nil {
		return fmt.Errorf("writing docs: %w", err)
	}
	return nil
}
