package evidence

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"time"
)

// writeAtomic writes files into a temporary directory beside out, with
// fixed modification times, and renames it to out.
func writeAtomic(out string, files map[string][]byte, when time.Time) (err error) {
	out = filepath.Clean(out)
	if ents, err := os.ReadDir(out); err == nil {
		if len(ents) > 0 {
			return fmt.Errorf("pack output %s: expected a new or empty directory, found one with %d entries", out, len(ents))
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("pack output %s: expected a new directory path: %w", out, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp-*")
	if err != nil {
		return fmt.Errorf("pack output %s: %w", out, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	dirs := map[string]bool{}
	for _, n := range names {
		p := filepath.Join(tmp, filepath.FromSlash(n))
		if dir := path.Dir(n); dir != "." && !dirs[dir] {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return fmt.Errorf("pack output %s: %w", out, err)
			}
			// Every directory made gets the fixed time, a parent too.
			for ; dir != "." && !dirs[dir]; dir = path.Dir(dir) {
				dirs[dir] = true
			}
		}
		if err := writeSynced(p, files[n]); err != nil {
			return fmt.Errorf("pack output %s: writing %s: %w", out, n, err)
		}
		if err := os.Chtimes(p, when, when); err != nil {
			return err
		}
	}
	for dir := range dirs {
		if err := os.Chtimes(filepath.Join(tmp, dir), when, when); err != nil {
			return err
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := os.Chtimes(tmp, when, when); err != nil {
		return err
	}
	_ = os.Remove(out) // an empty directory given as --out
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("pack output %s: %w", out, err)
	}
	return nil
}

func writeSynced(p string, data []byte) error {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
