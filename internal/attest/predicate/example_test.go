package predicate_test

import (
	"fmt"
	"log"
	"os"

	"github.com/relproof/relproof/internal/attest/predicate"
)

func ExampleParseTestReport() {
	f, err := os.Open("testdata/gotest-skips.jsonl")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	tr, err := predicate.ParseTestReport(f, "gotest-skips.jsonl")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tr.GetResult())
	fmt.Println("passed:", tr.GetPassedTests())
	fmt.Println("warned:", tr.GetWarnedTests())
	// Output:
	// WARNED
	// passed: [example.com/shop/money.TestRound]
	// warned: [example.com/shop/money.TestParseLocale]
}

func ExampleParseVulnReport() {
	f, err := os.Open("testdata/trivy-image.json")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	v, err := predicate.ParseVulnReport(f, "trivy-image.json")
	if err != nil {
		log.Fatal(err)
	}
	counts := v.CountBySeverity()
	fmt.Println(v.Format, v.Predicate.Scanner.URI)
	fmt.Println("critical:", counts[predicate.SeverityCritical], "high:", counts[predicate.SeverityHigh])
	fmt.Println(v.CheckSubject("sha256:e349b90214ab28c93163cedde9e0d0dc283601c932eea2974879d8a7408d6fae"))
	// Output:
	// trivy pkg:github/aquasecurity/trivy
	// critical: 1 high: 1
	// vulnerability report "trivy-image.json" scanned sha256:f6e9a196a0c5e108e1c3328d45c36a3d01a7fa2747365334a294058eb2aa422b but the subject is sha256:e349b90214ab28c93163cedde9e0d0dc283601c932eea2974879d8a7408d6fae: the scan is of a different artifact
}
