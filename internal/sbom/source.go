package sbom

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/relproof/relproof/internal/subject"
)

// Kinds of source beyond those of internal/subject (file, oci, oci-layout).
const (
	KindDir           subject.Kind = "dir"
	KindDockerArchive subject.Kind = "docker-archive"
)

// Prefixes of the source forms.
const (
	dirPrefix     = "dir:"
	filePrefix    = "file:"
	ociPrefix     = "oci://"
	layoutPrefix  = "oci-layout:"
	archivePrefix = "docker-archive:"
)

// forms lists what ParseSource accepts, for error messages.
const forms = "want dir:PATH, file:PATH, oci://HOST/REPO@sha256:HEX (or :TAG), oci-layout:DIR@sha256:HEX, docker-archive:FILE, or a PATH"

// Source is what to catalog, as written, before anything is hashed or
// fetched.
type Source struct {
	Input string       // as the user typed it
	Kind  subject.Kind // file, dir, oci, oci-layout or docker-archive
	Path  string       // the file, directory or archive; "" for oci and oci-layout
}

// scheme matches a "word:" prefix of two characters or more (so a Windows
// drive letter is not taken for one).
var scheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]+:`)

// syftForms maps syft's source prefixes to the ones relproof takes.
var syftForms = map[string]string{
	"registry:":     ociPrefix + "HOST/REPO@sha256:HEX",
	"docker:":       ociPrefix + "HOST/REPO@sha256:HEX (relproof reads registries, not the Docker daemon), or docker-archive:FILE from docker save",
	"podman:":       ociPrefix + "HOST/REPO@sha256:HEX",
	"oci-dir:":      layoutPrefix + "DIR@sha256:HEX",
	"oci-archive:":  layoutPrefix + "DIR@sha256:HEX (unpack the archive first)",
	"sha256:":       "the artifact itself: a digest alone names no content to catalog",
	"sha512:":       "the artifact itself: a digest alone names no content to catalog",
	"singularity:":  "an OCI image",
	"containerd:":   ociPrefix + "HOST/REPO@sha256:HEX",
	"docker-image:": ociPrefix + "HOST/REPO@sha256:HEX",
}

// ParseSource reads the form of input. It reads nothing, except for a bare
// PATH whether it is a directory (dir:) or not (file:).
func ParseSource(input string) (Source, error) {
	src := Source{Input: input}
	switch {
	case input == "":
		return Source{}, invalid(input, "empty; %s", forms)
	case strings.HasPrefix(input, ociPrefix):
		src.Kind = subject.KindOCI
	case strings.HasPrefix(input, layoutPrefix):
		src.Kind = subject.KindOCILayout
	case strings.HasPrefix(input, dirPrefix):
		src.Kind, src.Path = KindDir, strings.TrimPrefix(input, dirPrefix)
	case strings.HasPrefix(input, filePrefix):
		src.Kind, src.Path = subject.KindFile, strings.TrimPrefix(input, filePrefix)
	case strings.HasPrefix(input, archivePrefix):
		src.Kind, src.Path = KindDockerArchive, strings.TrimPrefix(input, archivePrefix)
	default:
		if s := scheme.FindString(input); s != "" {
			if want, ok := syftForms[strings.ToLower(s)]; ok {
				return Source{}, invalid(input, "want %s", want)
			}
			return Source{}, invalid(input, "unknown form %q; %s (for a path with a colon, write dir:PATH or file:PATH)", s, forms)
		}
		src.Kind, src.Path = subject.KindFile, input
		if fi, err := os.Stat(input); err == nil && fi.IsDir() {
			src.Kind = KindDir
		}
	}
	if src.Kind != subject.KindOCI && src.Kind != subject.KindOCILayout && src.Path == "" {
		return Source{}, invalid(input, "want %sPATH, found no PATH", strings.TrimSuffix(input, ":")+":")
	}
	return src, nil
}

// name is the subject name of a local source: the base name of its path.
func (s Source) name() string {
	p := filepath.Clean(s.Path)
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	return filepath.Base(p)
}
