package gate

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/relproof/relproof/internal/attest/predicate"
	"github.com/relproof/relproof/internal/policy"
	"github.com/relproof/relproof/internal/verify"
)

// Type is the evidence class of a predicate type: provenance, sbom, vuln,
// test, approval, deployment, vsa, or the predicate type itself.
func Type(predicateType string) string {
	switch {
	case strings.HasPrefix(predicateType, "https://slsa.dev/provenance/"):
		return "provenance"
	case predicateType == "https://spdx.dev/Document", strings.HasPrefix(predicateType, "https://spdx.dev/Document/"),
		predicateType == "https://cyclonedx.org/bom", strings.HasPrefix(predicateType, "https://cyclonedx.org/bom/"):
		return "sbom"
	case predicateType == predicate.VulnType:
		return "vuln"
	case predicateType == predicate.TestResultType:
		return "test"
	case predicateType == predicate.ApprovalType:
		return "approval"
	case predicateType == predicate.DeploymentType:
		return "deployment"
	case predicateType == verify.VSAType:
		return "vsa"
	}
	return predicateType
}

// DecisionType is the predicate type of a signed gate decision.
const DecisionType = "https://relproof.dev/decision/v1"

// KindOf is the kind of a verified entry, as the policy's signers name
// kinds: who may sign it.
func KindOf(a verify.Attestation) policy.EvidenceKind {
	switch t := TypeOf(a); t {
	case "provenance", "sbom", "vuln", "test", "signature", "approval", "deployment", "vsa":
		return policy.EvidenceKind(t)
	}
	if a.PredicateType == DecisionType {
		return policy.KindDecision
	}
	return policy.KindCustom
}

// TypeOf is the evidence class of a verified entry: "signature" for a plain
// signature over the digest, else the class of its predicate type.
func TypeOf(a verify.Attestation) string {
	if a.Kind == verify.KindSignature {
		return string(policy.AttestationSignature)
	}
	return Type(a.PredicateType)
}

// predicateJSON is the statement's predicate as JSON.
func predicateJSON(a verify.Attestation) []byte {
	if a.Statement == nil || a.Statement.GetPredicate() == nil {
		return nil
	}
	b, err := a.Statement.GetPredicate().MarshalJSON()
	if err != nil {
		return nil
	}
	return b
}

func predicateMap(a verify.Attestation) map[string]any {
	m := map[string]any{}
	_ = json.Unmarshal(predicateJSON(a), &m)
	return m
}

// sbomInput reads the packages of an SPDX or CycloneDX document.
func sbomInput(a verify.Attestation) (*policy.SBOMInput, error) {
	var doc struct {
		// SPDX 2.x
		Packages []struct {
			Name             string `json:"name"`
			VersionInfo      string `json:"versionInfo"`
			LicenseConcluded string `json:"licenseConcluded"`
			LicenseDeclared  string `json:"licenseDeclared"`
			ExternalRefs     []struct {
				Type    string `json:"referenceType"`
				Locator string `json:"referenceLocator"`
			} `json:"externalRefs"`
		} `json:"packages"`
		// CycloneDX
		Components []struct {
			Name     string `json:"name"`
			Version  string `json:"version"`
			PURL     string `json:"purl"`
			Licenses []struct {
				License struct {
					ID   string `json:"id"`
					Name string `json:"name"`
				} `json:"license"`
				Expression string `json:"expression"`
			} `json:"licenses"`
		} `json:"components"`
	}
	if err := json.Unmarshal(predicateJSON(a), &doc); err != nil {
		return nil, err
	}
	in := &policy.SBOMInput{}
	for _, p := range doc.Packages {
		pk := policy.Package{Name: p.Name, Version: p.VersionInfo, License: spdxLicense(p.LicenseConcluded, p.LicenseDeclared)}
		for _, r := range p.ExternalRefs {
			if r.Type == "purl" {
				pk.PURL = r.Locator
			}
		}
		in.Packages = append(in.Packages, pk)
	}
	for _, c := range doc.Components {
		pk := policy.Package{Name: c.Name, Version: c.Version, PURL: c.PURL}
		for _, l := range c.Licenses {
			switch {
			case l.Expression != "":
				pk.License = l.Expression
			case l.License.ID != "":
				pk.License = l.License.ID
			case l.License.Name != "" && pk.License == "":
				pk.License = l.License.Name
			}
		}
		in.Packages = append(in.Packages, pk)
	}
	return in, nil
}

func spdxLicense(concluded, declared string) string {
	for _, l := range []string{concluded, declared} {
		if l != "" && l != "NOASSERTION" && l != "NONE" {
			return l
		}
	}
	return ""
}

// vulnReport re-reads the scanner's report the vuln predicate carries.
func vulnReport(a verify.Attestation) (*predicate.VulnReport, error) {
	var p struct {
		Scanner struct {
			Result json.RawMessage `json:"result"`
		} `json:"scanner"`
	}
	if err := json.Unmarshal(predicateJSON(a), &p); err != nil {
		return nil, err
	}
	return predicate.ParseVulnReport(bytes.NewReader(p.Scanner.Result), a.Source)
}

// testsInput reads an in-toto test-result predicate.
func testsInput(a verify.Attestation) (*policy.TestsInput, error) {
	var p struct {
		Result      string   `json:"result"`
		PassedTests []string `json:"passedTests"`
		FailedTests []string `json:"failedTests"`
		WarnedTests []string `json:"warnedTests"`
	}
	if err := json.Unmarshal(predicateJSON(a), &p); err != nil {
		return nil, err
	}
	return &policy.TestsInput{Result: p.Result, Passed: p.PassedTests, Failed: p.FailedTests, Warned: p.WarnedTests}, nil
}

// sourceRef is the ref the artifact was built from: the signing
// certificate's claim for keyless evidence (the statement must agree with
// it to count at all), else what the provenance says.
func sourceRef(a verify.Attestation) string {
	if a.Certificate != nil && a.Certificate.SourceRepositoryRef != "" {
		return a.Certificate.SourceRepositoryRef
	}
	if p := a.Provenance; p != nil {
		if p.SourceRef != "" {
			return p.SourceRef
		}
		if _, ref := policy.ParseSourceURI(p.SourceURI); ref != "" {
			return ref
		}
	}
	return ""
}

// sourceRepository is the repository the artifact was built from: the
// signing certificate's claim for keyless evidence, else the provenance's.
func sourceRepository(a verify.Attestation) string {
	if a.Certificate != nil && a.Certificate.SourceRepositoryURI != "" {
		return a.Certificate.SourceRepositoryURI
	}
	if a.Provenance != nil {
		return a.Provenance.SourceURI
	}
	return ""
}

// runnerEnvironment is where the build ran: the signing certificate's
// claim, or the provenance's.
func runnerEnvironment(a verify.Attestation) string {
	if a.Certificate != nil && a.Certificate.RunnerEnvironment != "" {
		return a.Certificate.RunnerEnvironment
	}
	if a.Provenance != nil {
		return a.Provenance.RunnerEnvironment
	}
	return ""
}

// builderID is who built it: slsa-github-generator's verified builder,
// else the workflow that signed (the certificate's Build Signer URI, for
// keyless evidence), else the provenance's builder id.
func builderID(a verify.Attestation) string {
	switch {
	case a.SLSA != nil:
		return a.SLSA.BuilderID
	case a.Certificate != nil && a.Certificate.BuildSignerURI != "":
		return a.Certificate.BuildSignerURI
	case a.Provenance != nil:
		return a.Provenance.BuilderID
	}
	return ""
}

// contentDigest is the digest a scan or an SBOM says, in its own content,
// that it is about: the scanned target of a grype, trivy or SARIF report,
// or the component an SPDX or CycloneDX document describes. It is "" when
// the content names none of the digest's algorithm, or when the subject's
// digest is among those it names.
func contentDigest(a verify.Attestation) string {
	var named []string
	switch TypeOf(a) {
	case "vuln":
		var p struct {
			Scanner struct {
				Result json.RawMessage `json:"result"`
			} `json:"scanner"`
		}
		if json.Unmarshal(predicateJSON(a), &p) != nil || len(p.Scanner.Result) == 0 {
			return ""
		}
		rep, err := predicate.ParseVulnReport(bytes.NewReader(p.Scanner.Result), a.Source)
		if err != nil || rep.ScannedDigest == "" {
			return ""
		}
		named = []string{rep.ScannedDigest}
	case "sbom":
		named = describedDigests(predicateJSON(a))
	}
	if len(named) == 0 {
		return ""
	}
	for _, d := range named {
		if d == subjectDigestOf(a) {
			return ""
		}
	}
	return named[0]
}

// subjectDigestOf is the sha256 digest the attestation's statement names
// (the one it verified for).
func subjectDigestOf(a verify.Attestation) string {
	if a.Statement == nil {
		return ""
	}
	for _, s := range a.Statement.GetSubject() {
		if h := s.GetDigest()["sha256"]; h != "" {
			return "sha256:" + h
		}
	}
	return ""
}

func contentNoun(a verify.Attestation) string {
	if TypeOf(a) == "sbom" {
		return "SBOM"
	}
	return "scan report"
}

var sha256Pattern = regexp.MustCompile(`sha256(?::|%3[aA])([0-9a-f]{64})`)

// describedDigests reads the sha256 digests an SBOM gives for what it
// describes: SPDX's described packages (versionInfo, checksums, purls) and
// CycloneDX's metadata.component (version, hashes, purl).
func describedDigests(doc []byte) []string {
	var d struct {
		DocumentDescribes []string `json:"documentDescribes"`
		Relationships     []struct {
			From string `json:"spdxElementId"`
			To   string `json:"relatedSpdxElement"`
			Type string `json:"relationshipType"`
		} `json:"relationships"`
		Packages []struct {
			SPDXID       string                                      `json:"SPDXID"`
			VersionInfo  string                                      `json:"versionInfo"`
			Checksums    []struct{ Algorithm, ChecksumValue string } `json:"checksums"`
			ExternalRefs []struct {
				Locator string `json:"referenceLocator"`
			} `json:"externalRefs"`
		} `json:"packages"`
		Metadata struct {
			Component struct {
				Version string `json:"version"`
				PURL    string `json:"purl"`
				Hashes  []struct {
					Alg     string `json:"alg"`
					Content string `json:"content"`
				} `json:"hashes"`
			} `json:"component"`
		} `json:"metadata"`
	}
	if json.Unmarshal(doc, &d) != nil {
		return nil
	}
	var out []string
	add := func(s string) {
		for _, m := range sha256Pattern.FindAllStringSubmatch(s, -1) {
			out = append(out, "sha256:"+m[1])
		}
	}
	described := map[string]bool{}
	for _, id := range d.DocumentDescribes {
		described[id] = true
	}
	for _, r := range d.Relationships {
		if r.Type == "DESCRIBES" && r.From == "SPDXRef-DOCUMENT" {
			described[r.To] = true
		}
	}
	for _, p := range d.Packages {
		if !described[p.SPDXID] {
			continue
		}
		add(p.VersionInfo)
		for _, c := range p.Checksums {
			if strings.EqualFold(c.Algorithm, "SHA256") {
				add("sha256:" + strings.ToLower(c.ChecksumValue))
			}
		}
		for _, r := range p.ExternalRefs {
			add(r.Locator)
		}
	}
	c := d.Metadata.Component
	add(c.Version)
	add(c.PURL)
	for _, h := range c.Hashes {
		if strings.EqualFold(h.Alg, "SHA-256") {
			add("sha256:" + strings.ToLower(h.Content))
		}
	}
	return out
}

// ProvenanceAdmitted says why a verified provenance does not show a build
// the environment's policy admits — the source repository, ref and builder
// the gate checks for the release itself — or "" when it does. A rollback
// digest is held to it: rolling back to a build the policy would not let
// through is no rollback.
func ProvenanceAdmitted(env *policy.Environment, a verify.Attestation) string {
	var why []string
	if m := env.SourceRepositoryAllowed(sourceRepository(a)); !m.Allowed {
		why = append(why, m.Message())
	}
	if m := env.RefAllowed(sourceRef(a)); !m.Allowed {
		why = append(why, m.Message())
	}
	if m := env.BuilderAllowed(builderID(a)); !m.Allowed {
		why = append(why, m.Message())
	}
	return strings.Join(why, "; ")
}
