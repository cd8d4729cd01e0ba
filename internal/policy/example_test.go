package policy_test

import (
	"fmt"
	"log"
	"time"

	"github.com/relproof/relproof/internal/policy"
)

func ExampleLoad() {
	p, err := policy.Load("../../examples/policy.yaml")
	if err != nil {
		log.Fatal(err)
	}
	prod, err := p.EffectiveEnvironment("production")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("level:", prod.Level)
	fmt.Println("require:", prod.Require)
	fmt.Println("approvals:", prod.Approvals.Minimum, "self-review prevented:", prod.Approvals.PreventSelfReview)
	fmt.Println(prod.RefAllowed("refs/heads/feature/x").Message())

	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	f := policy.Finding{ID: "CVE-2023-45288", Package: "golang.org/x/net", Version: "v0.22.0", FixedVersion: "0.23.0", Severity: "critical"}
	r := prod.FindingBlocked(f, "sha256:4f6a0a3c1b7a8e3e2f0d5c9b8a7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e", now)
	fmt.Println(r.Blocked, r.Message())

	_, err = p.EffectiveEnvironment("qa")
	fmt.Println(err)
	// Output:
	// level: strong
	// require: [provenance sbom vuln test]
	// approvals: 1 self-review prevented: true
	// source ref not allowed: expected "refs/tags/v*", found "refs/heads/feature/x"
	// true CVE-2023-45288 in golang.org/x/net v0.22.0 is critical, above maxSeverity high; its exception (../../examples/exceptions.yaml:30) expired at 2026-06-30T00:00:00Z; fixed in 0.23.0
	// environment "qa" is not in policy ../../examples/policy.yaml: expected one of production, staging
}
