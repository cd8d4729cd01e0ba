// Command gendocs writes relproof's CLI reference as Markdown, one page per
// command, from the commands' own help text:
//
//	go run ./cmd/relproof/gendocs docs/cli
//
// The cli package's tests fail when the checked-in pages are stale.
package main

import (
	"fmt"
	"os"

	"github.com/relproof/relproof/internal/cli"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gendocs DIR")
		os.Exit(2)
	}
	if err := cli.WriteDocs(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}
