package cli

import (
	"encoding/json"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestVersion(t *testing.T) {
	t.Parallel()
	platform := runtime.GOOS + "/" + runtime.GOARCH
	built := func(version string, settings ...debug.BuildSetting) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			return &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/relproof/relproof", Version: version}, Settings: settings}, true
		}
	}
	vcs := []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "dac1ec4c0ffee0000000000000000000000000ab"},
		{Key: "vcs.time", Value: "2026-11-20T09:30:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}
	for _, tc := range []struct {
		name    string
		read    func() (*debug.BuildInfo, bool)
		release string
		text    string
		json    versionInfo
	}{
		{
			name: "a git checkout",
			read: built("(devel)", vcs...),
			text: "relproof (devel) (dac1ec4c0ffee0000000000000000000000000ab, modified, 2026-11-20T09:30:00Z) go1.26.8 " + platform + "\n",
			json: versionInfo{Version: "(devel)", Revision: "dac1ec4c0ffee0000000000000000000000000ab", Time: "2026-11-20T09:30:00Z", Modified: true, GoVersion: "go1.26.8", Platform: platform},
		},
		{
			name: "a release",
			read: built("v1.4.0", vcs[:3]...),
			text: "relproof v1.4.0 (dac1ec4c0ffee0000000000000000000000000ab, 2026-11-20T09:30:00Z) go1.26.8 " + platform + "\n",
			json: versionInfo{Version: "v1.4.0", Revision: "dac1ec4c0ffee0000000000000000000000000ab", Time: "2026-11-20T09:30:00Z", GoVersion: "go1.26.8", Platform: platform},
		},
		{
			// The release workflow stamps the version and records no
			// commit, so the bytes do not depend on it.
			name:    "a release build",
			read:    built("(devel)"),
			release: "v1.5.0",
			text:    "relproof v1.5.0 go1.26.8 " + platform + "\n",
			json:    versionInfo{Version: "v1.5.0", GoVersion: "go1.26.8", Platform: platform},
		},
		{
			name: "no VCS information",
			read: built("(devel)"),
			text: "relproof (devel) go1.26.8 " + platform + "\nno VCS information: built outside a git checkout or with -buildvcs=false\n",
			json: versionInfo{Version: "(devel)", GoVersion: "go1.26.8", Platform: platform, Note: noVCS},
		},
		{
			name: "no build information",
			read: func() (*debug.BuildInfo, bool) { return nil, false },
			text: "relproof (devel) " + runtime.Version() + " " + platform + "\nno VCS information: built outside a git checkout or with -buildvcs=false\n",
			json: versionInfo{Version: "(devel)", GoVersion: runtime.Version(), Platform: platform, Note: noVCS},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := testEnv(t, nil)
			env.BuildInfo = tc.read
			r := run(t, env, "version")
			if tc.release != "" {
				// The release's stamp, as the version command reads it.
				got := readVersion(tc.read, tc.release)
				var b strings.Builder
				versionText(&b, got)
				if diff := cmp.Diff(tc.text, b.String()); diff != "" {
					t.Errorf("version (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tc.json, got); diff != "" {
					t.Errorf("version (-want +got):\n%s", diff)
				}
				return
			}
			expect(t, r, 0)
			if diff := cmp.Diff(tc.text, r.stdout); diff != "" {
				t.Errorf("version (-want +got):\n%s", diff)
			}
			r = run(t, env, "version", "--output", "json")
			expect(t, r, 0)
			var got versionInfo
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatalf("version --output json: %v\n%s", err, r.stdout)
			}
			if diff := cmp.Diff(tc.json, got); diff != "" {
				t.Errorf("version --output json (-want +got):\n%s", diff)
			}
		})
	}
}
