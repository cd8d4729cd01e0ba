package attest

import (
	"context"

	intoto "github.com/in-toto/attestation/go/v1"

	"github.com/relproof/relproof/internal/sign"
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
