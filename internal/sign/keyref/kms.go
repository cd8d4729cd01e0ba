// Package keyref opens signing keys that live elsewhere: in a KMS (the
// sigstore KMS providers cosign uses) or in an HSM (PKCS#11). It links the
// cloud SDKs and cgo, so only the command line imports it.
package keyref

import (
	"bytes"
	"context"
	"crypto"
	"fmt"
	"github.com/sigstore/sigstore/pkg/signature/options"
	"strings"

	"github.com/sigstore/sigstore/pkg/signature/kms"

	"github.com/relproof/relproof/internal/sign"
	// The KMS providers cosign uses; each registers its URI scheme.
	_ "github.com/sigstore/sigstore/pkg/signature/kms/aws"
	_ "github.com/sigstore/sigstore/pkg/signature/kms/azure"
	_ "github.com/sigstore/sigstore/pkg/signature/kms/gcp"
	_ "github.com/sigstore/sigstore/pkg/signature/kms/hashivault"
)

// kmsSchemes are the key references the sigstore KMS providers serve.
var kmsSchemes = []string{"awskms://", "gcpkms://", "azurekms://", "hashivault://"}

// IsKMS reports whether ref names a key in a KMS.
func IsKMS(ref string) bool {
	for _, s := range kmsSchemes {
		if strings.HasPrefix(ref, s) {
			return true
		}
	}
	return false
}

// NewKMSSigner returns a signer for a key held in a KMS. The key never
// leaves the KMS; its public half is read once, to name it.
func NewKMSSigner(ctx context.Context, ref string) (*sign.KeySigner, error) {
	sv, err := kms.Get(ctx, ref, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("%w: KMS key %s: %s", sign.ErrBadKey, sign.RedactKeyRef(ref), sign.Redact(err.Error(), ref))
	}
	s, err := sign.NewSignerVerifierSigner(sv, crypto.SHA256, "kms "+sign.RedactKeyRef(ref))
	if err != nil {
		return nil, err
	}
	return s, nil
}

// KMSMessageSigner signs messages with a key held in a KMS, as the key's own
// algorithm signs (an RSA key made for PKCS #1 v1.5 with SHA-256 signs
// RS256 JWTs: a GitHub App's key). The key never leaves the KMS.
func KMSMessageSigner(ctx context.Context, ref string) (func(context.Context, []byte) ([]byte, error), error) {
	sv, err := kms.Get(ctx, ref, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("%w: KMS key %s: %s", sign.ErrBadKey, sign.RedactKeyRef(ref), sign.Redact(err.Error(), ref))
	}
	return func(ctx context.Context, msg []byte) ([]byte, error) {
		return sv.SignMessage(bytes.NewReader(msg), options.WithContext(ctx))
	}, nil
}
