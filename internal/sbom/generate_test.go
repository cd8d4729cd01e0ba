package sbom_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/relproof/relproof/internal/sbom"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/testing/registrytest"
)

func generate(t *testing.T, input string, opts ...sbom.Option) *sbom.Result {
	t.Helper()
	src, err := sbom.ParseSource(input)
	if err != nil {
		t.Fatal(err)
	}
	res, err := sbom.Generate(t.Context(), src, opts...)
	if err != nil {
		t.Fatalf("Generate(%s): %v", input, err)
	}
	return res
}

// check checks the result in both ways: the document through the SPDX or
// CycloneDX project's library, and the package list Generate reports.
func check(t *testing.T, res *sbom.Result, f sbom.Format, d subject.Digest, want []sbom.Package, subset bool) {
	t.Helper()
	if res.Subject.Digest != d {
		t.Errorf("subject digest = %s, want %s", res.Subject.Digest, d)
	}
	switch f {
	case sbom.SPDXJSON:
		checkSPDX(t, res.Document, d, want, subset)
	case sbom.CycloneDXJSON:
		checkCycloneDX(t, res.Document, d, want, subset)
	}
	checkPackages(t, "Result.Packages", res.Packages, want, subset)
	if !slices.IsSortedFunc(res.Packages, func(a, b sbom.Package) int { return strings.Compare(a.Name+" "+a.Version, b.Name+" "+b.Version) }) {
		t.Errorf("Result.Packages is not sorted: %+v", res.Packages)
	}
	doc, err := sbom.ParseDocument(res.Document)
	if err == nil {
		if diff := cmp.Diff(doc.Packages, res.Packages); diff != "" {
			t.Errorf("Result.Packages is not what the document lists (-document +result):\n%s", diff)
		}
	}
	if err != nil || !doc.Names(d) || doc.Format != f || !slices.Contains(doc.Tools, "syft-"+sbom.SyftVersion()) {
		t.Errorf("ParseDocument = %+v, %v; want %s naming %s, made by syft %s", doc, err, f, d, sbom.SyftVersion())
	}
	if !strings.HasSuffix(string(res.Document), "}\n") {
		t.Errorf("document does not end in a newline")
	}
}

func TestGenerateDirectory(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, t.TempDir(), projectFiles)
	d, _, err := sbom.DirDigest(t.Context(), "dir:"+dir, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range sbom.Formats {
		t.Run(string(f), func(t *testing.T) {
			t.Parallel()
			res := generate(t, "dir:"+dir, sbom.WithFormat(f))
			check(t, res, f, d, projectPackages, false)
			if res.Subject.Kind != sbom.KindDir || res.Subject.Name != filepath.Base(dir) || res.Cached != nil {
				t.Errorf("subject = %+v, cached = %+v", res.Subject, res.Cached)
			}
		})
	}
}

// TestGenerateFile catalogs a single file: a Go program built here from
// the module cache, whose module dependencies are known.
func TestGenerateFile(t *testing.T) {
	t.Parallel()
	exe := buildGoProgram(t)
	s, err := subject.Resolve(t.Context(), exe)
	if err != nil {
		t.Fatal(err)
	}
	want := []sbom.Package{
		{Name: "github.com/google/go-cmp", Version: "v0.7.0", PURL: "pkg:golang/github.com/google/go-cmp@v0.7.0"},
		{Name: "github.com/google/uuid", Version: "v1.6.0", PURL: "pkg:golang/github.com/google/uuid@v1.6.0"},
	}
	for _, f := range sbom.Formats {
		t.Run(string(f), func(t *testing.T) {
			t.Parallel()
			res := generate(t, "file:"+exe, sbom.WithFormat(f))
			check(t, res, f, s.Digest, want, true)
			if res.Subject.Kind != subject.KindFile || res.Subject.Name != "hello" {
				t.Errorf("subject = %+v", res.Subject)
			}
		})
	}
}

func TestGenerateImage(t *testing.T) {
	t.Parallel()
	img := buildImage(t, imageFiles)
	d := digestOf(t, img)
	reg := registrytest.New(t)
	ref := reg.PushImage(t, "acme/app", "v1", img)
	layoutDir := writeLayout(t, img)
	archive := writeArchive(t, img)
	cfgName, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	imageID, err := subject.ParseDigest(cfgName.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		input  string
		digest subject.Digest
		kind   subject.Kind
		tag    bool
	}{
		{"registry by digest", "oci://" + ref.String(), d, subject.KindOCI, false},
		{"registry by tag", "oci://" + reg.Host + "/acme/app:v1", d, subject.KindOCI, true},
		{"OCI layout", "oci-layout:" + layoutDir + "@" + d.String(), d, subject.KindOCILayout, false},
		{"docker archive", "docker-archive:" + archive, imageID, sbom.KindDockerArchive, false},
	} {
		for _, f := range sbom.Formats {
			t.Run(tc.name+"/"+string(f), func(t *testing.T) {
				t.Parallel()
				res := generate(t, tc.input, sbom.WithFormat(f))
				check(t, res, f, tc.digest, imagePackages, false)
				if res.Subject.Kind != tc.kind || (res.Subject.Resolution != nil) != tc.tag {
					t.Errorf("subject = %+v", res.Subject)
				}
			})
		}
	}
}

func TestGenerateRefuses(t *testing.T) {
	t.Parallel()
	img := buildImage(t, imageFiles)
	other := buildImage(t, map[string]string{"etc/hostname": "other\n"})
	d := digestOf(t, img)
	reg := registrytest.New(t)
	ref := reg.PushImage(t, "acme/app", "v1", img)

	// A layout whose layer blob was replaced: same size, other content.
	tampered := writeLayout(t, img)
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	ld, err := layers[0].Digest()
	if err != nil {
		t.Fatal(err)
	}
	otherLayers, err := other.Layers()
	if err != nil {
		t.Fatal(err)
	}
	od, err := otherLayers[0].Digest()
	if err != nil {
		t.Fatal(err)
	}
	otherBlob, err := os.ReadFile(filepath.Join(writeLayout(t, other), "blobs", "sha256", od.Hex))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tampered, "blobs", "sha256", ld.Hex), otherBlob, 0o644); err != nil {
		t.Fatal(err)
	}

	// A multi-platform index: an SBOM describes one image.
	idx := writeLayout(t, img, other)
	idxRef := pushIndex(t, reg, "acme/multi", img, other)

	emptyDir := t.TempDir()
	file := writeTree(t, t.TempDir(), map[string]string{"a.txt": "a"})
	for _, tc := range []struct {
		name  string
		input string
		is    error
		want  []string
	}{
		{"tampered layout layer", "oci-layout:" + tampered + "@" + d.String(), sbom.ErrChanged, []string{"layer 1's content hashes to", "the image config says"}},
		{"layout with two images and no digest", "oci-layout:" + idx, subject.ErrInvalidSubject, []string{"lists 2 manifests", d.String()}},
		{"image index in a registry", "oci://" + idxRef, sbom.ErrInvalidSource, []string{"found an image index", "name it by its digest", "linux/amd64"}},
		{"missing directory", "dir:" + filepath.Join(emptyDir, "nope"), sbom.ErrInvalidSource, []string{"want a directory, found nothing at"}},
		{"dir: naming a file", "dir:" + filepath.Join(file, "a.txt"), sbom.ErrInvalidSource, []string{"found a file", "use file:"}},
		{"missing file", "file:" + filepath.Join(emptyDir, "nope"), subject.ErrInvalidSubject, []string{"no file at"}},
		{"missing archive", "docker-archive:" + filepath.Join(emptyDir, "nope.tar"), sbom.ErrInvalidSource, []string{"want a docker save archive"}},
		{"not an archive", "docker-archive:" + filepath.Join(file, "a.txt"), sbom.ErrInvalidSource, []string{"want a docker save archive"}},
		{"digest not in the registry", "oci://" + ref.Context().Name() + "@sha256:" + strings.Repeat("0", 64), nil, []string{"fetching"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src, err := sbom.ParseSource(tc.input)
			if err != nil {
				t.Fatal(err)
			}
			_, err = sbom.Generate(t.Context(), src)
			if err == nil {
				t.Fatalf("Generate(%s) succeeded", tc.input)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v does not match %v", err, tc.is)
			}
			for _, w := range append(tc.want, tc.input) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestGenerateCancelled(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, t.TempDir(), projectFiles)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	src, err := sbom.ParseSource("dir:" + dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sbom.Generate(ctx, src); !errors.Is(err, context.Canceled) {
		t.Errorf("Generate with a cancelled context: %v", err)
	}
}

func TestParseSource(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		input string
		want  sbom.Source
		err   string
	}{
		{input: "dir:./x", want: sbom.Source{Input: "dir:./x", Kind: sbom.KindDir, Path: "./x"}},
		{input: dir, want: sbom.Source{Input: dir, Kind: sbom.KindDir, Path: dir}},
		{input: "./app.bin", want: sbom.Source{Input: "./app.bin", Kind: subject.KindFile, Path: "./app.bin"}},
		{input: "file:a:b", want: sbom.Source{Input: "file:a:b", Kind: subject.KindFile, Path: "a:b"}},
		{input: "docker-archive:img.tar", want: sbom.Source{Input: "docker-archive:img.tar", Kind: sbom.KindDockerArchive, Path: "img.tar"}},
		{input: "oci://r.example/app:v1", want: sbom.Source{Input: "oci://r.example/app:v1", Kind: subject.KindOCI}},
		{input: "oci-layout:out", want: sbom.Source{Input: "oci-layout:out", Kind: subject.KindOCILayout}},
		{input: "", err: `source "": empty; want dir:PATH`},
		{input: "dir:", err: `source "dir:": want dir:PATH, found no PATH`},
		{input: "docker-archive:", err: "want docker-archive:PATH, found no PATH"},
		{input: "registry:r.example/app", err: "want oci://HOST/REPO@sha256:HEX"},
		{input: "oci-dir:out", err: "want oci-layout:DIR@sha256:HEX"},
		{input: "sha256:" + strings.Repeat("a", 64), err: "a digest alone names no content to catalog"},
		{input: "git:repo", err: `unknown form "git:"`},
	} {
		got, err := sbom.ParseSource(tc.input)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, sbom.ErrInvalidSource) {
				t.Errorf("ParseSource(%q) error = %v, want %q", tc.input, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseSource(%q): %v", tc.input, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseSource(%q) (-want +got):\n%s", tc.input, diff)
		}
	}
}

func TestParseFormat(t *testing.T) {
	t.Parallel()
	for _, f := range sbom.Formats {
		if got, err := sbom.ParseFormat(string(f)); err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %q, %v", f, got, err)
		}
	}
	if _, err := sbom.ParseFormat("spdx"); err == nil || !errors.Is(err, sbom.ErrInvalidSource) || !strings.Contains(err.Error(), "expected spdx-json or cyclonedx-json") {
		t.Errorf("ParseFormat(spdx): %v", err)
	}
	if sbom.SPDXJSON.String() != "spdx-json@2.3" || sbom.CycloneDXJSON.String() != "cyclonedx-json@1.6" {
		t.Errorf("format names: %s, %s", sbom.SPDXJSON, sbom.CycloneDXJSON)
	}
}

func TestProgress(t *testing.T) {
	t.Parallel()
	img := buildImage(t, imageFiles)
	layoutInput := "oci-layout:" + writeLayout(t, img) + "@" + digestOf(t, img).String()
	dirInput := "dir:" + writeTree(t, t.TempDir(), projectFiles)
	for _, tc := range []struct {
		name  string
		input string
		live  bool
		want  []string
	}{
		{"log, directory", dirInput, false, []string{"digest of " + dirInput + ": sha256:", "(4 files, ", "cataloged 5 packages in "}},
		{"log, layout", layoutInput, false, []string{"reading ", "read layer 1 of 1 (1 done, ", "cataloged 4 packages in "}},
		{"terminal, layout", layoutInput, true, []string{"\r\033[Kcataloging ", "\r\033[Kread layer 1 of 1", "cataloged 4 packages in "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf strings.Builder
			generate(t, tc.input, sbom.WithProgress(&buf, tc.live))
			for _, w := range tc.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("progress %q does not say %q", buf.String(), w)
				}
			}
			if !tc.live && strings.Contains(buf.String(), "\r") {
				t.Errorf("progress for a log redraws lines: %q", buf.String())
			}
		})
	}
}
