//go:build tools

// Package tools pins the stock gh CLI (github.com/cli/cli/v2 v2.83.0) that
// relproof's interoperability tests run as bin/gh. Build it with
//
//	cd tools/gh && go build -o ../../bin/gh github.com/cli/cli/v2/cmd/gh
//
// (`go install pkg@version` is refused by the module proxy here.)
package tools

import _ "github.com/cli/cli/v2/cmd/gh"
