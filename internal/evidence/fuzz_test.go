package evidence

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzExtract unpacks arbitrary bytes as a pack archive: it never panics,
// never writes outside its directory, and anything it refuses is "not a
// pack". The seeds (a real pack archive, a truncated one) run as a test.
func FuzzExtract(f *testing.F) {
	src := f.TempDir()
	files := map[string]string{"05-approvals/security-signoff.md": "allow\n", "index.html": "<p>hi</p>\n"}
	for p, c := range files {
		if err := os.MkdirAll(filepath.Join(src, filepath.Dir(p)), 0o755); err != nil {
			f.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, p), []byte(c), 0o644); err != nil {
			f.Fatal(err)
		}
	}
	files[ManifestFile] = manifestFor(f, files)
	if err := os.WriteFile(filepath.Join(src, ManifestFile), []byte(files[ManifestFile]), 0o644); err != nil {
		f.Fatal(err)
	}
	archive, err := Archive(src, time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(archive)
	f.Add(archive[:len(archive)/2])
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, data []byte) {
		parent := t.TempDir()
		out := filepath.Join(parent, "pack")
		err := ExtractFrom("fuzz.tar.gz", bytes.NewReader(data), out)
		if err != nil && !errors.Is(err, ErrNotAPack) {
			t.Fatalf("refused with an error that is not ErrNotAPack: %v", err)
		}
		_ = filepath.Walk(parent, func(p string, info os.FileInfo, err error) error {
			if err == nil && p != parent && !strings.HasPrefix(p, out) {
				t.Fatalf("wrote %s outside %s", p, out)
			}
			return nil
		})
	})
}
