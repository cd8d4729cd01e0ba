//go:build tools

// Package tools pins the stock syft CLI (v1.57.1, the version relproof links
// as a library) that bench/sbom compares `relproof sbom` against. Build it
// with
//
//	cd tools/syft && go build -o ../../bin/syft github.com/anchore/syft/cmd/syft
//
// (`go install pkg@version` is refused by the module proxy here.)
package tools

import _ "github.com/anchore/syft/cmd/syft"
