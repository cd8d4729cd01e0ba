package subject_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/relproof/relproof/internal/subject"
)

func FuzzParseDigest(f *testing.F) {
	for _, s := range []string{
		"sha256:" + helloSHA256, "sha512:" + helloSHA512, "sha256:abc", "sha1:0", ":", "",
		"sha256:" + strings.ToUpper(helloSHA256), "sha256:" + helloSHA256[:62] + "é",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := subject.ParseDigest(s)
		if err != nil {
			if !errors.Is(err, subject.ErrInvalidSubject) {
				t.Fatalf("ParseDigest(%q) error %v does not match ErrInvalidSubject", s, err)
			}
			return
		}
		if d.String() != s {
			t.Fatalf("ParseDigest(%q).String() = %q", s, d.String())
		}
	})
}

// FuzzResolveOffline resolves every form that reads neither files nor the
// network; oci tags go to a transport that fails every request.
func FuzzResolveOffline(f *testing.F) {
	for _, tt := range offlineCases(f) {
		f.Add(tt.input)
	}
	f.Add("oci://registry.example.com/app:v1")
	f.Add("oci://127.0.0.1:5000/app")
	f.Add("oci-layout:out@sha256:" + helloSHA256)
	offline := subject.WithRemoteOptions(remote.WithTransport(noNetwork))

	f.Fuzz(func(t *testing.T, input string) {
		kind, pinned, err := subject.ParseForm(input)
		if err != nil {
			if !errors.Is(err, subject.ErrInvalidSubject) {
				t.Fatalf("ParseForm(%q) error %v does not match ErrInvalidSubject", input, err)
			}
			return
		}
		switch kind {
		case subject.KindFile, subject.KindOCILayout:
			return // reads the file system
		case subject.KindDigest, subject.KindOCI:
		default:
			t.Fatalf("ParseForm(%q) kind = %q", input, kind)
		}
		s, err := subject.Resolve(t.Context(), input, offline, subject.RequireDigest())
		if !pinned {
			var tagErr *subject.TagOnlyError
			if !errors.As(err, &tagErr) || !errors.Is(err, subject.ErrInvalidSubject) {
				t.Fatalf("Resolve(%q) of a tag under RequireDigest: error %v, want a *TagOnlyError", input, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Resolve(%q) of a pinned form: %v", input, err)
		}
		if d, err := subject.ParseDigest(s.Digest.String()); err != nil || d != s.Digest {
			t.Fatalf("Resolve(%q).Digest = %#v does not parse back: %v", input, s.Digest, err)
		}
		if !strings.HasSuffix(s.String(), "@"+s.Digest.String()) && s.String() != s.Digest.String() {
			t.Fatalf("Resolve(%q).String() = %q", input, s)
		}
		if _, ok := s.OCIReference(); ok != (kind == subject.KindOCI) {
			t.Fatalf("Resolve(%q).OCIReference() ok = %v for kind %q", input, ok, kind)
		}
	})
}
