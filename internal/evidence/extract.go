package evidence

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// limits bound what reading a pack archive may cost. A pack holds text and
// bundles, not artifacts: some twenty files, a few of them large (an SBOM,
// a build log).
type limits struct {
	entries int   // entries, directories included
	file    int64 // bytes of one file
	own     int64 // bytes of MANIFEST.json or MANIFEST.sigstore.json
	total   int64 // bytes of all files together
}

var defaultLimits = limits{entries: 1024, file: 256 << 20, own: 16 << 20, total: 1 << 30}

// stream is how many bytes the decompressed tar stream may hold: the files,
// and headers for every entry (PAX headers included) with room to spare.
func (l limits) stream() int64 { return l.total + int64(l.entries)*16<<10 + 1<<20 }

// root is the directory every entry of a pack archive is under.
const root = "release-evidence"

// ArchiveError is a pack archive that is not a pack as Archive writes it:
// an entry it refuses, or a bound the archive goes past. It is bad input,
// not a pack that failed verification; it matches ErrNotAPack.
type ArchiveError struct {
	Archive string
	// Entry is the entry's name as the archive gives it, or "" when the
	// problem is the archive's as a whole.
	Entry string
	// Problem says what was expected and what was found.
	Problem string
}

func (e *ArchiveError) Error() string {
	if e.Entry == "" {
		return fmt.Sprintf("pack archive %s: %s", e.Archive, e.Problem)
	}
	return fmt.Sprintf("pack archive %s: entry %s: %s", e.Archive, quoteName(e.Entry), e.Problem)
}

// Is makes the error match ErrNotAPack.
func (e *ArchiveError) Is(target error) bool { return target == ErrNotAPack }

// maxQuotedName bounds how much of an entry's name an error quotes.
const maxQuotedName = 200

// quoteName quotes an archive entry's name, escaping control characters,
// cut to maxQuotedName bytes with "…" after the quote when cut.
func quoteName(s string) string {
	if len(s) > maxQuotedName {
		return strconv.Quote(strings.ToValidUTF8(s[:maxQuotedName], "")) + "…"
	}
	return strconv.Quote(s)
}

// Extract unpacks a pack archive (as Archive writes it) into dir, which
// must be new or empty. See ExtractFrom for what it refuses.
func Extract(archive, dir string) error {
	f, err := os.Open(archive)
	if err != nil {
		return fmt.Errorf("pack archive %s: %w", archive, err)
	}
	defer f.Close()
	return ExtractFrom(archive, f, dir)
}

// ExtractFrom is Extract for an archive read from r; archive names it in
// errors. It reads the archive twice: first for MANIFEST.json, then to
// unpack the files it lists. It refuses, with an *ArchiveError, an archive
// without a manifest (and, matching ErrNotAPack, one whose manifest does not
// parse), and any entry but a regular file or directory under
// release-evidence/: a link, a device, a path that would leave dir, a
// duplicate, a file the manifest does not list (the pack's own
// MANIFEST.json and MANIFEST.sigstore.json aside), a directory no listed
// file is in, a file larger than the manifest says; and an archive past
// the bounds on entries and bytes. Nothing past a file's listed size is
// read, and nothing is written until the whole archive has been read once.
func ExtractFrom(archive string, r io.ReadSeeker, dir string) error {
	x, err := readManifest(archive, r, defaultLimits)
	if err != nil {
		return err
	}
	if x.manifestErr != nil {
		// Without a manifest it can read, nothing says what to unpack.
		return fmt.Errorf("%w: %w", ErrNotAPack, x.manifestErr)
	}
	if err := x.unpack(r, dir); err != nil {
		return err
	}
	if len(x.larger) > 0 {
		p := slices.Sorted(maps.Keys(x.larger))[0]
		return x.fail(root+"/"+p, fmt.Sprintf("expected %d bytes, as %s lists it, found %d", x.listed[p], ManifestFile, x.larger[p]))
	}
	return nil
}

// extraction is one archive being read.
type extraction struct {
	archive string
	lim     limits
	// manifest is MANIFEST.json as the first reading found it; manifestErr
	// says why it does not parse, if it does not.
	manifest    []byte
	manifestErr error
	// listed are the files MANIFEST.json lists, by path under
	// release-evidence/, with their sizes; dirs the directories they are in.
	listed map[string]int64
	dirs   map[string]bool
	// larger are the listed files whose entries are larger than listed:
	// not unpacked, their size as the archive gives it.
	larger map[string]int64
}

func (x *extraction) fail(entry, problem string) error {
	return &ArchiveError{Archive: x.archive, Entry: entry, Problem: problem}
}

// readManifest reads the archive once, checking every entry that can be
// checked without the manifest, and keeps MANIFEST.json.
func readManifest(archive string, r io.ReadSeeker, lim limits) (*extraction, error) {
	x := &extraction{archive: archive, lim: lim}
	err := x.walk(r, func(rel string, h *tar.Header, body io.Reader) error {
		if rel != ManifestFile {
			return nil
		}
		data, err := io.ReadAll(io.LimitReader(body, lim.own+1))
		if err != nil {
			return x.fail(h.Name, fmt.Sprintf("expected %d bytes, found: %v", h.Size, err))
		}
		x.manifest = data
		return nil
	})
	if err != nil {
		return nil, err
	}
	if x.manifest == nil {
		return nil, x.fail("", fmt.Sprintf("expected %s/%s, found none: not an evidence pack", root, ManifestFile))
	}
	m, err := parseManifest(archive, x.manifest)
	if err != nil {
		x.manifestErr = err
		return x, nil
	}
	x.listed, x.dirs, x.larger = map[string]int64{}, map[string]bool{"": true}, map[string]int64{}
	for _, e := range m.Files {
		if _, dup := x.listed[e.Path]; dup {
			return nil, x.fail("", fmt.Sprintf("%s: expected each file listed once, found %q twice", ManifestFile, e.Path))
		}
		x.listed[e.Path] = e.Size
		for d := path.Dir(e.Path); d != "." && d != "/" && !x.dirs[d]; d = path.Dir(d) {
			x.dirs[d] = true
		}
	}
	return x, nil
}

// unpack reads the archive again and writes into dir every entry the
// manifest lists; a listed file larger than listed is recorded in larger
// and not written.
func (x *extraction) unpack(r io.ReadSeeker, dir string) error {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("pack archive %s: %w", x.archive, err)
	}
	return x.walk(r, func(rel string, h *tar.Header, body io.Reader) error {
		target := filepath.Join(dir, filepath.FromSlash(rel))
		if h.Typeflag == tar.TypeDir {
			if !x.dirs[rel] {
				return x.fail(h.Name, fmt.Sprintf("expected only the directories of the files %s lists, found another", ManifestFile))
			}
			return os.MkdirAll(target, 0o755)
		}
		limit := x.lim.own
		switch size, listed := x.listed[rel]; {
		case rel == ManifestFile:
			// Written as the first reading found it, which is what the
			// other files were checked against.
			data, err := io.ReadAll(io.LimitReader(body, x.lim.own+1))
			if err != nil || !bytes.Equal(data, x.manifest) {
				return x.fail(h.Name, "expected the same bytes as on the first reading, found others")
			}
			return x.write(h, bytes.NewReader(x.manifest), target, int64(len(x.manifest)))
		case rel == BundleFile:
		case !listed:
			return x.fail(h.Name, fmt.Sprintf("expected only the files %s lists, %s and %s, found a file it does not list", ManifestFile, ManifestFile, BundleFile))
		case h.Size > size:
			x.larger[rel] = h.Size // not read: changed
			return nil
		default:
			limit = size
		}
		return x.write(h, body, target, limit)
	})
}

// write copies an entry's body to a new file, reading no more than limit+1
// bytes (limit is the size the manifest lists, for a listed file): more is
// refused.
func (x *extraction) write(h *tar.Header, body io.Reader, target string, limit int64) error {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, io.LimitReader(body, limit+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		os.Remove(target)
		return x.fail(h.Name, fmt.Sprintf("expected %d bytes, found: %v", h.Size, err))
	case n > limit:
		os.Remove(target)
		return x.fail(h.Name, fmt.Sprintf("expected at most %d bytes, found more", limit))
	}
	return nil
}

// walk reads the archive's entries, refusing what Archive never writes and
// anything past the limits, and calls fn with each entry's path under
// release-evidence/ ("" for that directory itself) and its body.
func (x *extraction) walk(r io.Reader, fn func(rel string, h *tar.Header, body io.Reader) error) error {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return x.fail("", fmt.Sprintf("expected a .tar.gz, found: %v", err))
	}
	defer gz.Close()
	stream := &cappedReader{r: gz, left: x.lim.stream()}
	tr := tar.NewReader(stream)
	seen := map[string]bool{}
	var entries int
	var total int64
	for {
		h, err := tr.Next()
		switch {
		case stream.over:
			return x.tooLarge()
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return x.fail("", fmt.Sprintf("expected a tar archive, found: %v", err))
		}
		if entries++; entries > x.lim.entries {
			return x.fail(h.Name, fmt.Sprintf("expected at most %d entries, found more", x.lim.entries))
		}
		rel, problem := entryPath(h.Name, h.Typeflag)
		if problem != "" {
			return x.fail(h.Name, problem)
		}
		switch h.Typeflag {
		case tar.TypeDir:
		case tar.TypeReg:
			limit := x.lim.file
			if rel == ManifestFile || rel == BundleFile {
				limit = x.lim.own
			}
			if h.Size > limit {
				return x.fail(h.Name, fmt.Sprintf("expected at most %d bytes, found %d", limit, h.Size))
			}
			if total += h.Size; total > x.lim.total {
				return x.fail(h.Name, fmt.Sprintf("expected at most %d bytes in all files, found more", x.lim.total))
			}
		case tar.TypeSymlink, tar.TypeLink:
			return x.fail(h.Name, fmt.Sprintf("expected a regular file or directory, found a link to %s", quoteName(h.Linkname)))
		default:
			return x.fail(h.Name, fmt.Sprintf("expected a regular file or directory, found type %q", string(h.Typeflag)))
		}
		if seen[rel] {
			return x.fail(h.Name, "expected each path once, found it again")
		}
		seen[rel] = true
		err = fn(rel, h, tr)
		switch {
		case stream.over:
			return x.tooLarge()
		case err != nil:
			return err
		}
	}
}

func (x *extraction) tooLarge() error {
	return x.fail("", fmt.Sprintf("expected at most %d bytes uncompressed, found more", x.lim.stream()))
}

// entryPath is an entry's path under release-evidence/, or what is wrong
// with its name: it must be release-evidence/ itself or a clean, local,
// slash-separated path under it, directories with or without a trailing
// slash.
func entryPath(name string, typ byte) (string, string) {
	const under = "expected a path under " + root + "/"
	n := name
	if typ == tar.TypeDir {
		n = strings.TrimSuffix(n, "/")
	}
	if n == root {
		if typ != tar.TypeDir {
			return "", "expected " + root + " to be a directory"
		}
		return "", ""
	}
	rel, ok := strings.CutPrefix(n, root+"/")
	if !ok || path.IsAbs(n) {
		return "", under
	}
	if path.Clean(rel) != rel || rel == ".." || strings.HasPrefix(rel, "../") || strings.ContainsAny(rel, `\:`) ||
		strings.ContainsFunc(rel, func(r rune) bool { return r < 0x20 || r == 0x7f }) || !filepath.IsLocal(filepath.FromSlash(rel)) {
		return "", under + " in clean form, without .., backslashes, colons or control characters"
	}
	return rel, ""
}

// cappedReader reads at most left bytes from r, then fails, and says so.
type cappedReader struct {
	r    io.Reader
	left int64
	over bool
}

var errTooLarge = errors.New("archive too large")

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		c.over = true
		return 0, errTooLarge
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}
