// Command relproof makes and checks signed release evidence bound to an
// artifact's digest. See `relproof --help`.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/relproof/relproof/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.New(cli.DefaultEnv()).ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "relproof:", err)
	}
	os.Exit(cli.ExitCode(err))
}
