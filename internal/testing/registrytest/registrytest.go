// Package registrytest runs an in-process OCI registry on loopback: the
// registry from go-containerregistry's pkg/registry, served over plain HTTP
// (go-containerregistry picks http for 127.0.0.1 on its own).
//
// Tests use [New]; `relproof demo` uses [Serve].
package registrytest

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Registry is go-containerregistry's pkg/registry served by httptest on loopback.
type Registry struct {
	Host   string // "127.0.0.1:PORT"
	Server *httptest.Server
}

type config struct {
	referrers bool
}

// Option configures the registry.
type Option func(*config)

// WithoutReferrersAPI turns off the OCI 1.1 referrers API, so clients must use
// the referrers tag schema. The API is on by default.
func WithoutReferrersAPI() Option {
	return func(c *config) { c.referrers = false }
}

// Serve starts a registry on 127.0.0.1 and returns it with the function that
// stops it. The registry keeps everything in memory and logs nothing.
func Serve(opts ...Option) (*Registry, func(), error) {
	c := config{referrers: true}
	for _, o := range opts {
		o(&c)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("starting registry: %w", err)
	}
	h := registry.New(
		registry.Logger(log.New(io.Discard, "", 0)),
		registry.WithReferrersSupport(c.referrers),
	)
	srv := &httptest.Server{
		Listener: l,
		Config:   &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second},
	}
	srv.Start()
	return &Registry{Host: l.Addr().String(), Server: srv}, srv.Close, nil
}

// New starts a registry for the test and stops it when the test ends.
func New(t testing.TB, opts ...Option) *Registry {
	t.Helper()
	r, stop, err := Serve(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return r
}

// PushImage pushes img to HOST/repo, tagged tag unless tag is "", and returns
// its reference by digest.
func (r *Registry) PushImage(t testing.TB, repo, tag string, img v1.Image) name.Digest {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatalf("image digest: %v", err)
	}
	dref, err := name.NewDigest(fmt.Sprintf("%s/%s@%s", r.Host, repo, d))
	if err != nil {
		t.Fatalf("reference: %v", err)
	}
	var ref name.Reference = dref
	if tag != "" {
		if ref, err = name.NewTag(fmt.Sprintf("%s/%s:%s", r.Host, repo, tag)); err != nil {
			t.Fatalf("reference: %v", err)
		}
	}
	if err := remote.Write(ref, img, remote.WithContext(t.Context())); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	return dref
}

// PushRandomImage pushes a small random image (one 1 KiB layer) to HOST/repo,
// tagged tag unless tag is "", and returns HOST/repo@sha256:….
func (r *Registry) PushRandomImage(t testing.TB, repo, tag string) name.Digest {
	t.Helper()
	img, err := random.Image(1024, 1)
	if err != nil {
		t.Fatalf("random image: %v", err)
	}
	return r.PushImage(t, repo, tag, img)
}

// PushRandomIndex pushes a multi-platform image index of small random
// images, one for each platform ("os/arch[/variant]"), to HOST/repo, and
// returns the index's reference by digest and each platform's manifest
// digest, in order.
func (r *Registry) PushRandomIndex(t testing.TB, repo string, platforms ...string) (name.Digest, []string) {
	t.Helper()
	var adds []mutate.IndexAddendum
	var digests []string
	for _, p := range platforms {
		pl, err := v1.ParsePlatform(p)
		if err != nil {
			t.Fatalf("platform %q: %v", p, err)
		}
		img, err := random.Image(512, 1)
		if err != nil {
			t.Fatalf("random image: %v", err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatalf("image digest: %v", err)
		}
		digests = append(digests, d.String())
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: pl}})
	}
	idx := mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), types.OCIImageIndex)
	d, err := idx.Digest()
	if err != nil {
		t.Fatalf("index digest: %v", err)
	}
	ref, err := name.NewDigest(fmt.Sprintf("%s/%s@%s", r.Host, repo, d))
	if err != nil {
		t.Fatalf("reference: %v", err)
	}
	if err := remote.WriteIndex(ref, idx, remote.WithContext(t.Context())); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	return ref, digests
}
