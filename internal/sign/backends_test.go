package sign

import (
	"context"
	"strings"
	"testing"
)

func TestKeylessOptions(t *testing.T) {
	t.Parallel()
	getenv := func(string) string { return "" }
	for _, tc := range []struct {
		name string
		o    KeylessOptions
		want string
	}{
		{"no fulcio", KeylessOptions{RekorURL: "x", Getenv: getenv}, "needs a Fulcio URL"},
		{"no trusted time", KeylessOptions{FulcioURL: "x", Getenv: getenv}, "needs a transparency log (--rekor-url) or a timestamp authority"},
	} {
		if _, err := NewKeylessSigner(tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	k, err := NewKeylessSigner(KeylessOptions{FulcioURL: "http://127.0.0.1:1", RekorURL: "http://127.0.0.1:1", Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	_, err = k.SignStatement(context.Background(), []byte(`{}`))
	if err == nil || !strings.Contains(err.Error(), "needs an OIDC token") {
		t.Errorf("without a token: err = %v", err)
	}
}
