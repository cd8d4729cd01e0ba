package policy

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const vulnExceptions = `- id: CVE-2024-45337
  package: golang.org/x/crypto
  reason: not reachable
  approver: security@acme.example
  expires: 2027-03-31
- id: GHSA-v778-237x-gjrc
  digest: ` + digestA + `
  reason: this build only
  approver: security@acme.example
  expires: 2027-01-15T00:00:00Z
- id: CVE-2023-45288
  reason: behind a proxy
  approver: security@acme.example
  expires: 2026-06-30
- id: CVE-2023-45288
  package: golang.org/x/net
  reason: renewed once
  approver: security@acme.example
  expires: 2026-09-30
- id: CVE-2025-0001
  reason: expires today
  approver: security@acme.example
  expires: 2026-11-26
`

func TestFindingBlocked(t *testing.T) {
	t.Parallel()
	p := parse(t, header+`
			production:
				vulnerabilities: {maxSeverity: high, exceptions: exceptions.yaml}
			unknown-low:
				vulnerabilities: {maxSeverity: medium, unknownAs: low}
			zero:
				vulnerabilities: {maxSeverity: none}
			report-only:
				vulnerabilities: {maxSeverity: critical}
			unrated-default:
				vulnerabilities: {maxSeverity: high}
			unrated-ignored:
				vulnerabilities: {maxSeverity: none, unknownAs: ignore}
`, files{"policies/exceptions.yaml": vulnExceptions})
	prod := environment(t, p, "production")
	x := prod.Vulnerabilities.Exceptions
	date := func(s string) time.Time {
		tm, err := parseExpiry(s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	if !x[0].Expires.Equal(date("2027-03-31")) || x[0].File != "policies/exceptions.yaml" || x[0].Line != 1 {
		t.Fatalf("exception 0 = %+v", x[0])
	}

	crypto := Finding{ID: "CVE-2024-45337", Package: "golang.org/x/crypto", Version: "v0.30.0", FixedVersion: "0.31.0", Severity: "Critical"}
	tests := []struct {
		name    string
		env     string
		finding Finding
		digest  string
		want    FindingResult
		message string
	}{
		{
			name:    "within the threshold",
			env:     "production",
			finding: Finding{ID: "CVE-2024-0001", Package: "libc", Version: "2.36", Severity: "high"},
			want:    FindingResult{Severity: SeverityHigh, MaxSeverity: SeverityHigh, Expected: "severity at most high, or an active exception", Found: "high"},
			message: "CVE-2024-0001 in libc 2.36 is high, within maxSeverity high",
		},
		{
			name:    "above the threshold, no exception",
			env:     "production",
			finding: Finding{ID: "CVE-2024-0002", Package: "openssl", Version: "3.0.1", FixedVersion: "3.0.2", Severity: "CRITICAL"},
			want: FindingResult{Severity: SeverityCritical, MaxSeverity: SeverityHigh, AboveThreshold: true, Blocked: true,
				Expected: "severity at most high, or an active exception", Found: "critical, no exception"},
			message: "CVE-2024-0002 in openssl 3.0.1 is critical, above maxSeverity high; fixed in 3.0.2",
		},
		{
			name:    "excepted by id and package",
			env:     "production",
			finding: crypto,
			digest:  digestB,
			want: FindingResult{Severity: SeverityCritical, MaxSeverity: SeverityHigh, AboveThreshold: true, Exception: &x[0],
				Expected: "severity at most high, or an active exception", Found: "critical, excepted until 2027-03-31T00:00:00Z"},
			message: "CVE-2024-45337 in golang.org/x/crypto v0.30.0 is critical, above maxSeverity high; excepted until 2027-03-31T00:00:00Z by security@acme.example (policies/exceptions.yaml:1): not reachable",
		},
		{
			name:    "exception for another package",
			env:     "production",
			finding: Finding{ID: "cve-2024-45337", Package: "golang.org/x/crypto/ssh", Severity: "critical"},
			want: FindingResult{Severity: SeverityCritical, MaxSeverity: SeverityHigh, AboveThreshold: true, Blocked: true,
				Expected: "severity at most high, or an active exception", Found: "critical, no exception"},
			message: "cve-2024-45337 in golang.org/x/crypto/ssh is critical, above maxSeverity high",
		},
		{
			name:    "excepted for this digest",
			env:     "production",
			finding: Finding{ID: "GHSA-v778-237x-gjrc", Package: "golang.org/x/crypto", Severity: "critical"},
			digest:  digestA,
			want: FindingResult{Severity: SeverityCritical, MaxSeverity: SeverityHigh, AboveThreshold: true, Exception: &x[1],
				Expected: "severity at most high, or an active exception", Found: "critical, excepted until 2027-01-15T00:00:00Z"},
		},
		{
			name:    "exception for another digest",
			env:     "production",
			finding: Finding{ID: "GHSA-v778-237x-gjrc", Package: "golang.org/x/crypto", Severity: "critical"},
			digest:  digestB,
			want: FindingResult{Severity: SeverityCritical, MaxSeverity: SeverityHigh, AboveThreshold: true, Blocked: true,
				Expected: "severity at most high, or an active exception", Found: "critical, no exception"},
		},
		{
			name:    "exception expired",
			env:     "production",
			finding: Finding{ID: "CVE-2023-45288", Package: "golang.org/x/net", Version: "v0.22.0", FixedVersion: "0.23.0", Severity: "critical"},
			want: FindingResult{Severity: SeverityCritical, MaxSeverity: SeverityHigh, AboveThreshold: true, Blocked: true, Expired: &x[3],
				Expected: "severity at most high, or an active exception", Found: "critical, exception expired at 2026-09-30T00:00:00Z"},
			message: "CVE-2023-45288 in golang.org/x/net v0.22.0 is critical, above maxSeverity high; its exception (policies/exceptions.yaml:15) expired at 2026-09-30T00:00:00Z; fixed in 0.23.0",
		},
		{
			name:    "a date expires at the start of that day",
			env:     "production",
			finding: Finding{ID: "CVE-2025-0001", Severity: "critical"},
			want: FindingResult{Severity: SeverityCritical, MaxSeverity: SeverityHigh, AboveThreshold: true, Blocked: true, Expired: &x[4],
				Expected: "severity at most high, or an active exception", Found: "critical, exception expired at 2026-11-26T00:00:00Z"},
			message: "CVE-2025-0001 is critical, above maxSeverity high; its exception (policies/exceptions.yaml:20) expired at 2026-11-26T00:00:00Z",
		},
		{
			name:    "unrated counts as critical by default",
			env:     "zero",
			finding: Finding{ID: "GHSA-aaaa-bbbb-cccc", Package: "left-pad", Severity: ""},
			want: FindingResult{Severity: SeverityCritical, Unrated: true, MaxSeverity: SeverityNone, AboveThreshold: true, Blocked: true,
				Expected: "severity at most none, or an active exception", Found: "unrated, counted as critical, no exception"},
			message: `GHSA-aaaa-bbbb-cccc in left-pad is unrated (no severity given), counted as critical (unknownAs), above maxSeverity none`,
		},
		{
			name:    "CRIT is unrated, and blocks under maxSeverity high",
			env:     "unrated-default",
			finding: Finding{ID: "CVE-2024-0006", Package: "zlib", Version: "1.2", Severity: "CRIT"},
			want: FindingResult{Severity: SeverityCritical, Unrated: true, MaxSeverity: SeverityHigh, AboveThreshold: true, Blocked: true,
				Expected: "severity at most high, or an active exception", Found: "unrated, counted as critical, no exception"},
			message: `CVE-2024-0006 in zlib 1.2 is unrated (severity "CRIT"), counted as critical (unknownAs), above maxSeverity high`,
		},
		{
			name:    "unknown is unrated, and blocks under maxSeverity high",
			env:     "unrated-default",
			finding: Finding{ID: "CVE-2024-0007", Severity: "unknown"},
			want: FindingResult{Severity: SeverityCritical, Unrated: true, MaxSeverity: SeverityHigh, AboveThreshold: true, Blocked: true,
				Expected: "severity at most high, or an active exception", Found: "unrated, counted as critical, no exception"},
			message: `CVE-2024-0007 is unrated (severity "unknown"), counted as critical (unknownAs), above maxSeverity high`,
		},
		{
			name:    "an unrated severity is quoted safely and cut short",
			env:     "unrated-default",
			finding: Finding{ID: "CVE-2024-0008", Severity: "x\n::error::" + strings.Repeat("A", 100)},
			want: FindingResult{Severity: SeverityCritical, Unrated: true, MaxSeverity: SeverityHigh, AboveThreshold: true, Blocked: true,
				Expected: "severity at most high, or an active exception", Found: "unrated, counted as critical, no exception"},
			message: `CVE-2024-0008 is unrated (severity "x\n::error::` + strings.Repeat("A", 53) + `"…), counted as critical (unknownAs), above maxSeverity high`,
		},
		{
			name:    "unrated counts as unknownAs",
			env:     "unknown-low",
			finding: Finding{ID: "CVE-2024-0003", Severity: "Important"},
			want: FindingResult{Severity: SeverityLow, Unrated: true, MaxSeverity: SeverityMedium,
				Expected: "severity at most medium, or an active exception", Found: "unrated, counted as low"},
			message: `CVE-2024-0003 is unrated (severity "Important"), counted as low (unknownAs), within maxSeverity medium`,
		},
		{
			name:    "unrated ignored with unknownAs ignore, even under maxSeverity none",
			env:     "unrated-ignored",
			finding: Finding{ID: "CVE-2024-0009", Severity: "CRIT"},
			want: FindingResult{Severity: SeverityUnknown, Unrated: true, MaxSeverity: SeverityNone,
				Expected: "severity at most none, or an active exception", Found: "unrated, ignored"},
			message: `CVE-2024-0009 is unrated (severity "CRIT"), ignored (unknownAs: ignore)`,
		},
		{
			name:    "a rated finding is still compared under unknownAs ignore",
			env:     "unrated-ignored",
			finding: Finding{ID: "CVE-2024-0010", Severity: "low"},
			want: FindingResult{Severity: SeverityLow, MaxSeverity: SeverityNone, AboveThreshold: true, Blocked: true,
				Expected: "severity at most none, or an active exception", Found: "low, no exception"},
		},
		{
			name:    "moderate is medium",
			env:     "unknown-low",
			finding: Finding{ID: "GHSA-1111-2222-3333", Severity: "moderate"},
			want: FindingResult{Severity: SeverityMedium, MaxSeverity: SeverityMedium,
				Expected: "severity at most medium, or an active exception", Found: "medium"},
		},
		{
			name:    "none blocks negligible",
			env:     "zero",
			finding: Finding{ID: "CVE-2024-0004", Severity: "negligible"},
			want: FindingResult{Severity: SeverityNegligible, MaxSeverity: SeverityNone, AboveThreshold: true, Blocked: true,
				Expected: "severity at most none, or an active exception", Found: "negligible, no exception"},
		},
		{
			name:    "critical blocks nothing",
			env:     "report-only",
			finding: Finding{ID: "CVE-2024-0005", Severity: "critical"},
			want: FindingResult{Severity: SeverityCritical, MaxSeverity: SeverityCritical,
				Expected: "severity at most critical, or an active exception", Found: "critical"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := environment(t, p, tt.env).FindingBlocked(tt.finding, tt.digest, now)
			tt.want.Finding = tt.finding
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("FindingBlocked (-want +got):\n%s", diff)
			}
			if tt.message != "" {
				if diff := cmp.Diff(tt.message, got.Message()); diff != "" {
					t.Errorf("Message (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestExceptionExpiry(t *testing.T) {
	t.Parallel()
	x := Exception{ID: "CVE-2024-45337", Expires: time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)}
	tests := []struct {
		name string
		at   time.Time
		want bool
	}{
		{name: "before", at: x.Expires.Add(-time.Second), want: true},
		{name: "at", at: x.Expires, want: false},
		{name: "after", at: x.Expires.Add(time.Second), want: false},
		{name: "before, in another zone", at: time.Date(2027, 3, 31, 1, 0, 0, 0, time.FixedZone("CET", 3600)).Add(-time.Second), want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := x.ActiveAt(tt.at); got != tt.want {
				t.Errorf("ActiveAt(%s) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}

func TestNormalizeSeverity(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Severity{
		"critical": SeverityCritical, "CRITICAL": SeverityCritical, " High ": SeverityHigh, "Moderate": SeverityMedium,
		"medium": SeverityMedium, "low": SeverityLow, "Negligible": SeverityNegligible,
		"": SeverityUnknown, "unknown": SeverityUnknown, "important": SeverityUnknown, "none": SeverityUnknown,
	} {
		if got := NormalizeSeverity(in); got != want {
			t.Errorf("NormalizeSeverity(%q) = %q, want %q", in, got, want)
		}
	}
}
