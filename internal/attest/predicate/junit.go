package predicate

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"

	testresultv0 "github.com/in-toto/attestation/go/predicates/test_result/v0"
)

// junitSuite is a <testsuites> or <testsuite> element. Suites nest (some
// tools put <testsuite> inside <testsuite>); both hold test cases.
type junitSuite struct {
	XMLName xml.Name
	Suites  []junitSuite `xml:"testsuite"`
	Cases   []junitCase  `xml:"testcase"`
}

type junitCase struct {
	Name      string     `xml:"name,attr"`
	Classname string     `xml:"classname,attr"`
	Failures  []struct{} `xml:"failure"`
	Errors    []struct{} `xml:"error"`
	Skipped   []struct{} `xml:"skipped"`
}

// ParseJUnitXML reads a JUnit XML report, rooted at <testsuites> or
// <testsuite>, and returns its test-result predicate. Test cases are named
// "classname.name" (or "name" without a classname); a case with <failure> or
// <error> failed, one with <skipped> is a warning, any other passed.
func ParseJUnitXML(r io.Reader, name string) (*testresultv0.TestResult, error) {
	tee, h := digestingReader(r)
	dec := xml.NewDecoder(skipBOM(tee))

	var root junitSuite
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, badReportf(name, "no XML element")
		}
		return nil, badReportf(name, "malformed JUnit XML: %w", err)
	}
	if l := root.XMLName.Local; l != "testsuites" && l != "testsuite" {
		return nil, badReportf(name, "root element is <%s>, want <testsuites> or <testsuite>", l)
	}
	// Read to the end: the digest covers the whole report, and what follows
	// the root may only be comments, processing instructions and space.
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, badReportf(name, "malformed JUnit XML after the root element: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return nil, badReportf(name, "malformed JUnit XML: second root element <%s> on line %d", t.Name.Local, xmlLine(dec))
		case xml.CharData:
			if len(bytes.TrimLeft(t, " \t\r\n")) > 0 {
				return nil, badReportf(name, "malformed JUnit XML: text after the root element on line %d", xmlLine(dec))
			}
		}
	}

	tests := outcomes{}
	if err := collectJUnit(root, tests); err != nil {
		return nil, badReport(name, err)
	}
	if len(tests) == 0 {
		return nil, badReportf(name, "no <testcase> in the JUnit report")
	}
	return tests.predicate(name, h), nil
}

func collectJUnit(s junitSuite, tests outcomes) error {
	for _, c := range s.Cases {
		if c.Name == "" {
			return fmt.Errorf("<testcase> without a name attribute (classname %q)", c.Classname)
		}
		test := c.Name
		if c.Classname != "" {
			test = c.Classname + "." + c.Name
		}
		switch {
		case len(c.Failures) > 0 || len(c.Errors) > 0:
			tests.record(test, outcomeFailed)
		case len(c.Skipped) > 0:
			tests.record(test, outcomeWarned)
		default:
			tests.record(test, outcomePassed)
		}
	}
	for _, sub := range s.Suites {
		if err := collectJUnit(sub, tests); err != nil {
			return err
		}
	}
	return nil
}

func xmlLine(dec *xml.Decoder) int {
	l, _ := dec.InputPos()
	return l
}
