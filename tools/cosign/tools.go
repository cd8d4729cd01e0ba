//go:build tools

// Package tools pins the stock cosign CLI (v2.6.1) that relproof's
// benchmarks and interoperability tests compare against. Build it with
//
//	cd tools/cosign && go build -o ../../bin/cosign github.com/sigstore/cosign/v2/cmd/cosign
//
// (`go install pkg@version` is refused by the module proxy here.)
package tools

import _ "github.com/sigstore/cosign/v2/cmd/cosign"
