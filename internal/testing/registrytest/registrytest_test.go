package registrytest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/relproof/relproof/internal/testing/registrytest"
)

func TestPushThenHead(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []registrytest.Option
		tag  string
	}{
		{name: "referrers API, tagged", tag: "v1"},
		{name: "referrers API, by digest only"},
		{name: "no referrers API, tagged", opts: []registrytest.Option{registrytest.WithoutReferrersAPI()}, tag: "v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := registrytest.New(t, tt.opts...)
			if !strings.HasPrefix(reg.Host, "127.0.0.1:") {
				t.Errorf("Host = %q, want 127.0.0.1:PORT", reg.Host)
			}
			d := reg.PushRandomImage(t, "app", tt.tag)
			if got, want := d.Context().Name(), reg.Host+"/app"; got != want {
				t.Errorf("repository = %q, want %q", got, want)
			}
			if d.Context().Scheme() != "http" {
				t.Errorf("scheme = %q, want http for loopback", d.Context().Scheme())
			}

			var ref name.Reference = d
			if tt.tag != "" {
				ref = d.Context().Tag(tt.tag)
			}
			desc, err := remote.Head(ref, remote.WithContext(t.Context()))
			if err != nil {
				t.Fatalf("Head(%s): %v", ref, err)
			}
			if got, want := desc.Digest.String(), d.DigestStr(); got != want {
				t.Errorf("Head(%s) digest = %s, want %s", ref, got, want)
			}
		})
	}
}

func TestReferrersAPI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []registrytest.Option
		want int
	}{
		{name: "on by default", want: http.StatusOK},
		{name: "off", opts: []registrytest.Option{registrytest.WithoutReferrersAPI()}, want: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := registrytest.New(t, tt.opts...)
			d := reg.PushRandomImage(t, "app", "")
			url := reg.Server.URL + "/v2/app/referrers/" + d.DigestStr()
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := reg.Server.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("GET %s: status %d, want %d", url, resp.StatusCode, tt.want)
			}
		})
	}
}

func TestServe(t *testing.T) {
	t.Parallel()
	reg, stop, err := registrytest.Serve()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(reg.Server.URL + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /v2/: status %d, want 200", resp.StatusCode)
	}
	stop()
	if _, err := http.Get(reg.Server.URL + "/v2/"); err == nil {
		t.Error("GET /v2/ after stop: no error")
	}
}
