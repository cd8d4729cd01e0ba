package subject

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

type options struct {
	remote        []remote.Option
	now           func() time.Time
	requireDigest bool
	sha512        bool
}

// Option configures Resolve.
type Option func(*options)

// WithSHA512 also hashes file subjects with SHA-512 (in the same pass) and
// records it in Alternates: npm packages and their provenance name their
// tarballs by SHA-512, so a verifier needs both.
func WithSHA512() Option {
	return func(o *options) { o.sha512 = true }
}

// WithRemoteOptions passes options (auth, transport, …) to the registry client.
func WithRemoteOptions(o ...remote.Option) Option {
	return func(opts *options) { opts.remote = append(opts.remote, o...) }
}

// WithClock sets the clock that stamps resolutions. The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(opts *options) {
		if now != nil {
			opts.now = now
		}
	}
}

// RequireDigest refuses subjects that name no digest (an OCI tag, an OCI
// layout without @sha256:…) with a *TagOnlyError that gives the pinned form.
// Commands that approve or verify use it.
func RequireDigest() Option {
	return func(opts *options) { opts.requireDigest = true }
}

// Resolve turns input into a Subject with a digest. It accepts:
//
//	PATH, file:PATH                the SHA-256 of a regular file
//	sha256:HEX, sha512:HEX         a bare digest
//	oci://HOST/REPO@sha256:HEX     an image by digest (no network)
//	oci://HOST/REPO[:TAG]          an image by tag ("latest" if none), resolved through the registry
//	oci-layout:DIR@sha256:HEX      an image in an OCI layout, checked against its index
//	oci-layout:DIR                 the only image in an OCI layout
//
// Errors about the input match ErrInvalidSubject.
func Resolve(ctx context.Context, input string, opts ...Option) (*Subject, error) {
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	r, err := parse(input)
	if err != nil {
		return nil, err
	}
	s := &Subject{Input: input, Kind: r.kind, Name: r.name, Digest: r.digest}
	switch r.kind {
	case KindFile:
		s.Digest, s.Alternates, s.Size, err = hashFile(ctx, input, r.path, o.sha512)
	case KindOCI:
		if r.digest.IsZero() {
			err = resolveOCITag(ctx, s, o, r)
		}
	case KindOCILayout:
		err = resolveLayout(s, o, r)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

func resolveOCITag(ctx context.Context, s *Subject, o options, r ref) error {
	d, err := resolveTag(ctx, r.tag, o.remote)
	switch {
	case err != nil && o.requireDigest:
		return &TagOnlyError{Input: s.Input, Err: err}
	case isNotFound(err):
		return invalidWrap(s.Input, err, "tag %s not found", r.tag.Name())
	case err != nil:
		return fmt.Errorf("subject %q: resolving tag %s: %w", s.Input, r.tag.Name(), err)
	}
	return resolved(s, o, r, r.tag.Name(), d)
}

func resolveLayout(s *Subject, o options, r ref) error {
	p, idx, err := openLayout(s.Input, r.path)
	if err != nil {
		return err
	}
	if !r.digest.IsZero() {
		return inLayout(s.Input, p, idx, r.digest)
	}
	d, err := onlyManifest(s.Input, r.path, idx)
	if err != nil {
		return err
	}
	return resolved(s, o, r, layoutPrefix+r.name, d)
}

// resolved records that tag resolved to d, or refuses it under RequireDigest.
func resolved(s *Subject, o options, r ref, tag string, d Digest) error {
	if o.requireDigest {
		return &TagOnlyError{Input: s.Input, Resolved: d, Pinned: r.pinned(d)}
	}
	s.Digest = d
	s.Resolution = &Resolution{Tag: tag, Digest: d, At: o.now().UTC()}
	return nil
}

// resolveTag asks the registry for the digest of tag: HEAD, then GET if HEAD
// fails (some registries answer HEAD badly).
func resolveTag(ctx context.Context, tag name.Tag, ro []remote.Option) (Digest, error) {
	ro = append([]remote.Option{remote.WithContext(ctx)}, ro...)
	var h v1.Hash
	if desc, err := remote.Head(tag, ro...); err == nil {
		h = desc.Digest
	} else {
		desc, err := remote.Get(tag, ro...)
		if err != nil {
			return Digest{}, err
		}
		h = desc.Digest
	}
	d, problem := checkDigest(h.String())
	if problem == "" && d.Algorithm != SHA256 {
		problem = "want sha256"
	}
	if problem != "" {
		return Digest{}, fmt.Errorf("registry answered with digest %q: %s", h, problem)
	}
	return d, nil
}

func isNotFound(err error) bool {
	var terr *transport.Error
	if !errors.As(err, &terr) {
		return false
	}
	if terr.StatusCode == http.StatusNotFound {
		return true
	}
	for _, e := range terr.Errors {
		if e.Code == transport.ManifestUnknownErrorCode || e.Code == transport.NameUnknownErrorCode {
			return true
		}
	}
	return false
}

func openLayout(input, dir string) (layout.Path, v1.ImageIndex, error) {
	p, err := layout.FromPath(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil, invalid(input, "no OCI layout at %q (no index.json)", dir)
	}
	if err != nil {
		return "", nil, invalidWrap(input, err, "reading layout %q", dir)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return "", nil, invalidWrap(input, err, "reading the index of layout %q", dir)
	}
	return p, idx, nil
}

// inLayout checks that d is listed in the layout's index, at the top or
// nested in an index, and that its blob is there.
func inLayout(input string, p layout.Path, idx v1.ImageIndex, d Digest) error {
	want, err := v1.NewHash(d.String())
	if err != nil {
		return invalidWrap(input, err, "digest")
	}
	found, err := findInIndex(idx, want, map[v1.Hash]bool{})
	if err != nil {
		return invalidWrap(input, err, "reading the index of layout %q", string(p))
	}
	if !found {
		return invalid(input, "%s is not in the index of layout %q", d, string(p))
	}
	if _, err := os.Stat(filepath.Join(string(p), "blobs", d.Algorithm, d.Hex)); err != nil {
		return invalidWrap(input, err, "layout %q lists %s but has no blob for it", string(p), d)
	}
	return nil
}

func findInIndex(idx v1.ImageIndex, want v1.Hash, seen map[v1.Hash]bool) (bool, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return false, err
	}
	for _, desc := range im.Manifests {
		if desc.Digest == want {
			return true, nil
		}
		if !desc.MediaType.IsIndex() || seen[desc.Digest] {
			continue
		}
		seen[desc.Digest] = true
		child, err := idx.ImageIndex(desc.Digest)
		if err != nil {
			return false, err
		}
		if found, err := findInIndex(child, want, seen); found || err != nil {
			return found, err
		}
	}
	return false, nil
}

// onlyManifest returns the digest of the one manifest a layout's index lists.
func onlyManifest(input, dir string, idx v1.ImageIndex) (Digest, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return Digest{}, invalidWrap(input, err, "reading the index of layout %q", dir)
	}
	switch len(im.Manifests) {
	case 0:
		return Digest{}, invalid(input, "layout %q lists no manifests", dir)
	case 1:
		h := im.Manifests[0].Digest
		d, problem := checkDigest(h.String())
		if problem == "" && d.Algorithm != SHA256 {
			problem = "want sha256"
		}
		if problem != "" {
			return Digest{}, invalid(input, "layout %q lists digest %q: %s", dir, h, problem)
		}
		return d, nil
	}
	found := make([]string, 0, len(im.Manifests))
	for _, desc := range im.Manifests {
		s := desc.Digest.String()
		if n := desc.Annotations["org.opencontainers.image.ref.name"]; n != "" {
			s += " (" + n + ")"
		}
		found = append(found, s)
	}
	return Digest{}, invalid(input, "layout %q lists %d manifests; want oci-layout:DIR@sha256:HEX naming one of: %s", dir, len(found), strings.Join(found, ", "))
}
