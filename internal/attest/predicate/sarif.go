package predicate

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// sarifLog is the part of a SARIF 2.1.0 log we read.
type sarifLog struct {
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool struct {
		Driver struct {
			Name            string      `json:"name"`
			Version         string      `json:"version"`
			SemanticVersion string      `json:"semanticVersion"`
			InformationURI  string      `json:"informationUri"`
			Rules           []sarifRule `json:"rules"`
		} `json:"driver"`
	} `json:"tool"`
	Invocations []struct {
		StartTimeUTC string `json:"startTimeUtc"`
		EndTimeUTC   string `json:"endTimeUtc"`
	} `json:"invocations"`
	Results    []sarifResult `json:"results"`
	Properties struct {
		RepoDigests []string `json:"repoDigests"` // trivy, for container images
	} `json:"properties"`
}

type sarifRule struct {
	ID                   string `json:"id"`
	DefaultConfiguration struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
	Properties map[string]json.RawMessage `json:"properties"`
}

type sarifResult struct {
	RuleID    string `json:"ruleId"`
	RuleIndex *int   `json:"ruleIndex"`
	Rule      struct {
		ID    string `json:"id"`
		Index *int   `json:"index"`
	} `json:"rule"`
	Kind       string                     `json:"kind"`
	Level      string                     `json:"level"`
	Properties map[string]json.RawMessage `json:"properties"`
}

func parseSARIF(raw []byte) (*VulnReport, error) {
	var l sarifLog
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, jsonError(err)
	}
	if l.Version != "2.1.0" {
		return nil, fmt.Errorf("SARIF version %q, want \"2.1.0\"", l.Version)
	}
	if len(l.Runs) == 0 {
		return nil, fmt.Errorf("no runs")
	}
	v := &VulnReport{Predicate: &VulnPredicate{}}

	// SARIF has no standard place for the scanned artifact's digest. trivy
	// writes the image's repo digests in the run's properties; without them
	// ScannedDigest stays "" and CheckSubject cannot catch a mismatch.
	for i, run := range l.Runs {
		if rd := run.Properties.RepoDigests; len(rd) > 0 {
			v.ScannedDigest = digestOf(rd[0])
			if v.ScannedDigest == "" {
				return nil, fmt.Errorf("runs[%d].properties.repoDigests[0] %q holds no sha256 digest", i, rd[0])
			}
			break
		}
	}

	d := l.Runs[0].Tool.Driver
	version := d.Version
	if version == "" {
		version = d.SemanticVersion
	}
	v.Predicate.Scanner.URI = d.InformationURI
	if v.Predicate.Scanner.URI == "" {
		v.Predicate.Scanner.URI = d.Name
	}
	v.Predicate.Scanner.Version = version

	for i, run := range l.Runs {
		if len(run.Invocations) == 0 {
			continue
		}
		start, err := reportTime(fmt.Sprintf("runs[%d].invocations[0].startTimeUtc", i), run.Invocations[0].StartTimeUTC)
		if err != nil {
			return nil, err
		}
		end, err := reportTime(fmt.Sprintf("runs[%d].invocations[0].endTimeUtc", i), run.Invocations[0].EndTimeUTC)
		if err != nil {
			return nil, err
		}
		v.Predicate.Metadata = VulnMetadata{ScanStartedOn: start, ScanFinishedOn: end}
		break
	}

	for _, run := range l.Runs {
		for _, res := range run.Results {
			switch res.Kind {
			case "pass", "notApplicable", "informational":
				continue // not a finding
			}
			rule := run.ruleOf(res)
			id := res.RuleID
			if id == "" {
				id = res.Rule.ID
			}
			if id == "" && rule != nil {
				id = rule.ID
			}
			v.Findings = append(v.Findings, Finding{ID: id, Severity: sarifSeverity(res, rule)})
		}
	}
	return v, nil
}

// ruleOf finds the rule a result refers to, by index or by id; nil if none.
func (run *sarifRun) ruleOf(res sarifResult) *sarifRule {
	rules := run.Tool.Driver.Rules
	for _, idx := range []*int{res.RuleIndex, res.Rule.Index} {
		if idx != nil && *idx >= 0 && *idx < len(rules) {
			return &rules[*idx]
		}
	}
	for _, id := range []string{res.RuleID, res.Rule.ID} {
		if id == "" {
			continue
		}
		for i := range rules {
			if rules[i].ID == id {
				return &rules[i]
			}
		}
	}
	return nil
}

// sarifSeverity takes the CVSS score in the "security-severity" property
// (the result's, else its rule's), as GitHub code scanning does; without one
// it maps the SARIF level (the result's, else the rule's default, else
// "warning" as the SARIF spec says).
func sarifSeverity(res sarifResult, rule *sarifRule) string {
	var ruleProps map[string]json.RawMessage
	level := res.Level
	if rule != nil {
		ruleProps = rule.Properties
		if level == "" {
			level = rule.DefaultConfiguration.Level
		}
	}
	for _, props := range []map[string]json.RawMessage{res.Properties, ruleProps} {
		if score, ok := cvssScore(props["security-severity"]); ok {
			switch {
			case score >= 9:
				return SeverityCritical
			case score >= 7:
				return SeverityHigh
			case score >= 4:
				return SeverityMedium
			case score > 0:
				return SeverityLow
			}
			return SeverityNegligible
		}
	}
	switch level {
	case "error":
		return SeverityHigh
	case "warning", "":
		return SeverityMedium
	case "note":
		return SeverityLow
	case "none":
		return SeverityNegligible
	}
	return SeverityUnknown
}

// cvssScore reads a CVSS score written as a JSON string ("7.5") or number.
func cvssScore(raw json.RawMessage) (float64, bool) {
	s := jsonScalar(raw)
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || !(f >= 0 && f <= 10) { // also rejects NaN
		return 0, false
	}
	return f, true
}
