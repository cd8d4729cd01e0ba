// Package subject turns what a user names as an artifact — a file, a bare
// digest, an image in a registry, an image in an OCI layout — into a Subject
// that always carries a digest. Evidence is bound to that digest, never to a
// tag: a tag is resolved once, recorded as "tag → digest at time T", and only
// the digest travels on.
package subject

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
)

// Kind says what sort of thing a subject is.
type Kind string

// Kinds of subject.
const (
	KindFile      Kind = "file"
	KindDigest    Kind = "digest"
	KindOCI       Kind = "oci"
	KindOCILayout Kind = "oci-layout"
)

// Prefixes of the accepted forms.
const (
	filePrefix   = "file:"
	ociPrefix    = "oci://"
	layoutPrefix = "oci-layout:"
)

// Resolution records a tag resolved to a digest.
type Resolution struct {
	Tag    string    `json:"tag"` // full reference, HOST/REPO:TAG (or oci-layout:DIR)
	Digest Digest    `json:"digest"`
	At     time.Time `json:"at"`
}

// Subject is an artifact, named by its digest.
type Subject struct {
	Input      string      `json:"input"` // as the user typed it
	Kind       Kind        `json:"kind"`
	Name       string      `json:"name,omitempty"` // file base name; HOST/REPO for oci; layout dir for oci-layout; "" for a bare digest
	Digest     Digest      `json:"digest"`
	Size       int64       `json:"size,omitempty"`       // bytes hashed, for files; 0 otherwise
	Resolution *Resolution `json:"resolution,omitempty"` // non-nil only when a tag was resolved to the digest
	// Alternates are other digests of the same bytes (a file's SHA-512 with
	// WithSHA512), for evidence that names the artifact by another algorithm.
	Alternates []Digest `json:"alternates,omitempty"`
}

// String returns "NAME@ALGORITHM:HEX", or just the digest when there is no name.
func (s *Subject) String() string {
	if s.Name == "" {
		return s.Digest.String()
	}
	return s.Name + "@" + s.Digest.String()
}

// OCIReference returns HOST/REPO@sha256:HEX for an oci subject; ok is false
// for every other kind.
func (s *Subject) OCIReference() (ref name.Digest, ok bool) {
	if s.Kind != KindOCI {
		return name.Digest{}, false
	}
	d, err := name.NewDigest(s.Name + "@" + s.Digest.String())
	if err != nil {
		return name.Digest{}, false
	}
	return d, true
}

// ref is a subject as written, before anything is read or fetched.
type ref struct {
	kind   Kind
	name   string
	path   string   // file path or layout dir
	digest Digest   // set when the input pins one
	tag    name.Tag // oci without digest
}

// scheme matches a "word:" prefix of two characters or more (so a Windows
// drive letter is not taken for one).
var scheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]+:`)

// parse reads the form of input. It does no I/O.
func parse(input string) (ref, error) {
	switch {
	case input == "":
		return ref{}, invalid(input, "empty; %s", forms)
	case strings.HasPrefix(input, ociPrefix):
		return parseOCI(input, strings.TrimPrefix(input, ociPrefix))
	case strings.HasPrefix(input, layoutPrefix):
		return parseLayout(input, strings.TrimPrefix(input, layoutPrefix))
	case strings.HasPrefix(input, filePrefix):
		p := strings.TrimPrefix(input, filePrefix)
		if p == "" {
			return ref{}, invalid(input, "want file:PATH, found no PATH")
		}
		return ref{kind: KindFile, name: filepath.Base(p), path: p}, nil
	case strings.HasPrefix(input, SHA256+":"), strings.HasPrefix(input, SHA512+":"):
		d, problem := checkDigest(input)
		if problem != "" {
			return ref{}, invalid(input, "%s", problem)
		}
		return ref{kind: KindDigest, digest: d}, nil
	}
	if s := scheme.FindString(input); s != "" {
		if rest := input[len(s):]; rest != "" && strings.Trim(rest, "0123456789abcdefABCDEF") == "" {
			_, problem := checkDigest(input)
			return ref{}, invalid(input, "%s", problem)
		}
		return ref{}, invalid(input, "unknown form %q; %s (for a file whose name has a colon, write file:PATH)", s, forms)
	}
	return ref{kind: KindFile, name: filepath.Base(input), path: input}, nil
}

func parseOCI(input, rest string) (ref, error) {
	if rest == "" {
		return ref{}, invalid(input, "want oci://HOST/REPO[:TAG] or oci://HOST/REPO@sha256:HEX, found nothing after oci://")
	}
	host, repo, _ := strings.Cut(rest, "/")
	if repo == "" || !(host == "localhost" || strings.ContainsAny(host, ".:")) {
		return ref{}, invalid(input, "want oci://HOST/REPO[:TAG] or oci://HOST/REPO@sha256:HEX, found no registry host")
	}
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		d, problem := checkDigest(rest[i+1:])
		if problem != "" {
			return ref{}, invalid(input, "%s", problem)
		}
		if d.Algorithm != SHA256 {
			return ref{}, invalid(input, "OCI digests here are sha256, found %s", d.Algorithm)
		}
		nd, err := name.NewDigest(rest)
		if err != nil {
			return ref{}, invalidWrap(input, err, "not an OCI reference")
		}
		return ref{kind: KindOCI, name: nd.Context().Name(), digest: d}, nil
	}
	t, err := name.NewTag(rest)
	if err != nil {
		return ref{}, invalidWrap(input, err, "not an OCI reference")
	}
	return ref{kind: KindOCI, name: t.Context().Name(), tag: t}, nil
}

func parseLayout(input, rest string) (ref, error) {
	dir := rest
	var d Digest
	if i := strings.LastIndex(rest, "@"); i >= 0 && strings.Contains(rest[i+1:], ":") {
		var problem string
		if d, problem = checkDigest(rest[i+1:]); problem != "" {
			return ref{}, invalid(input, "%s", problem)
		}
		if d.Algorithm != SHA256 {
			return ref{}, invalid(input, "OCI digests here are sha256, found %s", d.Algorithm)
		}
		dir = rest[:i]
	}
	if dir == "" {
		return ref{}, invalid(input, "want oci-layout:DIR[@sha256:HEX], found no DIR")
	}
	return ref{kind: KindOCILayout, name: filepath.Clean(dir), path: dir, digest: d}, nil
}

// pinned writes the subject as an input pinned to d.
func (r ref) pinned(d Digest) string {
	if r.kind == KindOCILayout {
		return fmt.Sprintf("%s%s@%s", layoutPrefix, r.name, d)
	}
	return fmt.Sprintf("%s%s@%s", ociPrefix, r.name, d)
}
