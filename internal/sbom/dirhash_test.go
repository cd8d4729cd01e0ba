package sbom_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relproof/relproof/internal/sbom"
	"github.com/relproof/relproof/internal/subject"
)

func dirDigest(t *testing.T, dir string) subject.Digest {
	t.Helper()
	d, _, err := sbom.DirDigest(t.Context(), "dir:"+dir, dir)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDirDigest(t *testing.T) {
	t.Parallel()
	base := writeTree(t, t.TempDir(), projectFiles)
	want := dirDigest(t, base)

	// The same content elsewhere, written in another order, with other
	// modes and times and an empty directory, has the same digest.
	same := t.TempDir()
	for _, n := range []string{"web/package-lock.json", "README.md", "go.sum", "go.mod"} {
		writeTree(t, same, map[string]string{n: projectFiles[n]})
	}
	if err := os.Chmod(filepath.Join(same, "go.mod"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(filepath.Join(same, "go.sum"), time.Unix(0, 0), time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(same, "empty"), 0o700); err != nil {
		t.Fatal(err)
	}
	if got := dirDigest(t, same); got != want {
		t.Errorf("same content: digest %s, want %s", got, want)
	}

	// Any change of content or of a name changes it.
	for name, mutate := range map[string]func(dir string) error{
		"content": func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "README.md"), []byte("# hello!\n"), 0o644)
		},
		"name": func(dir string) error {
			return os.Rename(filepath.Join(dir, "README.md"), filepath.Join(dir, "README"))
		},
		"moved to another directory": func(dir string) error {
			if err := os.Mkdir(filepath.Join(dir, "docs"), 0o755); err != nil {
				return err
			}
			return os.Rename(filepath.Join(dir, "README.md"), filepath.Join(dir, "docs", "README.md"))
		},
		"file added": func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "web", "empty.txt"), nil, 0o644)
		},
		"file removed": func(dir string) error { return os.Remove(filepath.Join(dir, "go.sum")) },
		"symbolic link added": func(dir string) error {
			return os.Symlink("go.mod", filepath.Join(dir, "link"))
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := writeTree(t, t.TempDir(), projectFiles)
			if err := mutate(dir); err != nil {
				t.Fatal(err)
			}
			if got := dirDigest(t, dir); got == want {
				t.Errorf("digest %s did not change", got)
			}
		})
	}
}

func TestDirDigestSymlinks(t *testing.T) {
	t.Parallel()
	// A link counts by its target text: retargeting it changes the digest,
	// changing what it points to outside the tree does not.
	outside := writeTree(t, t.TempDir(), map[string]string{"secret": "one"})
	dir := writeTree(t, t.TempDir(), map[string]string{"a": "a"})
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	before := dirDigest(t, dir)
	writeTree(t, outside, map[string]string{"secret": "two"})
	if got := dirDigest(t, dir); got != before {
		t.Errorf("the content behind a link changed the digest")
	}
	if err := os.Remove(filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if got := dirDigest(t, dir); got == before {
		t.Errorf("retargeting a link did not change the digest")
	}
	// A root that is itself a link is followed.
	rootLink := filepath.Join(t.TempDir(), "root")
	if err := os.Symlink(dir, rootLink); err != nil {
		t.Fatal(err)
	}
	if got, want := dirDigest(t, rootLink), dirDigest(t, dir); got != want {
		t.Errorf("through a linked root: %s, want %s", got, want)
	}
}

// TestDirDigestCoreutils checks the documented equivalence: for a tree
// without links the digest is sha256sum's listing of the sorted files,
// hashed.
func TestDirDigestCoreutils(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, t.TempDir(), projectFiles)
	writeTree(t, dir, map[string]string{"a-b/x": "1", "a/b": "2", "A": "3", "with space.txt": "4"})
	cmd := exec.Command("sh", "-c", `find . -type f | sed 's|^\./||' | LC_ALL=C sort | tr '\n' '\0' | xargs -0 sha256sum | sha256sum`)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("coreutils: %v", err)
	}
	want := "sha256:" + strings.Fields(string(out))[0]
	if got := dirDigest(t, dir); got.String() != want {
		t.Errorf("digest %s, coreutils say %s", got, want)
	}
}

func TestDirDigestRefuses(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, t.TempDir(), map[string]string{"bad\nname": "x"})
	_, _, err := sbom.DirDigest(t.Context(), "dir:"+dir, dir)
	if !errors.Is(err, sbom.ErrInvalidSource) || !strings.Contains(err.Error(), `"bad\nname" has a line break`) {
		t.Errorf("DirDigest of a tree with a line break in a name: %v", err)
	}
}

func ExampleDirDigest() {
	d, size, err := sbom.DirDigest(context.Background(), "dir:testdata/tree", "testdata/tree")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d, size)
	// Output:
	// sha256:c50ecdbb2e0a01e3cb0ad6343737dce64795bcf0375bb7e827022121432cc492 25
}
