package decide

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/relproof/relproof/internal/gate"
	"github.com/relproof/relproof/internal/policy"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

// ErrDecisionNotSigned marks a gate decision that no decision signer of
// the policy signed for the subject, or whose file is not what was signed.
// It is a verification failure (verify.ErrNotVerified).
var ErrDecisionNotSigned = fmt.Errorf("decision not signed by a decision signer: %w", verify.ErrNotVerified)

// VerifyDecision checks a gate decision before anything is built on it (a
// pack, a deployment record): its signed bundle must verify for the
// subject's digest as a decision statement, signed by a signer the policy
// lists for decisions (signers.decision); the decision file must be exactly
// what was signed; and it must be for this environment and have checks. It
// returns the decision as signed.
func VerifyDecision(s *subject.Subject, pol *policy.Policy, envName string, decisionJSON, bundle []byte, source string, tr root.TrustedMaterial) (*gate.Decision, error) {
	d, _, err := SignedDecision(s, pol, envName, decisionJSON, bundle, source, tr)
	return d, err
}

// SignedDecision checks a decision as VerifyDecision does and also returns
// the attestation in the bundle that signs it, with who signed it: what an
// evidence pack records of the decision's signature.
func SignedDecision(s *subject.Subject, pol *policy.Policy, envName string, decisionJSON, bundle []byte, source string, tr root.TrustedMaterial) (*gate.Decision, *verify.Attestation, error) {
	env, err := pol.EffectiveEnvironment(envName)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	if len(env.SignersFor(policy.KindDecision)) == 0 {
		return nil, nil, fmt.Errorf("%w: the policy lists no decision signers for %s (signers.decision), so no decision can be trusted", ErrDecisionNotSigned, env.Name)
	}
	if len(bytes.TrimSpace(bundle)) == 0 {
		return nil, nil, fmt.Errorf("%w: %s: no signed bundle for the decision; sign it (relproof gate --decision-out with --key or --keyless)", ErrDecisionNotSigned, source)
	}
	entries, err := verify.ReadBundles(source, bundle)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrDecisionNotSigned, err)
	}
	verified, _, rejected := gate.SortEvidence(s, entries, gate.Signers(env, tr), tr)
	var signed *verify.Attestation
	for i, a := range verified {
		if gate.KindOf(a) == policy.KindDecision {
			signed = &verified[i]
			break
		}
	}
	if signed == nil {
		why := "it holds no decision statement"
		if len(rejected) > 0 {
			why = rejected[0].Reason
		}
		return nil, nil, fmt.Errorf("%w: %s does not verify as %s's decision for %s: %s", ErrDecisionNotSigned, source, env.Name, s.Digest, why)
	}
	raw, err := signed.Statement.GetPredicate().MarshalJSON()
	if err != nil {
		return nil, nil, err
	}
	var d, file gate.Decision
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, nil, fmt.Errorf("%w: %s: the signed predicate is not a gate decision: %w", ErrDecisionNotSigned, source, err)
	}
	if err := json.Unmarshal(decisionJSON, &file); err != nil {
		return nil, nil, fmt.Errorf("%w: the decision file is not a gate decision: %w", ErrInput, err)
	}
	// Whatever the file says beyond a decision's fields was not signed, and
	// the file goes into packs whole: refuse it rather than carry it.
	strict := json.NewDecoder(bytes.NewReader(decisionJSON))
	strict.DisallowUnknownFields()
	if err := strict.Decode(new(gate.Decision)); err != nil {
		return nil, nil, fmt.Errorf("%w: the decision file holds more than the decision %s signed: %v", ErrDecisionNotSigned, source, err)
	}
	if !sameJSON(d, file) {
		return nil, nil, fmt.Errorf("%w: the decision file is not the decision %s signed", ErrDecisionNotSigned, source)
	}
	switch {
	case d.Digest != s.Digest.String():
		return nil, nil, fmt.Errorf("%w: the signed decision is for %s, not %s", ErrDecisionNotSigned, d.Digest, s.Digest)
	case !strings.EqualFold(d.Environment, env.Name):
		return nil, nil, fmt.Errorf("%w: the signed decision is for environment %q, not %q", ErrDecisionNotSigned, d.Environment, env.Name)
	case len(d.Checks) == 0:
		return nil, nil, fmt.Errorf("%w: the signed decision has no checks: nothing was decided", ErrDecisionNotSigned)
	case d.Decision != "allow" && d.Decision != "deny":
		return nil, nil, fmt.Errorf("%w: the signed decision is %q, expected allow or deny", ErrDecisionNotSigned, d.Decision)
	}
	return &d, signed, nil
}

// sameJSON compares two values by their JSON encoding.
func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
