package predicate

import (
	"encoding/json"
	"fmt"
)

// trivyReport is the part of `trivy --format json` output (schema version 2)
// we read.
type trivyReport struct {
	SchemaVersion int
	CreatedAt     string
	ArtifactName  string
	ArtifactType  string
	Trivy         struct {
		Version string // written by recent trivy releases only
	}
	Metadata struct {
		ImageID     string // the image config digest, not the manifest digest
		RepoDigests []string
	}
	Results []struct {
		Target          string
		Vulnerabilities []struct {
			VulnerabilityID  string
			PkgName          string
			InstalledVersion string
			FixedVersion     string
			Severity         string
		}
	}
}

func parseTrivy(raw []byte) (*VulnReport, error) {
	var t trivyReport
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, jsonError(err)
	}
	if t.SchemaVersion != 2 {
		return nil, fmt.Errorf("schema version %d (SchemaVersion), want 2", t.SchemaVersion)
	}
	v := &VulnReport{Predicate: &VulnPredicate{}}

	v.Predicate.Scanner.URI = "pkg:github/aquasecurity/trivy"
	if t.Trivy.Version != "" {
		v.Predicate.Scanner.URI += "@" + t.Trivy.Version
	}
	v.Predicate.Scanner.Version = t.Trivy.Version

	ts, err := reportTime("CreatedAt", t.CreatedAt)
	if err != nil {
		return nil, err
	}
	// trivy records one time, when it wrote the report.
	v.Predicate.Metadata = VulnMetadata{ScanStartedOn: ts, ScanFinishedOn: ts}

	// Metadata.ImageID is the config digest: an attestation subject is the
	// manifest digest, which trivy gives only in RepoDigests.
	if len(t.Metadata.RepoDigests) > 0 {
		v.ScannedDigest = digestOf(t.Metadata.RepoDigests[0])
		if v.ScannedDigest == "" {
			return nil, fmt.Errorf("the first of Metadata.RepoDigests, %q, holds no sha256 digest", t.Metadata.RepoDigests[0])
		}
	}

	for _, r := range t.Results {
		for _, vuln := range r.Vulnerabilities {
			v.Findings = append(v.Findings, Finding{
				ID:           vuln.VulnerabilityID,
				Package:      vuln.PkgName,
				Version:      vuln.InstalledVersion,
				FixedVersion: vuln.FixedVersion,
				Severity:     normalizeSeverity(vuln.Severity),
			})
		}
	}
	return v, nil
}
