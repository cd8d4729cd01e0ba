package predicate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	testresultv0 "github.com/in-toto/attestation/go/predicates/test_result/v0"
)

// maxGoTestLine is the longest `go test -json` line accepted.
const maxGoTestLine = 1 << 20

// goTestEvent is the part of a test2json event (`go doc test2json`) we read.
type goTestEvent struct {
	Action  string
	Package string
	Test    string
}

// ParseGoTestJSON reads `go test -json` output and returns its test-result
// predicate. Tests are named "import/path.TestName" (subtests
// "import/path.TestName/sub"); skipped tests count as warnings. A package
// that failed without a failing test (a build failure, a crash in TestMain)
// counts as a failed entry named after the package. Every line must be a
// test2json event.
func ParseGoTestJSON(r io.Reader, name string) (*testresultv0.TestResult, error) {
	tee, h := digestingReader(r)
	sc := bufio.NewScanner(tee)
	sc.Buffer(make([]byte, 0, 64*1024), maxGoTestLine)

	tests := outcomes{}
	failedPkgs := map[string]bool{}
	pkgsWithFailedTest := map[string]bool{}
	events, line := 0, 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if line == 1 {
			b = bytes.TrimPrefix(b, utf8BOM)
		}
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		var ev goTestEvent
		if err := json.Unmarshal(b, &ev); err != nil {
			return nil, badReportf(name, "line %d: not a `go test -json` event: %w", line, err)
		}
		if ev.Action == "" {
			return nil, badReportf(name, "line %d: not a `go test -json` event: no Action", line)
		}
		events++
		if ev.Test == "" {
			if ev.Action == "fail" && ev.Package != "" {
				failedPkgs[ev.Package] = true
			}
			// Other package-level events: pass, skip ("no test files"),
			// and build-output/build-fail, reported again as a package fail.
			continue
		}
		test := ev.Test
		if ev.Package != "" {
			test = ev.Package + "." + ev.Test
		}
		switch ev.Action {
		case "pass":
			tests.record(test, outcomePassed)
		case "skip":
			tests.record(test, outcomeWarned)
		case "fail":
			tests.record(test, outcomeFailed)
			pkgsWithFailedTest[ev.Package] = true
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("line %d: longer than %d bytes", line+1, maxGoTestLine)
		}
		return nil, badReport(name, err)
	}
	if events == 0 {
		return nil, badReportf(name, "no test events")
	}
	for pkg := range failedPkgs {
		if !pkgsWithFailedTest[pkg] {
			tests.record(pkg, outcomeFailed)
		}
	}
	if len(tests) == 0 {
		return nil, badReportf(name, "no test results in %d test events", events)
	}
	return tests.predicate(name, h), nil
}
