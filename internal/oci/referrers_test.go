package oci

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/relproof/relproof/internal/testing/registrytest"
)

func TestPushAndFetchBundles(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		opts         []registrytest.Option
		wantFallback bool
	}{
		{name: "referrers API", opts: nil, wantFallback: false},
		{name: "referrers tag schema", opts: []registrytest.Option{registrytest.WithoutReferrersAPI()}, wantFallback: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			reg := registrytest.New(t, tc.opts...)
			img := reg.PushRandomImage(t, "acme/app", "v1")
			other := reg.PushRandomImage(t, "acme/app", "v2")

			bundles := map[string]string{
				"https://slsa.dev/provenance/v1":                  `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","n":1}`,
				"https://in-toto.io/attestation/test-result/v0.1": `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","n":2}`,
			}
			for pt, b := range bundles {
				ref, err := PushBundle(ctx, img, []byte(b), pt, "2026-01-01T00:00:00Z")
				if err != nil {
					t.Fatal(err)
				}
				checkReferrerManifest(t, ref, img, pt)
			}
			// Evidence for another digest must not show up.
			if _, err := PushBundle(ctx, other, []byte(`{"other":true}`), "https://example.com/x", ""); err != nil {
				t.Fatal(err)
			}

			got, err := FetchBundles(ctx, img)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(bundles) {
				t.Fatalf("fetched %d bundles, want %d", len(got), len(bundles))
			}
			for _, r := range got {
				if want := bundles[r.PredicateType]; string(r.Bundle) != want {
					t.Errorf("bundle for %q = %s, want %s", r.PredicateType, r.Bundle, want)
				}
				if r.Ref.Context().String() != img.Context().String() {
					t.Errorf("referrer %s not in the subject's repository", r.Ref)
				}
			}

			_, err = remote.Head(img.Context().Tag(strings.Replace(img.DigestStr(), ":", "-", 1)))
			if hasFallback := err == nil; hasFallback != tc.wantFallback {
				t.Errorf("fallback tag present = %v, want %v", hasFallback, tc.wantFallback)
			}
		})
	}
}

// checkReferrerManifest reads the pushed manifest back and checks it is an
// OCI 1.1 artifact manifest for a Sigstore bundle that refers to the subject.
func checkReferrerManifest(t *testing.T, ref, subject name.Digest, predicateType string) {
	t.Helper()
	desc, err := remote.Get(ref)
	if err != nil {
		t.Fatal(err)
	}
	var m v1.Manifest
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	if m.MediaType != types.OCIManifestSchema1 || m.ArtifactType != BundleMediaType {
		t.Errorf("manifest mediaType %q artifactType %q", m.MediaType, m.ArtifactType)
	}
	if m.Subject == nil || m.Subject.Digest.String() != subject.DigestStr() {
		t.Errorf("manifest subject = %+v, want %s", m.Subject, subject.DigestStr())
	}
	if m.Config.MediaType != "application/vnd.oci.empty.v1+json" || m.Config.Size != 2 || string(m.Config.Data) != "{}" {
		t.Errorf("config = %+v, want the OCI empty descriptor", m.Config)
	}
	if len(m.Layers) != 1 || m.Layers[0].MediaType != BundleMediaType {
		t.Errorf("layers = %+v", m.Layers)
	}
	if m.Annotations[AnnotationPredicateType] != predicateType || m.Annotations[AnnotationBundleContent] != "dsse-envelope" {
		t.Errorf("annotations = %v", m.Annotations)
	}
}

func TestPushBundleMissingSubject(t *testing.T) {
	t.Parallel()
	reg := registrytest.New(t)
	missing, err := name.NewDigest(reg.Host + "/acme/app@sha256:" + strings.Repeat("0", 64))
	if err != nil {
		t.Fatal(err)
	}
	_, err = PushBundle(context.Background(), missing, []byte("{}"), "", "")
	if err == nil || !strings.Contains(err.Error(), "reading subject") {
		t.Errorf("err = %v, want an error naming the subject", err)
	}
}

func TestFetchBundlesNone(t *testing.T) {
	t.Parallel()
	for _, opts := range [][]registrytest.Option{nil, {registrytest.WithoutReferrersAPI()}} {
		reg := registrytest.New(t, opts...)
		img := reg.PushRandomImage(t, "acme/app", "")
		got, err := FetchBundles(context.Background(), img)
		if err != nil || len(got) != 0 {
			t.Errorf("FetchBundles = %v, %v; want none and no error", got, err)
		}
	}
}

// Referrers that are not Sigstore bundles (an SBOM artifact here) are skipped.
func TestFetchBundlesSkipsOtherReferrers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg := registrytest.New(t)
	img := reg.PushRandomImage(t, "acme/app", "")
	desc, err := remote.Head(img)
	if err != nil {
		t.Fatal(err)
	}
	sbom := newLayer("application/spdx+json", `{"spdxVersion":"SPDX-2.3"}`)
	cfg := newLayer(emptyConfigMediaType, "{}")
	for _, l := range []v1.Layer{sbom, cfg} {
		if err := remote.WriteLayer(img.Context(), l); err != nil {
			t.Fatal(err)
		}
	}
	cfgDesc, _ := partialDescriptor(cfg, emptyConfigMediaType)
	sbomDesc, _ := partialDescriptor(sbom, "application/spdx+json")
	raw, _ := json.Marshal(v1.Manifest{
		SchemaVersion: 2, MediaType: types.OCIManifestSchema1, ArtifactType: "application/spdx+json",
		Config: cfgDesc, Layers: []v1.Descriptor{sbomDesc},
		Subject: &v1.Descriptor{MediaType: desc.MediaType, Digest: desc.Digest, Size: desc.Size},
	})
	h, _, _ := v1.SHA256(strings.NewReader(string(raw)))
	if err := remote.Put(img.Context().Digest(h.String()), rawManifest{raw: raw, mediaType: types.OCIManifestSchema1}); err != nil {
		t.Fatal(err)
	}
	if _, err := PushBundle(ctx, img, []byte(`{"b":1}`), "https://slsa.dev/provenance/v1", ""); err != nil {
		t.Fatal(err)
	}
	got, err := FetchBundles(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || string(got[0].Bundle) != `{"b":1}` {
		t.Errorf("FetchBundles = %+v, want only the bundle", got)
	}
}

func newLayer(mt, content string) v1.Layer {
	return static.NewLayer([]byte(content), types.MediaType(mt))
}
