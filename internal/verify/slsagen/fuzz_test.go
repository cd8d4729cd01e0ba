package slsagen_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relproof/relproof/internal/verify/slsagen"
)

// FuzzVerify feeds arbitrary statements to Verify under each kind of
// certificate: it must not panic, and must return a result exactly when it
// returns no error.
func FuzzVerify(f *testing.F) {
	modes := []struct {
		build build
		opts  slsagen.Options
	}{
		{generic(main), with(source, func(o *slsagen.Options) { o.SourceBranch = "main" })},
		{containerBased(v123), with(source, func(o *slsagen.Options) { o.SourceTag = "v1.2.3" })},
		{delegated(thirdPartyTRW+"@refs/tags/v1.0.0", v123), with(source, func(o *slsagen.Options) {
			o.SourceVersionedTag, o.BuilderID = "v1.2", thirdPartyTRW
		})},
		{delegatedV02(mavenTRW+release, v123), with(source, func(o *slsagen.Options) { o.SourceBranch = "main" })},
		{genericBuild(goBuilder, "https://github.com/slsa-framework/slsa-github-generator/go@v1", v123), source},
	}
	for i, m := range modes {
		f.Add(m.build.json(f), uint8(i))
	}
	// Real statements, as structural seeds.
	paths, _ := filepath.Glob(filepath.Join(corpusDir, "slsa_provenance", "*", "*", "*"))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for line := range strings.Lines(string(data)) {
			var doc struct {
				Payload      []byte `json:"payload"`
				DSSEEnvelope struct {
					Payload []byte `json:"payload"`
				} `json:"dsseEnvelope"`
			}
			if json.Unmarshal([]byte(line), &doc) != nil {
				continue
			}
			for _, payload := range [][]byte{doc.Payload, doc.DSSEEnvelope.Payload} {
				if len(payload) > 0 {
					f.Add(payload, uint8(len(payload)))
				}
			}
		}
	}

	f.Fuzz(func(t *testing.T, stmt []byte, mode uint8) {
		m := modes[int(mode)%len(modes)]
		got, err := slsagen.Verify(m.build.cert, stmt, artifact, m.opts)
		if (got == nil) == (err == nil) {
			t.Fatalf("Verify = %+v, %v: want exactly one of result and error", got, err)
		}
		if err == nil && !strings.HasPrefix(got.SourceURI, repoURI) {
			t.Fatalf("verified source %q is not %s", got.SourceURI, repoURI)
		}
	})
}
