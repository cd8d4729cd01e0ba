package predicate

import (
	"encoding/json"
	"errors"
	"io"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	testresultv0 "github.com/in-toto/attestation/go/predicates/test_result/v0"
	intotov1 "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/testing/protocmp"
)

// wantTestResult is the predicate expected for fixture with the given lists.
func wantTestResult(t *testing.T, fixture, result string, passed, warned, failed []string) *testresultv0.TestResult {
	t.Helper()
	return &testresultv0.TestResult{
		Result: result,
		Configuration: []*intotov1.ResourceDescriptor{{
			Name:   fixture,
			Digest: map[string]string{"sha256": sha256Hex(readFixture(t, fixture))},
		}},
		PassedTests: passed,
		WarnedTests: warned,
		FailedTests: failed,
	}
}

func TestParseTestReport(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fixture string
		parse   func(io.Reader, string) (*testresultv0.TestResult, error)
		result  string
		passed  []string
		warned  []string
		failed  []string
	}{
		{
			name:    "go test with failures, skips, subtests and a build failure",
			fixture: "gotest.jsonl",
			parse:   ParseTestReport,
			result:  ResultFailed,
			passed: []string{
				"example.com/shop/cart.TestAddItem",
				"example.com/shop/cart.TestTotal/empty",
				"example.com/shop/cart.TestTotal/one_item",
				"example.com/shop/money.TestRound",
			},
			warned: []string{
				"example.com/shop/cart.TestCheckoutLive",
				"example.com/shop/money.TestParseLocale",
			},
			failed: []string{
				"example.com/shop/cart.TestRemoveItem",
				"example.com/shop/cart.TestTotal",
				"example.com/shop/cart.TestTotal/with_discount",
				"example.com/shop/inventory", // build failure
			},
		},
		{
			name:    "go test with only passes and skips is WARNED",
			fixture: "gotest-skips.jsonl",
			parse:   ParseGoTestJSON,
			result:  ResultWarned,
			passed:  []string{"example.com/shop/money.TestRound"},
			warned:  []string{"example.com/shop/money.TestParseLocale"},
		},
		{
			name:    "JUnit with failure, error, skipped, nested suites and a rerun",
			fixture: "junit.xml",
			parse:   ParseTestReport,
			result:  ResultFailed,
			passed: []string{
				"com.example.shop.CartTest.addsItem",
				"com.example.shop.CartTest.totalWithDiscount",
				"com.example.shop.InventoryIT.releasesStock",
				"com.example.shop.InventoryIT.reservesStock",
				"smoke", // no classname
			},
			warned: []string{"com.example.shop.CartTest.checkoutLive"},
			failed: []string{
				"com.example.shop.CartTest.removesItem",
				"com.example.shop.InventoryIT.connectsToDatabase",
			},
		},
		{
			name:    "JUnit single testsuite, all passed",
			fixture: "junit-single-suite.xml",
			parse:   ParseJUnitXML,
			result:  ResultPassed,
			passed:  []string{"tests.test_money.test_parse", "tests.test_money.test_round"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.parse(openFixture(t, tc.fixture), tc.fixture)
			if err != nil {
				t.Fatal(err)
			}
			want := wantTestResult(t, tc.fixture, tc.result, tc.passed, tc.warned, tc.failed)
			if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
				t.Errorf("predicate mismatch (-want +got):\n%s", diff)
			}
			if err := got.GetConfiguration()[0].Validate(); err != nil {
				t.Errorf("configuration descriptor: %v", err)
			}
			for _, l := range [][]string{got.GetPassedTests(), got.GetWarnedTests(), got.GetFailedTests()} {
				if !sort.StringsAreSorted(l) {
					t.Errorf("list not sorted: %q", l)
				}
			}
		})
	}
}

func TestParseTestReportErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string // fixture name, or inline content when it starts with "inline:"
		parse func(io.Reader, string) (*testresultv0.TestResult, error)
		want  []string // substrings of the error
	}{
		{"empty go test stream", "gotest-empty.jsonl", ParseGoTestJSON, []string{`"gotest-empty.jsonl"`, "no test events"}},
		{"empty report, auto-detected", "gotest-empty.jsonl", ParseTestReport, []string{`"gotest-empty.jsonl"`, "no test events"}},
		{"blank report", "inline: \n\t\n", ParseTestReport, []string{"no test events"}},
		{"non-JSON line in go test stream", "gotest-nonjson.jsonl", ParseTestReport, []string{`"gotest-nonjson.jsonl"`, "line 4", "not a `go test -json` event"}},
		{"JSON line without Action", `inline:{"Action":"start","Package":"p"}` + "\n" + `{"Package":"p"}`, ParseGoTestJSON, []string{"line 2", "no Action"}},
		{"go test stream without test results", "inline:" + `{"Action":"start","Package":"p"}` + "\n" + `{"Action":"skip","Package":"p"}`, ParseGoTestJSON, []string{"no test results"}},
		{"line longer than 1 MiB", "inline:" + `{"Action":"output","Output":"` + strings.Repeat("x", maxGoTestLine) + `"}`, ParseGoTestJSON, []string{"line 1", "longer than"}},
		{"malformed JUnit", "junit-malformed.xml", ParseTestReport, []string{`"junit-malformed.xml"`, "malformed JUnit XML", "line 5"}},
		{"JUnit without test cases", "junit-no-cases.xml", ParseJUnitXML, []string{`"junit-no-cases.xml"`, "no <testcase>"}},
		{"JUnit with a wrong root", "inline:<html><body/></html>", ParseJUnitXML, []string{"root element is <html>"}},
		{"JUnit with two roots", `inline:<testsuite><testcase name="a"/></testsuite><testsuite/>`, ParseJUnitXML, []string{"second root element"}},
		{"JUnit test case without a name", `inline:<testsuite><testcase classname="c"/></testsuite>`, ParseJUnitXML, []string{"without a name"}},
		{"unknown format", "inline:PASS\nok  \texample.com/shop\t0.01s\n", ParseTestReport, []string{"unknown test report format", "go test -json", "JUnit XML"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name, r := tc.input, io.Reader(nil)
			if content, ok := strings.CutPrefix(tc.input, "inline:"); ok {
				name, r = "report", strings.NewReader(content)
			} else {
				r = openFixture(t, tc.input)
			}
			got, err := tc.parse(r, name)
			if err == nil {
				t.Fatalf("got predicate %v, want an error", got)
			}
			if !errors.Is(err, ErrBadReport) {
				t.Errorf("error %q does not wrap ErrBadReport", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseTestReportByteOrderMark(t *testing.T) {
	t.Parallel()
	report := "\xEF\xBB\xBF" + string(readFixture(t, "junit-single-suite.xml"))
	got, err := ParseTestReport(strings.NewReader(report), "bom.xml")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"sha256": sha256Hex([]byte(report))}
	if diff := cmp.Diff(want, got.GetConfiguration()[0].GetDigest()); diff != "" {
		t.Errorf("digest must cover the whole report, BOM included (-want +got):\n%s", diff)
	}
}

// TestTestResultJSON checks the predicate's JSON against the field names of
// the in-toto test-result spec.
func TestTestResultJSON(t *testing.T) {
	t.Parallel()
	tr, err := ParseTestReport(openFixture(t, "gotest.jsonl"), "gotest.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	b, err := protojson.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	want := []string{"configuration", "failedTests", "passedTests", "result", "warnedTests"}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("JSON keys (-want +got):\n%s", diff)
	}
	var conf []map[string]any
	if err := json.Unmarshal(got["configuration"], &conf); err != nil {
		t.Fatal(err)
	}
	wantConf := []map[string]any{{
		"name":   "gotest.jsonl",
		"digest": map[string]any{"sha256": sha256Hex(readFixture(t, "gotest.jsonl"))},
	}}
	if diff := cmp.Diff(wantConf, conf); diff != "" {
		t.Errorf("configuration JSON (-want +got):\n%s", diff)
	}
	if string(got["result"]) != `"FAILED"` {
		t.Errorf("result = %s, want \"FAILED\"", got["result"])
	}
}
