package gate

import (
	"encoding/json"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/relproof/relproof/internal/policy"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

// Signers turns the policy's signers into verification policies; a
// policy that lists none accepts any valid keyless signature (the decision
// warns about it).
func Signers(e *policy.Environment, tr root.TrustedMaterial) []verify.Policy {
	if len(e.Signers) == 0 {
		return []verify.Policy{{TrustedRoot: tr, IgnoreIdentityUnsafe: true}}
	}
	var ps []verify.Policy
	for _, s := range e.Signers {
		switch {
		case s.PublicKey != nil:
			ps = append(ps, verify.Policy{Key: s.PublicKey, TrustedRoot: tr})
		default:
			id := &verify.Identity{SAN: s.Identity, Issuer: s.Issuer}
			if s.IdentityRegexp != "" {
				id.SANRegexp = "^(?:" + s.IdentityRegexp + ")$"
			}
			ps = append(ps, verify.Policy{TrustedRoot: tr, Identity: id})
		}
	}
	return ps
}

// SortEvidence verifies each entry under each signer policy: verified by
// one of them counts; verified only without identity is unlisted; the rest
// is rejected with the reason that says most (a subject mismatch first).
func SortEvidence(subj *subject.Subject, entries []verify.Entry, signers []verify.Policy, tr root.TrustedMaterial) (verified, unlisted []verify.Attestation, rejected []Rejected) {
	for _, e := range entries {
		var reasons []verify.Rejection
		ok := false
		for _, p := range signers {
			res, _ := verify.Verify(subj, []verify.Entry{e}, p)
			if res != nil && len(res.Verified) == 1 {
				verified = append(verified, res.Verified[0])
				ok = true
				break
			}
			if res != nil {
				reasons = append(reasons, res.Rejected...)
			}
		}
		if ok {
			continue
		}
		if !signers[0].IgnoreIdentityUnsafe {
			if res, _ := verify.Verify(subj, []verify.Entry{e}, verify.Policy{TrustedRoot: tr, IgnoreIdentityUnsafe: true}); res != nil && len(res.Verified) == 1 {
				unlisted = append(unlisted, res.Verified[0])
				continue
			}
		}
		r := Rejected{Source: e.Source, Type: peekType(e), Reason: "no signer policy applies"}
		for _, rr := range reasons {
			r.Reason = rr.Reason
			if strings.HasPrefix(rr.Reason, verify.ErrSubjectMismatch.Error()) {
				break
			}
		}
		rejected = append(rejected, r)
	}
	return verified, unlisted, rejected
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
