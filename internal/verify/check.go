package verify

import (
	"crypto"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/relproof/relproof/internal/sign"
)

// checkFunc verifies an entry's signature, trust and subject, returning
// sigstore-go's result and the signer's name.
type checkFunc func(e Entry, alg string, digest []byte) (*sgverify.VerificationResult, string, error)

// keyChecker verifies key-signed bundles with one public key (ECDSA, RSA
// or Ed25519). With a trusted root, the log entries and timestamps a bundle
// carries are verified against it and give the signing time; a bundle made
// offline carries none, and the key, which has no validity window, needs
// none.
func keyChecker(pub crypto.PublicKey, tr root.TrustedMaterial) (checkFunc, error) {
	keyID, err := sign.KeyID(pub)
	if err != nil {
		return nil, err
	}
	sv, err := sign.LoadVerifier(pub)
	if err != nil {
		return nil, fmt.Errorf("loading public key: %w", err)
	}
	var trusted root.TrustedMaterial = root.NewTrustedPublicKeyMaterial(func(hint string) (root.TimeConstrainedVerifier, error) {
		if hint != "" && hint != keyID {
			return nil, fmt.Errorf("bundle was signed by key %s, expected key %s", hint, keyID)
		}
		return root.NewExpiringKey(sv, time.Time{}, time.Time{}), nil
	})
	if tr != nil {
		trusted = root.TrustedMaterialCollection{tr, trusted}
	}
	return func(e Entry, alg string, digest []byte) (*sgverify.VerificationResult, string, error) {
		if vc, err := e.Bundle.VerificationContent(); err == nil {
			if vc.Certificate() != nil {
				return nil, "", fmt.Errorf("%w: bundle is signed with a certificate (keyless); verify it with a trusted root and an identity, not --key", ErrSignature)
			}
			if pk := vc.PublicKey(); pk != nil && pk.Hint() != "" && pk.Hint() != keyID {
				return nil, "", fmt.Errorf("%w: bundle was signed by key %s, expected key %s", ErrSignature, pk.Hint(), keyID)
			}
		}
		opts := []sgverify.VerifierOption{sgverify.WithNoObserverTimestamps()}
		if tr != nil {
			ts, _ := e.Bundle.Timestamps()
			switch {
			case e.Bundle.HasInclusionProof() || e.Bundle.HasInclusionPromise():
				opts = []sgverify.VerifierOption{sgverify.WithTransparencyLog(1), sgverify.WithObserverTimestamps(1)}
			case len(ts) > 0:
				opts = []sgverify.VerifierOption{sgverify.WithObserverTimestamps(1)}
			}
		}
		v, err := sgverify.NewVerifier(trusted, opts...)
		if err != nil {
			return nil, "", err
		}
		r, err := v.Verify(e.Bundle, sgverify.NewPolicy(sgverify.WithArtifactDigest(alg, digest), sgverify.WithKey()))
		if err != nil {
			return nil, "", classify(err)
		}
		return r, "key " + keyID, nil
	}, nil
}

// certChecker verifies certificate-signed bundles against the trusted root:
// the certificate chains to a Fulcio CA of the root at a verified time, and
// the time comes from what the bundle carries — a transparency-log entry
// (inclusion proof or promise) or an RFC 3161 timestamp. A bundle with
// neither has no trusted time and fails: its certificate lived ten minutes,
// long ago. When the root has CT logs, the certificate's SCT must verify.
func certChecker(p Policy) (checkFunc, error) {
	var identity []sgverify.PolicyOption
	if p.Identity != nil {
		id, err := p.Identity.certificateIdentity()
		if err != nil {
			return nil, err
		}
		identity = []sgverify.PolicyOption{sgverify.WithCertificateIdentity(id)}
	} else {
		// --insecure-ignore-identity, or slsa-github-generator semantics,
		// which check the signer themselves after this.
		identity = []sgverify.PolicyOption{sgverify.WithoutIdentitiesUnsafe()}
	}
	withSCT := len(p.TrustedRoot.CTLogs()) > 0
	return func(e Entry, alg string, digest []byte) (*sgverify.VerificationResult, string, error) {
		opts := []sgverify.VerifierOption{sgverify.WithObserverTimestamps(1)}
		if e.Bundle.HasInclusionProof() || e.Bundle.HasInclusionPromise() {
			opts = append(opts, sgverify.WithTransparencyLog(1))
		}
		if withSCT {
			opts = append(opts, sgverify.WithSignedCertificateTimestamps(1))
		}
		v, err := sgverify.NewVerifier(p.TrustedRoot, opts...)
		if err != nil {
			return nil, "", err
		}
		r, err := v.Verify(e.Bundle, sgverify.NewPolicy(sgverify.WithArtifactDigest(alg, digest), identity...))
		if err != nil {
			return nil, "", classify(err)
		}
		if r.Signature == nil || r.Signature.Certificate == nil {
			return nil, "", fmt.Errorf("%w: bundle is signed with a key, not a certificate; verify it with --key", ErrSignature)
		}
		return r, r.Signature.Certificate.SubjectAlternativeName, nil
	}, nil
}

// classify gives sigstore-go's errors their class and, where a user needs
// to know what to do, better words.
func classify(err error) error {
	var noID *sgverify.ErrNoMatchingCertificateIdentity
	msg := err.Error()
	switch {
	case errors.As(err, &noID):
		return fmt.Errorf("%w: %s", ErrIdentityMismatch, strings.TrimPrefix(msg, "failed to verify certificate identity: "))
	case strings.Contains(msg, "provided artifact digest does not match any digest in statement"):
		return subjectMismatchf("the statement is about a different artifact: its subject digests do not include the one being verified")
	case strings.Contains(msg, "expected key signature, not certificate"):
		return fmt.Errorf("%w: bundle is signed with a certificate (keyless); verify it with a trusted root and an identity, not --key", ErrSignature)
	case strings.Contains(msg, "bundle was signed by key"):
		return fmt.Errorf("%w: %s", ErrSignature, msg[strings.Index(msg, "bundle was signed by key"):])
	case strings.HasPrefix(msg, "failed to verify log inclusion"):
		return fmt.Errorf("%w: %s", ErrTransparencyLog, msg)
	case strings.HasPrefix(msg, "failed to verify timestamps"), strings.Contains(msg, "no valid observer timestamps"):
		return fmt.Errorf("%w: %s (a certificate-signed bundle needs a transparency-log entry or a signed timestamp to verify offline)", ErrNoTrustedTime, msg)
	case strings.HasPrefix(msg, "failed to verify leaf certificate"), strings.HasPrefix(msg, "failed to verify signed certificate timestamp"):
		return fmt.Errorf("%w: %s", ErrCertificateChain, msg)
	default:
		return fmt.Errorf("%w: %s", ErrSignature, msg)
	}
}
