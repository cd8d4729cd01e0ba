package verify

import (
	"crypto"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/relproof/relproof/internal/verify/slsagen"
)

// GitHubActionsIssuer is the OIDC issuer of GitHub Actions tokens.
const GitHubActionsIssuer = "https://token.actions.githubusercontent.com"

// Policy says what must hold for an entry to verify. With Key, bundles must
// be signed with that key; a TrustedRoot given too verifies the log entries
// and timestamps the bundles carry. Without Key, bundles must be signed with
// a Fulcio certificate that chains to TrustedRoot, and the signer must match
// Identity, or the SLSA options must be given (slsa-github-generator
// semantics), or IgnoreIdentityUnsafe set.
type Policy struct {
	// Key is an ECDSA, RSA or Ed25519 public key.
	Key         crypto.PublicKey
	TrustedRoot root.TrustedMaterial

	Identity *Identity
	// SLSA, when set, applies slsa-github-generator's policy: the signer
	// must be a trusted generator builder, and the provenance must match.
	SLSA *slsagen.Options
	// IgnoreIdentityUnsafe checks signature, trust root and subject only.
	IgnoreIdentityUnsafe bool

	// PredicateType, when set, must be the statement's predicate type.
	PredicateType string
	// BuilderID, when set (ID or ID@REF), must be the provenance's builder.
	BuilderID string
	// DenySelfHostedRunners requires a certificate that says the build ran
	// on a GitHub-hosted runner.
	DenySelfHostedRunners bool
}

// Identity is who must have signed: the certificate's subject alternative
// name (exact or a regular expression) and its OIDC issuer.
type Identity struct {
	SAN       string
	SANRegexp string
	Issuer    string
}

// SignerWorkflowIdentity is the identity of a GitHub Actions workflow
// (OWNER/REPO/.github/workflows/F.yml, optionally @REF, optionally with a
// HOST/ prefix for GitHub Enterprise): a SAN regexp anchored on its URL.
func SignerWorkflowIdentity(workflow, issuer string) (*Identity, error) {
	host := "github.com"
	w := workflow
	if first, rest, ok := strings.Cut(w, "/"); ok && strings.Contains(first, ".") {
		host, w = first, rest
	}
	path, ref, hasRef := strings.Cut(w, "@")
	parts := strings.Split(path, "/")
	if len(parts) < 5 || parts[2] != ".github" || parts[3] != "workflows" || (hasRef && ref == "") {
		return nil, fmt.Errorf("--signer-workflow %q: expected OWNER/REPO/.github/workflows/FILE.yml[@REF]", workflow)
	}
	re := "^" + regexp.QuoteMeta("https://"+host+"/"+path+"@")
	if hasRef {
		re += regexp.QuoteMeta(ref) + "$"
	} else {
		re += ".+$"
	}
	return &Identity{SANRegexp: re, Issuer: issuer}, nil
}

// Validate rejects policies that cannot be checked or that check nothing.
func (p Policy) Validate() error {
	switch {
	case p.Key == nil && p.TrustedRoot == nil:
		return errors.New("no key and no trusted root: nothing to verify the signature against")
	case p.Key != nil && (p.Identity != nil || p.SLSA != nil || p.DenySelfHostedRunners):
		return errors.New("certificate identity, --source-uri and --deny-self-hosted-runners apply to certificate-signed (keyless) evidence, not to --key")
	case p.Key == nil && p.Identity == nil && p.SLSA == nil && !p.IgnoreIdentityUnsafe:
		return errors.New("no signer identity: give --cert-identity, --cert-identity-regexp or --signer-workflow, or --source-uri for slsa-github-generator provenance (or --insecure-ignore-identity to check signature, trust root and subject only)")
	case p.IgnoreIdentityUnsafe && p.Identity != nil:
		return errors.New("--insecure-ignore-identity contradicts the identity flags")
	}
	if p.Identity != nil {
		if p.Identity.SAN != "" && p.Identity.SANRegexp != "" {
			return errors.New("give either --cert-identity or --cert-identity-regexp, not both")
		}
		if p.Identity.SAN == "" && p.Identity.SANRegexp == "" {
			return errors.New("identity has no subject alternative name to match")
		}
		if p.Identity.Issuer == "" {
			return errors.New("identity has no OIDC issuer (--cert-oidc-issuer)")
		}
		if _, err := p.Identity.certificateIdentity(); err != nil {
			return err
		}
	}
	return nil
}

// certificateIdentity is the sigstore-go form of the identity.
func (i *Identity) certificateIdentity() (sgverify.CertificateIdentity, error) {
	id, err := sgverify.NewShortCertificateIdentity(i.Issuer, "", i.SAN, i.SANRegexp)
	if err != nil {
		return sgverify.CertificateIdentity{}, fmt.Errorf("identity: %w", err)
	}
	return id, nil
}
