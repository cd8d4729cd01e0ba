package cli

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// releaseVersion is the release a binary was built as, set by the
// release workflow (-ldflags -X …/internal/cli.releaseVersion=vX.Y.Z). A
// release is built with -buildvcs=false, so that the same source gives the
// same bytes whichever commit it is built at: the checksums recorded in
// release/checksums are committed after the source they were built from.
var releaseVersion string

// noVCS is what version says when the binary records no commit.
const noVCS = "no VCS information: built outside a git checkout or with -buildvcs=false"

// versionInfo is what relproof was built from, as the Go toolchain
// recorded it in the binary.
type versionInfo struct {
	Version   string `json:"version"`
	Revision  string `json:"revision,omitempty"`
	Time      string `json:"time,omitempty"`
	Modified  bool   `json:"modified,omitempty"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
	// Note says why there is no revision, when there is none.
	Note string `json:"note,omitempty"`
}

// readVersion reads the build information that read returns (the
// binary's own: debug.ReadBuildInfo), and release, the version a release
// build was stamped with ("" for none).
func readVersion(read func() (*debug.BuildInfo, bool), release string) versionInfo {
	v := versionInfo{Version: "(devel)", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := read(); ok {
		if bi.Main.Version != "" {
			v.Version = bi.Main.Version
		}
		if bi.GoVersion != "" {
			v.GoVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Revision = s.Value
			case "vcs.time":
				v.Time = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	if release != "" {
		v.Version = release
	}
	if v.Revision == "" && release == "" {
		v.Note = noVCS
	}
	return v
}

// version is what this relproof was built from.
func (env *Env) version() versionInfo {
	read := env.BuildInfo
	if read == nil {
		read = debug.ReadBuildInfo
	}
	return readVersion(read, releaseVersion)
}

// short is the version as a decision records it: "v1.2.3", "(devel)
// 0123abc…", with "+modified" for a dirty tree.
func (v versionInfo) short() string {
	s := v.Version
	if v.Revision != "" {
		s += " " + v.Revision
		if v.Modified {
			s += "+modified"
		}
	}
	return s
}

func newVersionCmd(env *Env, g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print relproof's version, the commit it was built from and the Go toolchain",
		Long: `Print the module version, the VCS revision and time the binary was built
from (with "modified" when the tree had changes), the Go version and the
platform, as the Go toolchain recorded them in the binary.

A binary built outside a git checkout, with -buildvcs=false, or by go run
records no revision; version then says so. A release binary is built
with -buildvcs=false (so that its bytes, which release/checksums records,
do not depend on the commit) and is stamped with its version instead.`,
		Example: `  relproof version
  relproof version --output json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := env.version()
			return g.report(cmd.OutOrStdout(), v, func(w io.Writer) { versionText(w, v) })
		},
	}
}

// versionText writes the version as the version command prints it.
func versionText(w io.Writer, v versionInfo) {
	fmt.Fprintf(w, "relproof %s", v.Version)
	if v.Revision != "" {
		fmt.Fprintf(w, " (%s", v.Revision)
		if v.Modified {
			fmt.Fprint(w, ", modified")
		}
		if v.Time != "" {
			fmt.Fprintf(w, ", %s", v.Time)
		}
		fmt.Fprint(w, ")")
	}
	fmt.Fprintf(w, " %s %s\n", v.GoVersion, v.Platform)
	if v.Note != "" {
		fmt.Fprintln(w, v.Note)
	}
}
