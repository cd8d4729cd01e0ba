package oci

import (
	"context"
	"strings"
	"testing"

	"github.com/relproof/relproof/internal/testing/registrytest"
)

func TestArtifactRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg := registrytest.New(t)
	img := reg.PushRandomImage(t, "acme/app", "")
	const typ = "application/vnd.example.thing.v1+json"
	a := Artifact{ArtifactType: typ, ConfigMediaType: typ, Config: []byte(`{"n":1}`), LayerMediaType: "application/octet-stream", Layer: []byte("payload"), Annotations: map[string]string{"k": "v"}}
	ref, err := PushArtifact(ctx, img, a)
	if err != nil {
		t.Fatal(err)
	}
	again, err := PushArtifact(ctx, img, a)
	if err != nil || again != ref {
		t.Fatalf("pushing the same artifact again gave %s (%v), want %s", again, err, ref)
	}
	found, err := FindArtifacts(ctx, img, typ)
	if err != nil || len(found) != 1 || found[0].Ref != ref || found[0].Annotations["k"] != "v" {
		t.Fatalf("FindArtifacts = %+v, %v; want %s with its annotations", found, err, ref)
	}
	if other, err := FindArtifacts(ctx, img, "application/vnd.example.other"); err != nil || len(other) != 0 {
		t.Errorf("FindArtifacts of another type = %+v, %v", other, err)
	}
	m, cfg, layer, err := FetchArtifact(ctx, ref, typ, 1<<20)
	if err != nil || string(cfg) != `{"n":1}` || string(layer) != "payload" || m.Subject.Digest.String() != img.DigestStr() {
		t.Fatalf("FetchArtifact = %s, %s, %v", cfg, layer, err)
	}
	if _, _, _, err := FetchArtifact(ctx, ref, "application/vnd.example.other", 1<<20); err == nil || !strings.Contains(err.Error(), "expected an artifact of type application/vnd.example.other, found "+typ) {
		t.Errorf("FetchArtifact of the wrong type: %v", err)
	}
	if _, _, _, err := FetchArtifact(ctx, ref, typ, 3); err == nil || !strings.Contains(err.Error(), "more than the 3 allowed") {
		t.Errorf("FetchArtifact over the limit: %v", err)
	}
	if _, _, _, err := FetchArtifact(ctx, img, typ, 1<<20); err == nil || !strings.Contains(err.Error(), "found config media type") {
		t.Errorf("FetchArtifact of an image: %v", err)
	}
}

func TestPlatforms(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg := registrytest.New(t)
	img := reg.PushRandomImage(t, "acme/app", "")
	if got, err := Platforms(ctx, img); err != nil || got != nil {
		t.Errorf("Platforms of one image = %v, %v; want none", got, err)
	}
	idx, digests := reg.PushRandomIndex(t, "acme/app", "linux/amd64", "linux/arm/v7")
	got, err := Platforms(ctx, idx)
	if err != nil || len(got) != 2 || got[0] != (PlatformManifest{"linux/amd64", digests[0]}) || got[1] != (PlatformManifest{"linux/arm/v7", digests[1]}) {
		t.Errorf("Platforms of the index = %+v, %v; want %v", got, err, digests)
	}
}
