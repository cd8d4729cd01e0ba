package decide

import (
	"encoding/json"
	"fmt"

	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/relproof/relproof/internal/attest/predicate"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

// LiveSource names approvals the gate's own process read from GitHub's API
// for the run being gated (Request.LiveApprovals), as the decision lists
// them.
const LiveSource = "github-api:run-approvals"

// liveApprovals makes the run's approvals, as this process read them from
// GitHub, a piece of evidence the gate counts like a signed approval
// attestation: nobody wrote it but this process, so there is no signature
// to check, and the gate recomputes which reviews count from it all the
// same. It is never written where another process could take it for a
// signed one.
func liveApprovals(s *subject.Subject, rec *predicate.Approval) (verify.Attestation, error) {
	raw, err := json.Marshal(rec)
	if err != nil {
		return verify.Attestation{}, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return verify.Attestation{}, err
	}
	pred, err := structpb.NewStruct(m)
	if err != nil {
		return verify.Attestation{}, fmt.Errorf("the run's approvals: %w", err)
	}
	name := s.Name
	if name == "" {
		name = s.Digest.String()
	}
	st := &intoto.Statement{
		Type:          intoto.StatementTypeUri,
		Subject:       []*intoto.ResourceDescriptor{{Name: name, Digest: map[string]string{s.Digest.Algorithm: s.Digest.Hex}}},
		PredicateType: predicate.ApprovalType,
		Predicate:     pred,
	}
	return verify.Attestation{
		Source: fmt.Sprintf("%s:%d", LiveSource, rec.RunID), Format: "github-api", Kind: verify.KindAttestation,
		Digest: "run:" + fmt.Sprint(rec.RunID), PredicateType: predicate.ApprovalType,
		Signer: "read from GitHub's API by this gate (run " + fmt.Sprint(rec.RunID) + ")", Statement: st,
	}, nil
}
