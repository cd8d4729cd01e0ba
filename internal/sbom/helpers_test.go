package sbom_test

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"

	"github.com/relproof/relproof/internal/sbom"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/testing/registrytest"
)

// The project the directory tests catalog: a Go module (go.mod, go.sum;
// no Go files, so nothing outside the module cache is needed) and an npm
// lockfile. The sums are the real ones of these module versions.
var projectFiles = map[string]string{
	"go.mod": `module example.com/hello

go 1.22

require (
	github.com/google/go-cmp v0.7.0
	github.com/google/uuid v1.6.0
)
`,
	"go.sum": `github.com/google/go-cmp v0.7.0 h1:wk8382ETsv4JYUZwIsn6YpYiWiBsYLSJiTsyBybVuN8=
github.com/google/go-cmp v0.7.0/go.mod h1:pXiqmnSA92OHEEa9HXL2W4E7lf9JzCmGVUdgjX3N/iU=
github.com/google/uuid v1.6.0 h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=
github.com/google/uuid v1.6.0/go.mod h1:TIyPZe4MgqvfeYDBFedMoGGpEw/LqOeaOT+nhxU+yHo=
`,
	"web/package-lock.json": `{
  "name": "hello-web",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "hello-web",
      "version": "1.0.0",
      "dependencies": {"left-pad": "1.3.0", "ms": "2.1.3"}
    },
    "node_modules/left-pad": {
      "version": "1.3.0",
      "resolved": "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",
      "integrity": "sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQEQfEsV9WKl40yiFQpP1XxLDg+dWbVJxoufNu9SKtR1P9eg==",
      "license": "WTFPL"
    },
    "node_modules/ms": {
      "version": "2.1.3",
      "resolved": "https://registry.npmjs.org/ms/-/ms-2.1.3.tgz",
      "integrity": "sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==",
      "license": "MIT"
    }
  }
}
`,
	"README.md": "# hello\n",
}

var projectPackages = []sbom.Package{
	{Name: "github.com/google/go-cmp", Version: "v0.7.0", PURL: "pkg:golang/github.com/google/go-cmp@v0.7.0"},
	{Name: "github.com/google/uuid", Version: "v1.6.0", PURL: "pkg:golang/github.com/google/uuid@v1.6.0"},
	{Name: "hello-web", Version: "1.0.0", PURL: "pkg:npm/hello-web@1.0.0"},
	{Name: "left-pad", Version: "1.3.0", PURL: "pkg:npm/left-pad@1.3.0"},
	{Name: "ms", Version: "2.1.3", PURL: "pkg:npm/ms@2.1.3"},
}

// The image the image tests catalog: an Alpine apk database and npm
// packages installed under node_modules (what syft's image catalogers read).
var imageFiles = map[string]string{
	"etc/os-release": `NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.19.1
PRETTY_NAME="Alpine Linux v3.19"
HOME_URL="https://alpinelinux.org/"
`,
	"lib/apk/db/installed": `C:Q1Vx1wZ0x2Jf3Gd8cYB7cM9YpFbrc=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:407278
I:663552
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Natanael Copa <ncopa@alpinelinux.org>
t:1704819436
c:b1bb1e0a8c34d6d2b6d34d6c3c0a8f1c3b0fcb1a
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1c0ThxUSXmQlnBHu6VJ7CRtIi2gk=

C:Q1fXyrwH0bUwd8iNd1DbsX0c7fh9k=
P:busybox
V:1.36.1-r15
A:x86_64
S:502883
I:942080
T:Size optimized toolbox of many common UNIX utilities
U:https://busybox.net/
L:GPL-2.0-only
o:busybox
m:Sören Tempel <soeren+alpine@soeren-tempel.net>
t:1704819436
c:26a9ae9dc3a5b5f5e6b0a4fcb4d48a63c5f4f1b0
D:so:libc.musl-x86_64.so.1
F:bin
R:busybox
a:0:0:755
Z:Q1mBHyBxSSSmVDXCe4Ql2RGxJ8exk=

`,
	"app/node_modules/left-pad/package.json": `{"name": "left-pad", "version": "1.3.0", "license": "WTFPL"}`,
	"app/node_modules/ms/package.json":       `{"name": "ms", "version": "2.1.3", "license": "MIT"}`,
	"app/server.js":                          "require('left-pad');\n",
}

var imagePackages = []sbom.Package{
	{Name: "busybox", Version: "1.36.1-r15", PURL: "pkg:apk/alpine/busybox@1.36.1-r15?arch=x86_64&distro=alpine-3.19.1"},
	{Name: "left-pad", Version: "1.3.0", PURL: "pkg:npm/left-pad@1.3.0"},
	{Name: "ms", Version: "2.1.3", PURL: "pkg:npm/ms@2.1.3"},
	{Name: "musl", Version: "1.2.4_git20230717-r4", PURL: "pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1"},
}

var fixedTime = time.Date(2026, 1, 15, 9, 30, 0, 0, time.UTC)

func writeTree(t testing.TB, dir string, files map[string]string) string {
	t.Helper()
	for n, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// tarFiles makes a deterministic layer tar: sorted names, fixed times.
func tarFiles(t testing.TB, files map[string]string) []byte {
	t.Helper()
	names := make([]string, 0, len(files))
	dirs := map[string]bool{}
	for n := range files {
		names = append(names, n)
		for d := path.Dir(n); d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	for d := range dirs {
		names = append(names, d+"/")
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		h := &tar.Header{Name: n, Mode: 0o644, ModTime: fixedTime, Typeflag: tar.TypeReg, Size: int64(len(files[n]))}
		if strings.HasSuffix(n, "/") {
			h.Typeflag, h.Mode, h.Size = tar.TypeDir, 0o755, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(files[n])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// buildImage makes a linux/amd64 OCI image with one layer per file set.
func buildImage(t testing.TB, layers ...map[string]string) v1.Image {
	t.Helper()
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	for _, files := range layers {
		data := tarFiles(t, files)
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }, tarball.WithMediaType(types.OCILayer))
		if err != nil {
			t.Fatal(err)
		}
		if img, err = mutate.Append(img, mutate.Addendum{Layer: l, History: v1.History{Created: v1.Time{Time: fixedTime}}}); err != nil {
			t.Fatal(err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Created = "linux", "amd64", v1.Time{Time: fixedTime}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	return img
}

func digestOf(t testing.TB, img v1.Image) subject.Digest {
	t.Helper()
	h, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	d, err := subject.ParseDigest(h.String())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// writeLayout writes the images into a new OCI layout and returns its path.
func writeLayout(t testing.TB, imgs ...v1.Image) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "layout")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range imgs {
		if err := p.AppendImage(img); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// pushIndex pushes a linux/amd64 + linux/arm64 index of the two images and
// returns HOST/REPO@sha256:….
func pushIndex(t testing.TB, reg *registrytest.Registry, repo string, amd64, arm64 v1.Image) string {
	t.Helper()
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex),
		mutate.IndexAddendum{Add: amd64, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm64, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
	)
	h, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewDigest(reg.Host + "/" + repo + "@" + h.String())
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref, idx, remote.WithContext(t.Context())); err != nil {
		t.Fatal(err)
	}
	return ref.String()
}

// buildGoProgram builds a small Go program that uses go-cmp and uuid, from
// the module cache only (GOPROXY=off), and returns the binary's path.
func buildGoProgram(t testing.TB) string {
	t.Helper()
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the Go toolchain is needed to build the test program: %v", err)
	}
	dir := writeTree(t, t.TempDir(), map[string]string{
		"go.mod": projectFiles["go.mod"],
		"go.sum": projectFiles["go.sum"],
		"main.go": `package main

import (
	"fmt"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

func main() { fmt.Println(cmp.Diff(1, 2), uuid.NewString()) }
`,
	})
	exe := filepath.Join(t.TempDir(), "hello")
	cmd := exec.Command(gotool, "build", "-o", exe, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod", "GOWORK=off", "GOTOOLCHAIN=local", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return exe
}

// writeArchive writes img as a `docker save` archive.
func writeArchive(t testing.TB, img v1.Image) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "image.tar")
	tag, err := name.NewTag("example.com/hello:v1")
	if err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteToFile(p, tag, img); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkSPDX parses doc with the SPDX project's Go library and checks that
// it is SPDX 2.3, that what it DESCRIBES has the digest as a checksum, and
// that its packages are want (and more, when subset).
func checkSPDX(t *testing.T, doc []byte, d subject.Digest, want []sbom.Package, subset bool) {
	t.Helper()
	var s v2_3.Document
	if err := spdxjson.ReadInto(bytes.NewReader(doc), &s); err != nil {
		t.Fatalf("tools-golang cannot read the SPDX document: %v", err)
	}
	if s.SPDXVersion != "SPDX-2.3" {
		t.Errorf("spdxVersion = %q", s.SPDXVersion)
	}
	var described []common.ElementID
	for _, r := range s.Relationships {
		if r.RefA.ElementRefID == "DOCUMENT" && r.Relationship == "DESCRIBES" {
			described = append(described, r.RefB.ElementRefID)
		}
	}
	if len(described) != 1 {
		t.Fatalf("document DESCRIBES %v, want one package", described)
	}
	var got []sbom.Package
	for _, p := range s.Packages {
		if p.PackageSPDXIdentifier == described[0] {
			if !slices.Contains(p.PackageChecksums, common.Checksum{Algorithm: common.SHA256, Value: d.Hex}) {
				t.Errorf("described package %s has checksums %v, want SHA256 %s", p.PackageName, p.PackageChecksums, d.Hex)
			}
			continue
		}
		pkg := sbom.Package{Name: p.PackageName, Version: p.PackageVersion}
		for _, r := range p.PackageExternalReferences {
			if r.RefType == "purl" {
				pkg.PURL = r.Locator
			}
		}
		got = append(got, pkg)
	}
	checkPackages(t, "SPDX", got, want, subset)
}

// checkCycloneDX parses doc with the CycloneDX project's Go library and
// checks that it is CycloneDX 1.6, that metadata.component has the digest
// among its hashes, and that its components are want.
func checkCycloneDX(t *testing.T, doc []byte, d subject.Digest, want []sbom.Package, subset bool) {
	t.Helper()
	var b cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(doc), cdx.BOMFileFormatJSON).Decode(&b); err != nil {
		t.Fatalf("cyclonedx-go cannot read the CycloneDX document: %v", err)
	}
	if b.SpecVersion != cdx.SpecVersion1_6 {
		t.Errorf("specVersion = %v", b.SpecVersion)
	}
	if b.Metadata == nil || b.Metadata.Component == nil || b.Metadata.Component.Hashes == nil ||
		!slices.Contains(*b.Metadata.Component.Hashes, cdx.Hash{Algorithm: cdx.HashAlgoSHA256, Value: d.Hex}) {
		t.Errorf("metadata.component = %+v, want a SHA-256 hash %s", b.Metadata, d.Hex)
	}
	var got []sbom.Package
	if b.Components != nil {
		for _, c := range *b.Components {
			if c.Type == cdx.ComponentTypeFile || c.Type == cdx.ComponentTypeOS {
				continue
			}
			got = append(got, sbom.Package{Name: c.Name, Version: c.Version, PURL: c.PackageURL})
		}
	}
	checkPackages(t, "CycloneDX", got, want, subset)
}

func checkPackages(t *testing.T, what string, got, want []sbom.Package, subset bool) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%s lists no %+v; it lists %+v", what, w, got)
		}
	}
	if !subset && len(got) != len(want) {
		t.Errorf("%s lists %d packages, want %d: %+v", what, len(got), len(want), got)
	}
}
