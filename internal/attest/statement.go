package attest

import (
	"bytes"
	"encoding/json"
	"fmt"

	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/relproof/relproof/internal/attest/predicate"
	"github.com/relproof/relproof/internal/subject"
)

// Predicate types relproof produces.
const (
	ProvenanceType = "https://slsa.dev/provenance/v1"
	TestResultType = predicate.TestResultType
	VulnType       = predicate.VulnType
)

// NewStatement returns a validated in-toto Statement v1 about s.
func NewStatement(s *subject.Subject, predicateType string, predicate *structpb.Struct) (*intoto.Statement, error) {
	st := &intoto.Statement{
		Type:          intoto.StatementTypeUri,
		Subject:       []*intoto.ResourceDescriptor{SubjectDescriptor(s)},
		PredicateType: predicateType,
		Predicate:     predicate,
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("building statement for %s: %w", s, err)
	}
	return st, nil
}

// SubjectDescriptor is the in-toto resource descriptor of a subject: its name
// and its digest, nothing mutable.
func SubjectDescriptor(s *subject.Subject) *intoto.ResourceDescriptor {
	name := s.Name
	if name == "" {
		name = s.Digest.String()
	}
	return &intoto.ResourceDescriptor{
		Name:   name,
		Digest: map[string]string{s.Digest.Algorithm: s.Digest.Hex},
	}
}

// Marshal encodes a proto message as canonical JSON: protojson field names,
// object keys sorted, no insignificant whitespace. protojson alone is
// deliberately unstable; the same statement must give the same bytes.
func Marshal(m proto.Message) ([]byte, error) {
	raw, err := protojson.Marshal(m)
	if err != nil {
		return nil, err
	}
	return canonicalJSON(raw)
}

func canonicalJSON(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// ToStruct converts a proto message or any JSON-encodable value to the
// google.protobuf.Struct a statement's predicate is.
func ToStruct(v any) (*structpb.Struct, error) {
	var raw []byte
	var err error
	if m, ok := v.(proto.Message); ok {
		raw, err = protojson.Marshal(m)
	} else {
		raw, err = json.Marshal(v)
	}
	if err != nil {
		return nil, fmt.Errorf("encoding predicate: %w", err)
	}
	return JSONToStruct(raw)
}

// JSONToStruct parses a JSON object into a Struct.
func JSONToStruct(raw []byte) (*structpb.Struct, error) {
	s := &structpb.Struct{}
	if err := protojson.Unmarshal(raw, s); err != nil {
		return nil, fmt.Errorf("expected a JSON object: %w", err)
	}
	return s, nil
}
