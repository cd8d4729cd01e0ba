package verify

import (
	"strings"

	intoto "github.com/in-toto/attestation/go/v1"
)

// Provenance is what a SLSA provenance statement says about the build, as
// reported to users (not a policy decision: see package slsagen for that).
type Provenance struct {
	BuildType    string `json:"buildType,omitempty"`
	BuilderID    string `json:"builderId,omitempty"`
	SourceURI    string `json:"sourceUri,omitempty"`
	SourceCommit string `json:"sourceCommit,omitempty"`
	// SourceRef and RunnerEnvironment are what GitHub's workflow build type
	// records: the ref the workflow ran on, and where its runner was.
	SourceRef         string `json:"sourceRef,omitempty"`
	RunnerEnvironment string `json:"runnerEnvironment,omitempty"`
}

// provenanceOf reads SLSA v1 or v0.2 provenance fields; nil for other
// predicates.
func provenanceOf(st *intoto.Statement) *Provenance {
	pred := st.GetPredicate().AsMap()
	switch st.GetPredicateType() {
	case "https://slsa.dev/provenance/v1":
		p := &Provenance{
			BuildType: str(pred, "buildDefinition", "buildType"),
			BuilderID: str(pred, "runDetails", "builder", "id"),
		}
		if deps := list(pred, "buildDefinition", "resolvedDependencies"); len(deps) > 0 {
			if d, ok := deps[0].(map[string]any); ok {
				p.SourceURI = str(d, "uri")
				p.SourceCommit = firstOf(str(d, "digest", "gitCommit"), str(d, "digest", "sha1"))
			}
		}
		p.SourceURI = firstOf(p.SourceURI, str(pred, "buildDefinition", "externalParameters", "workflow", "repository"))
		p.SourceRef = str(pred, "buildDefinition", "externalParameters", "workflow", "ref")
		p.RunnerEnvironment = str(pred, "buildDefinition", "internalParameters", "github", "runner_environment")
		return p
	case "https://slsa.dev/provenance/v0.2":
		return &Provenance{
			BuildType:    str(pred, "buildType"),
			BuilderID:    str(pred, "builder", "id"),
			SourceURI:    str(pred, "invocation", "configSource", "uri"),
			SourceCommit: str(pred, "invocation", "configSource", "digest", "sha1"),
		}
	}
	return nil
}

func walk(m map[string]any, path ...string) any {
	var cur any = m
	for _, k := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

func str(m map[string]any, path ...string) string {
	s, _ := walk(m, path...).(string)
	return s
}

func list(m map[string]any, path ...string) []any {
	l, _ := walk(m, path...).([]any)
	return l
}

func firstOf(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
