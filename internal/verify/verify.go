package verify

import (
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	intoto "github.com/in-toto/attestation/go/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/relproof/relproof/internal/sign"
	"github.com/relproof/relproof/internal/subject"
)

// Policy says what must hold for an entry to verify.
type Policy struct {
	// Key verifies bundles signed with a key (not a certificate).
	Key *ecdsa.PublicKey
	// PredicateType, when set, must be the statement's predicate type.
	PredicateType string
}

// Attestation is an entry that verified.
type Attestation struct {
	Source        string            `json:"source"`
	PredicateType string            `json:"predicateType"`
	Signer        string            `json:"signer"`
	Statement     *intoto.Statement `json:"-"`
}

// Rejection is an entry that did not verify, and why.
type Rejection struct {
	Source string `json:"source"`
	Reason string `json:"reason"`
}

// Result reports every entry checked for one subject.
type Result struct {
	Subject  string        `json:"subject"`
	Verified []Attestation `json:"verified"`
	Rejected []Rejection   `json:"rejected"`
}

// Verify checks entries for the subject digest d under p. It returns the
// result and, when no entry verified, an error wrapping ErrNotVerified that
// says why each was rejected.
func Verify(d subject.Digest, entries []Entry, p Policy) (*Result, error) {
	check, signer, err := p.checker()
	if err != nil {
		return nil, err
	}
	want, err := hex.DecodeString(d.Hex)
	if err != nil {
		return nil, fmt.Errorf("subject digest %s: %w", d, err)
	}
	res := &Result{Subject: d.String(), Verified: []Attestation{}, Rejected: []Rejection{}}
	for _, e := range entries {
		var stmt *intoto.Statement
		switch {
		case e.Err != nil:
			err = e.Err
		case e.Bundle == nil:
			err = ErrMalformedBundle
		default:
			stmt, err = check(e, d.Algorithm, want)
		}
		if err == nil && p.PredicateType != "" && stmt.GetPredicateType() != p.PredicateType {
			err = fmt.Errorf("predicate type: expected %q, found %q", p.PredicateType, stmt.GetPredicateType())
		}
		if err != nil {
			res.Rejected = append(res.Rejected, Rejection{Source: e.Source, Reason: err.Error()})
			continue
		}
		res.Verified = append(res.Verified, Attestation{
			Source:        e.Source,
			PredicateType: stmt.GetPredicateType(),
			Signer:        signer,
			Statement:     stmt,
		})
	}
	if len(res.Verified) > 0 {
		return res, nil
	}
	if len(entries) == 0 {
		return res, fmt.Errorf("%w: no evidence found for %s", ErrNotVerified, d)
	}
	reasons := make([]string, 0, len(res.Rejected))
	for _, r := range res.Rejected {
		reasons = append(reasons, fmt.Sprintf("%s: %s", r.Source, r.Reason))
	}
	return res, fmt.Errorf("%w: none of %d bundles verified for %s:\n  %s", ErrNotVerified, len(entries), d, strings.Join(reasons, "\n  "))
}

type checkFunc func(e Entry, alg string, digest []byte) (*intoto.Statement, error)

// checker builds the per-entry check for the policy's trust mode.
func (p Policy) checker() (checkFunc, string, error) {
	if p.Key == nil {
		return nil, "", errors.New("verification needs a public key (--key)")
	}
	keyID, err := sign.KeyID(p.Key)
	if err != nil {
		return nil, "", err
	}
	sv, err := signature.LoadECDSAVerifier(p.Key, sign.HashFor(p.Key))
	if err != nil {
		return nil, "", fmt.Errorf("loading public key: %w", err)
	}
	trusted := root.NewTrustedPublicKeyMaterial(func(hint string) (root.TimeConstrainedVerifier, error) {
		if hint != "" && hint != keyID {
			return nil, fmt.Errorf("bundle was signed by key %s, expected key %s", hint, keyID)
		}
		return root.NewExpiringKey(sv, time.Time{}, time.Time{}), nil
	})
	// A key-signed bundle made offline has no transparency-log entry or
	// timestamp to establish signing time; the key itself has no validity
	// window, so there is nothing for a timestamp to check against.
	v, err := sgverify.NewSignedEntityVerifier(trusted, sgverify.WithoutAnyObserverTimestampsUnsafe())
	if err != nil {
		return nil, "", err
	}
	check := func(e Entry, alg string, digest []byte) (*intoto.Statement, error) {
		pol := sgverify.NewPolicy(sgverify.WithArtifactDigest(alg, digest), sgverify.WithKey())
		r, err := v.Verify(e.Bundle, pol)
		if err != nil {
			return nil, explain(err)
		}
		if r.Statement == nil {
			return nil, errors.New("bundle holds a message signature, expected a DSSE in-toto statement")
		}
		return r.Statement, nil
	}
	return check, "key " + keyID, nil
}

// explain rewords sigstore-go's errors where a user needs to know what to do.
func explain(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "provided artifact digest does not match any digest in statement"):
		return errors.New("statement is for a different artifact: its subject digests do not include the one being verified")
	case strings.Contains(msg, "expected key signature, not certificate"):
		return errors.New("bundle is signed with a certificate (keyless); verify it with a trusted root and identity, not --key")
	}
	return err
}
