package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// archiveEntry is one entry of a pack archive, read back for a test to
// rearrange.
type archiveEntry struct {
	h    *tar.Header
	body []byte
}

func readArchive(t *testing.T, p string) []archiveEntry {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var out []archiveEntry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, archiveEntry{h: h, body: body})
	}
}

func writeArchive(t *testing.T, p string, entries []archiveEntry) string {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		h := *e.h
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A genuine pack archive, taken apart and put together again with one
// hostile change: a crafted archive is bad input (exit 2) naming the
// archive, the entry, what was expected and what was found; a file that
// differs from the manifest is a failed verification (exit 1).
func TestPackVerifyHostileArchive(t *testing.T) {
	t.Parallel()
	w := newPackWorld(t)
	genuine := readArchive(t, w.build(filepath.Join(w.dir, "release.tar.gz")))
	const signoff = "release-evidence/05-approvals/security-signoff.md"
	at := -1
	for i, e := range genuine {
		if e.h.Name == signoff {
			at = i
		}
	}
	if at < 0 {
		t.Fatalf("no %s in the archive", signoff)
	}
	with := func(f func(es []archiveEntry) []archiveEntry) []archiveEntry {
		es := make([]archiveEntry, len(genuine))
		copy(es, genuine)
		return f(es)
	}
	tampered := bytes.Replace(genuine[at].body, []byte("allow"), []byte("allOw"), 1)
	reg := func(name, body string) archiveEntry {
		return archiveEntry{h: &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, ModTime: genuine[at].h.ModTime}, body: []byte(body)}
	}
	for _, tc := range []struct {
		name    string
		entries []archiveEntry
		code    int
		says    []string
	}{
		{
			name: "duplicate entry, a tampered first copy and the genuine last",
			entries: with(func(es []archiveEntry) []archiveEntry {
				first := archiveEntry{h: genuine[at].h, body: tampered}
				return append(es[:at:at], append([]archiveEntry{first}, es[at:]...)...)
			}),
			code: 2, says: []string{`entry "` + signoff + `": expected each path once, found it again`},
		},
		{
			name: "unlisted entry",
			entries: with(func(es []archiveEntry) []archiveEntry {
				return append(es, reg("release-evidence/05-approvals/extra.md", "smuggled"))
			}),
			code: 2, says: []string{`entry "release-evidence/05-approvals/extra.md": expected only the files MANIFEST.json lists`, "found a file it does not list"},
		},
		{
			name: "a path that escapes",
			entries: with(func(es []archiveEntry) []archiveEntry {
				return append(es, reg("release-evidence/../evil.sh", "#!/bin/sh"))
			}),
			code: 2, says: []string{`entry "release-evidence/../evil.sh": expected a path under release-evidence/`},
		},
		{
			name: "a symlink",
			entries: with(func(es []archiveEntry) []archiveEntry {
				es[at] = archiveEntry{h: &tar.Header{Name: signoff, Typeflag: tar.TypeSymlink, Linkname: "../MANIFEST.json", Mode: 0o777}}
				return es
			}),
			code: 2, says: []string{`entry "` + signoff + `": expected a regular file or directory, found a link to "../MANIFEST.json"`},
		},
		{
			name: "no manifest",
			entries: with(func(es []archiveEntry) []archiveEntry {
				var out []archiveEntry
				for _, e := range es {
					if !strings.HasSuffix(e.h.Name, "/MANIFEST.json") {
						out = append(out, e)
					}
				}
				return out
			}),
			code: 2, says: []string{"expected release-evidence/MANIFEST.json, found none: not an evidence pack"},
		},
		{
			name: "a file larger than listed",
			entries: with(func(es []archiveEntry) []archiveEntry {
				es[at] = archiveEntry{h: genuine[at].h, body: append(bytes.Clone(genuine[at].body), "\nand more"...)}
				return es
			}),
			code: 1, says: []string{"05-approvals/security-signoff.md: changed: expected sha256:", fmt.Sprintf("found %d bytes in the archive, not read", len(genuine[at].body)+len("\nand more"))},
		},
		{
			name: "a file changed in place",
			entries: with(func(es []archiveEntry) []archiveEntry {
				es[at] = archiveEntry{h: genuine[at].h, body: tampered}
				return es
			}),
			code: 1, says: []string{"05-approvals/security-signoff.md: changed: expected sha256:"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := writeArchive(t, filepath.Join(t.TempDir(), "hostile.tar.gz"), tc.entries)
			r := run(t, w.env, "pack", "verify", p, "--key", w.pub, "--attestation-key", w.approverPub())
			expect(t, r, tc.code, append([]string{p}, tc.says...)...)
			if tc.code == 2 {
				expect(t, run(t, w.env, "pack", "show", p), 2, tc.says...)
			}
		})
	}
}

// "Not a pack" is bad input wherever it comes from.
func TestPackVerifyNotAPack(t *testing.T) {
	t.Parallel()
	w := newPackWorld(t)
	empty := t.TempDir()
	writeFile(t, empty, "README.md", "not a pack")
	expect(t, run(t, w.env, "pack", "verify", empty, "--key", w.pub, "--attestation-key", w.approverPub()), 2, empty+": expected MANIFEST.json, found none")
	expect(t, run(t, w.env, "pack", "verify", empty, "--key", w.pub, "--attestation-key", w.approverPub(), "--output", "json"), 2)
	notGzip := writeFile(t, w.dir, "notgzip.tar.gz", "hello")
	expect(t, run(t, w.env, "pack", "verify", notGzip, "--key", w.pub, "--attestation-key", w.approverPub()), 2, "pack archive "+notGzip+": expected a .tar.gz")
	// A manifest that does not parse is a pack that fails, as in a directory.
	dir := w.build(filepath.Join(w.dir, "pack"))
	writeFile(t, dir, "MANIFEST.json", "{")
	expect(t, run(t, w.env, "pack", "verify", dir, "--key", w.pub, "--attestation-key", w.approverPub()), 1, "MANIFEST.json: expected the manifest JSON")
}

// A gzip bomb given to pack verify fails fast, and writes nothing where
// archives are unpacked. (Not parallel: it sets TMPDIR.)
func TestPackVerifyGzipBomb(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	env := testEnv(t, nil)
	_, pub := keys(t, env, t.TempDir(), "release")
	var b bytes.Buffer
	var z bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	gz.Write(make([]byte, 16<<20))
	gz.Close()
	for i := range 12 {
		var hb bytes.Buffer
		tw := tar.NewWriter(&hb)
		if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("release-evidence/01-source/%02d.txt", i), Typeflag: tar.TypeReg, Mode: 0o644, Size: 15 * 16 << 20}); err != nil {
			t.Fatal(err)
		}
		hg := gzip.NewWriter(&b)
		hg.Write(hb.Bytes())
		hg.Close()
		for range 15 {
			b.Write(z.Bytes())
		}
	}
	p := writeFile(t, t.TempDir(), "bomb.tar.gz", b.String())
	expect(t, run(t, env, "pack", "verify", p, "--key", pub), 2, "pack archive "+p, `entry "release-evidence/01-source/04.txt": expected at most 1073741824 bytes in all files, found more`)
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("left %v in TMPDIR", ents)
	}
}

// pack verify --output json prints the verdict and every problem when the
// pack does not verify, as verify does.
func TestPackVerifyJSONWhenNotVerified(t *testing.T) {
	t.Parallel()
	w := newPackWorld(t)
	dir := w.build(filepath.Join(w.dir, "pack"))
	p := filepath.Join(dir, "05-approvals", "security-signoff.md")
	b, _ := os.ReadFile(p)
	b[10] ^= 1
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, w.env, "pack", "verify", dir, "--key", w.pub, "--attestation-key", w.approverPub(), "--output", "json")
	expect(t, r, 1, "05-approvals/security-signoff.md: changed")
	var got struct {
		Verdict  string   `json:"verdict"`
		Pack     string   `json:"pack"`
		Problems []string `json:"problems"`
		Manifest *struct {
			Digest string `json:"digest"`
		} `json:"manifest"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, r.stdout)
	}
	if got.Verdict != "not verified" || got.Pack != dir || len(got.Problems) != 1 || !strings.HasPrefix(got.Problems[0], "05-approvals/security-signoff.md: changed: expected sha256:") {
		t.Errorf("report = %+v", got)
	}
	if got.Manifest != nil {
		t.Errorf("report manifest = %+v, want none: it did not verify", got.Manifest)
	}
	// Verified, the report has the same shape.
	fixed := w.build(filepath.Join(w.dir, "fixed"))
	r = run(t, w.env, "pack", "verify", fixed, "--key", w.pub, "--attestation-key", w.approverPub(), "--output", "json")
	expect(t, r, 0)
	got.Manifest = nil
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Verdict != "verified" || got.Problems == nil || len(got.Problems) != 0 || got.Manifest == nil || got.Manifest.Digest != w.digest {
		t.Errorf("verified report = %+v, %v\n%s", got, err, r.stdout)
	}
}
