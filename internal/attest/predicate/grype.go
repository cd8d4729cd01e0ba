package predicate

import (
	"encoding/json"
	"fmt"
	"strings"
)

// grypeReport is the part of `grype -o json` output we read.
type grypeReport struct {
	Matches []struct {
		Vulnerability struct {
			ID       string `json:"id"`
			Severity string `json:"severity"`
			Fix      struct {
				Versions []string `json:"versions"`
			} `json:"fix"`
		} `json:"vulnerability"`
		Artifact struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"artifact"`
	} `json:"matches"`
	Source struct {
		Type   string          `json:"type"`
		Target json.RawMessage `json:"target"` // an object for images, a string otherwise
	} `json:"source"`
	Descriptor struct {
		Name      string          `json:"name"`
		Version   string          `json:"version"`
		Timestamp string          `json:"timestamp"`
		DB        json.RawMessage `json:"db"`
	} `json:"descriptor"`
}

type grypeImageTarget struct {
	UserInput      string   `json:"userInput"`
	ManifestDigest string   `json:"manifestDigest"`
	RepoDigests    []string `json:"repoDigests"`
}

// grypeDB is the database status grype writes in descriptor.db. Its shape
// changed across grype versions (flat in schema v5, under "status" in v6,
// schemaVersion a number or a string), so every field is optional.
type grypeDB struct {
	Built         string          `json:"built"`
	SchemaVersion json.RawMessage `json:"schemaVersion"`
	From          string          `json:"from"`
	Status        *grypeDB        `json:"status"`
}

func parseGrype(raw []byte) (*VulnReport, error) {
	var g grypeReport
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, jsonError(err)
	}
	v := &VulnReport{Predicate: &VulnPredicate{}}

	version := g.Descriptor.Version
	if version == "[not provided]" { // grype built without version information
		version = ""
	}
	v.Predicate.Scanner.URI = "pkg:github/anchore/grype"
	if version != "" {
		v.Predicate.Scanner.URI += "@" + version
	}
	v.Predicate.Scanner.Version = version
	v.Predicate.Scanner.DB = grypeDBOf(g.Descriptor.DB)

	ts, err := reportTime("descriptor.timestamp", g.Descriptor.Timestamp)
	if err != nil {
		return nil, err
	}
	// grype records one time, when it wrote the report.
	v.Predicate.Metadata = VulnMetadata{ScanStartedOn: ts, ScanFinishedOn: ts}

	if g.Source.Type == "image" && len(g.Source.Target) > 0 {
		var t grypeImageTarget
		if err := json.Unmarshal(g.Source.Target, &t); err != nil {
			return nil, fmt.Errorf("source.target of an image source: %w", jsonError(err))
		}
		switch {
		case t.ManifestDigest != "":
			v.ScannedDigest = digestOf(t.ManifestDigest)
			if v.ScannedDigest == "" {
				return nil, fmt.Errorf("source.target.manifestDigest %q is not a sha256 digest", t.ManifestDigest)
			}
		case len(t.RepoDigests) > 0:
			v.ScannedDigest = digestOf(t.RepoDigests[0])
			if v.ScannedDigest == "" {
				return nil, fmt.Errorf("source.target.repoDigests[0] %q holds no sha256 digest", t.RepoDigests[0])
			}
		}
	}

	for _, m := range g.Matches {
		v.Findings = append(v.Findings, Finding{
			ID:           m.Vulnerability.ID,
			Package:      m.Artifact.Name,
			Version:      m.Artifact.Version,
			FixedVersion: strings.Join(m.Vulnerability.Fix.Versions, ", "),
			Severity:     normalizeSeverity(m.Vulnerability.Severity),
		})
	}
	return v, nil
}

// grypeDBOf reads descriptor.db leniently: anything it does not understand
// gives an empty VulnDB rather than an error, since the report itself is fine.
func grypeDBOf(raw json.RawMessage) VulnDB {
	var db grypeDB
	if len(raw) == 0 || json.Unmarshal(raw, &db) != nil {
		return VulnDB{}
	}
	if db.Status != nil {
		db = *db.Status
	}
	var uri string // "location" (v5) is a local path, not worth recording
	if strings.HasPrefix(db.From, "https://") || strings.HasPrefix(db.From, "http://") {
		uri = db.From
	}
	version := jsonScalar(db.SchemaVersion)
	if version != "" && version[0] >= '0' && version[0] <= '9' {
		version = "v" + version // schema v5 writes a number, v6 a string "v6.0.2"
	}
	if db.Built != "" {
		if version != "" {
			version += " "
		}
		version += "built " + db.Built
	}
	return VulnDB{URI: uri, Version: version}
}

// jsonScalar renders a JSON string or number as text; anything else is "".
func jsonScalar(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}
