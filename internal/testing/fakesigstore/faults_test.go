package fakesigstore

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sigstore/sigstore-go/pkg/sign"
)

func TestFaultSwitches(t *testing.T) {
	t.Parallel()
	s := New(t)
	tests := []struct {
		name string
		fail func(int)
		url  string
	}{
		{name: "fulcio", fail: s.FailFulcio, url: s.FulcioURL + "/api/v2/trustBundle"},
		{name: "rekor", fail: s.FailRekor, url: s.RekorURL + "/api/v1/log"},
		{name: "rekor v2", fail: s.FailRekorV2, url: s.RekorV2URL + "/checkpoint"},
		{name: "tsa", fail: s.FailTSA, url: s.TSAURL + "/certchain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fail(2)
			var got []int
			for range 3 {
				resp, err := http.Get(tt.url)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				got = append(got, resp.StatusCode)
			}
			if diff := cmp.Diff([]int{500, 500, 200}, got); diff != "" {
				t.Errorf("statuses after fail(2) (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFaultsThroughSigstoreClients: a failing Rekor fails signing, and a
// client with retries rides over a failing Fulcio. (sigstore-go's Fulcio
// and TSA clients sleep a second after every 5xx, retries or not.)
func TestFaultsThroughSigstoreClients(t *testing.T) {
	t.Parallel()
	s := New(t)
	token := s.Token(releaseClaims(), "sigstore")
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	stmt, _ := statement(t, "fault")
	content := &sign.DSSEData{Data: stmt, PayloadType: inTotoPayloadType}

	s.FailRekor(1)
	if _, err := sign.Bundle(content, kp, bundleOptions(s, token)); err == nil {
		t.Error("signing succeeded while Rekor failed")
	}
	signBundle(t, s, content, token)

	s.FailFulcio(1)
	f := sign.NewFulcio(&sign.FulcioOptions{BaseURL: s.FulcioURL, Retries: 1})
	if _, err := f.GetCertificate(context.Background(), kp, &sign.CertificateProviderOptions{IDToken: token}); err != nil {
		t.Errorf("a client with one retry should ride over one failure: %v", err)
	}
}
