//go:build tools

// Package tools pins nektos/act (v0.2.89), which runs relproof's reusable
// workflows for real in the end-to-end test (internal/e2e, -tags act),
// on the host (-P ubuntu-latest=-self-hosted), without Docker. Build it with
//
//	cd tools/act && go build -o ../../bin/act github.com/nektos/act
//
// (`go install pkg@version` is refused by the module proxy here.)
package tools

import _ "github.com/nektos/act"
