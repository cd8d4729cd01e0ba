package sbom

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestUnchanged: a tree that changes between hashing and the end of
// cataloging fails with ErrChanged instead of giving an SBOM that the
// digest does not name.
func TestUnchanged(t *testing.T) {
	t.Parallel()
	for name, change := range map[string]func(dir string) error{
		"nothing": func(string) error { return nil },
		"content": func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "a.txt"), []byte("a longer content"), 0o644)
		},
		"time only": func(dir string) error {
			later := time.Now().Add(time.Hour)
			return os.Chtimes(filepath.Join(dir, "a.txt"), later, later)
		},
		"file added":   func(dir string) error { return os.WriteFile(filepath.Join(dir, "sub", "c.txt"), nil, 0o644) },
		"file removed": func(dir string) error { return os.Remove(filepath.Join(dir, "sub", "b.txt")) },
		"link retargeted": func(dir string) error {
			if err := os.Remove(filepath.Join(dir, "link")); err != nil {
				return err
			}
			return os.Symlink("sub/b.txt", filepath.Join(dir, "link"))
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
				t.Fatal(err)
			}
			for n, c := range map[string]string{"a.txt": "a", "sub/b.txt": "b"} {
				if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Symlink("a.txt", filepath.Join(dir, "link")); err != nil {
				t.Fatal(err)
			}
			_, _, tree, err := hashTree(t.Context(), "dir:"+dir, dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := change(dir); err != nil {
				t.Fatal(err)
			}
			err = unchanged("dir:"+dir, dir, tree)
			if name == "nothing" {
				if err != nil {
					t.Errorf("unchanged tree: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrChanged) {
				t.Errorf("after %s: %v, want ErrChanged", name, err)
			}
		})
	}
}
