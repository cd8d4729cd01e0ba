package predicate

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"sort"

	testresultv0 "github.com/in-toto/attestation/go/predicates/test_result/v0"
	intotov1 "github.com/in-toto/attestation/go/v1"
)

// TestResultType is the predicate type of in-toto test-result predicates.
const TestResultType = "https://in-toto.io/attestation/test-result/v0.1"

// Values of TestResult.Result.
const (
	ResultPassed = "PASSED" // every test passed
	ResultWarned = "WARNED" // no failure, but some tests were skipped
	ResultFailed = "FAILED" // at least one test, or a package build, failed
)

// ParseTestReport reads a test report, `go test -json` output or JUnit XML
// (chosen by its first non-blank character), and returns its test-result
// predicate. name identifies the report in the predicate's configuration and
// in errors.
func ParseTestReport(r io.Reader, name string) (*testresultv0.TestResult, error) {
	br := bufio.NewReader(r)
	var head []byte // what detection consumed, handed on so the digest covers it
	if p, _ := br.Peek(len(utf8BOM)); bytes.Equal(p, utf8BOM) {
		head = append(head, utf8BOM...)
		_, _ = br.Discard(len(utf8BOM))
	}
	for {
		b, err := br.ReadByte()
		if errors.Is(err, io.EOF) {
			return nil, badReportf(name, "no test events: the report is empty")
		}
		if err != nil {
			return nil, badReport(name, err)
		}
		head = append(head, b)
		if isBlank(b) {
			continue
		}
		full := io.MultiReader(bytes.NewReader(head), br)
		switch b {
		case '{':
			return ParseGoTestJSON(full, name)
		case '<':
			return ParseJUnitXML(full, name)
		}
		return nil, badReportf(name, "unknown test report format: want `go test -json` output (JSON lines) or JUnit XML")
	}
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// skipBOM returns r without a leading UTF-8 byte order mark.
func skipBOM(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	if p, _ := br.Peek(len(utf8BOM)); bytes.Equal(p, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
	}
	return br
}

func isBlank(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// Outcomes of one test, in increasing order of precedence.
const (
	outcomePassed = iota
	outcomeWarned
	outcomeFailed
)

// outcomes collects the outcome of each named test. A test seen more than
// once (go test -count, reruns) keeps its worst outcome, so that each name is
// in exactly one list of the predicate.
type outcomes map[string]int

func (o outcomes) record(name string, outcome int) {
	if prev, ok := o[name]; !ok || outcome > prev {
		o[name] = outcome
	}
}

// digestingReader hashes every byte read through it.
func digestingReader(r io.Reader) (io.Reader, hash.Hash) {
	h := sha256.New()
	return io.TeeReader(r, h), h
}

// predicate builds the test-result predicate for a report named name whose
// bytes hashed to h.
func (o outcomes) predicate(name string, h hash.Hash) *testresultv0.TestResult {
	var lists [3][]string
	for test, outcome := range o {
		lists[outcome] = append(lists[outcome], test)
	}
	for _, l := range lists {
		sort.Strings(l)
	}
	result := ResultPassed
	switch {
	case len(lists[outcomeFailed]) > 0:
		result = ResultFailed
	case len(lists[outcomeWarned]) > 0:
		result = ResultWarned
	}
	return &testresultv0.TestResult{
		Result: result,
		Configuration: []*intotov1.ResourceDescriptor{{
			Name:   name,
			Digest: map[string]string{"sha256": hex.EncodeToString(h.Sum(nil))},
		}},
		PassedTests: lists[outcomePassed],
		WarnedTests: lists[outcomeWarned],
		FailedTests: lists[outcomeFailed],
	}
}
