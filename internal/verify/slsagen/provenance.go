package slsagen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	intoto "github.com/in-toto/in-toto-golang/in_toto"
	slsa02 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v0.2"
	slsa1 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v1"
	serrors "github.com/slsa-framework/slsa-verifier/v2/errors"
)

// Statement types Verify reads.
const (
	statementV01 = "https://in-toto.io/Statement/v0.1"
	statementV1  = "https://in-toto.io/Statement/v1"
)

// provenance is the part of an SLSA provenance statement the policy reads.
type provenance struct {
	layout    layout
	builderID string
	subjects  []intoto.Subject

	configSource string            // v0.2 invocation.configSource.uri
	sources      []string          // materials / resolvedDependencies URIs
	sourceDigest map[string]string // digest of the first of them
	env          any               // v0.2 invocation.environment, v1 internalParameters
}

// parseProvenance decodes an in-toto statement with SLSA provenance that the
// builder (a trusted builder's name, without ref) produces. Like
// slsa-verifier, it rejects unknown fields.
func parseProvenance(statement []byte, builder string) (*provenance, error) {
	var header intoto.StatementHeader
	if err := json.Unmarshal(statement, &header); err != nil {
		return nil, fmt.Errorf("%w: decoding statement: %w", serrors.ErrorInvalidDssePayload, err)
	}
	if header.Type != statementV01 && header.Type != statementV1 {
		return nil, fmt.Errorf("%w: expected statement _type %q or %q, found %q",
			serrors.ErrorInvalidDssePayload, statementV01, statementV1, header.Type)
	}
	byBuilder, ok := layouts[header.PredicateType]
	if !ok {
		return nil, fmt.Errorf("%w: expected predicateType %q or %q, found %q",
			serrors.ErrorInvalidDssePayload, provenanceV02, provenanceV1, header.PredicateType)
	}

	var p provenance
	var buildType string
	switch header.PredicateType {
	case provenanceV02:
		var st struct {
			intoto.StatementHeader
			Predicate slsa02.ProvenancePredicate `json:"predicate"`
		}
		if err := decodeStrict(statement, &st); err != nil {
			return nil, err
		}
		pr := st.Predicate
		buildType = pr.BuildType
		p = provenance{
			builderID:    pr.Builder.ID,
			subjects:     st.Subject,
			configSource: pr.Invocation.ConfigSource.URI,
			env:          pr.Invocation.Environment,
		}
		for i, m := range pr.Materials {
			p.sources = append(p.sources, m.URI)
			if i == 0 {
				p.sourceDigest = m.Digest
			}
		}
	case provenanceV1:
		var st struct {
			intoto.StatementHeader
			Predicate slsa1.ProvenancePredicate `json:"predicate"`
		}
		if err := decodeStrict(statement, &st); err != nil {
			return nil, err
		}
		pr := st.Predicate
		buildType = pr.BuildDefinition.BuildType
		p = provenance{
			builderID: pr.RunDetails.Builder.ID,
			subjects:  st.Subject,
			env:       pr.BuildDefinition.InternalParameters,
		}
		for i, d := range pr.BuildDefinition.ResolvedDependencies {
			p.sources = append(p.sources, d.URI)
			if i == 0 {
				p.sourceDigest = d.Digest
			}
		}
	}

	byType, ok := byBuilder[builder]
	if !ok {
		return nil, fmt.Errorf("%w: builder %q does not produce %q provenance", serrors.ErrorInvalidBuilderID, builder, header.PredicateType)
	}
	if p.layout, ok = byType[buildType]; !ok {
		return nil, fmt.Errorf("%w: builder %q does not produce buildType %q", serrors.ErrorInvalidBuildType, builder, buildType)
	}
	return &p, nil
}

func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: decoding provenance: %w", serrors.ErrorInvalidDssePayload, err)
	}
	return nil
}

func (p *provenance) v02() bool { return p.layout == generatorLayout || p.layout == byobV02Layout }

// trigger returns the URI, with ref, of the workflow run that triggered the
// build, and the field it was read from.
func (p *provenance) trigger() (string, string, error) {
	if p.v02() {
		const field = "invocation.configSource.uri"
		if p.configSource == "" {
			return "", field, fmt.Errorf("%w: provenance %s is empty", serrors.ErrorMalformedURI, field)
		}
		return p.configSource, field, nil
	}

	const field = "internalParameters.GITHUB_WORKFLOW_REF"
	params, err := p.params()
	if err != nil {
		return "", field, err
	}
	if _, ok := params["GITHUB_WORKFLOW_REF"]; !ok {
		return "", field, fmt.Errorf("%w: provenance has no %s", serrors.ErrorNotPresent, field)
	}
	ref, err := p.param("GITHUB_WORKFLOW_REF")
	if err != nil {
		return "", field, err
	}
	// OWNER/REPO/PATH@REF
	path, at, ok := strings.Cut(ref, "@")
	parts := strings.Split(path, "/")
	if !ok || strings.Contains(at, "@") || len(parts) < 2 {
		return "", field, fmt.Errorf("%w: provenance %s %q: want OWNER/REPO/PATH@REF", serrors.ErrorInvalidFormat, field, ref)
	}
	if at == "" {
		return "", field, fmt.Errorf("%w: provenance %s %q has an empty ref", serrors.ErrorMalformedURI, field, ref)
	}
	return "git+https://github.com/" + parts[0] + "/" + parts[1] + "@" + at, field, nil
}

// source returns the URI, with ref if it has one, of the source built, and
// the field it was read from.
func (p *provenance) source() (string, string, error) {
	field := "resolvedDependencies[0].uri"
	if p.v02() {
		field = "materials[0].uri"
	}
	if len(p.sources) == 0 {
		return "", field, fmt.Errorf("%w: provenance has no %s", serrors.ErrorInvalidDssePayload, field)
	}
	if p.sources[0] == "" {
		return "", field, fmt.Errorf("%w: provenance %s is empty", serrors.ErrorMalformedURI, field)
	}
	return p.sources[0], field, nil
}

// sourceCommit is the git commit digest of the source, if recorded.
func (p *provenance) sourceCommit() string {
	if c := p.sourceDigest["sha1"]; c != "" {
		return c
	}
	return p.sourceDigest["gitCommit"]
}

// params returns the environment (v0.2) or internal parameters (v1).
func (p *provenance) params() (map[string]any, error) {
	m, ok := p.env.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: provenance %s is not an object", serrors.ErrorInvalidDssePayload, p.envField())
	}
	return m, nil
}

func (p *provenance) envField() string {
	if p.v02() {
		return "invocation.environment"
	}
	return "internalParameters"
}

// key spells a GitHub context variable as this layout does.
func (p *provenance) key(k string) string {
	if p.layout == generatorLayout {
		return strings.ToLower(k)
	}
	return k
}

// param returns the string parameter k (upper-case; see key).
func (p *provenance) param(k string) (string, error) {
	params, err := p.params()
	if err != nil {
		return "", err
	}
	k = p.key(k)
	v, ok := params[k]
	if !ok {
		return "", fmt.Errorf("%w: provenance has no %s.%s", serrors.ErrorInvalidDssePayload, p.envField(), k)
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%w: provenance %s.%s is not a string", serrors.ErrorInvalidDssePayload, p.envField(), k)
	}
	return s, nil
}
