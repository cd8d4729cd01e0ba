package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Found is an artifact of one type among a subject's referrers.
type Found struct {
	Ref         name.Digest
	Annotations map[string]string
}

// FindArtifacts lists the referrers of subject whose artifact type is
// artifactType. Registries that predate OCI 1.1's artifactType field
// report the config media type instead, so artifacts whose config media
// type is their artifact type are found on both.
func FindArtifacts(ctx context.Context, subjectRef name.Digest, artifactType string, opts ...remote.Option) ([]Found, error) {
	refs, err := referrers(ctx, subjectRef, opts)
	if err != nil {
		return nil, err
	}
	var out []Found
	for _, d := range refs {
		if d.ArtifactType == artifactType {
			out = append(out, Found{Ref: subjectRef.Context().Digest(d.Digest.String()), Annotations: d.Annotations})
		}
	}
	return out, nil
}

// referrers lists the referrers of subject: the referrers API, or the tag
// schema when the registry has none.
func referrers(ctx context.Context, subjectRef name.Digest, opts []remote.Option) ([]v1.Descriptor, error) {
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	idx, err := remote.Referrers(subjectRef, opts...)
	if err != nil {
		return nil, fmt.Errorf("listing referrers of %s: %w", subjectRef, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("listing referrers of %s: %w", subjectRef, err)
	}
	return im.Manifests, nil
}

// FetchArtifact reads the artifact manifest at ref, checks its artifact
// type, and returns its config and its one layer, each at most max bytes
// (the registry client checks their digests).
func FetchArtifact(ctx context.Context, ref name.Digest, artifactType string, max int64, opts ...remote.Option) (*v1.Manifest, []byte, []byte, error) {
	return fetchArtifact(ctx, ref, artifactType, max, true, opts)
}

// FetchArtifactConfig is FetchArtifact without the layer.
func FetchArtifactConfig(ctx context.Context, ref name.Digest, artifactType string, max int64, opts ...remote.Option) (*v1.Manifest, []byte, error) {
	m, cfg, _, err := fetchArtifact(ctx, ref, artifactType, max, false, opts)
	return m, cfg, err
}

func fetchArtifact(ctx context.Context, ref name.Digest, artifactType string, max int64, withLayer bool, opts []remote.Option) (*v1.Manifest, []byte, []byte, error) {
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	desc, err := remote.Get(ref, opts...)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("reading %s: %w", ref, err)
	}
	var m v1.Manifest
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		return nil, nil, nil, fmt.Errorf("reading %s: expected an OCI manifest, found: %w", ref, err)
	}
	if got := m.ArtifactType; got != artifactType {
		if got == "" {
			got = "config media type " + string(m.Config.MediaType)
		}
		return nil, nil, nil, fmt.Errorf("%s: expected an artifact of type %s, found %s", ref, artifactType, got)
	}
	if len(m.Layers) != 1 {
		return nil, nil, nil, fmt.Errorf("%s: expected one layer, found %d", ref, len(m.Layers))
	}
	read := func(d v1.Descriptor) ([]byte, error) {
		if d.Size > max {
			return nil, fmt.Errorf("%s: blob %s is %d bytes, more than the %d allowed", ref, d.Digest, d.Size, max)
		}
		l, err := remote.Layer(ref.Context().Digest(d.Digest.String()), opts...)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", d.Digest, err)
		}
		rc, err := l.Compressed()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", d.Digest, err)
		}
		defer rc.Close()
		b, err := io.ReadAll(io.LimitReader(rc, max+1))
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", d.Digest, err)
		}
		if int64(len(b)) != d.Size {
			return nil, fmt.Errorf("%s: blob %s: expected %d bytes, found %d", ref, d.Digest, d.Size, len(b))
		}
		return b, nil
	}
	cfg, err := read(m.Config)
	if err != nil || !withLayer {
		return &m, cfg, nil, err
	}
	layer, err := read(m.Layers[0])
	if err != nil {
		return nil, nil, nil, err
	}
	return &m, cfg, layer, nil
}

// PlatformManifest is one platform's manifest in an image index.
type PlatformManifest struct {
	Platform string // os/arch[/variant]
	Digest   string
}

// Platforms returns the platform manifests of ref when it is an image index
// (a multi-platform image), and none when it is a single manifest.
func Platforms(ctx context.Context, ref name.Digest, opts ...remote.Option) ([]PlatformManifest, error) {
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	desc, err := remote.Get(ref, opts...)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", ref, err)
	}
	if !desc.MediaType.IsIndex() {
		return nil, nil
	}
	im, err := v1.ParseIndexManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		return nil, fmt.Errorf("reading index %s: %w", ref, err)
	}
	var out []PlatformManifest
	for _, d := range im.Manifests {
		if !d.MediaType.IsImage() && d.MediaType != types.OCIManifestSchema1 {
			continue
		}
		pl := "unknown"
		if d.Platform != nil {
			pl = d.Platform.String()
		}
		if d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
			pl = "attestation-manifest"
		}
		out = append(out, PlatformManifest{Platform: pl, Digest: d.Digest.String()})
	}
	return out, nil
}
