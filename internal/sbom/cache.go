package sbom

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/relproof/relproof/internal/attest"
	"github.com/relproof/relproof/internal/oci"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

// Where a cached SBOM came from.
const (
	CacheLocal    = "local"
	CacheRegistry = "registry"
)

// CacheHit says where a cached SBOM was found.
type CacheHit struct {
	Source string `json:"source"` // CacheLocal or CacheRegistry
	// Where is the cache file, or the referrer that holds the attestation.
	Where string `json:"where"`
	// Bundle is the signed attestation found in the registry (nil for the
	// local cache); Signer names its verified signer.
	Bundle []byte `json:"-"`
	Signer string `json:"signer,omitempty"`
}

// cacheKeyOK reports whether doc may stand for the SBOM of d in format f
// made by this syft: a hit is looked up by the digest, and then the
// document itself must name that digest, so it can never be another
// artifact's.
func cacheKeyOK(doc *Document, f Format, d subject.Digest) bool {
	return doc.Format == f && doc.Version == f.Version() && doc.Names(d) && slices.Contains(doc.Tools, "syft-"+SyftVersion())
}

// localCache is a directory of SBOM documents, one file per syft version,
// format and subject digest.
type localCache struct{ dir string }

func (c localCache) path(f Format, d subject.Digest) string { return CacheFile(c.dir, f, d) }

// CacheFile is where the local cache in dir keeps the SBOM of digest d in
// format f made by this syft: DIR/syft-VERSION/FORMAT/ALGORITHM/HEX.json.
func CacheFile(dir string, f Format, d subject.Digest) string {
	return filepath.Join(dir, "syft-"+SyftVersion(), string(f), d.Algorithm, d.Hex+".json")
}

// get returns the cached document for d, or ok false. An entry that is
// unreadable or does not name d is a miss (and is overwritten later).
func (c localCache) get(f Format, d subject.Digest) (raw []byte, doc *Document, path string, ok bool) {
	path = c.path(f, d)
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, path, false
	}
	doc, err = ParseDocument(raw)
	if err != nil || !cacheKeyOK(doc, f, d) {
		return nil, nil, path, false
	}
	return raw, doc, path, true
}

// put keeps raw as the SBOM of subj. A cache entry needs no fsync: one cut
// short by a crash does not parse or does not name its digest, and is a miss.
// For a directory it also notes which digest the path had, for likelyHit.
func (c localCache) put(f Format, src Source, d subject.Digest, raw []byte, prog *progress) {
	if err := writeFileRename(c.path(f, d), raw); err != nil {
		prog.printf("SBOM cache: %v", err) // the SBOM is made; a cache that cannot be written only costs the next run
		return
	}
	if src.Kind == KindDir {
		_ = writeFileRename(c.hintPath(f, src.Path), []byte(d.String()))
	}
}

// likelyHit guesses, before the directory is hashed, whether its SBOM is
// cached: the digest the path had last time has an entry. The guess only
// decides whether to prepare cataloging while hashing; a hit is always
// looked up by the digest.
func (c localCache) likelyHit(f Format, dir string) bool {
	if c.dir == "" {
		return false
	}
	last, err := os.ReadFile(c.hintPath(f, dir))
	if err != nil {
		return false
	}
	d, err := subject.ParseDigest(string(last))
	if err != nil {
		return false
	}
	_, err = os.Stat(c.path(f, d))
	return err == nil
}

// hintPath is where the digest dir had last time is noted.
func (c localCache) hintPath(f Format, dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return filepath.Join(c.dir, "syft-"+SyftVersion(), string(f), "last-digest-of-path", fmt.Sprintf("%x", sha256.Sum256([]byte(dir))))
}

// writeFileRename writes data to path through a temporary file and a
// rename, so a reader sees the whole file or none.
func writeFileRename(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(f.Name())
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		_ = os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		_ = os.Remove(f.Name())
		return err
	}
	return nil
}

// registryCache finds a signed SBOM attestation among the subject's
// referrers: one whose signature verifies with key, whose statement names
// the subject digest and has the format's predicate type, and whose
// document names the digest too.
type registryCache struct {
	key    *ecdsa.PublicKey
	remote []remote.Option
}

func (c registryCache) get(ctx context.Context, subj *subject.Subject, f Format, prog *progress) (raw []byte, doc *Document, hit *CacheHit, err error) {
	ref, ok := subj.OCIReference()
	if !ok || c.key == nil {
		return nil, nil, nil, nil
	}
	refs, err := oci.FetchBundles(ctx, ref, c.remote...)
	if err != nil {
		// The image is pulled from the same registry next; if the registry is
		// really unreachable, that says so.
		prog.printf("registry cache: %v", err)
		return nil, nil, nil, nil
	}
	bundles := map[string][]byte{}
	var entries []verify.Entry
	for _, r := range refs {
		if r.PredicateType != "" && r.PredicateType != f.PredicateType() {
			continue
		}
		e, err := verify.ReadBundles(r.Ref.String(), r.Bundle)
		if err != nil {
			continue
		}
		bundles[r.Ref.String()] = r.Bundle
		entries = append(entries, e...)
	}
	if len(entries) == 0 {
		return nil, nil, nil, nil
	}
	res, err := verify.Verify(subj, entries, verify.Policy{Key: c.key, PredicateType: f.PredicateType()})
	if errors.Is(err, verify.ErrNotVerified) {
		prog.printf("registry cache: %d SBOM attestations for %s, none signed by the key: %v", len(entries), subj.Digest, err)
		return nil, nil, nil, nil
	}
	if err != nil {
		return nil, nil, nil, err
	}
	for _, a := range res.Verified {
		raw, err := attest.Marshal(a.Statement.GetPredicate())
		if err != nil {
			continue
		}
		doc, err := ParseDocument(raw)
		if err != nil || !cacheKeyOK(doc, f, subj.Digest) {
			continue
		}
		return append(raw, '\n'), doc, &CacheHit{Source: CacheRegistry, Where: a.Source, Bundle: bundles[a.Source], Signer: a.Signer}, nil
	}
	return nil, nil, nil, nil
}

// DefaultCacheDir is where the local cache lives, given the user's cache
// directory (os.UserCacheDir, or its equivalent from an injected
// environment); "" when there is none.
func DefaultCacheDir(userCacheDir string) string {
	if userCacheDir == "" {
		return ""
	}
	return filepath.Join(userCacheDir, "relproof", "sbom")
}
