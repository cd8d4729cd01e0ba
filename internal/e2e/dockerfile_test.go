package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The container runs relproof serve alone, as a user that is not root, in
// an image with nothing else (no Docker engine runs here to build it: the
// Dockerfile is checked as written).
func TestDockerfileRunsServeAsNonRoot(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var from, user, entry []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch f[0] {
		case "FROM":
			from = append(from, f[1])
			user = nil // per stage
		case "USER":
			user = f[1:]
		case "ENTRYPOINT":
			entry = f[1:]
		}
	}
	if len(from) < 2 || from[len(from)-1] != "scratch" {
		t.Errorf("stages %v: want a build stage and a final scratch image", from)
	}
	if len(user) != 1 || strings.HasPrefix(user[0], "0") || strings.HasPrefix(user[0], "root") {
		t.Errorf("final USER %v: want a numeric user that is not root", user)
	}
	if strings.Join(entry, " ") != `["/relproof", "serve"]` {
		t.Errorf("ENTRYPOINT %v: want relproof serve", entry)
	}
	if !strings.Contains(string(b), "-buildvcs=false") || !strings.Contains(string(b), "CGO_ENABLED=0") {
		t.Error("the binary is not built static and reproducibly")
	}
}
