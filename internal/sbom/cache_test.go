package sbom_test

import (
	"bytes"
	"crypto/ecdsa"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/relproof/relproof/internal/attest"
	"github.com/relproof/relproof/internal/oci"
	"github.com/relproof/relproof/internal/sbom"
	"github.com/relproof/relproof/internal/sign"
	"github.com/relproof/relproof/internal/testing/registrytest"
)

func TestLocalCache(t *testing.T) {
	t.Parallel()
	cache := t.TempDir()
	dir := writeTree(t, t.TempDir(), projectFiles)
	d := dirDigest(t, dir)

	first := generate(t, "dir:"+dir, sbom.WithCacheDir(cache))
	if first.Cached != nil {
		t.Fatalf("first run cached: %+v", first.Cached)
	}
	file := sbom.CacheFile(cache, sbom.SPDXJSON, d)
	second := generate(t, "dir:"+dir, sbom.WithCacheDir(cache))
	if second.Cached == nil || second.Cached.Source != sbom.CacheLocal || second.Cached.Where != file {
		t.Fatalf("second run: cached = %+v, want the local cache file %s", second.Cached, file)
	}
	if !bytes.Equal(first.Document, second.Document) || second.Subject.Digest != d {
		t.Errorf("the cached document differs from the one made, or names another digest")
	}
	if diff := cmp.Diff(first.Packages, second.Packages); diff != "" {
		t.Errorf("cached packages (-made +cached):\n%s", diff)
	}

	// Another format is another key.
	if cdx := generate(t, "dir:"+dir, sbom.WithCacheDir(cache), sbom.WithFormat(sbom.CycloneDXJSON)); cdx.Cached != nil {
		t.Errorf("CycloneDX came from the SPDX cache entry: %+v", cdx.Cached)
	}

	// A changed tree is another digest, so another key.
	writeTree(t, dir, map[string]string{"web/node_modules/.keep": ""})
	if changed := generate(t, "dir:"+dir, sbom.WithCacheDir(cache)); changed.Cached != nil || changed.Subject.Digest == d {
		t.Errorf("a changed tree hit the cache: %+v, digest %s", changed.Cached, changed.Subject.Digest)
	}
}

// TestLocalCacheNeverAnotherArtifact puts one directory's SBOM where the
// cache keeps another's: the entry is looked up by digest, but the document
// names the wrong one, so it is not used (and is replaced).
func TestLocalCacheNeverAnotherArtifact(t *testing.T) {
	t.Parallel()
	cache := t.TempDir()
	a := writeTree(t, t.TempDir(), projectFiles)
	b := writeTree(t, t.TempDir(), map[string]string{"go.mod": projectFiles["go.mod"], "go.sum": projectFiles["go.sum"]})
	resA := generate(t, "dir:"+a, sbom.WithCacheDir(cache))
	fileB := sbom.CacheFile(cache, sbom.SPDXJSON, dirDigest(t, b))
	if err := os.MkdirAll(filepath.Dir(fileB), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fileB, resA.Document, 0o644); err != nil {
		t.Fatal(err)
	}
	resB := generate(t, "dir:"+b, sbom.WithCacheDir(cache))
	if resB.Cached != nil {
		t.Fatalf("B's SBOM came from a cache entry that names A: %+v", resB.Cached)
	}
	doc, err := sbom.ParseDocument(readFile(t, fileB))
	if err != nil || !doc.Names(resB.Subject.Digest) {
		t.Errorf("the poisoned entry was not replaced: %+v, %v", doc, err)
	}
	// Garbage in the cache is a miss too.
	if err := os.WriteFile(fileB, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if res := generate(t, "dir:"+b, sbom.WithCacheDir(cache)); res.Cached != nil {
		t.Errorf("a corrupt cache entry was used: %+v", res.Cached)
	}
}

func TestRegistryCache(t *testing.T) {
	t.Parallel()
	signer, pub := newSigner(t)
	_, otherPub := newSigner(t)
	reg := registrytest.New(t, registrytest.WithoutReferrersAPI())
	img := buildImage(t, imageFiles)
	ref := reg.PushImage(t, "acme/app", "", img)
	other := reg.PushImage(t, "acme/app", "", buildImage(t, map[string]string{"etc/hostname": "other\n"}))
	input := "oci://" + ref.String()

	res := generate(t, input, sbom.WithRegistryCache(pub))
	if res.Cached != nil {
		t.Fatalf("no attestation yet, but cached: %+v", res.Cached)
	}
	pushed := pushAttestation(t, signer, res)

	again := generate(t, input, sbom.WithRegistryCache(pub))
	if again.Cached == nil || again.Cached.Source != sbom.CacheRegistry || again.Cached.Where != pushed || len(again.Cached.Bundle) == 0 {
		t.Fatalf("cached = %+v, want the referrer %s", again.Cached, pushed)
	}
	if diff := cmp.Diff(res.Packages, again.Packages); diff != "" {
		t.Errorf("packages from the attestation (-made +cached):\n%s", diff)
	}
	check(t, again, sbom.SPDXJSON, res.Subject.Digest, imagePackages, false)

	// A registry hit fills the local cache.
	cache := t.TempDir()
	generate(t, input, sbom.WithRegistryCache(pub), sbom.WithCacheDir(cache))
	if _, err := os.Stat(sbom.CacheFile(cache, sbom.SPDXJSON, res.Subject.Digest)); err != nil {
		t.Errorf("registry hit not kept locally: %v", err)
	}

	// Signed by another key, or in another format: not a hit.
	if r := generate(t, input, sbom.WithRegistryCache(otherPub)); r.Cached != nil {
		t.Errorf("an attestation signed by another key was used: %+v", r.Cached)
	}
	if r := generate(t, input, sbom.WithRegistryCache(pub), sbom.WithFormat(sbom.CycloneDXJSON)); r.Cached != nil {
		t.Errorf("an SPDX attestation was used for CycloneDX: %+v", r.Cached)
	}

	// A statement about the other image whose document is this image's
	// SBOM: signed, bound to the other digest, but the document names
	// another artifact, so it is not that image's SBOM.
	otherRes := generate(t, "oci://"+other.String())
	otherRes.Document = res.Document
	pushAttestation(t, signer, otherRes)
	if r := generate(t, "oci://"+other.String(), sbom.WithRegistryCache(pub)); r.Cached != nil {
		t.Errorf("an attestation whose document names another image was used: %+v", r.Cached)
	}
}

func newSigner(t *testing.T) (*sign.KeySigner, *ecdsa.PublicKey) {
	t.Helper()
	kp, err := sign.GenerateKeyPair(nil)
	if err != nil {
		t.Fatal(err)
	}
	key, err := sign.ParsePrivateKey("test.key", kp.PrivatePEM, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.NewKeySigner(key)
	if err != nil {
		t.Fatal(err)
	}
	return s, s.Public()
}

func pushAttestation(t *testing.T, signer *sign.KeySigner, res *sbom.Result) string {
	t.Helper()
	st, err := res.Statement()
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := attest.Sign(t.Context(), signer, st)
	if err != nil {
		t.Fatal(err)
	}
	ref, ok := res.Subject.OCIReference()
	if !ok {
		t.Fatalf("%s is not in a registry", res.Subject)
	}
	pushed, err := oci.PushBundle(t.Context(), ref, bundle, st.GetPredicateType(), time.Now().UTC().Format(time.RFC3339))
	if err != nil {
		t.Fatal(err)
	}
	return pushed.String()
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
