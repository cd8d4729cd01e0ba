package subject

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"strings"
	"unicode/utf8"
)

// Digest algorithms.
const (
	SHA256 = "sha256"
	SHA512 = "sha512"
)

// Digest is a content digest, "ALGORITHM:HEX".
type Digest struct {
	Algorithm string // "sha256" or "sha512"
	Hex       string // lower-case, 64 or 128 characters
}

// String returns "ALGORITHM:HEX", or "" for the zero Digest.
func (d Digest) String() string {
	if d == (Digest{}) {
		return ""
	}
	return d.Algorithm + ":" + d.Hex
}

// IsZero reports whether d is the zero Digest.
func (d Digest) IsZero() bool { return d == Digest{} }

// MarshalText encodes d as "ALGORITHM:HEX" (so JSON carries a string).
func (d Digest) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses "ALGORITHM:HEX"; "" gives the zero Digest.
func (d *Digest) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Digest{}
		return nil
	}
	p, err := ParseDigest(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// ParseDigest parses "sha256:HEX" (64 lower-case hex characters) or
// "sha512:HEX" (128). Its errors match ErrInvalidSubject.
func ParseDigest(s string) (Digest, error) {
	d, problem := checkDigest(s)
	if problem != "" {
		return Digest{}, &invalidError{what: "digest", input: s, msg: problem}
	}
	return d, nil
}

// hexLen is the length of each supported algorithm's hex encoding.
var hexLen = map[string]int{SHA256: 64, SHA512: 128}

// checkDigest parses s and, if it is not a digest, says why.
func checkDigest(s string) (Digest, string) {
	alg, h, ok := strings.Cut(s, ":")
	if !ok {
		return Digest{}, "want ALGORITHM:HEX (sha256 or sha512), found no \":\""
	}
	n, ok := hexLen[alg]
	if !ok {
		return Digest{}, fmt.Sprintf("unsupported digest algorithm %q; want sha256 or sha512", alg)
	}
	if len(h) != n {
		return Digest{}, fmt.Sprintf("want %d lower-case hex characters after %q, found %d characters", n, alg+":", utf8.RuneCountInString(h))
	}
	if i := strings.IndexFunc(h, func(r rune) bool { return !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(h[i:])
		return Digest{}, fmt.Sprintf("want %d lower-case hex characters after %q, found %q at offset %d", n, alg+":", r, i)
	}
	return Digest{Algorithm: alg, Hex: h}, ""
}

// hashFile streams the regular file at path through SHA-256 and, when
// withSHA512 is set, through SHA-512 in the same pass.
func hashFile(ctx context.Context, input, path string, withSHA512 bool) (Digest, []Digest, int64, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Digest{}, nil, 0, invalid(input, "no file at %q", path)
	}
	if err != nil {
		return Digest{}, nil, 0, invalidWrap(input, err, "reading %q", path)
	}
	switch {
	case fi.IsDir():
		return Digest{}, nil, 0, invalid(input, "%q is a directory: a subject is one artifact; for a directory's SBOM use `relproof sbom dir:%s`, then its digest", path, path)
	case !fi.Mode().IsRegular():
		return Digest{}, nil, 0, invalid(input, "%q is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return Digest{}, nil, 0, invalidWrap(input, err, "opening %q", path)
	}
	defer f.Close()
	h256 := sha256.New()
	var w io.Writer = h256
	var h512 hash.Hash
	if withSHA512 {
		h512 = sha512.New()
		w = io.MultiWriter(h256, h512)
	}
	n, err := io.Copy(w, ctxReader{ctx, f})
	if err != nil {
		return Digest{}, nil, 0, fmt.Errorf("subject %q: hashing %q: %w", input, path, err)
	}
	var alts []Digest
	if h512 != nil {
		alts = []Digest{{Algorithm: SHA512, Hex: hex.EncodeToString(h512.Sum(nil))}}
	}
	return Digest{Algorithm: SHA256, Hex: hex.EncodeToString(h256.Sum(nil))}, alts, n, nil
}

// ctxReader stops reading once ctx is done, so hashing a large file can be
// cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
