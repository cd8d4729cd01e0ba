// Package audit rates where a repository's release controls stand —
// below minimum, minimum, better or strong — and finds the anti-patterns in
// its workflow files that let a release escape them, each with its rule,
// file, line, why it matters and how to fix it. It is what `relproof audit`
// prints.
//
// Workflow rules read the files with actionlint's parser, so every finding
// points at the line GitHub would show; they never run anything. Controls
// read the repository's settings and evidence from the GitHub API.
package audit

import (
	"fmt"
	"strings"
)

// Severity is how much a finding matters. A finding on a job that builds,
// signs, publishes or deploys is rated higher than the same finding
// elsewhere.
type Severity int

const (
	SeverityLow Severity = iota + 1
	SeverityMedium
	SeverityHigh
)

func (s Severity) String() string {
	switch s {
	case SeverityLow:
		return "low"
	case SeverityMedium:
		return "medium"
	case SeverityHigh:
		return "high"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// ParseSeverity reads low, medium or high.
func ParseSeverity(s string) (Severity, error) {
	for _, v := range []Severity{SeverityLow, SeverityMedium, SeverityHigh} {
		if strings.EqualFold(s, v.String()) {
			return v, nil
		}
	}
	return 0, fmt.Errorf("severity %q: want low, medium or high", s)
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Finding is one anti-pattern at one line of one file.
type Finding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	// File is the workflow as given (e.g. .github/workflows/release.yml).
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column,omitempty"`
	// Job is the job the finding is in, if any.
	Job string `json:"job,omitempty"`
	// ReleasePath says the job builds, signs, publishes or deploys.
	ReleasePath bool `json:"releasePath,omitempty"`
	// Message says what was found, in the file's own terms.
	Message string `json:"message"`
}

// Level is a control's rating.
type Level int

const (
	BelowMinimum Level = iota
	Minimum
	Better
	Strong
)

func (l Level) String() string {
	switch l {
	case BelowMinimum:
		return "below-minimum"
	case Minimum:
		return "minimum"
	case Better:
		return "better"
	case Strong:
		return "strong"
	}
	return fmt.Sprintf("level(%d)", int(l))
}

// MarshalText writes the level's name.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText reads a level's name.
func (l *Level) UnmarshalText(b []byte) error {
	for _, v := range []Level{BelowMinimum, Minimum, Better, Strong} {
		if string(b) == v.String() {
			*l = v
			return nil
		}
	}
	return fmt.Errorf("level %q: want below-minimum, minimum, better or strong", b)
}

// Area is the part of the control matrix a control belongs to.
type Area string

const (
	AreaSource     Area = "source"
	AreaBuild      Area = "build"
	AreaArtifact   Area = "artifact identity"
	AreaDeployment Area = "deployment approval"
)

// Control is one rated control, with the facts that decided its level and
// what the next level needs.
type Control struct {
	ID    string `json:"id"`
	Area  Area   `json:"area"`
	Title string `json:"title"`
	Level Level  `json:"level"`
	// Facts are what was read, each a short sentence.
	Facts []string `json:"facts"`
	// Next says what would raise the level; empty at strong.
	Next string `json:"next,omitempty"`
	// Unknown says the facts could not be read (with why); the level is
	// then below-minimum, never a guess.
	Unknown string `json:"unknown,omitempty"`
}

// Report is the audit of one repository (or one directory of workflows).
type Report struct {
	// Repository is OWNER/REPO, or the directory for --dir alone.
	Repository string `json:"repository"`
	// Commit is the commit the workflows were read at, when known.
	Commit   string    `json:"commit,omitempty"`
	Controls []Control `json:"controls,omitempty"`
	Findings []Finding `json:"findings"`
}

// Worst is the highest severity among the findings, 0 if none.
func (r *Report) Worst() Severity {
	var w Severity
	for _, f := range r.Findings {
		w = max(w, f.Severity)
	}
	return w
}
