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
	"github.com/slsa-framework/slsa-verifier/v2/verifiers/utils"
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

// sourceRef returns the ref of a delegator's source URI (it may differ from
// the trigger's) and its type: "heads" or "tags".
func (p *provenance) sourceRef() (ref, refType string, err error) {
	uri, field, err := p.source()
	if err != nil {
		return "", "", err
	}
	if _, ref, err = utils.ParseGitURIAndRef(uri); err != nil {
		return "", "", fmt.Errorf("provenance %s: %w", field, err)
	}
	if ref == "" {
		return "", "", fmt.Errorf("%w: provenance %s %q has no ref", serrors.ErrorInvalidDssePayload, field, uri)
	}
	refType, _ = utils.ParseGitRef(ref)
	if refType != "heads" && refType != "tags" {
		return "", "", fmt.Errorf("%w: provenance %s %q: ref %q is neither a branch nor a tag",
			serrors.ErrorInvalidDssePayload, field, uri, ref)
	}
	return ref, refType, nil
}

// branch returns the branch ref the build ran on and where it was read from.
// For a tag build that is the base ref of the tag, if GitHub recorded one,
// or "".
func (p *provenance) branch() (string, string, error) {
	if p.layout.byob() {
		ref, refType, err := p.sourceRef()
		if err != nil || refType == "heads" {
			return ref, "the source URI", err
		}
		return p.branchForTag()
	}
	refType, err := p.param("GITHUB_REF_TYPE")
	if err != nil {
		return "", "", err
	}
	switch refType {
	case "branch":
		ref, err := p.param("GITHUB_REF")
		return ref, p.key("GITHUB_REF"), err
	case "tag":
		return p.branchForTag()
	}
	return "", "", fmt.Errorf("%w: provenance %s is %q, want branch or tag", serrors.ErrorInvalidDssePayload, p.key("GITHUB_REF_TYPE"), refType)
}

// branchForTag returns the branch of a tag build: the base ref, the base ref
// of a push event, or the target of a release.
func (p *provenance) branchForTag() (string, string, error) {
	base, err := p.param("GITHUB_BASE_REF")
	if err != nil || base != "" {
		return base, p.key("GITHUB_BASE_REF"), err
	}
	event, err := p.param("GITHUB_EVENT_NAME")
	if err != nil {
		return "", "", err
	}
	params, err := p.params()
	if err != nil {
		return "", "", err
	}
	payloadKey := p.key("GITHUB_EVENT_PAYLOAD")
	payload, ok := params[payloadKey].(map[string]any)
	if !ok {
		return "", "", fmt.Errorf("%w: provenance %s.%s is not an object", serrors.ErrorInvalidDssePayload, p.envField(), payloadKey)
	}
	switch event {
	case "push":
		v, ok := payload["base_ref"]
		if !ok {
			return "", "", fmt.Errorf("%w: provenance %s has no base_ref", serrors.ErrorInvalidDssePayload, payloadKey)
		}
		ref, _ := v.(string) // null: the tag is on no branch
		return ref, payloadKey + ".base_ref", nil
	case "release":
		release, ok := payload["release"].(map[string]any)
		if !ok {
			return "", "", fmt.Errorf("%w: provenance %s has no release object", serrors.ErrorInvalidDssePayload, payloadKey)
		}
		target, ok := release["target_commitish"].(string)
		if !ok {
			return "", "", fmt.Errorf("%w: provenance %s.release has no target_commitish", serrors.ErrorInvalidDssePayload, payloadKey)
		}
		return "refs/heads/" + target, payloadKey + ".release.target_commitish", nil
	}
	return "", "a tag built on " + p.key("GITHUB_EVENT_NAME") + " " + event, nil
}

// tag returns the tag ref the build ran on, or "" for a branch build, and
// where it was read from.
func (p *provenance) tag() (string, string, error) {
	if p.layout.byob() {
		ref, refType, err := p.sourceRef()
		if err != nil || refType == "tags" {
			return ref, "the source URI", err
		}
		return "", "the source URI " + ref, nil
	}
	refType, err := p.param("GITHUB_REF_TYPE")
	if err != nil {
		return "", "", err
	}
	switch refType {
	case "branch":
		return "", p.key("GITHUB_REF_TYPE") + " branch", nil
	case "tag":
		ref, err := p.param("GITHUB_REF")
		return ref, p.key("GITHUB_REF"), err
	}
	return "", "", fmt.Errorf("%w: provenance %s is %q, want branch or tag", serrors.ErrorInvalidDssePayload, p.key("GITHUB_REF_TYPE"), refType)
}
