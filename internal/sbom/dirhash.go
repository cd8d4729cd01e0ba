package sbom

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/relproof/relproof/internal/subject"
)

// dirEntry is one line of a directory's digest summary.
type dirEntry struct {
	path string // slash-separated, relative to the root
	abs  string
	link bool // a symbolic link: its target text is hashed, not followed
	sum  [sha256.Size]byte
	size int64
	mod  time.Time // modification time when hashed
}

// DirDigest returns the digest of the tree at root and the number of bytes
// hashed. The algorithm is described in the package documentation: SHA-256
// over the sorted summary lines "HEX  PATH\n", one per regular file (HEX the
// SHA-256 of its content) and symbolic link (HEX the SHA-256 of its target
// text). Errors about root itself name input and match ErrInvalidSource.
func DirDigest(ctx context.Context, input, root string) (subject.Digest, int64, error) {
	d, size, _, err := hashTree(ctx, input, root)
	return d, size, err
}

// hashTree is DirDigest that also returns what it hashed, to check later
// that the tree is still the same (see unchanged).
func hashTree(ctx context.Context, input, root string) (subject.Digest, int64, []dirEntry, error) {
	entries, err := listTree(input, root)
	if err != nil {
		return subject.Digest{}, 0, nil, err
	}
	if err := hashEntries(ctx, entries); err != nil {
		return subject.Digest{}, 0, nil, err
	}
	h := sha256.New()
	var total int64
	var line bytes.Buffer
	for i := range entries {
		e := &entries[i]
		line.Reset()
		line.WriteString(hex.EncodeToString(e.sum[:]))
		line.WriteString("  ")
		line.WriteString(e.path)
		line.WriteByte('\n')
		h.Write(line.Bytes())
		total += e.size
	}
	return subject.Digest{Algorithm: subject.SHA256, Hex: hex.EncodeToString(h.Sum(nil))}, total, entries, nil
}

// unchanged checks that the tree at root still has the entries it had when
// it was hashed, with the same sizes, modification times and link targets:
// what syft cataloged after the digest was taken is what the digest names
// (short of a rewrite that keeps a file's size and time, which a tree being
// built does not do).
func unchanged(input, root string, was []dirEntry) error {
	now, err := listTree(input, root)
	if err != nil {
		return err
	}
	changed := func(what, p string) error {
		return fmt.Errorf("%w: %s: %s %s while it was cataloged; run again when the tree is still", ErrChanged, input, p, what)
	}
	if len(now) != len(was) {
		return fmt.Errorf("%w: %s: had %d files when hashed, %d after cataloging; run again when the tree is still", ErrChanged, input, len(was), len(now))
	}
	for i := range now {
		e, w := &now[i], &was[i]
		if e.path != w.path || e.link != w.link {
			return changed("appeared or went", e.path)
		}
		fi, err := os.Lstat(e.abs)
		if err != nil {
			return changed("went", e.path)
		}
		if e.link {
			if target, err := os.Readlink(e.abs); err != nil || sha256.Sum256([]byte(target)) != w.sum {
				return changed("was retargeted", e.path)
			}
			continue
		}
		if fi.Size() != w.size || !fi.ModTime().Equal(w.mod) {
			return changed("changed", e.path)
		}
	}
	return nil
}

// listTree lists the regular files and symbolic links under root, sorted by
// their slash-separated relative path, byte by byte.
func listTree(input, root string) ([]dirEntry, error) {
	fi, err := os.Stat(root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, invalid(input, "want a directory, found nothing at %q", root)
	case err != nil:
		return nil, invalidWrap(input, err, "reading %q", root)
	case !fi.IsDir():
		return nil, invalid(input, "want a directory, found a file at %q; use file:%s", root, root)
	}
	// WalkDir does not follow a root that is a symbolic link; the tree it
	// names is what is hashed and cataloged.
	walkRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, invalidWrap(input, err, "reading %q", root)
	}
	var entries []dirEntry
	err = filepath.WalkDir(walkRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		t := d.Type()
		if !t.IsRegular() && t&fs.ModeSymlink == 0 {
			return nil // directories count through their files; sockets, pipes and devices not at all
		}
		rel, err := filepath.Rel(walkRoot, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if strings.ContainsAny(rel, "\n\r") {
			return invalid(input, "file name %q has a line break, which the directory digest cannot represent", rel)
		}
		entries = append(entries, dirEntry{path: rel, abs: p, link: t&fs.ModeSymlink != 0})
		return nil
	})
	if err != nil {
		var ie *invalidError
		if errors.As(err, &ie) {
			return nil, err
		}
		return nil, invalidWrap(input, err, "listing %q", root)
	}
	slices.SortFunc(entries, func(a, b dirEntry) int { return strings.Compare(a.path, b.path) })
	return entries, nil
}

// hashEntries hashes the entries' content on a few goroutines: reading
// files is most of the work, and the disk and the SHA-256 units both go
// faster with more than one request in flight.
func hashEntries(ctx context.Context, entries []dirEntry) error {
	workers := min(max(runtime.GOMAXPROCS(0), 2)*2, 16, max(len(entries), 1))
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 256<<10)
			for i := range next {
				if err := hashEntry(ctx, &entries[i], buf); err != nil {
					errs <- err
					cancel()
					return
				}
			}
		}()
	}
feed:
	for i := range entries {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return ctx.Err()
}

func hashEntry(ctx context.Context, e *dirEntry, buf []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if e.link {
		target, err := os.Readlink(e.abs)
		if err != nil {
			return fmt.Errorf("reading link %s: %w", e.abs, err)
		}
		e.sum = sha256.Sum256([]byte(target))
		return nil
	}
	f, err := os.Open(e.abs)
	if err != nil {
		return fmt.Errorf("hashing %s: %w", e.abs, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("hashing %s: %w", e.abs, err)
	}
	e.mod = fi.ModTime()
	h := sha256.New()
	// Only the Reader: *os.File's WriterTo would copy through a fresh
	// 32 KiB buffer per file instead of buf.
	n, err := io.CopyBuffer(h, struct{ io.Reader }{f}, buf)
	if err != nil {
		return fmt.Errorf("hashing %s: %w", e.abs, err)
	}
	h.Sum(e.sum[:0])
	e.size = n
	return nil
}
