package sign

import "testing"

func TestRedactKeyRef(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"release.key", "release.key"},
		{"./keys/release.key", "./keys/release.key"},
		{"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIE\n-----END EC PRIVATE KEY-----", InlineKey},
		{"hashivault://mykey?token=s3cr3t", "hashivault://mykey?token=REDACTED"},
		{"awskms://user:pa55@kms.example/alias/release", "awskms://REDACTED@kms.example/alias/release"},
		{"awskms:///arn:aws:kms:us-east-1:1:key/abc", "awskms:///arn:aws:kms:us-east-1:1:key/abc"},
		{"pkcs11:token=t;object=k;pin-value=1234?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=9876", "pkcs11:token=t;object=k;pin-value=REDACTED?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=REDACTED"},
	} {
		if got := RedactKeyRef(tc.in); got != tc.want {
			t.Errorf("RedactKeyRef(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
