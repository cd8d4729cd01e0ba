package subject_test

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/testing/registrytest"
)

func mustDigest(t testing.TB, s string) subject.Digest {
	t.Helper()
	d, err := subject.ParseDigest(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// roundTripFunc is an http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

var errNoNetwork = errors.New("no network in this test")

// noNetwork fails every request.
var noNetwork = roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errNoNetwork })

// headFails answers 405 to HEAD on manifests and passes the rest on.
var headFails = roundTripFunc(func(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodHead && strings.Contains(r.URL.Path, "/manifests/") {
		return &http.Response{StatusCode: http.StatusMethodNotAllowed, Body: io.NopCloser(strings.NewReader("")), Header: http.Header{}, Request: r}, nil
	}
	return http.DefaultTransport.RoundTrip(r)
})

func TestResolveTag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		regOpts  []registrytest.Option
		pushTag  string // tag pushed
		inputTag string // what follows REPO in the input
		opts     []subject.Option
	}{
		{name: "tag", pushTag: "v1", inputTag: ":v1"},
		{name: "no tag means latest", pushTag: "latest", inputTag: ""},
		{name: "registry without the referrers API", regOpts: []registrytest.Option{registrytest.WithoutReferrersAPI()}, pushTag: "v1", inputTag: ":v1"},
		{name: "HEAD fails, GET works", pushTag: "v1", inputTag: ":v1", opts: []subject.Option{subject.WithRemoteOptions(remote.WithTransport(headFails))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := registrytest.New(t, tt.regOpts...)
			pushed := reg.PushRandomImage(t, "team/app", tt.pushTag)
			repo := reg.Host + "/team/app"
			input := "oci://" + repo + tt.inputTag
			d := mustDigest(t, pushed.DigestStr())

			(resolveCase{
				input: input,
				opts:  append([]subject.Option{subject.WithClock(fixedClock)}, tt.opts...),
				want: &subject.Subject{
					Input:      input,
					Kind:       subject.KindOCI,
					Name:       repo,
					Digest:     d,
					Resolution: &subject.Resolution{Tag: repo + ":" + tt.pushTag, Digest: d, At: fixedNow},
				},
			}).check(t)
		})
	}
}

func TestResolveTagRequireDigest(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		regOpts []registrytest.Option
	}{
		{name: "referrers API"},
		{name: "no referrers API", regOpts: []registrytest.Option{registrytest.WithoutReferrersAPI()}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := registrytest.New(t, tt.regOpts...)
			pushed := reg.PushRandomImage(t, "team/app", "v1")
			input := "oci://" + reg.Host + "/team/app:v1"
			pinned := "oci://" + reg.Host + "/team/app@" + pushed.DigestStr()

			s, err := subject.Resolve(t.Context(), input, subject.RequireDigest())
			if s != nil {
				t.Errorf("Resolve under RequireDigest returned %v, want nil", s)
			}
			if !errors.Is(err, subject.ErrInvalidSubject) {
				t.Errorf("error = %v, want it to match ErrInvalidSubject", err)
			}
			var tagErr *subject.TagOnlyError
			if !errors.As(err, &tagErr) {
				t.Fatalf("error = %v, want a *TagOnlyError", err)
			}
			want := &subject.TagOnlyError{Input: input, Resolved: mustDigest(t, pushed.DigestStr()), Pinned: pinned}
			if diff := cmp.Diff(want, tagErr); diff != "" {
				t.Errorf("TagOnlyError (-want +got):\n%s", diff)
			}
			for _, s := range []string{input, "is a tag, which can move", "resolves now to " + pushed.DigestStr(), "pin it: " + pinned} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

func TestResolveTagErrors(t *testing.T) {
	t.Parallel()
	reg := registrytest.New(t)
	reg.PushRandomImage(t, "team/app", "v1")
	missing := "oci://" + reg.Host + "/team/app:v2"
	offline := subject.WithRemoteOptions(remote.WithTransport(noNetwork))

	tests := []struct {
		name          string
		input         string
		opts          []subject.Option
		wantInvalid   bool
		wantTagOnly   bool
		wantNoNetwork bool
		msgHas        []string
	}{
		{
			name:        "tag not found",
			input:       missing,
			wantInvalid: true,
			msgHas:      []string{"tag " + reg.Host + "/team/app:v2 not found"},
		},
		{
			name:        "repository not found",
			input:       "oci://" + reg.Host + "/nobody/here:v1",
			wantInvalid: true,
			msgHas:      []string{"not found"},
		},
		{
			name:        "tag not found under RequireDigest",
			input:       missing,
			opts:        []subject.Option{subject.RequireDigest()},
			wantInvalid: true,
			wantTagOnly: true,
			msgHas:      []string{"is a tag, which can move", "could not be resolved", "a digest is required: oci://" + reg.Host + "/team/app@sha256:HEX"},
		},
		{
			name:          "registry unreachable",
			input:         "oci://" + reg.Host + "/team/app:v1",
			opts:          []subject.Option{offline},
			wantNoNetwork: true,
			msgHas:        []string{"resolving tag " + reg.Host + "/team/app:v1", errNoNetwork.Error()},
		},
		{
			name:          "registry unreachable under RequireDigest",
			input:         "oci://" + reg.Host + "/team/app:v1",
			opts:          []subject.Option{offline, subject.RequireDigest()},
			wantInvalid:   true,
			wantTagOnly:   true,
			wantNoNetwork: true,
			msgHas:        []string{"could not be resolved", errNoNetwork.Error(), "a digest is required"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := subject.Resolve(t.Context(), tt.input, tt.opts...)
			if err == nil {
				t.Fatalf("Resolve(%q) = %v, want an error", tt.input, s)
			}
			var tagErr *subject.TagOnlyError
			got := []bool{errors.Is(err, subject.ErrInvalidSubject), errors.As(err, &tagErr), errors.Is(err, errNoNetwork)}
			want := []bool{tt.wantInvalid, tt.wantTagOnly, tt.wantNoNetwork}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Resolve(%q) error %q: [Is ErrInvalidSubject, As *TagOnlyError, Is errNoNetwork] (-want +got):\n%s", tt.input, err, diff)
			}
			for _, s := range tt.msgHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

// writeLayout writes an OCI layout holding imgs and idxs (top level), and
// returns its directory.
func writeLayout(t *testing.T, imgs []v1.Image, idxs []v1.ImageIndex, opts ...layout.Option) string {
	t.Helper()
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range imgs {
		if err := p.AppendImage(img, opts...); err != nil {
			t.Fatal(err)
		}
	}
	for _, idx := range idxs {
		if err := p.AppendIndex(idx, opts...); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func digestOf(t *testing.T, x interface{ Digest() (v1.Hash, error) }) subject.Digest {
	t.Helper()
	h, err := x.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return mustDigest(t, h.String())
}

func TestResolveLayout(t *testing.T) {
	t.Parallel()
	randomImage := func() v1.Image {
		img, err := random.Image(256, 1)
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	img1, img2, stranger := randomImage(), randomImage(), randomImage()
	idx, err := random.Index(256, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	d1, d2, dStranger, dIdx := digestOf(t, img1), digestOf(t, img2), digestOf(t, stranger), digestOf(t, idx)
	dChild := mustDigest(t, im.Manifests[1].Digest.String())

	one := writeLayout(t, []v1.Image{img1}, nil)
	two := writeLayout(t, []v1.Image{img1}, nil)
	if err := layout.Path(two).AppendImage(img2, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "v2"})); err != nil {
		t.Fatal(err)
	}
	nested := writeLayout(t, nil, []v1.ImageIndex{idx})
	none := writeLayout(t, nil, nil)
	noBlob := writeLayout(t, []v1.Image{img1}, nil)
	if err := os.Remove(filepath.Join(noBlob, "blobs", "sha256", d1.Hex)); err != nil {
		t.Fatal(err)
	}
	notLayout := t.TempDir()

	at := func(dir string, d subject.Digest) string { return "oci-layout:" + dir + "@" + d.String() }
	clock := subject.WithClock(fixedClock)
	tests := []resolveCase{
		{
			name:  "digest present",
			input: at(one, d1),
			want:  &subject.Subject{Input: at(one, d1), Kind: subject.KindOCILayout, Name: one, Digest: d1},
		},
		{
			name:  "digest present among two, under RequireDigest",
			input: at(two, d2),
			opts:  []subject.Option{subject.RequireDigest()},
			want:  &subject.Subject{Input: at(two, d2), Kind: subject.KindOCILayout, Name: two, Digest: d2},
		},
		{
			name:  "digest nested in an index",
			input: at(nested, dChild),
			want:  &subject.Subject{Input: at(nested, dChild), Kind: subject.KindOCILayout, Name: nested, Digest: dChild},
		},
		{
			name:  "trailing slash is cleaned from the name",
			input: "oci-layout:" + one + "/@" + d1.String(),
			want:  &subject.Subject{Input: "oci-layout:" + one + "/@" + d1.String(), Kind: subject.KindOCILayout, Name: one, Digest: d1},
		},
		{
			name:    "digest absent",
			input:   at(one, dStranger),
			wantErr: subject.ErrInvalidSubject,
			msgHas:  []string{dStranger.String() + ` is not in the index of layout "` + one + `"`},
		},
		{
			name:    "digest listed but blob missing",
			input:   at(noBlob, d1),
			wantErr: subject.ErrInvalidSubject,
			msgHas:  []string{`layout "` + noBlob + `" lists ` + d1.String() + " but has no blob for it"},
		},
		{
			name:    "not a layout",
			input:   at(notLayout, d1),
			wantErr: subject.ErrInvalidSubject,
			msgHas:  []string{`no OCI layout at "` + notLayout + `"`},
		},
		{
			name:  "no digest, one manifest",
			input: "oci-layout:" + one,
			opts:  []subject.Option{clock},
			want: &subject.Subject{
				Input: "oci-layout:" + one, Kind: subject.KindOCILayout, Name: one, Digest: d1,
				Resolution: &subject.Resolution{Tag: "oci-layout:" + one, Digest: d1, At: fixedNow},
			},
		},
		{
			name:  "no digest, one index",
			input: "oci-layout:" + nested,
			opts:  []subject.Option{clock},
			want: &subject.Subject{
				Input: "oci-layout:" + nested, Kind: subject.KindOCILayout, Name: nested, Digest: dIdx,
				Resolution: &subject.Resolution{Tag: "oci-layout:" + nested, Digest: dIdx, At: fixedNow},
			},
		},
		{
			name:    "no digest, one manifest, under RequireDigest",
			input:   "oci-layout:" + one,
			opts:    []subject.Option{subject.RequireDigest()},
			wantErr: subject.ErrInvalidSubject,
			msgHas:  []string{"names no digest", "resolves now to " + d1.String(), "pin it: " + at(one, d1)},
		},
		{
			name:    "no digest, two manifests",
			input:   "oci-layout:" + two,
			wantErr: subject.ErrInvalidSubject,
			msgHas:  []string{"lists 2 manifests", d1.String(), d2.String() + " (v2)"},
		},
		{
			name:    "no digest, no manifests",
			input:   "oci-layout:" + none,
			wantErr: subject.ErrInvalidSubject,
			msgHas:  []string{"lists no manifests"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.check(t)
		})
	}

	t.Run("TagOnlyError fields", func(t *testing.T) {
		t.Parallel()
		_, err := subject.Resolve(t.Context(), "oci-layout:"+one, subject.RequireDigest())
		var tagErr *subject.TagOnlyError
		if !errors.As(err, &tagErr) {
			t.Fatalf("error = %v, want a *TagOnlyError", err)
		}
		want := &subject.TagOnlyError{Input: "oci-layout:" + one, Resolved: d1, Pinned: at(one, d1)}
		if diff := cmp.Diff(want, tagErr); diff != "" {
			t.Errorf("TagOnlyError (-want +got):\n%s", diff)
		}
	})
}
