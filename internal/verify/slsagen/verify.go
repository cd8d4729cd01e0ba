package slsagen

import (
	"fmt"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	serrors "github.com/slsa-framework/slsa-verifier/v2/errors"
	"github.com/slsa-framework/slsa-verifier/v2/verifiers/utils"

	"github.com/relproof/relproof/internal/subject"
)

// Result is what a verified build says about itself.
type Result struct {
	// BuilderID is the verified builder with its ref: the certificate's
	// builder, or for a delegator the TRW named in the provenance.
	BuilderID string `json:"builderID"`
	// SourceURI is the source as the provenance records it, e.g.
	// "git+https://github.com/o/r@refs/heads/main".
	SourceURI string `json:"sourceURI"`
	// SourceRef is the ref built, e.g. "refs/heads/main" or "refs/tags/v1":
	// the source URI's, or the trigger's when a delegator built a commit
	// without a ref.
	SourceRef string `json:"sourceRef"`
	// SourceCommit is the source commit from the provenance, or else from
	// the certificate.
	SourceCommit string `json:"sourceCommit"`
	// Trigger is the workflow trigger from the certificate, e.g. "push".
	Trigger string `json:"trigger"`
	// BYOB says the certificate's builder is a delegator.
	BYOB bool `json:"byob"`
}

// Verify applies slsa-github-generator's policy to a certificate and an
// in-toto statement (the DSSE payload, an in-toto Statement v0.1 or v1 with
// SLSA provenance v0.2 or v1) that the caller has already verified
// cryptographically; see the package documentation for what it checks.
func Verify(cert certificate.Summary, statementJSON []byte, d subject.Digest, opts Options) (*Result, error) {
	o, err := opts.validate()
	if err != nil {
		return nil, err
	}
	if err := checkDigest(d); err != nil {
		return nil, err
	}
	trusted := artifactBuilders
	if o.ContainerImage {
		trusted = imageBuilders
	}

	// The certificate: who built, from which repository.
	id, err := identityOf(cert)
	if err != nil {
		return nil, err
	}
	builder, byob, err := verifyBuilder(id, o.BuilderID, trusted)
	if err != nil {
		return nil, err
	}
	if err := verifyRepository(id, o.repo); err != nil {
		return nil, err
	}

	// The provenance: the builder wrote it, so it is believed once its
	// builder, source and subject agree with the certificate and options.
	prov, err := parseProvenance(statementJSON, builder.Name())
	if err != nil {
		return nil, err
	}
	builderID, err := verifyBuilderID(prov, builder, byob, o.BuilderID)
	if err != nil {
		return nil, err
	}
	sourceURI, ref, err := verifySource(prov, o.source)
	if err != nil {
		return nil, err
	}
	if err := verifySubject(prov, d); err != nil {
		return nil, err
	}
	if err := verifyRefs(prov, o); err != nil {
		return nil, err
	}

	commit := prov.sourceCommit()
	if commit == "" {
		commit = id.commit
	}
	return &Result{
		BuilderID:    builderID,
		SourceURI:    sourceURI,
		SourceRef:    ref,
		SourceCommit: commit,
		Trigger:      id.trigger,
		BYOB:         byob,
	}, nil
}

// verifyBuilderID checks the provenance's builder.id and returns the
// verified builder id. For a builder it must be the certificate's builder
// exactly. For a delegator it is the TRW that ran, which must be at a release
// tag and match expected (or, with no expected id, be one of
// slsa-github-generator's own workflows).
func verifyBuilderID(p *provenance, cert *utils.TrustedBuilderID, byob bool, expected string) (string, error) {
	if !byob {
		got, err := utils.TrustedBuilderIDNew(p.builderID, false)
		if err != nil {
			return "", fmt.Errorf("provenance builder.id %q: %w", p.builderID, err)
		}
		if err := got.MatchesFull(cert.String(), true); err != nil {
			return "", fmt.Errorf("%w: expected %q (the certificate SAN), provenance builder.id says %q",
				serrors.ErrorMismatchBuilderID, cert, p.builderID)
		}
		return cert.String(), nil
	}

	name, ref, ok := strings.Cut(p.builderID, "@")
	if !ok || strings.Contains(ref, "@") {
		return "", fmt.Errorf("%w: provenance builder.id %q of delegator %q: want ID@REF", serrors.ErrorInvalidBuilderID, p.builderID, cert)
	}
	validTag := func(ref string) error { return utils.IsValidBuilderTag(ref, false) }
	if strings.HasPrefix(name, jreleaserWorkflows) {
		validTag = utils.IsValidJreleaserBuilderTag
	}
	if err := validTag(ref); err != nil {
		return "", fmt.Errorf("provenance builder.id %q: the TRW must be referenced at a release tag: %w", p.builderID, err)
	}
	got, err := utils.TrustedBuilderIDNew(p.builderID, true)
	if err != nil {
		return "", fmt.Errorf("provenance builder.id %q: %w", p.builderID, err)
	}
	if expected == "" {
		if !strings.HasPrefix(got.Name(), generatorWorkflows) {
			return "", fmt.Errorf("%w: delegator %q ran TRW %q; a builder id is required for a TRW outside %q",
				serrors.ErrorInvalidBuilderID, cert, p.builderID, generatorWorkflows)
		}
		expected = got.Name()
	}
	if err := got.MatchesLoose(expected, true); err != nil {
		return "", fmt.Errorf("%w: expected %q, provenance builder.id says %q (run by delegator %q)",
			serrors.ErrorMismatchBuilderID, expected, p.builderID, cert)
	}
	return got.String(), nil
}

// verifySource checks that the trigger and the source are the expected
// repository and returns the source URI and the ref built.
func verifySource(p *provenance, want string) (string, string, error) {
	trigger, field, err := p.trigger()
	if err != nil {
		return "", "", err
	}
	repo, triggerRef, err := utils.ParseGitURIAndRef(trigger)
	if err != nil {
		return "", "", fmt.Errorf("provenance %s: %w", field, err)
	}
	if repo != want {
		return "", "", fmt.Errorf("%w: expected %q, provenance %s says %q", serrors.ErrorMismatchSource, want, field, trigger)
	}
	if triggerRef == "" {
		return "", "", fmt.Errorf("%w: provenance %s %q has no ref", serrors.ErrorMalformedURI, field, trigger)
	}

	source, field, err := p.source()
	if err != nil {
		return "", "", err
	}
	repo, sourceRef, err := utils.ParseGitURIAndRef(source)
	if err != nil {
		return "", "", fmt.Errorf("provenance %s: %w", field, err)
	}
	if repo != want {
		return "", "", fmt.Errorf("%w: expected %q, provenance %s says %q", serrors.ErrorMismatchSource, want, field, source)
	}
	if sourceRef == "" {
		// A delegator's TRW may build another commit than the trigger's.
		if p.layout.byob() {
			return source, triggerRef, nil
		}
		return "", "", fmt.Errorf("%w: provenance %s %q has no ref", serrors.ErrorMalformedURI, field, source)
	}
	if source != trigger {
		return "", "", fmt.Errorf("%w: provenance %s %q differs from the trigger %q",
			serrors.ErrorInvalidDssePayload, field, source, trigger)
	}
	return source, sourceRef, nil
}

// verifySubject checks that a subject of the statement has digest d.
func verifySubject(p *provenance, d subject.Digest) error {
	if len(p.subjects) == 0 {
		return fmt.Errorf("%w: provenance has no subject", serrors.ErrorInvalidDssePayload)
	}
	var found []string
	for _, s := range p.subjects {
		got, ok := s.Digest[d.Algorithm]
		if ok && got == d.Hex {
			return nil
		}
		if ok {
			found = append(found, d.Algorithm+":"+got)
		}
	}
	return fmt.Errorf("%w: expected %s, provenance subjects have [%s]", serrors.ErrorMismatchHash, d, strings.Join(found, " "))
}
