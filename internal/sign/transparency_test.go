package sign

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"

	"github.com/relproof/relproof/internal/testing/fakesigstore"
)

var errAny = errors.New("any error")

var testClaims = fakesigstore.Claims{
	Repository:        "acme/app",
	Ref:               "refs/heads/main",
	SHA:               "0123456789abcdef0123456789abcdef01234567",
	WorkflowRef:       "acme/app/.github/workflows/release.yml@refs/heads/main",
	JobWorkflowRef:    "acme/app/.github/workflows/release.yml@refs/heads/main",
	EventName:         "push",
	RunnerEnvironment: "github-hosted",
	RunID:             "4242",
	RunAttempt:        "1",
}

func TestTransparencyCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		t    Transparency
		want error // nil, ErrNoTrustedTime, or errAny
	}{
		{"nothing", Transparency{}, nil},
		{"rekor", Transparency{RekorURL: "http://r"}, nil},
		{"rekor v1", Transparency{RekorURL: "http://r", RekorVersion: RekorV1}, nil},
		{"rekor v2 and a TSA", Transparency{RekorURL: "http://r", RekorVersion: RekorV2, TSAURL: "http://t"}, nil},
		{"rekor v2 alone", Transparency{RekorURL: "http://r", RekorVersion: RekorV2}, ErrNoTrustedTime},
		{"rekor v3", Transparency{RekorURL: "http://r", RekorVersion: 3, TSAURL: "http://t"}, errAny},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.t.check()
			switch {
			case tc.want == errAny:
				if err == nil || errors.Is(err, ErrNoTrustedTime) {
					t.Errorf("err = %v, want another refusal", err)
				}
			default:
				if diff := cmp.Diff(tc.want, err, cmpopts.EquateErrors()); diff != "" {
					t.Errorf("err = %v, want %v", err, tc.want)
				}
			}
		})
	}
}

// Both signers refuse a Rekor v2 log without a timestamp authority before
// anything is sent.
func TestRekorV2NeedsTSA(t *testing.T) {
	t.Parallel()
	_, err := NewKeylessSigner(KeylessOptions{FulcioURL: "http://f", RekorURL: "http://r", RekorVersion: RekorV2, Getenv: func(string) string { return "" }})
	if !errors.Is(err, ErrNoTrustedTime) || !strings.Contains(err.Error(), "needs a timestamp authority") {
		t.Errorf("keyless: err = %v, want ErrNoTrustedTime saying a timestamp authority is needed", err)
	}
	k := newTestKeySigner(t)
	if _, err := k.WithTransparency(Transparency{RekorURL: "http://r", RekorVersion: RekorV2}); !errors.Is(err, ErrNoTrustedTime) {
		t.Errorf("key: err = %v, want ErrNoTrustedTime", err)
	}
}

func newTestKeySigner(t *testing.T) *KeySigner {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewKeySigner(key)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Each signer logs in the loopback Rekor v2 log when asked: the bundle's
// entry is the log's (dsse 0.0.2, a checkpoint, no time) and the TSA's
// timestamp is there.
func TestSignersLogInRekorV2(t *testing.T) {
	t.Parallel()
	stack := fakesigstore.New(t)
	v2 := Transparency{RekorURL: stack.RekorV2URL, RekorVersion: RekorV2, TSAURL: stack.TSAURL}
	token := stack.Token(testClaims, "sigstore")
	keyless, err := NewKeylessSigner(KeylessOptions{FulcioURL: stack.FulcioURL, RekorURL: v2.RekorURL, RekorVersion: v2.RekorVersion, TSAURL: v2.TSAURL,
		Getenv: func(k string) string { return map[string]string{TokenEnv: token}[k] }})
	if err != nil {
		t.Fatal(err)
	}
	key, err := newTestKeySigner(t).WithTransparency(v2)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		s    Signer
	}{{"keyless", keyless}, {"key", key}} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.s.SignStatement(context.Background(), []byte(`{"_type":"https://in-toto.io/Statement/v1"}`))
			if err != nil {
				t.Fatal(err)
			}
			checkRekorV2Entry(t, b)
		})
	}
}

func checkRekorV2Entry(t *testing.T, b *protobundle.Bundle) {
	t.Helper()
	vm := b.GetVerificationMaterial()
	if n := len(vm.GetTimestampVerificationData().GetRfc3161Timestamps()); n != 1 {
		t.Errorf("%d RFC 3161 timestamps, want 1", n)
	}
	if len(vm.GetTlogEntries()) != 1 {
		t.Fatalf("%d log entries, want 1", len(vm.GetTlogEntries()))
	}
	e := vm.GetTlogEntries()[0]
	if kv := e.GetKindVersion(); kv.GetKind() != "dsse" || kv.GetVersion() != "0.0.2" {
		t.Errorf("entry kind %s %s, want dsse 0.0.2", kv.GetKind(), kv.GetVersion())
	}
	if e.GetInclusionProof().GetCheckpoint().GetEnvelope() == "" || e.GetIntegratedTime() != 0 || e.GetInclusionPromise() != nil {
		t.Errorf("entry: checkpoint %q, integrated time %d, promise %v; want a checkpoint and no time",
			e.GetInclusionProof().GetCheckpoint().GetEnvelope(), e.GetIntegratedTime(), e.GetInclusionPromise())
	}
}

// sigstore-go's own Rekor v2 client has no timeout; the signer's timeout
// bounds a log that does not answer.
func TestRekorV2Timeout(t *testing.T) {
	t.Parallel()
	stack := fakesigstore.New(t)
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // then the server notices the client leave
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer hang.Close()
	token := stack.Token(testClaims, "sigstore")
	k, err := NewKeylessSigner(KeylessOptions{FulcioURL: stack.FulcioURL, RekorURL: hang.URL, RekorVersion: RekorV2, TSAURL: stack.TSAURL,
		Timeout: 500 * time.Millisecond, Getenv: func(k string) string { return map[string]string{TokenEnv: token}[k] }})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = k.SignStatement(context.Background(), []byte(`{}`))
	if err == nil || !strings.Contains(err.Error(), "adding rekor v2 entry") || !strings.Contains(err.Error(), hang.URL+" (Rekor v2)") {
		t.Errorf("err = %v, want the Rekor v2 log named and timed out", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("signing took %s with a 500ms timeout", d)
	}
}
