package attest

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"

	intoto "github.com/in-toto/attestation/go/v1"

	"github.com/relproof/relproof/internal/attest/predicate"
	"github.com/relproof/relproof/internal/subject"
)

// Type is the kind of evidence a statement carries.
type Type string

// Evidence types of `relproof attest --type`.
const (
	TypeProvenance Type = "provenance"
	TypeTest       Type = "test"
	TypeVuln       Type = "vuln"
	TypeCustom     Type = "custom"
)

// Types lists the evidence types, for help text and validation.
var Types = []Type{TypeProvenance, TypeTest, TypeVuln, TypeCustom}

// ErrBadInput is wrapped by errors about the request itself: an unknown
// type, a missing or malformed predicate, a report about another artifact.
var ErrBadInput = errors.New("bad attestation input")

// Request says what to attest.
type Request struct {
	Subject *subject.Subject
	Type    Type
	// Predicate is the input file's content: the test report, the scan
	// report or the custom predicate. PredicateName names it in errors.
	Predicate     []byte
	PredicateName string
	// PredicateType is required for custom predicates and refused otherwise.
	PredicateType string
	// Provenance is where provenance comes from (TypeProvenance only).
	Provenance ProvenanceInput
}

// Build returns the in-toto statement the request describes, bound to the
// subject's digest.
func Build(r Request) (*intoto.Statement, error) {
	if r.Subject == nil {
		return nil, fmt.Errorf("%w: no subject", ErrBadInput)
	}
	if r.PredicateType != "" && r.Type != TypeCustom {
		return nil, fmt.Errorf("%w: --predicate-type is for --type custom; --type %s has the fixed type of its predicate", ErrBadInput, r.Type)
	}
	needsInput := r.Type == TypeTest || r.Type == TypeVuln || r.Type == TypeCustom
	if needsInput && len(bytes.TrimSpace(r.Predicate)) == 0 {
		what := map[Type]string{TypeTest: "a test report (go test -json or JUnit XML)", TypeVuln: "a scan report (grype JSON, trivy JSON or SARIF)", TypeCustom: "a predicate (a JSON object)"}[r.Type]
		if r.Predicate == nil {
			return nil, fmt.Errorf("%w: --type %s needs --predicate FILE: %s", ErrBadInput, r.Type, what)
		}
		return nil, fmt.Errorf("%w: %s is empty, expected %s", ErrBadInput, r.PredicateName, what)
	}
	if r.Type == TypeProvenance && r.Predicate != nil {
		return nil, fmt.Errorf("%w: --type provenance builds its predicate from the environment; --predicate is not used (for a provenance document made elsewhere use --type custom --predicate-type %s)", ErrBadInput, ProvenanceType)
	}
	switch r.Type {
	case TypeProvenance:
		p, err := Provenance(r.Provenance)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadInput, err)
		}
		return statement(r.Subject, ProvenanceType, p)
	case TypeTest:
		tr, err := predicate.ParseTestReport(bytes.NewReader(r.Predicate), r.PredicateName)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadInput, err)
		}
		return statement(r.Subject, TestResultType, tr)
	case TypeVuln:
		vr, err := predicate.ParseVulnReport(bytes.NewReader(r.Predicate), r.PredicateName)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadInput, err)
		}
		if err := vr.CheckSubject(r.Subject.Digest.String()); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadInput, err)
		}
		return statement(r.Subject, VulnType, vr.Predicate)
	case TypeCustom:
		if err := checkPredicateType(r.PredicateType); err != nil {
			return nil, err
		}
		s, err := JSONToStruct(r.Predicate)
		if err != nil {
			return nil, fmt.Errorf("%w: predicate %s: %w", ErrBadInput, r.PredicateName, err)
		}
		return NewStatement(r.Subject, r.PredicateType, s)
	default:
		return nil, fmt.Errorf("%w: unknown --type %q, expected one of %s", ErrBadInput, r.Type, typeList())
	}
}

func statement(s *subject.Subject, predicateType string, pred any) (*intoto.Statement, error) {
	st, err := ToStruct(pred)
	if err != nil {
		return nil, err
	}
	return NewStatement(s, predicateType, st)
}

func checkPredicateType(t string) error {
	if t == "" {
		return fmt.Errorf("%w: --type custom needs --predicate-type URI", ErrBadInput)
	}
	u, err := url.Parse(t)
	if err != nil || u.Scheme == "" || (u.Host == "" && u.Opaque == "") {
		return fmt.Errorf("%w: --predicate-type %q: expected an absolute URI such as https://example.com/predicate/v1", ErrBadInput, t)
	}
	return nil
}

func typeList() string {
	names := make([]string, len(Types))
	for i, t := range Types {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}
