package evidence

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tent is one entry of a hand-made archive.
type tent struct {
	name string
	typ  byte // tar.TypeReg when 0
	body string
	link string
}

// tarGz writes entries as a .tar.gz, in the order given.
func tarGz(t *testing.T, entries ...tent) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o644, Linkname: e.link}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// manifestFor is MANIFEST.json listing files (path: content).
func manifestFor(t testing.TB, files map[string]string) string {
	t.Helper()
	m := Manifest{Version: PackType}
	for p, c := range files {
		sum := sha256.Sum256([]byte(c))
		m.Files = append(m.Files, Entry{Path: p, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(c)), Class: "test"})
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dirBytes is how many bytes of files dir holds, and whether anything in
// it is not a regular file or directory.
func dirBytes(t *testing.T, dir string) (n int64, odd []string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += info.Size()
		default:
			odd = append(odd, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n, odd
}

const signoff = "05-approvals/security-signoff.md"

// Hand-made archives that are not packs as Archive writes them are refused
// whole: bad input (ErrNotAPack), naming the archive, the entry, what was
// expected and what was found; nothing lands outside the directory.
func TestExtractRefusesHostileArchives(t *testing.T) {
	t.Parallel()
	genuine := "# Security sign-off\nallow\n"
	manifest := manifestFor(t, map[string]string{signoff: genuine, "index.html": "<p>hi</p>\n"})
	m := tent{name: "release-evidence/MANIFEST.json", body: manifest}
	dir := tent{name: "release-evidence/05-approvals/", typ: tar.TypeDir}
	file := tent{name: "release-evidence/" + signoff, body: genuine}
	many := []tent{m}
	for i := range 1100 {
		many = append(many, tent{name: fmt.Sprintf("release-evidence/d%04d/", i), typ: tar.TypeDir})
	}
	for _, tc := range []struct {
		name    string
		entries []tent
		says    []string
	}{
		{
			name:    "duplicate entry: a tampered first copy, the genuine last",
			entries: []tent{dir, {name: file.name, body: "# Security sign-off\ndeny!\n"}, file, m},
			says:    []string{`entry "release-evidence/05-approvals/security-signoff.md": expected each path once, found it again`},
		},
		{
			name: "duplicate manifest", entries: []tent{m, dir, file, m},
			says: []string{`entry "release-evidence/MANIFEST.json": expected each path once, found it again`},
		},
		{
			name: "duplicate directory", entries: []tent{dir, dir, file, m},
			says: []string{`entry "release-evidence/05-approvals/": expected each path once`},
		},
		{
			name: "a file and a directory of the same name", entries: []tent{dir, file, {name: file.name + "/", typ: tar.TypeDir}, m},
			says: []string{"found it again"},
		},
		{
			name: "unlisted file", entries: []tent{dir, file, {name: "release-evidence/05-approvals/extra.md", body: "x"}, m},
			says: []string{`entry "release-evidence/05-approvals/extra.md": expected only the files MANIFEST.json lists, MANIFEST.json and MANIFEST.sigstore.json, found a file it does not list`},
		},
		{
			name: "unlisted directory", entries: []tent{dir, file, {name: "release-evidence/07-more/", typ: tar.TypeDir}, m},
			says: []string{`entry "release-evidence/07-more/": expected only the directories of the files MANIFEST.json lists`},
		},
		{
			name: "unclean path", entries: []tent{{name: "release-evidence/05-approvals/../05-approvals/security-signoff.md", body: genuine}, m},
			says: []string{"expected a path under release-evidence/ in clean form"},
		},
		{
			name: "escaping path", entries: []tent{{name: "release-evidence/../../etc/evil", body: "x"}, m},
			says: []string{`entry "release-evidence/../../etc/evil": expected a path under release-evidence/`},
		},
		{
			name: "absolute path", entries: []tent{{name: "/etc/evil", body: "x"}, m},
			says: []string{`entry "/etc/evil": expected a path under release-evidence/`},
		},
		{
			name: "backslashes", entries: []tent{{name: `release-evidence/05-approvals\..\..\evil`, body: "x"}, m},
			says: []string{"without .., backslashes"},
		},
		{
			name: "release-evidence as a file", entries: []tent{{name: "release-evidence", body: "x"}, m},
			says: []string{"expected release-evidence to be a directory"},
		},
		{
			name: "symlink", entries: []tent{dir, {name: file.name, typ: tar.TypeSymlink, link: "/etc/passwd"}, m},
			says: []string{`entry "release-evidence/05-approvals/security-signoff.md": expected a regular file or directory, found a link to "/etc/passwd"`},
		},
		{
			name: "hard link", entries: []tent{dir, {name: file.name, typ: tar.TypeLink, link: "release-evidence/MANIFEST.json"}, m},
			says: []string{"found a link to"},
		},
		{
			name: "fifo", entries: []tent{dir, {name: file.name, typ: tar.TypeFifo}, m},
			says: []string{`expected a regular file or directory, found type "6"`},
		},
		{
			name: "no manifest", entries: []tent{dir, file},
			says: []string{"expected release-evidence/MANIFEST.json, found none: not an evidence pack"},
		},
		{
			name: "a manifest that lists a file twice", entries: []tent{{name: m.name, body: strings.Replace(manifest, `"files":[`, `"files":[{"path":"index.html","sha256":"","size":1,"class":"x"},`, 1)}},
			says: []string{`MANIFEST.json: expected each file listed once, found "index.html" twice`},
		},
		{
			name: "too many entries", entries: many,
			says: []string{"expected at most 1024 entries, found more"},
		},
		{
			name: "a name with control characters", entries: []tent{{name: "release-evidence/\x1b[2J\n::error::x", body: "x"}, m},
			says: []string{`entry "release-evidence/\x1b[2J\n::error::x"`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			parent := t.TempDir()
			out := filepath.Join(parent, "out")
			if err := os.Mkdir(out, 0o755); err != nil {
				t.Fatal(err)
			}
			err := ExtractFrom("evil.tar.gz", bytes.NewReader(tarGz(t, tc.entries...)), out)
			var ae *ArchiveError
			if !errors.As(err, &ae) || !errors.Is(err, ErrNotAPack) {
				t.Fatalf("ExtractFrom = %v; want an *ArchiveError", err)
			}
			for _, want := range append([]string{"pack archive evil.tar.gz: "}, tc.says...) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if strings.ContainsAny(err.Error(), "\n\x1b") {
				t.Errorf("error %q holds control characters", err)
			}
			if _, odd := dirBytes(t, parent); len(odd) > 0 {
				t.Errorf("left behind: %v", odd)
			}
			if ents, _ := os.ReadDir(parent); len(ents) != 1 {
				t.Errorf("wrote beside the target directory: %v", ents)
			}
		})
	}
}

// The archive Archive writes unpacks to the same files.
func TestExtractRoundTrip(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	files := map[string]string{signoff: "allow\n", "index.html": "<p>hi</p>\n", "01-source/commit-range.txt": "a..b\n"}
	for p, c := range files {
		if err := os.MkdirAll(filepath.Join(src, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files[ManifestFile] = manifestFor(t, files)
	files[BundleFile] = "{}\n"
	for _, p := range []string{ManifestFile, BundleFile} {
		if err := os.WriteFile(filepath.Join(src, p), []byte(files[p]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	archive, err := Archive(src, time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := ExtractFrom("pack.tar.gz", bytes.NewReader(archive), out); err != nil {
		t.Fatal(err)
	}
	for p, c := range files {
		got, err := os.ReadFile(filepath.Join(out, p))
		if err != nil || string(got) != c {
			t.Errorf("%s: %q, %v; want %q", p, got, err, c)
		}
	}
}

// zeros is a gzip member of n zero bytes; gzip members concatenate, so
// repeating it makes a stream of many zeros cheaply.
func zeros(t *testing.T, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := gz.Write(make([]byte, n)); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// member is a gzip member holding b.
func member(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	if _, err := gz.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// header is the tar header block(s) for a file of size bytes.
func header(t *testing.T, name string, size int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: size}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes() // the header is written at once; the body never is
}

// bomb is a gzip bomb of a few MB: n files of 240 MiB of zeros each, under
// the bound on one file, far past the bound on all of them together.
func bomb(t *testing.T, n int) []byte {
	t.Helper()
	const chunk = 16 << 20
	z := zeros(t, chunk)
	var out bytes.Buffer
	for i := range n {
		out.Write(member(t, header(t, fmt.Sprintf("release-evidence/01-source/%02d.txt", i), 15*chunk)))
		for range 15 {
			out.Write(z)
		}
	}
	return out.Bytes()
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r *bytes.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) Seek(off int64, whence int) (int64, error) { return c.r.Seek(off, whence) }

// A gzip bomb of a few MB that would expand to 4.8 GB fails as soon as the
// files it declares go past the bound on all files together: nothing is
// written, and the rest of it is never read.
func TestExtractGzipBomb(t *testing.T) {
	t.Parallel()
	b := bomb(t, 20)
	if len(b) > 8<<20 {
		t.Fatalf("the bomb is %d bytes, want a few MB", len(b))
	}
	out := t.TempDir()
	in := &countingReader{r: bytes.NewReader(b)}
	err := ExtractFrom("bomb.tar.gz", in, out)
	if !errors.Is(err, ErrNotAPack) || !strings.Contains(err.Error(), `pack archive bomb.tar.gz: entry "release-evidence/01-source/04.txt": expected at most 1073741824 bytes in all files, found more`) {
		t.Fatalf("ExtractFrom = %v; want the bound on all files named", err)
	}
	if n, _ := dirBytes(t, out); n > defaultLimits.total {
		t.Errorf("wrote %d bytes, more than the bound of %d", n, defaultLimits.total)
	} else if n > 0 {
		t.Errorf("wrote %d bytes before the whole archive was read once", n)
	}
	if in.n > int64(len(b))/3 {
		t.Errorf("read %d of the bomb's %d bytes; want it refused early", in.n, len(b))
	}
}

// Headers alone can be a bomb (PAX records the tar reader merges, one
// after another, before it yields an entry): the uncompressed stream is
// bounded too.
func TestExtractHeaderBomb(t *testing.T) {
	t.Parallel()
	// One PAX header with a 512 KiB record, without the entry it is for.
	var one bytes.Buffer
	tw := tar.NewWriter(&one)
	h := &tar.Header{Name: "release-evidence/x", Typeflag: tar.TypeReg, Format: tar.FormatPAX, PAXRecords: map[string]string{"comment": strings.Repeat("A", 512<<10)}}
	if err := tw.WriteHeader(h); err != nil {
		t.Fatal(err)
	}
	pax := one.Bytes()[:one.Len()-512]
	m := member(t, pax)
	var b bytes.Buffer
	for range 64 {
		b.Write(m)
	}
	lim := limits{entries: 16, file: 1 << 20, own: 1 << 20, total: 4 << 20}
	in := &countingReader{r: bytes.NewReader(b.Bytes())}
	_, err := verifyArchive("headers.tar.gz", in, Options{TempDir: t.TempDir()}, lim)
	if !errors.Is(err, ErrNotAPack) || !strings.Contains(err.Error(), fmt.Sprintf("pack archive headers.tar.gz: expected at most %d bytes uncompressed, found more", lim.stream())) {
		t.Fatalf("verifyArchive = %v; want the bound on the uncompressed stream named", err)
	}
	if in.n > int64(b.Len())/2 {
		t.Errorf("read %d of %d bytes; want it refused early", in.n, b.Len())
	}
}

// VerifyArchive refuses what ExtractFrom refuses, as bad input, and writes
// nothing where it unpacks.
func TestVerifyArchiveRefusesBeforeWriting(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	_, err := VerifyArchive("bomb.tar.gz", bytes.NewReader(bomb(t, 6)), Options{TempDir: tmp})
	var pe *Error
	if !errors.Is(err, ErrNotAPack) || errors.As(err, &pe) {
		t.Fatalf("VerifyArchive = %v; want bad input, not a failed verification", err)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("left %v in the temporary directory", ents)
	}
	_, err = VerifyArchive("empty.tar.gz", bytes.NewReader(nil), Options{TempDir: tmp})
	if !errors.Is(err, ErrNotAPack) || !strings.Contains(err.Error(), "pack archive empty.tar.gz: expected a .tar.gz") {
		t.Errorf("VerifyArchive of no bytes = %v", err)
	}
}

var _ io.ReadSeeker = (*countingReader)(nil)

// A body longer than the manifest lists is not read past that size + 1,
// whatever the header said.
func TestExtractWriteStopsAtListedSize(t *testing.T) {
	t.Parallel()
	x := &extraction{archive: "a.tar.gz", lim: defaultLimits}
	target := filepath.Join(t.TempDir(), "f")
	body := &countingReader{r: bytes.NewReader(bytes.Repeat([]byte("x"), 1<<20))}
	err := x.write(&tar.Header{Name: "release-evidence/f", Size: 10}, body, target, 10)
	if !errors.Is(err, ErrNotAPack) || !strings.Contains(err.Error(), `entry "release-evidence/f": expected at most 10 bytes, found more`) {
		t.Fatalf("write = %v", err)
	}
	if body.n > 11+32<<10 {
		t.Errorf("read %d bytes of the body, want about 11", body.n)
	}
	if _, err := os.Stat(target); err == nil {
		t.Errorf("left the partial file behind")
	}
}
