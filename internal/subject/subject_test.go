package subject_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/relproof/relproof/internal/subject"
)

// Digests computed independently:
//
//	printf hello | sha256sum
//	printf hello | sha512sum
//	printf '' | sha256sum
const (
	helloSHA256 = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
	helloSHA512 = "9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043"
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

var fixedNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func fixedClock() time.Time { return fixedNow }

func sha256Of(hex string) subject.Digest { return subject.Digest{Algorithm: "sha256", Hex: hex} }

type resolveCase struct {
	name    string
	input   string
	opts    []subject.Option
	want    *subject.Subject
	wantErr error    // matched with errors.Is; nil for success
	msgHas  []string // parts of the error message
}

// check runs Resolve and compares with the case.
func (tt resolveCase) check(t *testing.T) {
	t.Helper()
	got, err := subject.Resolve(t.Context(), tt.input, tt.opts...)
	if diff := cmp.Diff(tt.wantErr, err, cmpopts.EquateErrors()); diff != "" {
		t.Fatalf("Resolve(%q) error (-want +got):\n%s", tt.input, diff)
	}
	if diff := cmp.Diff(tt.want, got); diff != "" {
		t.Errorf("Resolve(%q) (-want +got):\n%s", tt.input, diff)
	}
	for _, s := range tt.msgHas {
		if err == nil || !strings.Contains(err.Error(), s) {
			t.Errorf("Resolve(%q) error = %v, want it to contain %q", tt.input, err, s)
		}
	}
}

// offlineCases are the forms that need no registry. Files are made in a
// temporary directory.
func offlineCases(t testing.TB) []resolveCase {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	hello := write("hello.txt", "hello")
	empty := write("empty", "")
	colon := write("app:v1", "hello")
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.bin")
	const ociRepo = "registry.example.com/team/app"
	d := "sha256:" + helloSHA256

	cases := []resolveCase{
		{
			name:  "file path",
			input: hello,
			want:  &subject.Subject{Input: hello, Kind: subject.KindFile, Name: "hello.txt", Digest: sha256Of(helloSHA256), Size: 5},
		},
		{
			name:  "relative file path",
			input: "testdata/hello.txt",
			want:  &subject.Subject{Input: "testdata/hello.txt", Kind: subject.KindFile, Name: "hello.txt", Digest: sha256Of(helloSHA256), Size: 5},
		},
		{
			name:  "file: prefix",
			input: "file:" + hello,
			want:  &subject.Subject{Input: "file:" + hello, Kind: subject.KindFile, Name: "hello.txt", Digest: sha256Of(helloSHA256), Size: 5},
		},
		{
			name:  "file: prefix, name with a colon",
			input: "file:" + colon,
			want:  &subject.Subject{Input: "file:" + colon, Kind: subject.KindFile, Name: "app:v1", Digest: sha256Of(helloSHA256), Size: 5},
		},
		{
			name:  "empty file",
			input: empty,
			want:  &subject.Subject{Input: empty, Kind: subject.KindFile, Name: "empty", Digest: sha256Of(emptySHA256)},
		},
		{
			name:  "file under RequireDigest",
			input: hello,
			opts:  []subject.Option{subject.RequireDigest()},
			want:  &subject.Subject{Input: hello, Kind: subject.KindFile, Name: "hello.txt", Digest: sha256Of(helloSHA256), Size: 5},
		},
		{
			name:    "directory",
			input:   sub,
			wantErr: subject.ErrInvalidSubject,
			msgHas:  []string{sub, "is a directory", "relproof sbom dir:"},
		},
		{
			name:    "missing file",
			input:   missing,
			wantErr: subject.ErrInvalidSubject,
			msgHas:  []string{`no file at "` + missing + `"`},
		},
		{
			name:    "missing file, file: prefix",
			input:   "file:" + missing,
			wantErr: subject.ErrInvalidSubject,
			msgHas:  []string{`no file at "` + missing + `"`},
		},
		{
			name:    "file: without a path",
			input:   "file:",
			wantErr: subject.ErrInvalidSubject,
			msgHas:  []string{"want file:PATH"},
		},
		{
			name:  "sha256 digest",
			input: d,
			want:  &subject.Subject{Input: d, Kind: subject.KindDigest, Digest: sha256Of(helloSHA256)},
		},
		{
			name:  "sha512 digest",
			input: "sha512:" + helloSHA512,
			want:  &subject.Subject{Input: "sha512:" + helloSHA512, Kind: subject.KindDigest, Digest: subject.Digest{Algorithm: "sha512", Hex: helloSHA512}},
		},
		{
			name:  "digest under RequireDigest",
			input: d,
			opts:  []subject.Option{subject.RequireDigest()},
			want:  &subject.Subject{Input: d, Kind: subject.KindDigest, Digest: sha256Of(helloSHA256)},
		},
		{
			name:    "sha256 too short",
			input:   "sha256:abc",
			wantErr: subject.ErrInvalidSubject,
			msgHas:  []string{`want 64 lower-case hex characters after "sha256:", found 3 characters`},
		},
		{
			name:    "sha512 with a sha256 length",
			input:   "sha512:" + helloSHA256,
			wantErr: subject.ErrInvalidSubject,
			msgHas:  []string{`want 128 lower-case hex characters after "sha512:", found 64 characters`},
		},
		{
			name:    "upper-case hex",
			input:   "sha256:" + strings.ToUpper(helloSHA256),
			wantErr: subject.ErrInvalidSubject,
			msgHas:  []string{"lower-case", `found 'C' at offset 1`},
		},
		{
			name:    "non-hex character",
			input:   "sha256:" + helloSHA256[:63] + "g",
			wantErr: subject.ErrInvalidSubject,
			msgHas:  []string{`found 'g' at offset 63`},
		},
		{
			name:    "sha1 digest",
			input:   "sha1:aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d",
			wantErr: subject.ErrInvalidSubject,
			msgHas:  []string{`unsupported digest algorithm "sha1"; want sha256 or sha512`},
		},
		{
			name:  "oci by digest",
			input: "oci://" + ociRepo + "@" + d,
			want:  &subject.Subject{Input: "oci://" + ociRepo + "@" + d, Kind: subject.KindOCI, Name: ociRepo, Digest: sha256Of(helloSHA256)},
		},
		{
			name:  "oci by digest on loopback, no network",
			input: "oci://127.0.0.1:1/app@" + d,
			opts:  []subject.Option{subject.RequireDigest()},
			want:  &subject.Subject{Input: "oci://127.0.0.1:1/app@" + d, Kind: subject.KindOCI, Name: "127.0.0.1:1/app", Digest: sha256Of(helloSHA256)},
		},
		{
			name:  "oci by tag and digest: the digest wins",
			input: "oci://" + ociRepo + ":v1@" + d,
			want:  &subject.Subject{Input: "oci://" + ociRepo + ":v1@" + d, Kind: subject.KindOCI, Name: ociRepo, Digest: sha256Of(helloSHA256)},
		},
		{
			name:    "oci with sha512",
			input:   "oci://" + ociRepo + "@sha512:" + helloSHA512,
			wantErr: subject.ErrInvalidSubject,
			msgHas:  []string{"OCI digests here are sha256, found sha512"},
		},
		{
			name:    "oci with a short digest",
			input:   "oci://" + ociRepo + "@sha256:abc",
			wantErr: subject.ErrInvalidSubject,
			msgHas:  []string{"want 64 lower-case hex characters", "found 3 characters"},
		},
		{
			name:    "oci without a registry host",
			input:   "oci://alpine:3",
			wantErr: subject.ErrInvalidSubject,
			msgHas:  []string{"found no registry host"},
		},
		{
			name:    "oci with nothing after the scheme",
			input:   "oci://",
			wantErr: subject.ErrInvalidSubject,
			msgHas:  []string{"want oci://HOST/REPO", "found nothing after oci://"},
		},
		{
			name:    "oci with an upper-case repository",
			input:   "oci://registry.example.com/App@" + d,
			wantErr: subject.ErrInvalidSubject,
			msgHas:  []string{"not an OCI reference"},
		},
		{
			name:    "oci-layout without a directory",
			input:   "oci-layout:",
			wantErr: subject.ErrInvalidSubject,
			msgHas:  []string{"want oci-layout:DIR[@sha256:HEX], found no DIR"},
		},
		{
			name:    "oci-layout with only a digest",
			input:   "oci-layout:@" + d,
			wantErr: subject.ErrInvalidSubject,
			msgHas:  []string{"found no DIR"},
		},
		{
			name:    "oci-layout with sha512",
			input:   "oci-layout:" + dir + "@sha512:" + helloSHA512,
			wantErr: subject.ErrInvalidSubject,
			msgHas:  []string{"OCI digests here are sha256, found sha512"},
		},
		{
			name:    "oci-layout that is not there",
			input:   "oci-layout:" + missing + "@" + d,
			wantErr: subject.ErrInvalidSubject,
			msgHas:  []string{`no OCI layout at "` + missing + `" (no index.json)`},
		},
		{
			name:    "empty",
			input:   "",
			wantErr: subject.ErrInvalidSubject,
			msgHas:  []string{`subject "": empty; want PATH, file:PATH, sha256:HEX`},
		},
		{
			name:    "unknown scheme",
			input:   "foo://bar",
			wantErr: subject.ErrInvalidSubject,
			msgHas:  []string{`unknown form "foo:"`, "oci://HOST/REPO[:TAG]", "oci-layout:DIR[@sha256:HEX]"},
		},
		{
			name:    "docker-archive is not accepted yet",
			input:   "docker-archive:image.tar",
			wantErr: subject.ErrInvalidSubject,
			msgHas:  []string{`unknown form "docker-archive:"`, "want PATH, file:PATH"},
		},
	}
	if runtime.GOOS != "windows" {
		cases = append(cases, resolveCase{
			name:    "device",
			input:   "/dev/null",
			wantErr: subject.ErrInvalidSubject,
			msgHas:  []string{"not a regular file"},
		})
	}
	return cases
}

func TestResolveOffline(t *testing.T) {
	t.Parallel()
	for _, tt := range offlineCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.check(t)
		})
	}
}

func TestResolveCancelledFile(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := subject.Resolve(ctx, "testdata/hello.txt")
	if !errors.Is(err, context.Canceled) || errors.Is(err, subject.ErrInvalidSubject) {
		t.Errorf("Resolve with a cancelled context: error = %v, want context.Canceled and not ErrInvalidSubject", err)
	}
}

func TestParseDigest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    subject.Digest
		wantErr error
		msgHas  string
	}{
		{name: "sha256", in: "sha256:" + helloSHA256, want: sha256Of(helloSHA256)},
		{name: "sha512", in: "sha512:" + helloSHA512, want: subject.Digest{Algorithm: "sha512", Hex: helloSHA512}},
		{name: "empty", in: "", wantErr: subject.ErrInvalidSubject, msgHas: `digest "": want ALGORITHM:HEX`},
		{name: "no algorithm", in: helloSHA256, wantErr: subject.ErrInvalidSubject, msgHas: `found no ":"`},
		{name: "unknown algorithm", in: "md5:5d41402abc4b2a76b9719d911017c592", wantErr: subject.ErrInvalidSubject, msgHas: `unsupported digest algorithm "md5"`},
		{name: "upper-case algorithm", in: "SHA256:" + helloSHA256, wantErr: subject.ErrInvalidSubject, msgHas: `unsupported digest algorithm "SHA256"`},
		{name: "sha256 too long", in: "sha256:" + helloSHA256 + "0", wantErr: subject.ErrInvalidSubject, msgHas: "want 64 lower-case hex characters after \"sha256:\", found 65 characters"},
		{name: "sha512 too short", in: "sha512:" + helloSHA512[:127], wantErr: subject.ErrInvalidSubject, msgHas: "want 128 lower-case hex characters after \"sha512:\", found 127 characters"},
		{name: "upper-case hex", in: "sha256:" + strings.ToUpper(helloSHA256), wantErr: subject.ErrInvalidSubject, msgHas: "lower-case"},
		{name: "non-ASCII", in: "sha256:" + helloSHA256[:62] + "é", wantErr: subject.ErrInvalidSubject, msgHas: `found 'é' at offset 62`},
		{name: "non-ASCII, short", in: "sha256:" + helloSHA256[:61] + "é", wantErr: subject.ErrInvalidSubject, msgHas: `found 62 characters`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := subject.ParseDigest(tt.in)
			if diff := cmp.Diff(tt.wantErr, err, cmpopts.EquateErrors()); diff != "" {
				t.Fatalf("ParseDigest(%q) error (-want +got):\n%s", tt.in, diff)
			}
			if err != nil && !strings.Contains(err.Error(), tt.msgHas) {
				t.Errorf("ParseDigest(%q) error = %q, want it to contain %q", tt.in, err, tt.msgHas)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseDigest(%q) (-want +got):\n%s", tt.in, diff)
			}
			if err == nil && got.String() != tt.in {
				t.Errorf("ParseDigest(%q).String() = %q", tt.in, got.String())
			}
		})
	}
}

func TestSubjectString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		s    subject.Subject
		want string
	}{
		{name: "file", s: subject.Subject{Kind: subject.KindFile, Name: "app.tar", Digest: sha256Of(helloSHA256)}, want: "app.tar@sha256:" + helloSHA256},
		{name: "oci", s: subject.Subject{Kind: subject.KindOCI, Name: "registry.example.com/app", Digest: sha256Of(helloSHA256)}, want: "registry.example.com/app@sha256:" + helloSHA256},
		{name: "bare digest", s: subject.Subject{Kind: subject.KindDigest, Digest: sha256Of(helloSHA256)}, want: "sha256:" + helloSHA256},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.s.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOCIReference(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		input  string
		want   string
		wantOK bool
	}{
		{name: "oci", input: "oci://registry.example.com/team/app@sha256:" + helloSHA256, want: "registry.example.com/team/app@sha256:" + helloSHA256, wantOK: true},
		{name: "oci with tag and digest", input: "oci://registry.example.com/team/app:v1@sha256:" + helloSHA256, want: "registry.example.com/team/app@sha256:" + helloSHA256, wantOK: true},
		{name: "bare digest", input: "sha256:" + helloSHA256},
		{name: "file", input: "testdata/hello.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := subject.Resolve(t.Context(), tt.input)
			if err != nil {
				t.Fatal(err)
			}
			ref, ok := s.OCIReference()
			if ok != tt.wantOK {
				t.Fatalf("OCIReference() ok = %v, want %v", ok, tt.wantOK)
			}
			if ok && ref.Name() != tt.want {
				t.Errorf("OCIReference() = %q, want %q", ref.Name(), tt.want)
			}
		})
	}
}

func TestSubjectJSON(t *testing.T) {
	t.Parallel()
	in := subject.Subject{
		Input:      "oci://registry.example.com/app:v1",
		Kind:       subject.KindOCI,
		Name:       "registry.example.com/app",
		Digest:     sha256Of(helloSHA256),
		Resolution: &subject.Resolution{Tag: "registry.example.com/app:v1", Digest: sha256Of(helloSHA256), At: fixedNow},
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"digest":"sha256:`+helloSHA256+`"`) {
		t.Errorf("JSON %s: want the digest as one string", b)
	}
	var out subject.Subject
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
	if err := json.Unmarshal([]byte(`{"digest":"sha256:abc"}`), &out); !errors.Is(err, subject.ErrInvalidSubject) {
		t.Errorf("Unmarshal of a bad digest: error = %v, want ErrInvalidSubject", err)
	}
}
