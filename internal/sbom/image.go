package sbom

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"sync/atomic"

	"github.com/anchore/stereoscope/pkg/file"
	"github.com/anchore/stereoscope/pkg/image"
	"github.com/anchore/syft/syft/source"
	"github.com/anchore/syft/syft/source/stereoscopesource"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/relproof/relproof/internal/subject"
)

// remoteImage fetches the image ref names. ggcr checks the manifest against
// the digest in ref and every blob against its digest as it is read.
func remoteImage(ctx context.Context, input string, ref name.Digest, opts []remote.Option) (v1.Image, error) {
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	desc, err := remote.Get(ref, opts...)
	if err != nil {
		return nil, fmt.Errorf("source %q: fetching %s: %w", input, ref, err)
	}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, fmt.Errorf("source %q: reading index %s: %w", input, ref, err)
		}
		return nil, indexError(input, ref.DigestStr(), idx, func(d string) string { return ociPrefix + ref.Context().Name() + "@" + d })
	}
	img, err := desc.Image()
	if err != nil {
		return nil, fmt.Errorf("source %q: reading image %s: %w", input, ref, err)
	}
	return img, nil
}

// layoutImage opens the image d in the OCI layout dir, wherever it sits in
// the layout's (nested) indexes, and checks its manifest and config against
// their digests: a layout on disk is not content-addressed by anything but
// its file names.
func layoutImage(input, dir string, d subject.Digest) (v1.Image, []v1.Hash, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, nil, invalidWrap(input, err, "reading layout %q", dir)
	}
	root, err := p.ImageIndex()
	if err != nil {
		return nil, nil, invalidWrap(input, err, "reading the index of layout %q", dir)
	}
	h, err := v1.NewHash(d.String())
	if err != nil {
		return nil, nil, invalidWrap(input, err, "digest")
	}
	parent, desc, err := findDescriptor(root, h, map[v1.Hash]bool{})
	if err != nil {
		return nil, nil, invalidWrap(input, err, "reading the index of layout %q", dir)
	}
	if desc == nil {
		return nil, nil, invalid(input, "%s is not in the index of layout %q", d, dir)
	}
	if desc.MediaType.IsIndex() {
		idx, err := parent.ImageIndex(h)
		if err != nil {
			return nil, nil, invalidWrap(input, err, "reading index %s", d)
		}
		return nil, nil, indexError(input, d.String(), idx, func(c string) string { return layoutPrefix + dir + "@" + c })
	}
	img, err := parent.Image(h)
	if err != nil {
		return nil, nil, invalidWrap(input, err, "reading image %s from layout %q", d, dir)
	}
	raw, err := img.RawManifest()
	if err != nil {
		return nil, nil, invalidWrap(input, err, "reading the manifest of %s", d)
	}
	if got := fmt.Sprintf("sha256:%x", sha256.Sum256(raw)); got != d.String() {
		return nil, nil, fmt.Errorf("%w: source %q: the manifest stored as %s in layout %q hashes to %s", ErrChanged, input, d, dir, got)
	}
	diffIDs, err := checkConfig(input, img)
	if err != nil {
		return nil, nil, err
	}
	return img, diffIDs, nil
}

// checkConfig checks the image's config against the manifest's digest for
// it and returns the layers' diff IDs, the digests their content must have.
func checkConfig(input string, img v1.Image) ([]v1.Hash, error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, invalidWrap(input, err, "reading the manifest")
	}
	rawCfg, err := img.RawConfigFile()
	if err != nil {
		return nil, invalidWrap(input, err, "reading the image config")
	}
	if got := fmt.Sprintf("sha256:%x", sha256.Sum256(rawCfg)); m != nil && got != m.Config.Digest.String() {
		return nil, fmt.Errorf("%w: source %q: the image config hashes to %s, the manifest says %s", ErrChanged, input, got, m.Config.Digest)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, invalidWrap(input, err, "reading the image config")
	}
	return cfg.RootFS.DiffIDs, nil
}

// findDescriptor looks for h in idx and the indexes it lists, and returns
// the index that lists it with its descriptor; desc is nil when h is nowhere.
func findDescriptor(idx v1.ImageIndex, h v1.Hash, seen map[v1.Hash]bool) (v1.ImageIndex, *v1.Descriptor, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, nil, err
	}
	for i := range im.Manifests {
		if im.Manifests[i].Digest == h {
			return idx, &im.Manifests[i], nil
		}
	}
	for _, desc := range im.Manifests {
		if !desc.MediaType.IsIndex() || seen[desc.Digest] {
			continue
		}
		seen[desc.Digest] = true
		child, err := idx.ImageIndex(desc.Digest)
		if err != nil {
			return nil, nil, err
		}
		if p, d, err := findDescriptor(child, h, seen); d != nil || err != nil {
			return p, d, err
		}
	}
	return nil, nil, nil
}

// indexError refuses an image index: an SBOM describes one image, and the
// user picks which, by digest.
func indexError(input, digest string, idx v1.ImageIndex, pinned func(string) string) error {
	im, err := idx.IndexManifest()
	if err != nil {
		return invalidWrap(input, err, "%s is an image index, and reading it failed", digest)
	}
	var choices []string
	for _, d := range im.Manifests {
		if !d.MediaType.IsImage() {
			continue
		}
		plat := "unknown platform"
		if d.Platform != nil {
			plat = d.Platform.String()
		}
		choices = append(choices, fmt.Sprintf("%s (%s)", pinned(d.Digest.String()), plat))
	}
	return invalid(input, "want an image, found an image index (%s) of %d images; an SBOM describes one image, name it by its digest: %s", digest, len(choices), strings.Join(choices, ", "))
}

// archiveImage opens a docker save archive. Its subject digest is the image
// ID, the digest of its config: the archive does not carry the digest of
// the manifest a registry holds.
func archiveImage(input, path string) (v1.Image, subject.Digest, []v1.Hash, error) {
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		return nil, subject.Digest{}, nil, invalidWrap(input, err, "want a docker save archive (manifest.json, config, layer tars) at %q", path)
	}
	id, err := img.ConfigName()
	if err != nil {
		return nil, subject.Digest{}, nil, invalidWrap(input, err, "reading the image config in %q", path)
	}
	d, err := subject.ParseDigest(id.String())
	if err != nil {
		return nil, subject.Digest{}, nil, invalidWrap(input, err, "image ID")
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, subject.Digest{}, nil, invalidWrap(input, err, "reading the image config in %q", path)
	}
	return img, d, cfg.RootFS.DiffIDs, nil
}

// imageSource reads img into stereoscope (layers unpacked into a temporary
// directory) and returns it as a syft source. Layers whose diff IDs are
// given are checked against them as they are read.
func imageSource(ctx context.Context, input string, img v1.Image, diffIDs []v1.Hash, ref string, alias source.Alias, prog *progress, meta ...image.AdditionalMetadata) (source.Source, func(), error) {
	tracked, err := trackLayers(img, diffIDs, prog)
	if err != nil {
		return nil, nil, fmt.Errorf("source %q: %w", input, err)
	}
	tmp := file.NewTempDirGenerator("relproof-sbom")
	cleanup := func() { _ = tmp.Cleanup() }
	dir, err := tmp.NewDirectory("image")
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	si := image.New(tracked, tmp, dir, meta...)
	// Lower layers' squashes are built only if something reads them; a
	// squashed scan never does (syft's own image provider does the same).
	if err := si.Read(image.WithLazyLayerSquashes(ctx)); err != nil {
		_ = si.Cleanup()
		cleanup()
		prog.done()
		return nil, nil, fmt.Errorf("source %q: reading image %s: %w", input, ref, err)
	}
	prog.done()
	src := stereoscopesource.New(si, stereoscopesource.ImageConfig{Reference: ref, Alias: alias})
	return src, func() { _ = src.Close(); cleanup() }, nil
}

// trackedImage is an image whose layers report progress and, when their
// diff IDs are known, check their content.
type trackedImage struct {
	v1.Image
	layers []v1.Layer
}

func (t *trackedImage) Layers() ([]v1.Layer, error) { return t.layers, nil }

func trackLayers(img v1.Image, diffIDs []v1.Hash, prog *progress) (v1.Image, error) {
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	var want []v1.Hash
	if diffIDs != nil {
		if len(diffIDs) != len(layers) {
			return nil, fmt.Errorf("%w: the image config lists %d layers, the manifest %d", ErrChanged, len(diffIDs), len(layers))
		}
		want = diffIDs
	}
	state := &pullState{total: len(layers), prog: prog}
	out := make([]v1.Layer, len(layers))
	for i, l := range layers {
		tl := &trackedLayer{Layer: l, index: i, state: state}
		if want != nil {
			tl.diffID = want[i]
		}
		out[i] = tl
	}
	return &trackedImage{Image: img, layers: out}, nil
}

// pullState counts what has been read of an image's layers.
type pullState struct {
	total int
	done  atomic.Int64
	bytes atomic.Int64
	prog  *progress
}

type trackedLayer struct {
	v1.Layer
	index  int
	diffID v1.Hash // zero: not checked here (a registry's blobs are checked by ggcr)
	state  *pullState
}

func (l *trackedLayer) Uncompressed() (io.ReadCloser, error) {
	rc, err := l.Layer.Uncompressed()
	if err != nil {
		return nil, err
	}
	r := &layerReader{rc: rc, layer: l}
	if l.diffID != (v1.Hash{}) {
		r.h = sha256.New()
	}
	return r, nil
}

// layerReader counts a layer's bytes as stereoscope unpacks it and, at the
// end, checks them against the layer's diff ID.
type layerReader struct {
	rc    io.ReadCloser
	layer *trackedLayer
	h     hash.Hash
	ended bool
}

func (r *layerReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	if n > 0 {
		if r.h != nil {
			r.h.Write(p[:n])
		}
		s := r.layer.state
		s.prog.status("reading layers: %d of %d done, %s", s.done.Load(), s.total, humanBytes(s.bytes.Add(int64(n))))
	}
	if errors.Is(err, io.EOF) && !r.ended {
		r.ended = true
		if r.h != nil {
			if got := fmt.Sprintf("sha256:%x", r.h.Sum(nil)); got != r.layer.diffID.String() {
				return n, fmt.Errorf("%w: layer %d's content hashes to %s, the image config says %s", ErrChanged, r.layer.index+1, got, r.layer.diffID)
			}
		}
		s := r.layer.state
		done := s.done.Add(1)
		s.prog.linef("read layer %d of %d (%d done, %s so far)", r.layer.index+1, s.total, done, humanBytes(s.bytes.Load()))
	}
	return n, err
}

func (r *layerReader) Close() error { return r.rc.Close() }

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
