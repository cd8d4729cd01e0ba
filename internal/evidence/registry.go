package evidence

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/relproof/relproof/internal/oci"
	"github.com/relproof/relproof/internal/verify"
)

// A pack stored in a registry (relproof pack push) is an OCI artifact of
// this type, whose config is MANIFEST.json and whose one layer is the
// pack's reproducible archive, with annotations to pick one among a
// release digest's referrers without fetching it.
const (
	ArtifactType          = "application/vnd.relproof.evidence-pack.v1+json"
	ArchiveMediaType      = "application/vnd.relproof.evidence-pack.v1.tar+gzip"
	AnnotationEnvironment = "dev.relproof.pack.environment"
	AnnotationDecision    = "dev.relproof.pack.decision"
	maxPackArchive        = 1 << 30
)

// Push stores a pack's archive (as Archive makes it) in the release's
// repository, as an artifact whose subject is the release digest, and
// returns its reference. The pack must be for that digest. The same pack
// gives the same artifact digest.
func Push(ctx context.Context, release name.Digest, m *Manifest, archive []byte, opts ...remote.Option) (name.Digest, error) {
	if m.Digest != release.DigestStr() {
		return name.Digest{}, fmt.Errorf("expected a pack for %s, found one for %s", release.DigestStr(), m.Digest)
	}
	config, err := json.Marshal(m)
	if err != nil {
		return name.Digest{}, err
	}
	return oci.PushArtifact(ctx, release, oci.Artifact{
		ArtifactType:    ArtifactType,
		ConfigMediaType: ArtifactType,
		Config:          config,
		LayerMediaType:  ArchiveMediaType,
		Layer:           archive,
		Annotations: map[string]string{
			oci.AnnotationCreated: m.Time.UTC().Format(time.RFC3339),
			AnnotationEnvironment: m.Environment,
			AnnotationDecision:    m.Decision,
		},
	}, opts...)
}

// Fetch finds and fetches the pack archive for ref: the pack artifact
// itself, or the one pack among the release digest's referrers (for
// environment, when given). Of several, the most complete wins, the one
// with the fewest pieces recorded missing (the pack made after the
// deployment over the one made before it); a tie is an error that lists
// them. Finding no pack is an error that matches verify.ErrNoEvidence.
func Fetch(ctx context.Context, ref name.Digest, environment string, opts ...remote.Option) (name.Digest, []byte, error) {
	found, err := oci.FindArtifacts(ctx, ref, ArtifactType, opts...)
	if err != nil {
		return name.Digest{}, nil, err
	}
	var matching []oci.Found
	for _, f := range found {
		if environment == "" || f.Annotations[AnnotationEnvironment] == environment {
			matching = append(matching, f)
		}
	}
	if len(matching) > 1 {
		if matching, err = mostComplete(ctx, matching, opts); err != nil {
			return name.Digest{}, nil, err
		}
	}
	packRef := ref
	switch {
	case len(matching) == 1:
		packRef = matching[0].Ref
	case len(matching) > 1:
		var refs []string
		for _, f := range matching {
			refs = append(refs, fmt.Sprintf("%s (%s, %s)", f.Ref.DigestStr(), f.Annotations[AnnotationEnvironment], f.Annotations[oci.AnnotationCreated]))
		}
		return name.Digest{}, nil, fmt.Errorf("%s: expected one evidence pack, found %d: %s; pick one by environment (--environment) or by the pack's own digest", ref, len(matching), strings.Join(refs, ", "))
	case len(found) > 0:
		return name.Digest{}, nil, fmt.Errorf("%w: %s has %d evidence pack(s), none for environment %q", verify.ErrNoEvidence, ref, len(found), environment)
	}
	_, _, archive, err := oci.FetchArtifact(ctx, packRef, ArtifactType, maxPackArchive, opts...)
	if err != nil {
		if packRef == ref { // neither a pack nor a release with one
			return name.Digest{}, nil, fmt.Errorf("%w: no evidence pack refers to %s, and it is not a pack itself: %v", verify.ErrNoEvidence, ref, err)
		}
		return name.Digest{}, nil, err
	}
	return packRef, archive, nil
}

// mostComplete keeps the packs with the fewest pieces missing, reading each
// one's MANIFEST.json (its config) only.
func mostComplete(ctx context.Context, packs []oci.Found, opts []remote.Option) ([]oci.Found, error) {
	best, out := -1, []oci.Found(nil)
	for _, f := range packs {
		_, cfg, err := oci.FetchArtifactConfig(ctx, f.Ref, ArtifactType, 16<<20, opts...)
		if err != nil {
			return nil, err
		}
		var m Manifest
		if err := json.Unmarshal(cfg, &m); err != nil {
			return nil, fmt.Errorf("%s: expected MANIFEST.json as its config: %w", f.Ref, err)
		}
		switch n := len(m.Missing()); {
		case best < 0 || n < best:
			best, out = n, []oci.Found{f}
		case n == best:
			out = append(out, f)
		}
	}
	return out, nil
}
