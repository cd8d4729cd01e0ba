package sbom

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sync"
	"time"

	"github.com/anchore/stereoscope/pkg/image"
	"github.com/anchore/syft/syft"
	"github.com/anchore/syft/syft/source"
	"github.com/anchore/syft/syft/source/filesource"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	intoto "github.com/in-toto/attestation/go/v1"

	// syft's RPM cataloger reads newer RPM databases through database/sql
	// and fails every scan when no "sqlite" driver is registered; this is
	// the pure-Go driver syft's own CLI links.
	_ "modernc.org/sqlite"

	"github.com/relproof/relproof/internal/attest"
	"github.com/relproof/relproof/internal/subject"
)

// syftModule is the syft module this package is built against; its version
// is part of every cache key.
const (
	syftModule         = "github.com/anchore/syft"
	syftVersionDefault = "v1.57.1" // go.mod's, for binaries built without module information
)

// SyftVersion is the version of syft linked into this binary.
func SyftVersion() string { return syftVersion() }

var syftVersion = sync.OnceValue(func() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == syftModule && d.Version != "" && d.Version != "(devel)" {
				if d.Replace != nil && d.Replace.Version != "" {
					return d.Replace.Version
				}
				return d.Version
			}
		}
	}
	return syftVersionDefault
})

// Result is an SBOM and the artifact it describes.
type Result struct {
	Subject *subject.Subject
	Format  Format
	// Document is the encoded SBOM, ending in a newline.
	Document []byte
	// Packages are the packages it lists, sorted.
	Packages []Package
	// Cached says where the SBOM was found; nil when it was cataloged now.
	Cached *CacheHit
}

// Statement returns the in-toto statement that attests the document for
// the subject's digest, its predicate type the format's.
func (r *Result) Statement() (*intoto.Statement, error) {
	pred, err := attest.JSONToStruct(r.Document)
	if err != nil {
		return nil, fmt.Errorf("SBOM of %s: %w", r.Subject, err)
	}
	return attest.NewStatement(r.Subject, r.Format.PredicateType(), pred)
}

type config struct {
	format   Format
	cacheDir string
	registry registryCache
	remote   []remote.Option
	progress io.Writer
	live     bool
	now      func() time.Time
}

// Option configures Generate.
type Option func(*config) error

// WithFormat sets the document format; the default is SPDXJSON.
func WithFormat(f Format) Option {
	return func(c *config) error {
		if _, err := f.encoder(); err != nil {
			return err
		}
		c.format = f
		return nil
	}
}

// WithCacheDir keeps SBOMs in dir, keyed by syft version, format and subject
// digest, and returns a cached one instead of cataloging again. The default
// is no local cache.
func WithCacheDir(dir string) Option {
	return func(c *config) error {
		c.cacheDir = dir
		return nil
	}
}

// WithRegistryCache returns, for an oci:// subject, an SBOM attestation
// already among the subject's referrers when it verifies with key, instead
// of cataloging again.
func WithRegistryCache(key *ecdsa.PublicKey) Option {
	return func(c *config) error {
		if key == nil {
			return errors.New("registry cache: no key to verify attestations with")
		}
		c.registry.key = key
		return nil
	}
}

// WithRemoteOptions passes options (auth, transport, …) to the registry
// client, for resolving tags, pulling images and reading referrers.
func WithRemoteOptions(o ...remote.Option) Option {
	return func(c *config) error {
		c.remote = append(c.remote, o...)
		return nil
	}
}

// WithProgress reports progress to w: a status line kept up to date when
// live (a terminal), one line per step otherwise.
func WithProgress(w io.Writer, live bool) Option {
	return func(c *config) error {
		c.progress, c.live = w, live
		return nil
	}
}

// WithClock sets the clock that stamps tag resolutions and times progress.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now != nil {
			c.now = now
		}
		return nil
	}
}

// Generate makes the SBOM of src, or returns a cached one for the same
// digest, format and syft version. The document names the subject digest.
func Generate(ctx context.Context, src Source, opts ...Option) (*Result, error) {
	c := config{format: SPDXJSON, now: time.Now}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	c.registry.remote = c.remote
	prog := newProgress(c.progress, c.live, c.now)
	cache := localCache{dir: c.cacheDir}
	// A directory is indexed for syft while its digest is computed (both
	// walk the tree), unless its last SBOM is likely cached: then the
	// digest alone is likely all the work.
	var pre *preparedDir
	if src.Kind == KindDir && !cache.likelyHit(c.format, src.Path) {
		pre = prepareDir(src)
	}
	subj, tree, err := resolve(ctx, src, c, prog)
	if err != nil {
		return nil, err
	}
	res := &Result{Subject: subj, Format: c.format}

	raw, doc, hit, err := c.registry.get(ctx, subj, c.format, prog)
	if err != nil {
		return nil, err
	}
	if hit == nil && c.cacheDir != "" {
		var path string
		var ok bool
		if raw, doc, path, ok = cache.get(c.format, subj.Digest); ok {
			hit = &CacheHit{Source: CacheLocal, Where: path}
		}
	}
	if hit != nil {
		// An index built in vain is left to finish on its own: it only
		// reads the tree into memory.
		prog.printf("cached: the %s SBOM of %s, from %s", c.format, subj.Digest, hit.Where)
		if hit.Source == CacheRegistry && c.cacheDir != "" {
			cache.put(c.format, src, subj.Digest, raw, prog)
		}
		res.Document, res.Packages, res.Cached = raw, doc.Packages, hit
		return res, nil
	}

	raw, pkgs, err := catalog(ctx, src, subj, pre, tree, c, prog)
	if err != nil {
		return nil, err
	}
	if c.cacheDir != "" {
		cache.put(c.format, src, subj.Digest, raw, prog)
	}
	res.Document, res.Packages = raw, pkgs
	return res, nil
}

// resolve finds the digest of what src names; for a directory, it also
// returns what was hashed.
func resolve(ctx context.Context, src Source, c config, prog *progress) (*subject.Subject, []dirEntry, error) {
	switch src.Kind {
	case KindDir:
		start := c.now()
		stop := prog.ticking("hashing " + src.Path)
		d, size, tree, err := hashTree(ctx, src.Input, src.Path)
		stop()
		if err != nil {
			return nil, nil, err
		}
		prog.printf("digest of %s: %s (%d files, %s, in %s)", src.Input, d, len(tree), humanBytes(size), c.now().Sub(start).Round(time.Millisecond))
		return &subject.Subject{Input: src.Input, Kind: KindDir, Name: src.name(), Digest: d, Size: size}, tree, nil
	case KindDockerArchive:
		_, d, _, err := archiveImage(src.Input, src.Path)
		if err != nil {
			return nil, nil, err
		}
		return &subject.Subject{Input: src.Input, Kind: KindDockerArchive, Name: src.name(), Digest: d}, nil, nil
	case subject.KindFile, subject.KindOCI, subject.KindOCILayout:
		s, err := subject.Resolve(ctx, src.Input, subject.WithRemoteOptions(c.remote...), subject.WithClock(c.now))
		if err != nil {
			return nil, nil, err
		}
		if s.Resolution != nil {
			prog.printf("resolved %s to %s", s.Resolution.Tag, s.Resolution.Digest)
		}
		return s, nil, nil
	}
	return nil, nil, invalid(src.Input, "%s", forms)
}

// catalog runs syft's default catalogers over the source and encodes the
// result with syft's encoder for the format, naming the subject digest. It
// returns the document and the packages, from syft's model (the tests check
// that the document lists the same).
func catalog(ctx context.Context, src Source, subj *subject.Subject, pre *preparedDir, tree []dirEntry, c config, prog *progress) ([]byte, []Package, error) {
	alias := source.Alias{Name: subj.Name, Version: subj.Digest.String()}
	s, closeSource, err := openSource(ctx, src, subj, pre, alias, c, prog)
	if err != nil {
		return nil, nil, err
	}
	defer closeSource()

	start := c.now()
	stop := prog.ticking("cataloging " + subj.String())
	sb, err := syft.CreateSBOM(ctx, s, createConfig())
	stop()
	if err != nil {
		return nil, nil, fmt.Errorf("cataloging %s: %w", subj, err)
	}
	prog.printf("cataloged %d packages in %s", sb.Artifacts.Packages.PackageCount(), c.now().Sub(start).Round(time.Millisecond))
	// A directory must still be what was hashed; check while encoding.
	still := make(chan error, 1)
	if src.Kind == KindDir {
		go func() { still <- unchanged(src.Input, src.Path, tree) }()
	} else {
		still <- nil
	}

	enc, err := c.format.encoder()
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	if err := enc.Encode(&buf, *sb); err != nil {
		return nil, nil, fmt.Errorf("encoding %s: %w", c.format, err)
	}
	doc, err := nameDigest(c.format, buf.Bytes(), subj.Digest)
	if err := errors.Join(<-still, err); err != nil {
		return nil, nil, err
	}
	if !bytes.HasSuffix(doc, []byte("\n")) {
		doc = append(doc, '\n')
	}
	pkgs := make([]Package, 0, sb.Artifacts.Packages.PackageCount())
	for p := range sb.Artifacts.Packages.Enumerate() {
		pkgs = append(pkgs, Package{Name: p.Name, Version: p.Version, PURL: p.PURL})
	}
	sortPackages(pkgs)
	return doc, pkgs, nil
}

// createConfig is syft's library default with the file digests syft's CLI
// records (SPDX 2.3 requires a SHA-1 for every file it lists).
func createConfig() *syft.CreateSBOMConfig {
	cfg := syft.DefaultCreateSBOMConfig().WithTool("syft", SyftVersion())
	files := cfg.Files
	files.Hashers = []crypto.Hash{crypto.SHA1, crypto.SHA256}
	return cfg.WithFilesConfig(files)
}

// openSource opens src for syft. Images are read through go-containerregistry
// by digest (so a registry's auth and transport options apply, and what is
// read is checked against the digest), then handed to stereoscope.
func openSource(ctx context.Context, src Source, subj *subject.Subject, pre *preparedDir, alias source.Alias, c config, prog *progress) (source.Source, func(), error) {
	switch src.Kind {
	case KindDir:
		if pre == nil {
			pre = prepareDir(src)
		}
		s, err := pre.wait()
		if err != nil {
			return nil, nil, invalidWrap(src.Input, err, "opening the directory")
		}
		return namedSource{Source: s, alias: alias}, func() { _ = s.Close() }, nil
	case subject.KindFile:
		path := src.Path
		s, err := filesource.New(filesource.Config{Path: path, DigestAlgorithms: []crypto.Hash{crypto.SHA256}, Alias: alias})
		if err != nil {
			return nil, nil, invalidWrap(src.Input, err, "opening the file")
		}
		return s, func() { _ = s.Close() }, nil
	case subject.KindOCI:
		ref, _ := subj.OCIReference()
		prog.printf("pulling %s", ref)
		img, err := remoteImage(ctx, src.Input, ref, c.remote)
		if err != nil {
			return nil, nil, err
		}
		raw, err := img.RawManifest()
		if err != nil {
			return nil, nil, fmt.Errorf("source %q: reading the manifest: %w", src.Input, err)
		}
		return imageSource(ctx, src.Input, img, nil, ref.String(), alias, prog,
			image.WithManifest(raw), image.WithManifestDigest(subj.Digest.String()), image.WithRepoDigests(ref.String()))
	case subject.KindOCILayout:
		img, diffIDs, err := layoutImage(src.Input, subj.Name, subj.Digest)
		if err != nil {
			return nil, nil, err
		}
		raw, err := img.RawManifest()
		if err != nil {
			return nil, nil, fmt.Errorf("source %q: reading the manifest: %w", src.Input, err)
		}
		prog.printf("reading %s", subj)
		return imageSource(ctx, src.Input, img, diffIDs, subj.Name, alias, prog,
			image.WithManifest(raw), image.WithManifestDigest(subj.Digest.String()))
	case KindDockerArchive:
		img, d, diffIDs, err := archiveImage(src.Input, src.Path)
		if err != nil {
			return nil, nil, err
		}
		if d != subj.Digest {
			return nil, nil, fmt.Errorf("%w: %s: the image ID was %s, is now %s", ErrChanged, src.Input, subj.Digest, d)
		}
		prog.printf("reading %s", subj)
		// No manifest metadata: the archive has none, and the digest syft
		// would make up for one is not the subject's (the image ID).
		return imageSource(ctx, src.Input, img, diffIDs, src.Path, alias, prog)
	}
	return nil, nil, invalid(src.Input, "%s", forms)
}
