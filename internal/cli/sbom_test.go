package cli

import (
	"archive/tar"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"

	"github.com/relproof/relproof/internal/sbom"
	"github.com/relproof/relproof/internal/testing/fakesigstore"
	"github.com/relproof/relproof/internal/testing/registrytest"
)

// An npm project: what the directory tests catalog.
const sbomLockfile = `{
  "name": "shop", "version": "2.0.0", "lockfileVersion": 3, "requires": true,
  "packages": {
    "": {"name": "shop", "version": "2.0.0", "dependencies": {"ms": "2.1.3"}},
    "node_modules/ms": {"version": "2.1.3", "resolved": "https://registry.npmjs.org/ms/-/ms-2.1.3.tgz",
      "integrity": "sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==", "license": "MIT"}
  }
}
`

var sbomLockPackages = []sbom.Package{
	{Name: "ms", Version: "2.1.3", PURL: "pkg:npm/ms@2.1.3"},
	{Name: "shop", Version: "2.0.0", PURL: "pkg:npm/shop@2.0.0"},
}

// sbomImage is a one-layer image with an npm package installed, what the
// image tests catalog.
func sbomImage(t *testing.T) v1.Image {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct{ name, body string }{
		{"app/", ""},
		{"app/node_modules/", ""},
		{"app/node_modules/ms/", ""},
		{"app/node_modules/ms/package.json", `{"name": "ms", "version": "2.1.3", "license": "MIT"}`},
	} {
		h := &tar.Header{Name: f.name, Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(f.body)), ModTime: fixedNow}
		if strings.HasSuffix(f.name, "/") {
			h.Typeflag, h.Mode = tar.TypeDir, 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(f.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil }, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.Append(mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON), mutate.Addendum{Layer: layer})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func decodeSBOMReport(t *testing.T, text string) sbomReport {
	t.Helper()
	var rep sbomReport
	if err := json.Unmarshal([]byte(text), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, text)
	}
	return rep
}

func TestSBOMDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	project := filepath.Join(dir, "shop")
	if err := os.Mkdir(project, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, project, "package-lock.json", sbomLockfile)
	cache := filepath.Join(dir, "cache")
	out := filepath.Join(dir, "sbom.spdx.json")
	env := testEnv(t, nil)

	r := run(t, env, "sbom", "dir:"+project, "--out", out, "--cache-dir", cache, "--output", "json")
	expect(t, r, 0)
	rep := decodeSBOMReport(t, r.stdout)
	if rep.Cached != nil || rep.Document != out || rep.Kind != "dir" || rep.Format != "spdx-json@2.3" || !strings.HasPrefix(rep.Subject, "shop@sha256:") {
		t.Errorf("report = %+v", rep)
	}
	if !slices.Equal(rep.Packages, sbomLockPackages) {
		t.Errorf("packages = %+v, want %+v", rep.Packages, sbomLockPackages)
	}
	doc, err := sbom.ParseDocument([]byte(readFile(t, out)))
	if err != nil || len(doc.Describes) != 1 || doc.Describes[0].String() != rep.Digest {
		t.Fatalf("document %+v, %v: want it to name %s", doc, err, rep.Digest)
	}
	if r.stderr != "" {
		t.Errorf("progress on a non-terminal without --verbose: %q", r.stderr)
	}

	// The second run is cached, says so, and writes the same document.
	again := filepath.Join(dir, "again.spdx.json")
	r = run(t, env, "sbom", "dir:"+project, "--out", again, "--cache-dir", cache)
	expect(t, r, 0)
	if !strings.Contains(r.stdout, "cached:    "+filepath.Join(cache, "syft-")) || !strings.Contains(r.stdout, "packages:  2") {
		t.Errorf("second run report:\n%s", r.stdout)
	}
	if readFile(t, again) != readFile(t, out) {
		t.Errorf("the cached document differs")
	}

	// --no-cache catalogs again; --verbose reports progress on stderr.
	r = run(t, env, "sbom", "dir:"+project, "--out", again, "--no-cache", "--verbose")
	expect(t, r, 0)
	if !strings.Contains(r.stdout, "cataloged: now") || !strings.Contains(r.stderr, "digest of dir:"+project) || !strings.Contains(r.stderr, "cataloged 2 packages") {
		t.Errorf("--no-cache --verbose:\nstdout: %s\nstderr: %s", r.stdout, r.stderr)
	}

	// Without a home there is no default cache directory, and nothing is cached.
	r = run(t, env, "sbom", "dir:"+project, "--out", again)
	expect(t, r, 0)
	r = run(t, env, "sbom", "dir:"+project, "--out", again)
	if !strings.Contains(r.stdout, "cataloged: now") {
		t.Errorf("cached with no cache directory:\n%s", r.stdout)
	}
	// With one, the default is under the user's cache directory.
	home := filepath.Join(dir, "home")
	henv := testEnv(t, map[string]string{"HOME": home})
	expect(t, run(t, henv, "sbom", "dir:"+project, "--out", again), 0)
	if r := run(t, henv, "sbom", "dir:"+project, "--out", again); !strings.Contains(r.stdout, "cached:    "+filepath.Join(home, ".cache", "relproof", "sbom")) {
		t.Errorf("default cache directory not used:\n%s", r.stdout)
	}
}

func TestSBOMStdout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "package-lock.json", sbomLockfile)
	r := run(t, testEnv(t, nil), "sbom", dir, "--format", "cyclonedx-json", "--output", "json")
	expect(t, r, 0)
	var b cdx.BOM
	if err := cdx.NewBOMDecoder(strings.NewReader(r.stdout), cdx.BOMFileFormatJSON).Decode(&b); err != nil || b.SpecVersion != cdx.SpecVersion1_6 {
		t.Fatalf("stdout is not a CycloneDX 1.6 document: %v\n%s", err, r.stdout)
	}
	rep := decodeSBOMReport(t, r.stderr)
	if rep.Document != "-" || rep.Format != "cyclonedx-json@1.6" || b.Metadata.Component.Hashes == nil || "sha256:"+(*b.Metadata.Component.Hashes)[0].Value != rep.Digest {
		t.Errorf("report %+v, document metadata %+v", rep, b.Metadata.Component)
	}
}

func TestSBOMAttestPushVerify(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		opts   []registrytest.Option
		format string
		pt     string
	}{
		{"SPDX, referrers API", nil, "spdx-json", sbom.SPDXPredicateType},
		{"CycloneDX, referrers tag schema", []registrytest.Option{registrytest.WithoutReferrersAPI()}, "cyclonedx-json", sbom.CycloneDXPredicateType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			env := testEnv(t, nil)
			key, pub := keys(t, env, dir, "k")
			otherKey, _ := keys(t, env, dir, "other")
			reg := registrytest.New(t, tc.opts...)
			img := reg.PushImage(t, "acme/app", "v1", sbomImage(t))
			tagged := "oci://" + reg.Host + "/acme/app:v1"
			pinned := "oci://" + img.String()
			out := filepath.Join(dir, "sbom.json")

			// A tag is resolved once; the SBOM, its statement and the
			// referrer are all bound to the digest.
			r := run(t, env, "sbom", tagged, "--format", tc.format, "--out", out, "--attest", "--key", key, "--push", "--output", "json", "--no-cache")
			expect(t, r, 0)
			rep := decodeSBOMReport(t, r.stdout)
			if rep.Digest != img.DigestStr() || rep.Resolution == nil || rep.Resolution.Digest.String() != img.DigestStr() || rep.Cached != nil {
				t.Errorf("report = %+v, want the tag resolved to %s", rep, img.DigestStr())
			}
			if a := rep.Attestation; a == nil || a.PredicateType != tc.pt || !strings.HasPrefix(a.Referrer, reg.Host+"/acme/app@sha256:") || a.CosignTag == "" || a.Existing {
				t.Fatalf("attestation = %+v", rep.Attestation)
			}
			if !slices.Contains(rep.Packages, sbom.Package{Name: "ms", Version: "2.1.3", PURL: "pkg:npm/ms@2.1.3"}) {
				t.Errorf("packages = %+v", rep.Packages)
			}
			expect(t, run(t, env, "verify", pinned, "--key", pub, "--predicate-type", tc.pt), 0)

			// The second run finds the signed SBOM among the referrers and
			// pushes nothing; its bundle verifies from a file too.
			bundle := filepath.Join(dir, "sbom.sigstore.json")
			r = run(t, env, "sbom", pinned, "--format", tc.format, "--attest", "--key", key, "--push", "--bundle-out", bundle, "--out", filepath.Join(dir, "again.json"))
			expect(t, r, 0)
			if !strings.Contains(r.stdout, "cached:    signed attestation "+rep.Attestation.Referrer) || !strings.Contains(r.stdout, "(already there; not pushed again)") {
				t.Errorf("second run:\n%s", r.stdout)
			}
			v := run(t, env, "verify", pinned, "--key", pub, "--predicate-type", tc.pt)
			expect(t, v, 0)
			if !strings.Contains(v.stdout, "1 of 1 bundles verified") {
				t.Errorf("a second attestation was pushed:\n%s", v.stdout)
			}
			expect(t, run(t, env, "verify", pinned, "--bundle", bundle, "--key", pub, "--predicate-type", tc.pt), 0)

			// Another signer's key does not verify that attestation: it
			// catalogs and attests anew.
			r = run(t, env, "sbom", pinned, "--format", tc.format, "--attest", "--key", otherKey, "--push", "--out", filepath.Join(dir, "other.json"), "--output", "json")
			expect(t, r, 0)
			if rep := decodeSBOMReport(t, r.stdout); rep.Cached != nil || rep.Attestation.Existing {
				t.Errorf("another key used the first key's attestation: %+v", rep)
			}
		})
	}
}

func TestSBOMBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := testEnv(t, nil)
	key, _ := keys(t, env, dir, "k")
	project := t.TempDir()
	writeFile(t, project, "package-lock.json", sbomLockfile)
	reg := registrytest.New(t)
	out := filepath.Join(dir, "out.json")
	bundle := filepath.Join(dir, "bundle.json")
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"no subject", []string{"sbom"}, []string{"takes one SUBJECT, found 0"}},
		{"missing directory", []string{"sbom", "dir:" + filepath.Join(dir, "nope")}, []string{"dir:" + filepath.Join(dir, "nope"), "want a directory, found nothing at"}},
		{"unknown form", []string{"sbom", "registry:example.com/app"}, []string{`source "registry:example.com/app"`, "want oci://HOST/REPO@sha256:HEX"}},
		{"bare digest", []string{"sbom", "sha256:" + strings.Repeat("a", 64)}, []string{"a digest alone names no content"}},
		{"bad format", []string{"sbom", project, "--format", "spdx"}, []string{`--format "spdx": expected spdx-json or cyclonedx-json`}},
		{"push without attest", []string{"sbom", project, "--push"}, []string{"--push is for the signed attestation: add --attest"}},
		{"key without attest", []string{"sbom", project, "--key", key}, []string{"--key is for the signed attestation: add --attest"}},
		{"keyless outside Actions", []string{"sbom", project, "--attest", "--bundle-out", bundle}, []string{"keyless signing needs an OIDC token", "or sign with --key"}},
		{"attest to nowhere", []string{"sbom", project, "--attest", "--key", key}, []string{"--attest needs somewhere to put the attestation: --bundle-out FILE, --push and/or --github-upload"}},
		{"push a directory", []string{"sbom", project, "--attest", "--key", key, "--push"}, []string{"--push needs an oci:// subject, found dir subject"}},
		{"missing key", []string{"sbom", project, "--attest", "--key", filepath.Join(dir, "none.key"), "--bundle-out", bundle}, []string{"none.key: no such file"}},
		{"tag not found", []string{"sbom", "oci://" + reg.Host + "/acme/none:v1"}, []string{"tag " + reg.Host + "/acme/none:v1 not found"}},
		{"cache flags", []string{"sbom", project, "--no-cache", "--cache-dir", dir}, []string{"no-cache", "cache-dir"}},
		{"output directory missing", []string{"sbom", project, "--out", filepath.Join(dir, "missing", "sbom.json")}, []string{"missing"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := slices.Clone(tc.args)
			if !slices.Contains(args, "--out") {
				args = append(args, "--out", out)
			}
			r := run(t, env, args...)
			expect(t, r, 2, tc.want...)
			for _, f := range []string{out, bundle} {
				if _, err := os.Stat(f); !os.IsNotExist(err) {
					t.Fatalf("a failed sbom left %s behind", f)
				}
			}
			if r.stdout != "" {
				t.Errorf("a failed sbom wrote to stdout: %q", r.stdout)
			}
		})
	}
}

// TestSBOMKeyless attests a directory's SBOM keyless (GitHub Actions OIDC
// token, Fulcio certificate, Rekor entry, timestamp, all in-process) and
// verifies it by the digest, the workflow identity and the predicate type.
func TestSBOMKeyless(t *testing.T) {
	t.Parallel()
	stack := fakesigstore.New(t)
	dir := t.TempDir()
	writeFile(t, dir, "package-lock.json", sbomLockfile)
	env := testEnv(t, stack.ActionsEnv(releaseClaims))
	bundle := filepath.Join(t.TempDir(), "sbom.sigstore.json")
	r := run(t, env, "sbom", "dir:"+dir, "--out", filepath.Join(t.TempDir(), "sbom.json"), "--attest", "--bundle-out", bundle,
		"--fulcio-url", stack.FulcioURL, "--rekor-url", stack.RekorURL, "--tsa-url", stack.TSAURL, "--output", "json")
	expect(t, r, 0)
	rep := decodeSBOMReport(t, r.stdout)
	if rep.Attestation == nil || rep.Attestation.Signer != releaseClaims.SAN() || rep.Attestation.BundleFile != bundle {
		t.Fatalf("attestation = %+v, want one signed by %s", rep.Attestation, releaseClaims.SAN())
	}
	root := stack.WriteTrustedRoot(t)
	expect(t, run(t, env, "verify", rep.Digest, "--bundle", bundle, "--trusted-root", root,
		"--cert-identity", releaseClaims.SAN(), "--cert-oidc-issuer", stack.IssuerURL, "--predicate-type", sbom.SPDXPredicateType), 0)
}

// TestSBOMCorpusEvidence attests every real SBOM of the corpus (SPDX 2.3,
// CycloneDX 1.5 and 1.6, made by other tools) with `attest --type custom`,
// verifies it by predicate type, and reads it back from the bundle as an
// SBOM: the SPDX project's and the CycloneDX project's libraries parse the
// predicate, and it lists the same packages as the original.
func TestSBOMCorpusEvidence(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := testEnv(t, nil)
	key, pub := keys(t, env, dir, "k")
	artifact := writeFile(t, dir, "app.bin", "the artifact the SBOMs are about")
	root := filepath.Join("..", "..", "testdata", "corpus", "sbom")
	var files []string
	if err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".jsonl")) {
			files = append(files, p)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(files) < 12 {
		t.Fatalf("found %d corpus SBOMs: %v", len(files), files)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			doc := corpusDocument(t, file)
			orig, err := sbom.ParseDocument(doc)
			if err != nil {
				t.Fatalf("ParseDocument(%s): %v", file, err)
			}
			pt := orig.Format.PredicateType()
			pred := writeFile(t, t.TempDir(), "sbom.json", string(doc))
			bundle := filepath.Join(t.TempDir(), "bundle.json")
			expect(t, run(t, env, "attest", artifact, "--type", "custom", "--predicate-type", pt, "--predicate", pred, "--key", key, "--bundle-out", bundle), 0)
			expect(t, run(t, env, "verify", artifact, "--bundle", bundle, "--key", pub, "--predicate-type", pt), 0)
			other := map[string]string{sbom.SPDXPredicateType: sbom.CycloneDXPredicateType, sbom.CycloneDXPredicateType: sbom.SPDXPredicateType}[pt]
			expect(t, run(t, env, "verify", artifact, "--bundle", bundle, "--key", pub, "--predicate-type", other), 1, "predicate type")

			back := predicateOf(t, bundle)
			got, err := sbom.ParseDocument(back)
			if err != nil {
				t.Fatalf("reading the SBOM back: %v", err)
			}
			if got.Format != orig.Format || got.Version != orig.Version || !slices.Equal(got.Packages, orig.Packages) {
				t.Errorf("read back %s %s with %d packages, attested %s %s with %d", got.Format, got.Version, len(got.Packages), orig.Format, orig.Version, len(orig.Packages))
			}
			// The projects' own libraries read the attested document back
			// as they read the original (GitHub's example, whose
			// documentDescribes is not an SPDX id, the SPDX library refuses
			// both times).
			wantN, wantErr := libraryPackages(orig.Format, doc)
			gotN, gotErr := libraryPackages(orig.Format, back)
			if gotN != wantN || (gotErr == nil) != (wantErr == nil) {
				t.Errorf("the library reads %d packages back (error %v), %d from the original (error %v)", gotN, gotErr, wantN, wantErr)
			}
			if wantErr != nil && !strings.Contains(file, "github-dependency-graph") {
				t.Errorf("the library cannot read %s: %v", file, wantErr)
			}
		})
	}
}

// libraryPackages parses doc with the SPDX project's or the CycloneDX
// project's Go library and counts its packages or components.
func libraryPackages(f sbom.Format, doc []byte) (int, error) {
	if f == sbom.SPDXJSON {
		var s v2_3.Document
		err := spdxjson.ReadInto(bytes.NewReader(doc), &s)
		return len(s.Packages), err
	}
	var b cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(doc), cdx.BOMFileFormatJSON).Decode(&b); err != nil {
		return 0, err
	}
	if b.Components == nil {
		return 0, nil
	}
	return len(*b.Components), nil
}

func fst(n int, _ error) int     { return n }
func snd(_ int, err error) error { return err }

// corpusDocument is the SBOM document a corpus file holds: the file itself,
// the "sbom" member of GitHub's dependency-graph response, or the predicate
// of an in-toto statement in a DSSE envelope.
func corpusDocument(t *testing.T, file string) []byte {
	t.Helper()
	raw := []byte(readFile(t, file))
	if strings.HasSuffix(file, ".jsonl") {
		var env struct{ Payload []byte }
		line, _, _ := bytes.Cut(raw, []byte("\n"))
		if err := json.Unmarshal(line, &env); err != nil {
			t.Fatal(err)
		}
		var st struct{ Predicate json.RawMessage }
		if err := json.Unmarshal(env.Payload, &st); err != nil {
			t.Fatal(err)
		}
		return st.Predicate
	}
	var wrapped struct{ SBOM json.RawMessage }
	if json.Unmarshal(raw, &wrapped) == nil && len(wrapped.SBOM) > 0 {
		return wrapped.SBOM
	}
	return raw
}

// predicateOf reads the statement's predicate out of a bundle file.
func predicateOf(t *testing.T, bundleFile string) []byte {
	t.Helper()
	var b struct {
		DSSEEnvelope struct{ Payload string } `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal([]byte(readFile(t, bundleFile)), &b); err != nil {
		t.Fatal(err)
	}
	payload, err := base64.StdEncoding.DecodeString(b.DSSEEnvelope.Payload)
	if err != nil {
		t.Fatal(err)
	}
	var st struct{ Predicate json.RawMessage }
	if err := json.Unmarshal(payload, &st); err != nil {
		t.Fatal(err)
	}
	return st.Predicate
}
