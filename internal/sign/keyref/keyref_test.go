package keyref

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/relproof/relproof/internal/sign"
)

func TestKMSRouting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ref  string
		kms  bool
		hsm  bool
		desc string
	}{
		{"awskms:///alias/release", true, false, "aws"},
		{"gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k", true, false, "gcp"},
		{"azurekms://vault.vault.azure.net/key", true, false, "azure"},
		{"hashivault://release", true, false, "vault"},
		{"pkcs11:token=relproof;object=release?module-path=/usr/lib/softhsm/libsofthsm2.so", false, true, "pkcs11"},
		{"release.key", false, false, "file"},
		{"kms://x", false, false, "unknown scheme is a file name"},
	} {
		if IsKMS(tc.ref) != tc.kms || IsPKCS11(tc.ref) != tc.hsm {
			t.Errorf("%s: IsKMS=%v IsPKCS11=%v, want %v %v", tc.ref, IsKMS(tc.ref), IsPKCS11(tc.ref), tc.kms, tc.hsm)
		}
	}
}

// An unreachable KMS is a clear error naming the key, never a panic.
func TestKMSUnreachable(t *testing.T) {
	t.Setenv("VAULT_ADDR", "http://127.0.0.1:1")
	t.Setenv("VAULT_TOKEN", "s.test-vault-token")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIATESTTESTTESTTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret-access-key")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	for _, ref := range []string{
		"hashivault://release",
		"awskms://127.0.0.1:1/alias/release",
	} {
		t.Run(ref, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			s, err := NewKMSSigner(ctx, ref)
			if err == nil {
				t.Fatalf("NewKMSSigner(%s) = %v, want an error", ref, s)
			}
			if !strings.Contains(err.Error(), "kms "+ref+": reading the public key") || !strings.Contains(err.Error(), "connection refused") {
				t.Errorf("err = %v, want it to name %s and say why", err, ref)
			}
			for _, secret := range []string{"s.test-vault-token", "test-secret-access-key"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error leaks a credential: %v", err)
				}
			}
		})
	}
}

func TestPKCS11URIErrors(t *testing.T) {
	t.Parallel()
	_, err := NewPKCS11Signer("pkcs11:token=t;object=k?module-path=/nonexistent/lib.so&pin-value=1234", "")
	if !errors.Is(err, sign.ErrBadKey) || !strings.Contains(err.Error(), "carries pin-value") || strings.Contains(err.Error(), "1234") {
		t.Errorf("pin in URI: err = %v, want a refusal that does not repeat the PIN", err)
	}
	if got := sign.RedactKeyRef("pkcs11:token=t?module-path=/x.so&pin-value=9876"); strings.Contains(got, "9876") {
		t.Errorf("RedactKeyRef = %q", got)
	}
}
