package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Media types and annotations of a Sigstore bundle stored as an OCI artifact,
// as cosign (--new-bundle-format) and GitHub write them.
const (
	BundleMediaType         = "application/vnd.dev.sigstore.bundle.v0.3+json"
	emptyConfigMediaType    = "application/vnd.oci.empty.v1+json"
	AnnotationPredicateType = "dev.sigstore.bundle.predicateType"
	AnnotationBundleContent = "dev.sigstore.bundle.content"
	AnnotationCreated       = "org.opencontainers.image.created"
	maxBundleBytes          = 32 << 20
)

// emptyConfig is the OCI empty descriptor's content, "{}".
var emptyConfig = []byte("{}")

// PushBundle stores bundle (Sigstore bundle JSON) as a referrer of subject and
// returns the referrer manifest's reference. created is recorded as an
// annotation; pass a fixed time for reproducible manifests.
func PushBundle(ctx context.Context, subjectRef name.Digest, bundle []byte, predicateType, created string, opts ...remote.Option) (name.Digest, error) {
	annotations := map[string]string{AnnotationBundleContent: bundleContent(bundle)}
	if predicateType != "" {
		annotations[AnnotationPredicateType] = predicateType
	}
	if created != "" {
		annotations[AnnotationCreated] = created
	}
	return PushArtifact(ctx, subjectRef, Artifact{
		ArtifactType:    BundleMediaType,
		ConfigMediaType: emptyConfigMediaType,
		Config:          emptyConfig,
		LayerMediaType:  BundleMediaType,
		Layer:           bundle,
		Annotations:     annotations,
	}, opts...)
}

// bundleContent is what the bundle holds, as Sigstore's OCI annotation
// says it: "message-signature" for a plain signature, else "dsse-envelope".
func bundleContent(bundle []byte) string {
	var b struct {
		MessageSignature json.RawMessage `json:"messageSignature"`
	}
	if json.Unmarshal(bundle, &b) == nil && len(b.MessageSignature) > 0 {
		return "message-signature"
	}
	return "dsse-envelope"
}

// Artifact is an OCI 1.1 artifact of one layer.
type Artifact struct {
	ArtifactType    string
	ConfigMediaType types.MediaType
	Config          []byte
	LayerMediaType  types.MediaType
	Layer           []byte
	Annotations     map[string]string
}

// PushArtifact stores a as a referrer of subject (its manifest's subject is
// subject's descriptor) and returns the artifact manifest's reference. The
// manifest is the same for the same artifact: a reproducible digest.
// Registries without the referrers API get the referrers tag schema.
func PushArtifact(ctx context.Context, subjectRef name.Digest, a Artifact, opts ...remote.Option) (name.Digest, error) {
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	desc, err := remote.Head(subjectRef, opts...)
	if err != nil {
		return name.Digest{}, fmt.Errorf("reading subject %s: %w", subjectRef, err)
	}
	repo := subjectRef.Context()
	cfg := static.NewLayer(a.Config, a.ConfigMediaType)
	layer := static.NewLayer(a.Layer, a.LayerMediaType)
	for _, l := range []v1.Layer{cfg, layer} {
		if err := remote.WriteLayer(repo, l, opts...); err != nil {
			return name.Digest{}, fmt.Errorf("pushing %s to %s: %w", a.ArtifactType, repo, err)
		}
	}
	cfgDesc, err := partialDescriptor(cfg, a.ConfigMediaType)
	if err != nil {
		return name.Digest{}, err
	}
	if a.ConfigMediaType == emptyConfigMediaType {
		cfgDesc.Data = a.Config
	}
	layerDesc, err := partialDescriptor(layer, a.LayerMediaType)
	if err != nil {
		return name.Digest{}, err
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  a.ArtifactType,
		Config:        cfgDesc,
		Layers:        []v1.Descriptor{layerDesc},
		Annotations:   a.Annotations,
		Subject:       &v1.Descriptor{MediaType: desc.MediaType, Digest: desc.Digest, Size: desc.Size},
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return name.Digest{}, err
	}
	h, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return name.Digest{}, err
	}
	ref := repo.Digest(h.String())
	if err := remote.Put(ref, rawManifest{raw: raw, mediaType: types.OCIManifestSchema1}, opts...); err != nil {
		return name.Digest{}, fmt.Errorf("pushing referrer manifest to %s: %w", repo, err)
	}
	return ref, nil
}

// Referrer is a bundle read back from the registry.
type Referrer struct {
	Ref           name.Digest
	PredicateType string
	Bundle        []byte
}

// FetchBundles lists the referrers of subject (referrers API, or the tag
// schema when the registry has none) and returns the Sigstore bundles among
// them. Referrers of other artifact types are ignored.
func FetchBundles(ctx context.Context, subjectRef name.Digest, opts ...remote.Option) ([]Referrer, error) {
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	// No artifactType filter: registries that predate OCI 1.1's artifactType
	// field (go-containerregistry's own among them) report the config media
	// type instead, and a server-side filter would hide our bundles.
	refs, err := referrers(ctx, subjectRef, opts)
	if err != nil {
		return nil, err
	}
	var out []Referrer
	for _, d := range refs {
		if d.ArtifactType != BundleMediaType && d.ArtifactType != emptyConfigMediaType && d.ArtifactType != "" {
			continue // another kind of referrer: an SBOM, a signature
		}
		ref := subjectRef.Context().Digest(d.Digest.String())
		b, err := fetchBundle(ref, opts)
		if errors.Is(err, errNotBundle) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, Referrer{Ref: ref, PredicateType: d.Annotations[AnnotationPredicateType], Bundle: b})
	}
	return out, nil
}

func fetchBundle(ref name.Digest, opts []remote.Option) ([]byte, error) {
	img, err := remote.Image(ref, opts...)
	if err != nil {
		return nil, fmt.Errorf("reading referrer %s: %w", ref, err)
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("reading referrer %s: %w", ref, err)
	}
	for _, l := range layers {
		mt, err := l.MediaType()
		if err != nil || !isBundleMediaType(mt) {
			continue
		}
		rc, err := l.Compressed() // stored as is; digest checked by ggcr on read
		if err != nil {
			return nil, fmt.Errorf("reading bundle of %s: %w", ref, err)
		}
		defer rc.Close()
		b, err := io.ReadAll(io.LimitReader(rc, maxBundleBytes+1))
		if err != nil {
			return nil, fmt.Errorf("reading bundle of %s: %w", ref, err)
		}
		if len(b) > maxBundleBytes {
			return nil, fmt.Errorf("bundle of %s is larger than %d bytes", ref, maxBundleBytes)
		}
		return b, nil
	}
	return nil, errNotBundle
}

// errNotBundle marks a referrer that holds no Sigstore bundle.
var errNotBundle = errors.New("referrer holds no Sigstore bundle")

// isBundleMediaType accepts every Sigstore bundle version's media type
// (application/vnd.dev.sigstore.bundle+json;version=0.1 … v0.3+json).
func isBundleMediaType(mt types.MediaType) bool {
	return strings.HasPrefix(string(mt), "application/vnd.dev.sigstore.bundle")
}

func partialDescriptor(l v1.Layer, mt types.MediaType) (v1.Descriptor, error) {
	d, err := l.Digest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	sz, err := l.Size()
	if err != nil {
		return v1.Descriptor{}, err
	}
	return v1.Descriptor{MediaType: mt, Digest: d, Size: sz}, nil
}

// rawManifest is a remote.Taggable for a manifest we serialized ourselves.
type rawManifest struct {
	raw       []byte
	mediaType types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mediaType, nil }
