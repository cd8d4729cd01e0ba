package verify

import (
	_ "embed"
	"fmt"

	"github.com/sigstore/sigstore-go/pkg/root"
)

// publicGoodRoot is Sigstore's public-good trusted_root.json (the TUF target
// of sigstore/root-signing), embedded so that verification never needs the
// network. Pass a newer one with --trusted-root when its keys rotate.
//
//go:embed roots/public-good.trusted_root.json
var publicGoodRoot []byte

// PublicGoodRoot returns the embedded public-good trusted root.
func PublicGoodRoot() (*root.TrustedRoot, error) {
	tr, err := root.NewTrustedRootFromJSON(publicGoodRoot)
	if err != nil {
		return nil, fmt.Errorf("embedded trusted root: %w", err)
	}
	return tr, nil
}

// ParseTrustedRoot reads a trusted_root.json; source names it in errors.
func ParseTrustedRoot(source string, data []byte) (*root.TrustedRoot, error) {
	tr, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		return nil, fmt.Errorf("trusted root %s: expected a Sigstore trusted_root.json: %w", source, err)
	}
	return tr, nil
}
