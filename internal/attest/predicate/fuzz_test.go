package predicate

import (
	"bytes"
	"errors"
	"testing"
)

var (
	testReportSeeds = []string{
		"gotest.jsonl", "gotest-skips.jsonl", "gotest-nonjson.jsonl", "gotest-empty.jsonl",
		"junit.xml", "junit-single-suite.xml", "junit-malformed.xml", "junit-no-cases.xml",
	}
	vulnReportSeeds = []string{
		"grype-image.json", "grype-file.json", "grype-malformed.json",
		"trivy-image.json", "trivy-malformed.json",
		"sarif.json", "sarif-generic.json", "sarif-malformed.json", "cyclonedx.json",
	}
)

// FuzzParseTestReport checks that no input panics, that every error wraps
// ErrBadReport, and that every predicate is well formed.
func FuzzParseTestReport(f *testing.F) {
	for _, s := range testReportSeeds {
		f.Add(readFixture(f, s))
	}
	f.Fuzz(func(t *testing.T, report []byte) {
		tr, err := ParseTestReport(bytes.NewReader(report), "fuzz")
		if err != nil {
			if !errors.Is(err, ErrBadReport) {
				t.Fatalf("error %q does not wrap ErrBadReport", err)
			}
			return
		}
		n := len(tr.GetPassedTests()) + len(tr.GetWarnedTests()) + len(tr.GetFailedTests())
		if n == 0 {
			t.Fatal("predicate without tests")
		}
		if got, want := tr.GetConfiguration()[0].GetDigest()["sha256"], sha256Hex(report); got != want {
			t.Fatalf("digest %s, want %s", got, want)
		}
		switch tr.GetResult() {
		case ResultPassed, ResultWarned, ResultFailed:
		default:
			t.Fatalf("result %q", tr.GetResult())
		}
	})
}

// FuzzParseVulnReport checks that no input panics, that every error wraps
// ErrBadReport, and that findings carry a normalized severity.
func FuzzParseVulnReport(f *testing.F) {
	for _, s := range vulnReportSeeds {
		f.Add(readFixture(f, s))
	}
	f.Fuzz(func(t *testing.T, report []byte) {
		v, err := ParseVulnReport(bytes.NewReader(report), "fuzz")
		if err != nil {
			if !errors.Is(err, ErrBadReport) {
				t.Fatalf("error %q does not wrap ErrBadReport", err)
			}
			return
		}
		total := 0
		for _, n := range v.CountBySeverity() {
			total += n
		}
		if total != len(v.Findings) {
			t.Fatalf("CountBySeverity totals %d, want %d: a severity is not normalized", total, len(v.Findings))
		}
		_ = v.CheckSubject("sha256:0000000000000000000000000000000000000000000000000000000000000000")
	})
}
