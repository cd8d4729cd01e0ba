package cli

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relproof/relproof/internal/verify"
)

// verify --bundle: a file with no evidence at all is bad input (exit 2),
// the same for every way of not being evidence; evidence that does not
// verify, however malformed, is a verdict (exit 1).
func TestVerifyBundleFileExitCodes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := testEnv(t, nil)
	key, pub := keys(t, env, dir, "k")
	_, otherPub := keys(t, env, dir, "other")
	artifact := writeFile(t, dir, "app.bin", "the release artifact")
	pred := writeFile(t, dir, "pred.json", `{"checked":true}`)
	bundle := filepath.Join(dir, "app.sigstore.json")
	expect(t, run(t, env, "attest", artifact, "--type", "custom", "--predicate", pred, "--predicate-type", "https://example.com/check/v1", "--key", key, "--bundle-out", bundle), 0)
	good := strings.TrimSpace(readFile(t, bundle))

	for _, tc := range []struct {
		name, content string
		key           string // default pub
		code          int
		want          []string
	}{
		{name: "empty", content: "", code: 2, want: []string{"holds no evidence", "empty"}},
		{name: "blank lines", content: "\n \n\t\n", code: 2, want: []string{"holds no evidence", "empty"}},
		{name: "text", content: "this is not a bundle\n", code: 2, want: []string{"holds no evidence", "not JSON"}},
		{name: "truncated JSON", content: `{"mediaType": 42`, code: 2, want: []string{"holds no evidence", "not JSON"}},
		{name: "JSON of something else", content: `{"name":"app","version":"1.2.3"}`, code: 2, want: []string{"holds no evidence", "found neither"}},
		{name: "JSON array", content: `[1,2,3]`, code: 2, want: []string{"holds no evidence"}},
		{name: "JSON Lines of something else", content: "{\"a\":1}\n{\"b\":2}\n", code: 2, want: []string{"holds no evidence", "on at least one of its 2 lines"}},
		{name: "a bundle that does not parse", content: `{"mediaType": 42}`, code: 1, want: []string{"malformed bundle"}},
		{name: "a bundle with no content", content: `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`, code: 1, want: []string{"malformed bundle"}},
		{name: "an envelope with no signature", content: `{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]}`, code: 1, want: []string{"malformed bundle", "DSSE envelope"}},
		{name: "a bundle signed by another key", content: good, key: otherPub, code: 1, want: []string{"not verified"}},
		{name: "JSON Lines with a bad line and one that verifies", content: "not json\n" + good + "\n", code: 0},
		{name: "JSON Lines with a bad line and one that does not verify", content: "not json\n" + good + "\n", key: otherPub, code: 1, want: []string{"not verified"}},
		{name: "the bundle", content: good, code: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k := tc.key
			if k == "" {
				k = pub
			}
			f := writeFile(t, t.TempDir(), "evidence.json", tc.content)
			r := run(t, env, "verify", artifact, "--bundle", f, "--key", k)
			expect(t, r, tc.code, tc.want...)
			if tc.code == 2 && (errors.Is(r.err, verify.ErrNotVerified) || !errors.Is(r.err, ErrUsage)) {
				t.Errorf("error %v: want a usage error, not a verdict", r.err)
			}
			if tc.code == 1 && !errors.Is(r.err, verify.ErrNotVerified) {
				t.Errorf("error %v is not ErrNotVerified", r.err)
			}
			if tc.code == 2 && !strings.Contains(r.errText(), "--bundle "+f) {
				t.Errorf("error %q does not name --bundle %s", r.errText(), f)
			}
		})
	}

	// One file that is no evidence among good ones is still the wrong file.
	empty := writeFile(t, dir, "empty.json", "")
	expect(t, run(t, env, "verify", artifact, "--bundle", bundle, "--bundle", empty, "--key", pub), 2, "--bundle "+empty+" holds no evidence")
}
