package scaffold

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the examples relproof init writes")

// The example workflows are what `relproof init` writes for acme/app (a Go
// module) with environments staging and production, so that the README's
// examples are the ones init gives a new user; examples/policy-binary.yaml
// is init's policy for the binary. `go test ./internal/scaffold -update`
// rewrites them.
func TestExamplesAreInitOutput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		opts             Options
		workflow, policy string
	}{
		{Options{Kind: KindImage, Repository: "acme/app", Go: true, Environments: []string{"staging", "production"}}, "image.yml", ""},
		{Options{Kind: KindBinary, Repository: "acme/app", Go: true, Environments: []string{"staging", "production"}}, "binary.yml", "policy-binary.yaml"},
	} {
		files, err := Files(tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]byte{filepath.Join("../../examples/workflows", tc.workflow): files[1].Data}
		if tc.policy != "" {
			want[filepath.Join("../../examples", tc.policy)] = files[0].Data
		}
		for path, data := range want {
			if *update {
				if err := os.WriteFile(path, data, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(data) {
				t.Errorf("%s is not what relproof init writes for acme/app (go test ./internal/scaffold -update rewrites it)", path)
			}
		}
	}
}

// The README shows the production part of examples/workflows/image.yml
// as it is, so that what it explains is what init writes.
func TestReadmeShowsTheImageExample(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../../examples/workflows/image.yml")
	if err != nil {
		t.Fatal(err)
	}
	const intro = "The production part of `examples/workflows/image.yml`:\n\n```yaml\njobs:\n"
	_, shown, ok := strings.Cut(string(readme), intro)
	if !ok {
		t.Fatalf("README.md has no block after %q", intro)
	}
	shown, _, _ = strings.Cut(shown, "```\n")
	_, part, ok := strings.Cut(string(example), "\n  # production: prepare shows the digest")
	if !ok {
		t.Fatal("examples/workflows/image.yml has no production part")
	}
	if want := "  # production: prepare shows the digest" + part; shown != want {
		t.Errorf("README.md's block is not the production part of examples/workflows/image.yml; copy it from there:\n--- README\n%s\n--- example\n%s", shown, want)
	}
}
