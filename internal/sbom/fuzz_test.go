package sbom

import (
	"encoding/json"
	"testing"

	"github.com/relproof/relproof/internal/subject"
)

// FuzzNameDigest: completing the described object never panics, and when
// it succeeds on a valid document the result is valid JSON that names the
// digest, whatever the document looked like.
func FuzzNameDigest(f *testing.F) {
	for _, s := range []string{
		`{"spdxVersion":"SPDX-2.3","packages":[{"name":"a","SPDXID":"SPDXRef-P"},{"name":"root","SPDXID":"SPDXRef-R"}],"relationships":[{"spdxElementId":"SPDXRef-DOCUMENT","relatedSpdxElement":"SPDXRef-R","relationshipType":"DESCRIBES"}]}`,
		`{"spdxVersion":"SPDX-2.3","documentDescribes":["SPDXRef-R"],"packages":[{"SPDXID":"SPDXRef-R","checksums":[{"algorithm":"SHA1","checksumValue":"ab"}]}],"relationships":[]}`,
		`{"bomFormat":"CycloneDX","specVersion":"1.6","metadata":{"component":{"name":"x \"{[","type":"file"}},"components":[]}`,
		`{"bomFormat":"CycloneDX","metadata":{"component":{"hashes":[{"alg":"SHA-256","content":"00"}]}}}`,
		` { "metadata" : { "component" : { } } } `,
		`{"packages":[1,2,{"SPDXID":"x"}],"relationships":[{"spdxElementId":"SPDXRef-DOCUMENT","relationshipType":"DESCRIBES","relatedSpdxElement":"x"}]}`,
	} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	d := subject.Digest{Algorithm: subject.SHA256, Hex: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}
	f.Fuzz(func(t *testing.T, doc []byte, spdx bool) {
		format := CycloneDXJSON
		if spdx {
			format = SPDXJSON
		}
		out, err := nameDigest(format, doc, d)
		if err != nil || !json.Valid(doc) {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("nameDigest(%s) made invalid JSON:\n%s\nfrom\n%s", format, out, doc)
		}
	})
}
