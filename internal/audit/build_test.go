package audit

import (
	"strings"
	"testing"
)

// TestRateBuild: each level of build isolation, reached and missed.
func TestRateBuild(t *testing.T) {
	const hosted = `on: {push: {tags: ["v*"]}}
permissions: {}
jobs:
  image:
    runs-on: ubuntu-latest
    steps:
      - run: docker build -t x . && docker push ghcr.io/acme/app@sha256:abc
`
	for _, tc := range []struct {
		name  string
		src   string
		level Level
	}{
		{"no release job", "on: push\npermissions: {}\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: go test ./...\n", BelowMinimum},
		{"self-hosted", strings.Replace(hosted, "ubuntu-latest", "[self-hosted, linux]", 1), BelowMinimum},
		{"self-hosted in a group", strings.Replace(hosted, "runs-on: ubuntu-latest", "runs-on:\n      group: release-runners\n      labels: [self-hosted]", 1), Minimum},
		{"hosted", hosted, Better},
		{"a reusable builder, a wide token", "on: push\njobs:\n  build:\n    uses: relproof/relproof/.github/workflows/build-attest.yml@v1\n  push:\n    runs-on: ubuntu-latest\n    steps:\n      - run: docker push ghcr.io/acme/app:v1\n", Better},
		{"a reusable builder", "on: push\npermissions: {}\njobs:\n  build:\n    uses: slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@v2.1.0\n", Strong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, facts, err := CheckFiles([]File{{Path: ".github/workflows/r.yml", Data: []byte(tc.src)}})
			if err != nil {
				t.Fatal(err)
			}
			c := RateBuild(facts)
			if c.Level != tc.level {
				t.Errorf("level %s, want %s: %+v", c.Level, tc.level, c)
			}
			if c.Level < Strong && c.Next == "" {
				t.Errorf("no next step at %s", c.Level)
			}
		})
	}
}
