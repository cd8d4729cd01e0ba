//go:build !pkcs11key

package keyref

import (
	"strings"
	"testing"
)

// Without cgo and the pkcs11key tag, a PKCS#11 key says how to get support.
func TestPKCS11NotBuiltIn(t *testing.T) {
	t.Parallel()
	_, err := NewPKCS11Signer("pkcs11:token=t;object=k?module-path=/usr/lib/softhsm/libsofthsm2.so", "")
	if err == nil || !strings.Contains(err.Error(), "-tags pkcs11key") {
		t.Errorf("err = %v, want advice to build with -tags pkcs11key", err)
	}
}
