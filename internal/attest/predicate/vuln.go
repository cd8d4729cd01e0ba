package predicate

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// VulnType is the predicate type of cosign vulnerability-scan predicates
// (cosign specs/COSIGN_VULN_ATTESTATION_SPEC.md).
const VulnType = "https://cosign.sigstore.dev/attestation/vuln/v1"

// VulnPredicate is the cosign vulnerability-scan predicate.
type VulnPredicate struct {
	Invocation VulnInvocation `json:"invocation"`
	Scanner    VulnScanner    `json:"scanner"`
	Metadata   VulnMetadata   `json:"metadata"`
}

// VulnInvocation says how the scan was run. Parsers leave it empty (the
// report does not say); the caller fills it from its CI context.
type VulnInvocation struct {
	Parameters []string `json:"parameters"`
	URI        string   `json:"uri"`
	EventID    string   `json:"event_id"`
	BuilderID  string   `json:"builder.id"`
}

// VulnScanner names the scanner and carries its raw report.
type VulnScanner struct {
	URI     string          `json:"uri"`
	Version string          `json:"version"`
	DB      VulnDB          `json:"db"`
	Result  json.RawMessage `json:"result"` // the report, byte for byte
}

// VulnDB names the vulnerability database the scanner used.
type VulnDB struct {
	URI     string `json:"uri"`
	Version string `json:"version"`
}

// VulnMetadata holds the scan's times, RFC 3339, taken from the report. A time
// the report does not give is left out rather than guessed: cosign reads
// these fields as timestamps, and "" is not one.
type VulnMetadata struct {
	ScanStartedOn  string `json:"scanStartedOn,omitempty"`
	ScanFinishedOn string `json:"scanFinishedOn,omitempty"`
}

// Normalized severities of a Finding.
const (
	SeverityCritical   = "critical"
	SeverityHigh       = "high"
	SeverityMedium     = "medium"
	SeverityLow        = "low"
	SeverityNegligible = "negligible"
	SeverityUnknown    = "unknown"
)

// Finding is one vulnerability in a report, normalized across scanners.
type Finding struct {
	ID           string // CVE, GHSA, … (the SARIF rule id)
	Package      string // "" when the report does not name it (SARIF)
	Version      string // installed version, "" when unknown
	FixedVersion string // versions that fix it, comma-separated; "" when none
	Severity     string // one of the Severity constants
}

// Report formats.
const (
	FormatGrype = "grype"
	FormatTrivy = "trivy"
	FormatSARIF = "sarif"
)

// VulnReport is a parsed vulnerability report.
type VulnReport struct {
	Name          string         // the report's name, as given to ParseVulnReport
	Predicate     *VulnPredicate // the cosign predicate to sign
	Format        string         // FormatGrype, FormatTrivy or FormatSARIF
	ScannedDigest string         // "sha256:HEX" the report says it scanned; "" if it names none
	Findings      []Finding      // sorted by ID, then Package
}

// ParseVulnReport reads a grype JSON, trivy JSON or SARIF 2.1.0 report and
// returns its cosign predicate, findings and scanned digest. name identifies
// the report in errors.
func ParseVulnReport(r io.Reader, name string) (*VulnReport, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, badReport(name, err)
	}
	var top map[string]json.RawMessage
	err = json.Unmarshal(raw, &top)
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) || err == nil && top == nil {
		return nil, badReportf(name, "not a JSON object: want grype JSON, trivy JSON or SARIF 2.1.0")
	}
	if err != nil {
		return nil, badReport(name, jsonError(err))
	}

	var parse func([]byte) (*VulnReport, error)
	var format string
	switch {
	case top["runs"] != nil:
		format, parse = FormatSARIF, parseSARIF
	case top["matches"] != nil:
		format, parse = FormatGrype, parseGrype
	case top["SchemaVersion"] != nil:
		format, parse = FormatTrivy, parseTrivy
	default:
		return nil, badReportf(name, "unknown vulnerability report format: want grype JSON, trivy JSON or SARIF 2.1.0")
	}
	v, err := parse(raw)
	if err != nil {
		return nil, badReportf(name, "%s report: %w", format, err)
	}
	v.Format = format
	v.Name = name
	v.Predicate.Invocation.Parameters = []string{}
	v.Predicate.Scanner.Result = json.RawMessage(raw)
	// By ID, then Package; the other fields only make the order total, so
	// that the same report always gives the same list.
	slices.SortFunc(v.Findings, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.ID, b.ID), cmp.Compare(a.Package, b.Package),
			cmp.Compare(a.Version, b.Version), cmp.Compare(a.FixedVersion, b.FixedVersion),
			cmp.Compare(a.Severity, b.Severity))
	})
	return v, nil
}

// CheckSubject returns a *SubjectMismatchError when the report names the
// digest it scanned and that digest is not subjectDigest ("sha256:HEX"). It
// returns nil when they match or when the report names no digest.
func (v *VulnReport) CheckSubject(subjectDigest string) error {
	if v.ScannedDigest == "" || v.ScannedDigest == subjectDigest {
		return nil
	}
	return &SubjectMismatchError{Report: v.Name, Scanned: v.ScannedDigest, Subject: subjectDigest}
}

// CountBySeverity counts the findings of each normalized severity. Every
// severity is a key, with 0 when there is no finding of it.
func (v *VulnReport) CountBySeverity() map[string]int {
	counts := map[string]int{
		SeverityCritical: 0, SeverityHigh: 0, SeverityMedium: 0,
		SeverityLow: 0, SeverityNegligible: 0, SeverityUnknown: 0,
	}
	for _, f := range v.Findings {
		counts[f.Severity]++
	}
	return counts
}

// normalizeSeverity maps a scanner's severity word to a Severity constant.
func normalizeSeverity(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical":
		return SeverityCritical
	case "high":
		return SeverityHigh
	case "medium", "moderate":
		return SeverityMedium
	case "low":
		return SeverityLow
	case "negligible":
		return SeverityNegligible
	}
	return SeverityUnknown
}

// digestOf returns the "sha256:HEX" digest in ref ("repo@sha256:HEX" or
// "sha256:HEX"), or "" when it holds none.
func digestOf(ref string) string {
	if i := strings.LastIndexByte(ref, '@'); i >= 0 {
		ref = ref[i+1:]
	}
	hexPart, ok := strings.CutPrefix(ref, "sha256:")
	if !ok || len(hexPart) != 64 || strings.Trim(hexPart, "0123456789abcdef") != "" {
		return ""
	}
	return ref
}

// reportTime checks that s, a time from a report, is RFC 3339 and returns it
// unchanged ("" stays "").
func reportTime(field, s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
		return "", fmt.Errorf("%s %q is not an RFC 3339 time", field, s)
	}
	return s, nil
}

// jsonError adds the byte offset to a JSON decoding error.
func jsonError(err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Errorf("malformed JSON at byte offset %d: %w", syn.Offset, err)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Errorf("unexpected JSON at byte offset %d: %w", typ.Offset, err)
	}
	return fmt.Errorf("malformed JSON: %w", err)
}
