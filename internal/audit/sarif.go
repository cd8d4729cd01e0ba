package audit

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// SARIF 2.1.0, as much of it as GitHub code scanning reads: the tool's
// rules with their help, and one result per finding at its file and line.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool                     sarifTool             `json:"tool"`
	AutomationDetails        *sarifAutomation      `json:"automationDetails,omitempty"`
	VersionControlProvenance []sarifVersionControl `json:"versionControlProvenance,omitempty"`
	Results                  []sarifResult         `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name            string      `json:"name"`
	SemanticVersion string      `json:"semanticVersion,omitempty"`
	Rules           []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifText      `json:"help"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifAutomation struct {
	ID string `json:"id"`
}

type sarifVersionControl struct {
	RepositoryURI string `json:"repositoryUri"`
	RevisionID    string `json:"revisionId,omitempty"`
}

type sarifResult struct {
	RuleID     string             `json:"ruleId"`
	RuleIndex  int                `json:"ruleIndex"`
	Level      string             `json:"level"`
	Message    sarifText          `json:"message"`
	Locations  []sarifPhysicalRef `json:"locations"`
	Properties map[string]any     `json:"properties,omitempty"`
}

type sarifPhysicalRef struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

// sarifLevel maps a severity to SARIF's level.
func sarifLevel(s Severity) string {
	switch s {
	case SeverityHigh:
		return "error"
	case SeverityMedium:
		return "warning"
	}
	return "note"
}

// securitySeverity is GitHub's security-severity score: above 7.0 is
// high, 4.0 to 6.9 medium, below 4.0 low.
func securitySeverity(s Severity) string {
	switch s {
	case SeverityHigh:
		return "8.0"
	case SeverityMedium:
		return "5.5"
	}
	return "3.0"
}

// pascal turns a rule id into the PascalCase name SARIF rules carry.
func pascal(id string) string {
	var b strings.Builder
	up := true
	for _, r := range id {
		if r == '-' {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// WriteSARIF writes the findings as a SARIF 2.1.0 log for GitHub code
// scanning. File paths are relative to the repository's root (%SRCROOT%).
// Controls are not results: they have no file and line, and are in the
// Markdown, text and JSON reports.
func (r *Report) WriteSARIF(w io.Writer, toolVersion string) error {
	run := sarifRun{
		Tool:              sarifTool{Driver: sarifDriver{Name: "relproof audit", SemanticVersion: semver(toolVersion)}},
		AutomationDetails: &sarifAutomation{ID: "relproof-audit/"},
		Results:           []sarifResult{},
	}
	index := map[string]int{}
	for i, rule := range Rules {
		index[rule.ID] = i
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID:               rule.ID,
			Name:             pascal(rule.ID),
			ShortDescription: sarifText{Text: rule.Title},
			FullDescription:  sarifText{Text: rule.Why},
			Help: sarifText{
				Text:     rule.Why + "\n\nHow to fix: " + rule.Fix,
				Markdown: fmt.Sprintf("**%s**\n\n%s\n\n**How to fix:** %s", rule.Title, rule.Why, rule.Fix),
			},
			DefaultConfiguration: sarifConfig{Level: sarifLevel(rule.Base)},
			Properties: map[string]any{
				"tags":              []string{"security", "supply-chain", "github-actions"},
				"precision":         "high",
				"problem.severity":  sarifLevel(rule.Base),
				"security-severity": securitySeverity(rule.Base),
			},
		})
	}
	if strings.Count(r.Repository, "/") == 1 && !strings.HasPrefix(r.Repository, "/") && !strings.HasPrefix(r.Repository, ".") {
		run.VersionControlProvenance = []sarifVersionControl{{RepositoryURI: "https://github.com/" + r.Repository, RevisionID: r.Commit}}
	}
	for _, f := range r.Findings {
		i, ok := index[f.Rule]
		if !ok {
			return fmt.Errorf("finding at %s:%d has rule %q, which is not one of relproof's rules", f.File, f.Line, f.Rule)
		}
		props := map[string]any{"severity": f.Severity.String()}
		if f.Job != "" {
			props["job"] = f.Job
		}
		if f.ReleasePath {
			props["releasePath"] = true
		}
		run.Results = append(run.Results, sarifResult{
			RuleID:    f.Rule,
			RuleIndex: i,
			Level:     sarifLevel(f.Severity),
			Message:   sarifText{Text: f.Message},
			Locations: []sarifPhysicalRef{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifact{URI: f.File, URIBaseID: "%SRCROOT%"},
				Region:           sarifRegion{StartLine: max(f.Line, 1), StartColumn: f.Column},
			}}},
			Properties: props,
		})
	}
	log := sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

// semver is v without its leading v, or "" when it is not a version (a
// development build).
func semver(v string) string {
	v = strings.TrimPrefix(v, "v")
	if v == "" || !unicode.IsDigit(rune(v[0])) {
		return ""
	}
	return v
}
