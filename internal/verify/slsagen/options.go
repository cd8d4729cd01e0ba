package slsagen

import (
	"fmt"
	"strings"

	serrors "github.com/slsa-framework/slsa-verifier/v2/errors"
	"github.com/slsa-framework/slsa-verifier/v2/verifiers/utils"
	"golang.org/x/mod/semver"

	"github.com/relproof/relproof/internal/subject"
)

// Options are the expectations a verified build must meet. They carry the
// names of slsa-verifier's flags.
type Options struct {
	// SourceURI is the source repository, "github.com/OWNER/REPO"
	// ("https://" or "git+https://" in front is tolerated). Required.
	SourceURI string
	// At most one of SourceBranch, SourceTag and SourceVersionedTag.
	SourceBranch       string // branch name, e.g. "main"
	SourceTag          string // exact tag name, e.g. "v1.2.3"
	SourceVersionedTag string // semver prefix, e.g. "v1" or "v1.2"
	// BuilderID is "ID" or "ID@REF", e.g.
	// "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_go_slsa3.yml@v2.1.0".
	// For delegator (BYOB) builders it names the trusted reusable workflow
	// the delegator ran; it is required there unless that workflow is one of
	// slsa-github-generator's own.
	BuilderID string
	// ContainerImage says the subject is a container image: as slsa-verifier
	// verify-image does, only the container generator is trusted.
	ContainerImage bool
}

// options are validated Options.
type options struct {
	Options
	repo   string // "OWNER/REPO", as in the certificate
	source string // "git+https://github.com/OWNER/REPO", as in provenance
}

func (o Options) validate() (options, error) {
	repo := strings.TrimPrefix(o.SourceURI, "git+")
	repo = strings.TrimPrefix(repo, "https://")
	repo, ok := strings.CutPrefix(repo, "github.com/")
	owner, name, _ := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" || strings.Count(repo, "/") != 1 || strings.ContainsAny(repo, "@?# \t\n") {
		return options{}, fmt.Errorf("%w: source URI %q: want github.com/OWNER/REPO", ErrInvalidOptions, o.SourceURI)
	}
	refs := 0
	for _, r := range []string{o.SourceBranch, o.SourceTag, o.SourceVersionedTag} {
		if r != "" {
			refs++
		}
	}
	if refs > 1 {
		return options{}, fmt.Errorf("%w: give at most one of source branch %q, tag %q, versioned tag %q",
			ErrInvalidOptions, o.SourceBranch, o.SourceTag, o.SourceVersionedTag)
	}
	if o.SourceVersionedTag != "" && !semver.IsValid(o.SourceVersionedTag) {
		return options{}, fmt.Errorf("%w: %w: source versioned tag %q: want vMAJOR[.MINOR[.PATCH]]",
			ErrInvalidOptions, serrors.ErrorInvalidSemver, o.SourceVersionedTag)
	}
	if o.BuilderID != "" {
		if _, _, err := utils.ParseBuilderID(o.BuilderID, false); err != nil {
			return options{}, fmt.Errorf("%w: builder id %q: want ID or ID@REF: %w", ErrInvalidOptions, o.BuilderID, err)
		}
	}
	return options{Options: o, repo: repo, source: utils.NormalizeGitURI("github.com/" + repo)}, nil
}

// checkDigest rejects digests slsa-verifier would not compare (it wants at
// least 256 bits) and malformed ones.
func checkDigest(d subject.Digest) error {
	if _, err := subject.ParseDigest(d.String()); err != nil {
		return fmt.Errorf("%w: %w: subject digest %q: %w", ErrInvalidOptions, serrors.ErrorInvalidHash, d, err)
	}
	return nil
}
