package cli

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// versionInfo is what relproof was built from, as the Go toolchain
// recorded it in the binary.
type versionInfo struct {
	Version   string `json:"version"`
	Revision  string `json:"revision,omitempty"`
	Time      string `json:"time,omitempty"`
	Modified  bool   `json:"modified,omitempty"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

func readVersion() versionInfo {
	v := versionInfo{Version: "(devel)", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
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
	return v
}

func newVersionCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print relproof's version, the commit it was built from and the Go toolchain",
		Long: `Print the module version, the VCS revision and time the binary was built
from (with "modified" when the tree had changes), the Go version and the
platform, as the Go toolchain recorded them in the binary.`,
		Example: `  relproof version
  relproof version --output json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := readVersion()
			return g.report(cmd.OutOrStdout(), v, func(w io.Writer) {
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
			})
		},
	}
}
