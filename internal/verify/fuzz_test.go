package verify

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadBundles feeds arbitrary bytes to the bundle, JSONL and DSSE
// reader: it may reject them, never panic.
func FuzzReadBundles(f *testing.F) {
	seeds, _ := filepath.Glob("../../testdata/corpus/*/*/*.json*")
	more, _ := filepath.Glob("../../testdata/corpus/*/*/*/*.json*")
	for _, p := range append(seeds, more...) {
		if data, err := os.ReadFile(p); err == nil && len(data) < 64<<10 {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"","sig":"AA=="}]}`))
	f.Add([]byte("{}\n{\"mediaType\":1}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := ReadBundles("fuzz", data)
		if err != nil {
			return
		}
		for _, e := range entries {
			if e.Err == nil && e.Bundle == nil {
				t.Fatalf("entry %s has neither a bundle nor an error", e.Source)
			}
			if e.Bundle != nil {
				_, _ = e.Bundle.VerificationContent()
				_, _ = e.Bundle.SignatureContent()
			}
		}
	})
}
