package gate

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/relproof/relproof/internal/policy"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

// SignerPolicy is one signer the policy lists and how its signatures are
// verified. A keyless signer's signature is verified against the trusted
// root; who signed is then held to the signer's constraints by reading the
// certificate (policy.Signer.Admits), never the statement.
type SignerPolicy struct {
	Signer policy.Signer
	Verify verify.Policy
	// Anyone is the one policy of an environment that lists no signers:
	// any valid keyless signature counts, for every kind.
	Anyone bool
}

// Signers turns the environment's signers into verification policies. A
// policy that lists none accepts any valid keyless signature, for every
// kind (the decision warns about it).
func Signers(e *policy.Environment, tr root.TrustedMaterial) []SignerPolicy {
	if len(e.Signers) == 0 {
		return []SignerPolicy{{Verify: verify.Policy{TrustedRoot: tr, IgnoreIdentityUnsafe: true}, Anyone: true}}
	}
	ps := make([]SignerPolicy, 0, len(e.Signers))
	for _, s := range e.Signers {
		if s.Keyless() {
			ps = append(ps, SignerPolicy{Signer: s, Verify: verify.Policy{TrustedRoot: tr, IgnoreIdentityUnsafe: true}})
		} else {
			ps = append(ps, SignerPolicy{Signer: s, Verify: verify.Policy{Key: s.PublicKey, TrustedRoot: tr}})
		}
	}
	return ps
}

// anyone reports whether the signers are the open list of a policy that
// names none. (A listed signer with no kinds may sign nothing.)
func anyone(signers []SignerPolicy) bool {
	return len(signers) == 1 && signers[0].Anyone
}

// SortEvidence verifies each entry for the subject and decides whether it
// counts. It counts when a signer the policy lists for its kind signed it
// and, for certificate-signed provenance, the statement agrees with the
// certificate. Evidence whose signature verified but whose signer may not
// vouch for it is unlisted (and rejected, with the reason); the rest is
// rejected with the reason that says most (a subject mismatch first).
func SortEvidence(subj *subject.Subject, entries []verify.Entry, signers []SignerPolicy, tr root.TrustedMaterial) (verified, unlisted []verify.Attestation, rejected []Rejected) {
	for _, e := range entries {
		a, r := sortEntry(subj, e, signers, tr)
		switch {
		case r == nil:
			verified = append(verified, *a)
		case a != nil:
			unlisted = append(unlisted, *a)
			rejected = append(rejected, *r)
		default:
			rejected = append(rejected, *r)
		}
	}
	return verified, unlisted, rejected
}

// sortEntry verifies one entry. It returns the attestation and no
// rejection when it counts; the attestation and a rejection when its
// signature verified but it does not count; a rejection alone when it did
// not verify.
func sortEntry(subj *subject.Subject, e verify.Entry, signers []SignerPolicy, tr root.TrustedMaterial) (*verify.Attestation, *Rejected) {
	reject := func(reason string) *Rejected {
		return &Rejected{Source: e.Source, Type: peekType(e), Reason: reason}
	}
	if anyone(signers) {
		a, reason := verifyOne(subj, e, signers[0].Verify)
		if a == nil {
			return nil, reject(reason)
		}
		if why := certificateDisagrees(*a); why != "" {
			return nil, reject(why)
		}
		return a, nil
	}
	var reasons []string
	keyless, hint := e.SignedWith()
	// Certificate-signed: verify once against the trusted root, then hold
	// the certificate to each keyless signer.
	if keyless && tr != nil {
		a, reason := verifyOne(subj, e, verify.Policy{TrustedRoot: tr, IgnoreIdentityUnsafe: true})
		if a == nil {
			return nil, reject(reason)
		}
		kind := KindOf(*a)
		if why := certificateDisagrees(*a); why != "" {
			return nil, &Rejected{Source: e.Source, Type: string(kind), Reason: why}
		}
		cert := certificateOf(a.Certificate)
		var other, closest string
		for _, s := range signers {
			if !s.Signer.Keyless() {
				continue
			}
			why := s.Signer.Admits(cert)
			switch {
			case why == "" && s.Signer.May(kind):
				return a, nil
			case why == "" && other == "":
				other = fmt.Sprintf("signed by %s, which may sign %s but not %s", describeCertificate(cert), kindList(s.Signer.Kinds), kind)
			case why != "" && s.Signer.May(kind) && closest == "":
				closest = fmt.Sprintf("signed by %s, which the policy's %s signers do not admit: %s", describeCertificate(cert), kind, why)
			}
		}
		reason = other
		if reason == "" {
			reason = closest
		}
		if reason == "" {
			reason = fmt.Sprintf("signed by %s; the policy lists no keyless signer that may sign %s", describeCertificate(cert), kind)
		}
		return a, &Rejected{Source: e.Source, Type: string(kind), Reason: reason, Signer: a.Signer}
	}
	if keyless {
		return nil, reject("signed with a certificate, but no trusted root was given to verify it")
	}
	// Key-signed: only the policy's keys can verify it; the keyless path
	// is not tried (it could only say that there is no certificate).
	var wrongKind *Rejected
	var signedBy *verify.Attestation
	for _, s := range signers {
		if s.Signer.Keyless() {
			continue
		}
		a, reason := verifyOne(subj, e, s.Verify)
		if a == nil {
			reasons = append(reasons, reason)
			continue
		}
		kind := KindOf(*a)
		if s.Signer.May(kind) {
			return a, nil
		}
		// The same key may be listed again for this kind: look on.
		if wrongKind == nil {
			signedBy = a
			wrongKind = &Rejected{Source: e.Source, Type: string(kind), Signer: a.Signer,
				Reason: fmt.Sprintf("signed by %s, which may sign %s but not %s", s.Signer, kindList(s.Signer.Kinds), kind)}
		}
	}
	if wrongKind != nil {
		return signedBy, wrongKind
	}
	for _, r := range reasons {
		if strings.HasPrefix(r, verify.ErrSubjectMismatch.Error()) {
			return nil, reject(r)
		}
	}
	if hint != "" {
		// The hint is the bundle's own claim: nothing verified it.
		return nil, reject(fmt.Sprintf("names key %s as its signer, which the policy's signers do not list", hint))
	}
	if len(reasons) > 0 {
		return nil, reject(reasons[0])
	}
	return nil, reject("signed with a key, and the policy lists no key signer")
}

// verifyOne verifies one entry under p: the attestation, or why not.
func verifyOne(subj *subject.Subject, e verify.Entry, p verify.Policy) (*verify.Attestation, string) {
	res, err := verify.Verify(subj, []verify.Entry{e}, p)
	switch {
	case res != nil && len(res.Verified) == 1:
		return &res.Verified[0], ""
	case res != nil && len(res.Rejected) == 1:
		return nil, res.Rejected[0].Reason
	case err != nil:
		return nil, err.Error()
	}
	return nil, "did not verify"
}

// certificateDisagrees says how certificate-signed provenance contradicts
// its own certificate: where the statement names the source repository,
// ref, commit, runner or a workflow builder too, it must be what the
// certificate says, or the statement is a claim its signer could not make.
func certificateDisagrees(a verify.Attestation) string {
	c, p := a.Certificate, a.Provenance
	if c == nil || p == nil {
		return ""
	}
	var why []string
	differ := func(what, cert, stmt string) {
		why = append(why, fmt.Sprintf("%s: the certificate says %q, the statement says %q", what, cert, stmt))
	}
	if stmt, _ := policy.ParseSourceURI(p.SourceURI); stmt != "" && c.SourceRepositoryURI != "" {
		if cert, _ := policy.ParseSourceURI(c.SourceRepositoryURI); cert != stmt {
			differ("source repository", cert, stmt)
		}
	}
	ref := p.SourceRef
	if ref == "" {
		_, ref = policy.ParseSourceURI(p.SourceURI)
	}
	if ref != "" && c.SourceRepositoryRef != "" && ref != c.SourceRepositoryRef {
		differ("source ref", c.SourceRepositoryRef, ref)
	}
	if p.SourceCommit != "" && c.SourceRepositoryDigest != "" && !strings.EqualFold(p.SourceCommit, c.SourceRepositoryDigest) {
		differ("source commit", c.SourceRepositoryDigest, p.SourceCommit)
	}
	if p.RunnerEnvironment != "" && c.RunnerEnvironment != "" && p.RunnerEnvironment != c.RunnerEnvironment {
		differ("runner environment", c.RunnerEnvironment, p.RunnerEnvironment)
	}
	// A builder named as a workflow is the workflow that signed. (GitHub's
	// own attestations name the runner as builder, which no certificate
	// claim states.)
	if strings.Contains(p.BuilderID, "/.github/workflows/") && c.BuildSignerURI != "" && p.BuilderID != c.BuildSignerURI {
		differ("builder", c.BuildSignerURI, p.BuilderID)
	}
	if len(why) == 0 {
		return ""
	}
	return "the provenance contradicts its signing certificate, so it does not count: " + strings.Join(why, "; ")
}

// certificateOf is the policy's view of a verified certificate.
func certificateOf(c *certificate.Summary) policy.Certificate {
	if c == nil {
		return policy.Certificate{}
	}
	return policy.Certificate{
		Issuer:              c.Issuer,
		SAN:                 c.SubjectAlternativeName,
		BuildSignerURI:      c.BuildSignerURI,
		SourceRepositoryURI: c.SourceRepositoryURI,
		SourceRepositoryID:  c.SourceRepositoryIdentifier,
		SourceRepositoryRef: c.SourceRepositoryRef,
		RunnerEnvironment:   c.RunnerEnvironment,
	}
}

// describeCertificate names a certificate's signer in GitHub's terms: the
// workflow, the repository whose run it was, and the ref.
func describeCertificate(c policy.Certificate) string {
	signer := strings.TrimPrefix(c.BuildSignerURI, "https://")
	if signer == "" {
		signer = c.SAN
	}
	var parts []string
	if repo, _ := policy.ParseSourceURI(c.SourceRepositoryURI); repo != "" {
		parts = append(parts, "called from "+repo)
	}
	if c.SourceRepositoryRef != "" {
		parts = append(parts, "for "+c.SourceRepositoryRef)
	}
	if len(parts) == 0 {
		return signer
	}
	return signer + " (" + strings.Join(parts, ", ") + ")"
}

func kindList(kinds []policy.EvidenceKind) string {
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// peekType reads an entry's evidence class without trusting it, to say
// what kind of evidence did not count.
func peekType(e verify.Entry) string {
	if e.Bundle == nil {
		return ""
	}
	if e.Bundle.GetMessageSignature() != nil {
		return string(policy.AttestationSignature)
	}
	return Type(peekPredicateType(e))
}

// peekPredicateType reads an entry's predicate type without trusting it.
func peekPredicateType(e verify.Entry) string {
	if e.Bundle == nil {
		return ""
	}
	env := e.Bundle.GetDsseEnvelope()
	if env == nil {
		return ""
	}
	var st struct {
		PredicateType string `json:"predicateType"`
	}
	_ = json.Unmarshal(env.GetPayload(), &st)
	return st.PredicateType
}
