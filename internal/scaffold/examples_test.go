package scaffold

import (
	"flag"
	"os"
	"path/filepath"
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
