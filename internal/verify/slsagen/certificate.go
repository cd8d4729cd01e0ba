package slsagen

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	serrors "github.com/slsa-framework/slsa-verifier/v2/errors"
	"github.com/slsa-framework/slsa-verifier/v2/verifiers/utils"
)

// identity is what the certificate says about the build.
type identity struct {
	issuer      string
	workflow    string // SAN without its ref: https://github.com/OWNER/REPO/PATH
	workflowRef string // the SAN's ref: refs/tags/v2.1.0
	repo        string // source repository, OWNER/REPO
	commit      string // source commit
	trigger     string // workflow trigger, e.g. push
}

// identityOf reads the GitHub claims of a Fulcio certificate and checks that
// the deprecated and current extensions agree.
func identityOf(c certificate.Summary) (identity, error) {
	trigger, err := claim("build trigger", c.GithubWorkflowTrigger, c.BuildTrigger)
	if err != nil {
		return identity{}, err
	}
	commit, err := claim("source repository digest", c.GithubWorkflowSHA, c.SourceRepositoryDigest)
	if err != nil {
		return identity{}, err
	}
	if c.BuildConfigDigest != "" && c.BuildConfigDigest != commit {
		return identity{}, fmt.Errorf("%w: certificate build config digest %q differs from source repository digest %q",
			serrors.ErrorInvalidFormat, c.BuildConfigDigest, commit)
	}
	if c.Issuer == "" {
		return identity{}, fmt.Errorf("%w: certificate has no OIDC issuer", serrors.ErrorInvalidFormat)
	}

	repo := strings.TrimPrefix(c.SourceRepositoryURI, "https://github.com/")
	if c.GithubWorkflowRepository != "" && c.SourceRepositoryURI != "" &&
		"https://github.com/"+c.GithubWorkflowRepository != c.SourceRepositoryURI {
		return identity{}, fmt.Errorf("%w: certificate source repository URI %q differs from workflow repository %q",
			serrors.ErrorInvalidFormat, c.SourceRepositoryURI, c.GithubWorkflowRepository)
	}
	if repo == "" {
		repo = c.GithubWorkflowRepository
	}
	if c.BuildConfigURI != "" {
		uri, _, ok := strings.Cut(c.BuildConfigURI, "@")
		if !ok || strings.Count(c.BuildConfigURI, "@") != 1 || !strings.HasPrefix(uri, "https://github.com/"+repo+"/") {
			return identity{}, fmt.Errorf("%w: certificate build config URI %q is not a workflow of %q at a ref",
				serrors.ErrorInvalidFormat, c.BuildConfigURI, repo)
		}
	}

	san, err := url.Parse(c.SubjectAlternativeName)
	if err != nil || san.Scheme == "" || !strings.HasPrefix(san.Path, "/") {
		return identity{}, fmt.Errorf("%w: certificate SAN %q is not a workflow URI", serrors.ErrorInvalidFormat, c.SubjectAlternativeName)
	}
	if c.BuildSignerURI != "" && c.BuildSignerURI != c.SubjectAlternativeName {
		return identity{}, fmt.Errorf("%w: certificate build signer URI %q differs from its SAN %q",
			serrors.ErrorMismatchCertificate, c.BuildSignerURI, c.SubjectAlternativeName)
	}
	workflow, ref := *san, ""
	if i := strings.LastIndex(san.Path, "@"); i >= 0 {
		workflow.Path, workflow.RawPath, ref = san.Path[:i], "", san.Path[i+1:]
	}

	return identity{
		issuer:      c.Issuer,
		workflow:    workflow.String(),
		workflowRef: ref,
		repo:        repo,
		commit:      commit,
		trigger:     trigger,
	}, nil
}

// claim returns a claim that Fulcio writes under a deprecated and a current
// extension; when both are present they must agree.
func claim(what, deprecated, current string) (string, error) {
	switch {
	case deprecated != "" && current != "" && deprecated != current:
		return "", fmt.Errorf("%w: certificate %s %q differs from its deprecated extension %q",
			serrors.ErrorInvalidFormat, what, current, deprecated)
	case current != "":
		return current, nil
	case deprecated != "":
		return deprecated, nil
	}
	return "", fmt.Errorf("%w: certificate has no %s", serrors.ErrorInvalidFormat, what)
}

// verifyBuilder checks that the certificate was issued to a trusted builder
// at a release tag and returns that builder as "NAME@REF", and whether it is
// a delegator. expected is Options.BuilderID; a delegator's is checked
// against the provenance instead.
func verifyBuilder(id identity, expected string, trusted map[string]bool) (*utils.TrustedBuilderID, bool, error) {
	if id.issuer != githubIssuer {
		return nil, false, fmt.Errorf("%w: expected %q, certificate says %q", serrors.ErrorInvalidOIDCIssuer, githubIssuer, id.issuer)
	}
	if id.workflowRef == "" || id.workflow == "" {
		return nil, false, fmt.Errorf("%w: certificate SAN %q has no @ref", serrors.ErrorMalformedURI, id.workflow)
	}
	if !trusted[id.workflow] {
		return nil, false, fmt.Errorf("%w: certificate SAN %q is not a trusted slsa-github-generator builder (trusted: %s)",
			serrors.ErrorUntrustedReusableWorkflow, id.workflow+"@"+id.workflowRef, strings.Join(slices.Sorted(maps.Keys(trusted)), ", "))
	}
	builder, err := utils.TrustedBuilderIDNew(id.workflow+"@"+id.workflowRef, true)
	if err != nil {
		return nil, false, fmt.Errorf("certificate SAN %q: %w", id.workflow+"@"+id.workflowRef, err)
	}
	byob := delegators[id.workflow]
	if expected != "" && !byob {
		if err := builder.MatchesLoose(expected, true); err != nil {
			return nil, false, fmt.Errorf("%w: %w: expected builder %q, certificate SAN says %q",
				serrors.ErrorUntrustedReusableWorkflow, serrors.ErrorMismatchBuilderID, expected, builder)
		}
	}
	if err := utils.IsValidBuilderTag(id.workflowRef, false); err != nil {
		return nil, false, fmt.Errorf("certificate SAN %q: builder must be referenced at refs/tags/vX.Y.Z: %w", builder, err)
	}
	return builder, byob, nil
}

// verifyRepository checks the certificate's source repository.
func verifyRepository(id identity, repo string) error {
	if id.repo != repo {
		return fmt.Errorf("%w: expected %q, certificate source repository says %q", serrors.ErrorMismatchSource, repo, id.repo)
	}
	return nil
}
