// Package predicate turns test and scanner reports into in-toto predicates.
//
// Test reports (`go test -json` streams and JUnit XML) become in-toto
// test-result predicates (TestResultType). Vulnerability reports (grype JSON,
// trivy JSON and SARIF 2.1.0) become cosign vulnerability-scan predicates
// (VulnType) that carry the raw report, together with a normalized list of
// findings and the digest the scanner says it scanned, so that callers can
// refuse a scan of a different artifact (VulnReport.CheckSubject).
//
// Parsers read only the report: they never consult the clock, so the same
// report always gives the same predicate. Every parse error wraps ErrBadReport
// and names the report.
package predicate
