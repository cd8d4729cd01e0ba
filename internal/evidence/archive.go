package evidence

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// maxArchiveFile bounds one file read from a pack archive; a pack holds
// text and bundles, not artifacts.
const maxArchiveFile = 256 << 20

// Archive writes the pack at dir as a reproducible .tar.gz: entries sorted,
// every time t, owners 0, modes 0755/0644, no gzip name or time. The same
// pack gives the same bytes.
func Archive(dir string, t time.Time) ([]byte, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		if !d.IsDir() && !d.Type().IsRegular() {
			return fmt.Errorf("%s: expected only regular files and directories in a pack, found %s", p, d.Type())
		}
		paths = append(paths, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var buf bytes.Buffer
	gz, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(gz)
	for _, p := range paths {
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return nil, err
		}
		name := "release-evidence/" + filepath.ToSlash(rel)
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		h := &tar.Header{Name: name, ModTime: t.UTC(), Format: tar.FormatPAX, Mode: 0o644}
		if fi.IsDir() {
			h.Typeflag, h.Name, h.Mode = tar.TypeDir, name+"/", 0o755
			if err := tw.WriteHeader(h); err != nil {
				return nil, err
			}
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		h.Typeflag, h.Size = tar.TypeReg, int64(len(data))
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Extract unpacks a pack archive (as Archive writes it) into dir, which
// must be new or empty. Anything but regular files and directories under
// release-evidence/, or a path that would leave dir, is refused.
func Extract(archive, dir string) error {
	f, err := os.Open(archive)
	if err != nil {
		return fmt.Errorf("pack archive %s: %w", archive, err)
	}
	defer f.Close()
	return ExtractFrom(archive, f, dir)
}

// ExtractFrom is Extract for an archive read from r; archive names it in
// errors.
func ExtractFrom(archive string, r io.Reader, dir string) error {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("pack archive %s: expected a .tar.gz: %w", archive, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("pack archive %s: %w", archive, err)
		}
		clean := path.Clean(h.Name)
		rel, ok := strings.CutPrefix(clean, "release-evidence/")
		if clean == "release-evidence" {
			rel, ok = ".", true
		}
		if !ok || path.IsAbs(h.Name) || rel == ".." || strings.HasPrefix(rel, "../") {
			return fmt.Errorf("pack archive %s: entry %q: expected a path under release-evidence/", archive, h.Name)
		}
		target := filepath.Join(dir, filepath.FromSlash(rel))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if h.Size > maxArchiveFile {
				return fmt.Errorf("pack archive %s: entry %q is %d bytes, more than a pack file may be", archive, h.Name, h.Size)
			}
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			data, err := io.ReadAll(io.LimitReader(tr, maxArchiveFile))
			if err != nil {
				return fmt.Errorf("pack archive %s: %w", archive, err)
			}
			if err := os.WriteFile(target, data, 0o644); err != nil {
				return err
			}
		default:
			return fmt.Errorf("pack archive %s: entry %q: expected a file or directory, found type %q", archive, h.Name, string(h.Typeflag))
		}
	}
}

// IsArchive reports whether a pack path names an archive rather than a
// directory.
func IsArchive(p string) bool { return strings.HasSuffix(p, ".tar.gz") || strings.HasSuffix(p, ".tgz") }
