//go:build tools

// Package tools pins actionlint (v1.7.12), which lints relproof's own
// workflows and the reusable workflows it ships. Build it with
//
//	cd tools/actionlint && go build -o ../../bin/actionlint github.com/rhysd/actionlint/cmd/actionlint
//
// (`go install pkg@version` is refused by the module proxy here.)
package tools

import _ "github.com/rhysd/actionlint/cmd/actionlint"
