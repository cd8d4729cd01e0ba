package attest

import (
	"context"

	intoto "github.com/in-toto/attestation/go/v1"

	"github.com/relproof/relproof/internal/sign"
	"github.com/relproof/relproof/internal/subject"
)

// Sign signs a statement with s and returns the Sigstore bundle as canonical
// JSON, ready to write to a file or push as a referrer.
func Sign(ctx context.Context, s sign.Signer, st *intoto.Statement) ([]byte, error) {
	stmtJSON, err := Marshal(st)
	if err != nil {
		return nil, err
	}
	b, err := s.SignStatement(ctx, stmtJSON)
	if err != nil {
		return nil, err
	}
	return Marshal(b)
}

// SignPredicate makes the statement that pred (a proto message or any
// JSON-encodable value) is about s, and signs it: the bundle as canonical
// JSON.
func SignPredicate(ctx context.Context, signer sign.Signer, s *subject.Subject, predicateType string, pred any) ([]byte, error) {
	ps, err := ToStruct(pred)
	if err != nil {
		return nil, err
	}
	st, err := NewStatement(s, predicateType, ps)
	if err != nil {
		return nil, err
	}
	return Sign(ctx, signer, st)
}
