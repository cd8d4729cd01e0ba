package evidence

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"

	"github.com/relproof/relproof/internal/gate"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

func TestPackVerifyNotAPack(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "stray.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Verify(dir, Options{})
	if !errors.Is(err, ErrNotAPack) || errors.Is(err, verify.ErrNotVerified) || !strings.Contains(err.Error(), dir+": expected MANIFEST.json, found none") {
		t.Fatalf("Verify of a directory without a manifest: %v, want not a pack (bad input) naming MANIFEST.json", err)
	}
}

func TestPackBuildRejectsOtherDigest(t *testing.T) {
	d, err := subject.ParseDigest("sha256:" + strings.Repeat("a", 64))
	if err != nil {
		t.Fatal(err)
	}
	in := Input{
		Subject:  &subject.Subject{Digest: d},
		Decision: &gate.Decision{Digest: "sha256:" + strings.Repeat("b", 64), Time: time.Unix(0, 0)},
		Signer:   nopSigner{},
		Out:      filepath.Join(t.TempDir(), "pack"),
	}
	_, err = Build(context.Background(), in)
	if err == nil || !strings.Contains(err.Error(), "expected a decision for sha256:aaaa") || !strings.Contains(err.Error(), "bbbb") {
		t.Fatalf("Build with a decision for another digest: %v", err)
	}
	if _, err := os.Stat(in.Out); err == nil {
		t.Error("a failed build left its output")
	}
}

func TestPackPlaceholderStatesReason(t *testing.T) {
	for _, p := range []string{"a/b.json", "a/b.jsonl", "a/b.md"} {
		got := string(placeholder(p, "because"))
		if !strings.Contains(got, "because") || !strings.Contains(strings.ToLower(got), "missing") {
			t.Errorf("placeholder(%s) = %q", p, got)
		}
	}
}

type nopSigner struct{}

func (nopSigner) SignBlob(context.Context, []byte) (*protobundle.Bundle, error) {
	return nil, errors.New("not signing")
}

func (nopSigner) SignStatement(context.Context, []byte) (*protobundle.Bundle, error) {
	return nil, errors.New("not signing")
}
func (nopSigner) Identity() string { return "none" }
