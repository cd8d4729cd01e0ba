package predicate

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const (
	shopManifest = "sha256:f6e9a196a0c5e108e1c3328d45c36a3d01a7fa2747365334a294058eb2aa422b"
	shopConfig   = "sha256:e349b90214ab28c93163cedde9e0d0dc283601c932eea2974879d8a7408d6fae" // trivy's ImageID
)

func TestParseVulnReport(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fixture  string
		format   string
		scanned  string
		scanner  VulnScanner // without Result
		metadata VulnMetadata
		findings []Finding
	}{
		{
			fixture: "grype-image.json",
			format:  FormatGrype,
			scanned: shopManifest,
			scanner: VulnScanner{
				URI:     "pkg:github/anchore/grype@0.86.1",
				Version: "0.86.1",
				DB: VulnDB{
					URI:     "https://grype.anchore.io/databases/v6/vulnerability-db_v6.0.2_2025-06-02T01:31:42Z_1748840095.tar.zst?checksum=sha256%3A9b0cd1b4e2bd5e0c7d1d1b3f9d2f4d8d1b2c0f7e3a4b5c6d7e8f9a0b1c2d3e4f",
					Version: "v6.0.2 built 2025-06-02T01:31:42Z",
				},
			},
			metadata: VulnMetadata{
				ScanStartedOn:  "2025-06-03T14:07:31.248165391+02:00",
				ScanFinishedOn: "2025-06-03T14:07:31.248165391+02:00",
			},
			findings: []Finding{
				{"CVE-2005-2541", "tar", "1.34+dfsg-1.2+deb12u1", "", SeverityNegligible},
				{"CVE-2024-45336", "stdlib", "go1.23.1", "1.22.11, 1.23.5", SeverityMedium},
				{"CVE-2024-6119", "libcrypto3", "3.3.1-r3", "3.3.2-r0", SeverityHigh},
				{"CVE-2024-6119", "libssl3", "3.3.1-r3", "3.3.2-r0", SeverityHigh},
				{"CVE-2024-9143", "libcrypto3", "3.3.1-r3", "3.3.2-r1", SeverityLow},
				{"GHSA-v778-237x-gjrc", "golang.org/x/crypto", "v0.26.0", "0.31.0", SeverityCritical},
				{"GHSA-xxxx-unknown", "github.com/acme/kit", "v1.2.0", "", SeverityUnknown},
			},
		},
		{
			fixture: "grype-file.json", // a file source names no digest
			format:  FormatGrype,
			scanner: VulnScanner{
				URI:     "pkg:github/anchore/grype@0.79.3",
				Version: "0.79.3",
				DB:      VulnDB{Version: "v5 built 2024-07-18T01:29:13Z"},
			},
			metadata: VulnMetadata{
				ScanStartedOn:  "2024-07-18T09:12:44.514309152Z",
				ScanFinishedOn: "2024-07-18T09:12:44.514309152Z",
			},
			findings: []Finding{
				{"GHSA-v778-237x-gjrc", "golang.org/x/crypto", "v0.26.0", "0.31.0", SeverityCritical},
			},
		},
		{
			fixture: "trivy-image.json",
			format:  FormatTrivy,
			scanned: shopManifest, // from RepoDigests, not ImageID
			scanner: VulnScanner{URI: "pkg:github/aquasecurity/trivy"},
			metadata: VulnMetadata{
				ScanStartedOn:  "2025-06-03T14:08:02.581746102+02:00",
				ScanFinishedOn: "2025-06-03T14:08:02.581746102+02:00",
			},
			findings: []Finding{
				{"CVE-2024-45336", "stdlib", "v1.23.1", "1.22.11, 1.23.5, 1.24.0-rc.2", SeverityMedium},
				{"CVE-2024-6119", "libcrypto3", "3.3.1-r3", "3.3.2-r0", SeverityHigh},
				{"CVE-2024-9143", "libcrypto3", "3.3.1-r3", "3.3.2-r1", SeverityLow},
				{"CVE-2025-0000", "github.com/acme/kit", "v1.2.0", "", SeverityUnknown},
				{"GHSA-v778-237x-gjrc", "golang.org/x/crypto", "v0.26.0", "0.31.0", SeverityCritical},
			},
		},
		{
			fixture: "sarif.json", // trivy SARIF: security-severity, levels, a passing result
			format:  FormatSARIF,
			scanned: shopManifest, // run.properties.repoDigests
			scanner: VulnScanner{URI: "https://github.com/aquasecurity/trivy", Version: "0.58.1"},
			metadata: VulnMetadata{
				ScanStartedOn:  "2025-06-03T12:07:58.102Z",
				ScanFinishedOn: "2025-06-03T12:08:02.581Z",
			},
			findings: []Finding{
				{ID: "CVE-2024-45336", Severity: SeverityMedium},        // 6.1
				{ID: "CVE-2024-6119", Severity: SeverityHigh},           // 7.5
				{ID: "CVE-2024-6119", Severity: SeverityHigh},           // second package
				{ID: "CVE-2024-9143", Severity: SeverityMedium},         // 4.3, although trivy says LOW
				{ID: "DS002", Severity: SeverityHigh},                   // level error
				{ID: "DS026", Severity: SeverityLow},                    // rule default level note
				{ID: "GHSA-v778-237x-gjrc", Severity: SeverityCritical}, // 9.1
			},
		},
		{
			fixture:  "sarif-generic.json", // a code scanner: no digest, no times, levels only
			format:   FormatSARIF,
			scanner:  VulnScanner{URI: "https://github.com/securego/gosec/", Version: "2.21.4"},
			findings: []Finding{{ID: "G104", Severity: SeverityMedium}, {ID: "G401", Severity: SeverityHigh}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			raw := readFixture(t, tc.fixture)
			got, err := ParseVulnReport(openFixture(t, tc.fixture), tc.fixture)
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(got.Predicate.Scanner.Result) || string(got.Predicate.Scanner.Result) != string(raw) {
				t.Error("scanner.result is not the raw report")
			}
			tc.scanner.Result = got.Predicate.Scanner.Result
			want := &VulnReport{
				Name: tc.fixture,
				Predicate: &VulnPredicate{
					Invocation: VulnInvocation{Parameters: []string{}},
					Scanner:    tc.scanner,
					Metadata:   tc.metadata,
				},
				Format:        tc.format,
				ScannedDigest: tc.scanned,
				Findings:      tc.findings,
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("report mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseVulnReportErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string // fixture name, or inline content when it starts with "inline:"
		want  []string
	}{
		{"malformed grype", "grype-malformed.json", []string{`"grype-malformed.json"`, "malformed JSON at byte offset 900"}},
		{"malformed trivy", "trivy-malformed.json", []string{`"trivy-malformed.json"`, "malformed JSON at byte offset 24"}},
		{"malformed SARIF", "sarif-malformed.json", []string{`"sarif-malformed.json"`, "malformed JSON at byte offset"}},
		{"CycloneDX is not a vulnerability report", "cyclonedx.json", []string{`"cyclonedx.json"`, "unknown vulnerability report format", "grype JSON, trivy JSON or SARIF 2.1.0"}},
		{"a test report", "gotest.jsonl", []string{`"gotest.jsonl"`, "malformed JSON"}},
		{"empty", "inline:", []string{"malformed JSON"}},
		{"JSON array (trivy's old format)", `inline:[{"Target":"alpine:3.10"}]`, []string{"not a JSON object"}},
		{"null", "inline:null", []string{"not a JSON object"}},
		{"grype matches of the wrong type", `inline:{"matches":"none"}`, []string{"grype report", "byte offset"}},
		{"grype image with a bad manifest digest", `inline:{"matches":[],"source":{"type":"image","target":{"manifestDigest":"sha256:abc"}}}`, []string{"manifestDigest", "not a sha256 digest"}},
		{"grype with a bad timestamp", `inline:{"matches":[],"descriptor":{"timestamp":"yesterday"}}`, []string{"descriptor.timestamp", "RFC 3339"}},
		{"trivy schema version 1", `inline:{"SchemaVersion":1,"Results":[]}`, []string{"trivy report", "schema version 1"}},
		{"trivy repo digest without digest", `inline:{"SchemaVersion":2,"Metadata":{"RepoDigests":["alpine:3.20"]}}`, []string{"RepoDigests", "no sha256 digest"}},
		{"SARIF 2.0", `inline:{"version":"2.0.0","runs":[]}`, []string{"sarif report", `SARIF version "2.0.0"`}},
		{"SARIF without runs", `inline:{"version":"2.1.0","runs":[]}`, []string{"no runs"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name, r := tc.input, strings.NewReader("")
			if content, ok := strings.CutPrefix(tc.input, "inline:"); ok {
				name, r = "report.json", strings.NewReader(content)
			} else {
				r = strings.NewReader(string(readFixture(t, tc.input)))
			}
			got, err := ParseVulnReport(r, name)
			if err == nil {
				t.Fatalf("got report %+v, want an error", got)
			}
			if diff := cmp.Diff(ErrBadReport, err, cmpopts.EquateErrors()); diff != "" {
				t.Errorf("error does not wrap ErrBadReport (-want +got):\n%s", diff)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestCheckSubject(t *testing.T) {
	t.Parallel()
	const other = "sha256:0000000000000000000000000000000000000000000000000000000000000001"
	tests := []struct {
		name    string
		fixture string
		subject string
		want    error
	}{
		{"grype scanned the subject", "grype-image.json", shopManifest, nil},
		{"grype scanned another image", "grype-image.json", other, &SubjectMismatchError{Report: "grype-image.json", Scanned: shopManifest, Subject: other}},
		{"trivy scanned the subject", "trivy-image.json", shopManifest, nil},
		{"trivy's config digest is not the subject", "trivy-image.json", shopConfig, &SubjectMismatchError{Report: "trivy-image.json", Scanned: shopManifest, Subject: shopConfig}},
		{"SARIF from trivy scanned another image", "sarif.json", other, &SubjectMismatchError{Report: "sarif.json", Scanned: shopManifest, Subject: other}},
		{"grype file scan names no digest", "grype-file.json", other, nil},
		{"generic SARIF names no digest", "sarif-generic.json", other, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := ParseVulnReport(openFixture(t, tc.fixture), tc.fixture)
			if err != nil {
				t.Fatal(err)
			}
			got := v.CheckSubject(tc.subject)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("CheckSubject (-want +got):\n%s", diff)
			}
			if tc.want == nil {
				return
			}
			if !errors.Is(got, ErrSubjectMismatch) {
				t.Errorf("errors.Is(%v, ErrSubjectMismatch) = false", got)
			}
			for _, w := range []string{tc.fixture, v.ScannedDigest, tc.subject, "different artifact"} {
				if !strings.Contains(got.Error(), w) {
					t.Errorf("error %q does not name %q", got, w)
				}
			}
		})
	}
}

func TestCountBySeverity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fixture string
		want    map[string]int
	}{
		{"grype-image.json", map[string]int{"critical": 1, "high": 2, "medium": 1, "low": 1, "negligible": 1, "unknown": 1}},
		{"trivy-image.json", map[string]int{"critical": 1, "high": 1, "medium": 1, "low": 1, "negligible": 0, "unknown": 1}},
		{"sarif.json", map[string]int{"critical": 1, "high": 3, "medium": 2, "low": 1, "negligible": 0, "unknown": 0}},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			v, err := ParseVulnReport(openFixture(t, tc.fixture), tc.fixture)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, v.CountBySeverity()); diff != "" {
				t.Errorf("CountBySeverity (-want +got):\n%s", diff)
			}
		})
	}
}

// TestVulnPredicateJSON checks the predicate's JSON against the field names
// of the cosign vulnerability-scan spec.
func TestVulnPredicateJSON(t *testing.T) {
	t.Parallel()
	for _, fixture := range []string{"grype-image.json", "trivy-image.json", "sarif.json"} {
		t.Run(fixture, func(t *testing.T) {
			t.Parallel()
			v, err := ParseVulnReport(openFixture(t, fixture), fixture)
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(v.Predicate)
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				Invocation map[string]json.RawMessage `json:"invocation"`
				Scanner    map[string]json.RawMessage `json:"scanner"`
				Metadata   map[string]json.RawMessage `json:"metadata"`
			}
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			keys := func(m map[string]json.RawMessage) []string {
				var ks []string
				for k := range m {
					ks = append(ks, k)
				}
				return ks
			}
			sorted := cmpopts.SortSlices(func(a, b string) bool { return a < b })
			for _, c := range []struct {
				what string
				got  []string
				want []string
			}{
				{"invocation", keys(got.Invocation), []string{"builder.id", "event_id", "parameters", "uri"}},
				{"scanner", keys(got.Scanner), []string{"db", "result", "uri", "version"}},
				{"metadata", keys(got.Metadata), []string{"scanFinishedOn", "scanStartedOn"}},
			} {
				if diff := cmp.Diff(c.want, c.got, sorted); diff != "" {
					t.Errorf("%s keys (-want +got):\n%s", c.what, diff)
				}
			}
			if p := string(got.Invocation["parameters"]); p != "[]" {
				t.Errorf("invocation.parameters = %s, want []", p)
			}
			var uri string
			if err := json.Unmarshal(got.Scanner["uri"], &uri); err != nil || uri == "" {
				t.Errorf("scanner.uri = %s, want a non-empty string", got.Scanner["uri"])
			}
			var result map[string]any
			if err := json.Unmarshal(got.Scanner["result"], &result); err != nil {
				t.Errorf("scanner.result is not a JSON object: %v", err)
			}
			var started string
			if err := json.Unmarshal(got.Metadata["scanStartedOn"], &started); err != nil || started == "" {
				t.Errorf("metadata.scanStartedOn = %s, want a time", got.Metadata["scanStartedOn"])
			}
		})
	}
}

func TestVulnMetadataOmitsUnknownTimes(t *testing.T) {
	t.Parallel()
	v, err := ParseVulnReport(openFixture(t, "sarif-generic.json"), "sarif-generic.json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v.Predicate.Metadata)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "{}" {
		t.Errorf("metadata = %s, want {} (no time in the report, none invented)", b)
	}
}
