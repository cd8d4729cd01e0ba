package sbom_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/relproof/relproof/internal/sbom"
)

// BenchmarkDirDigest hashes a generated tree of 2,000 files (4 KiB to
// 64 KiB), or the directory in RELPROOF_BENCH_DIR.
func BenchmarkDirDigest(b *testing.B) {
	dir := os.Getenv("RELPROOF_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
		files := map[string]string{}
		for i := range 2000 {
			files[fmt.Sprintf("d%02d/f%04d.txt", i%40, i)] = string(make([]byte, 4<<10<<(i%5)))
		}
		writeTree(b, dir, files)
	}
	var size int64
	for b.Loop() {
		_, n, err := sbom.DirDigest(b.Context(), "dir:"+dir, dir)
		if err != nil {
			b.Fatal(err)
		}
		size = n
	}
	b.SetBytes(size)
}
