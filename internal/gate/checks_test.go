package gate

import (
	"strings"
	"testing"
	"time"

	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/relproof/relproof/internal/attest/predicate"
	"github.com/relproof/relproof/internal/policy"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

// Every check of a decision, from its input alone (evidence as the
// verifier hands it over): a release that passes them all, and for each
// check the change to that release that fails it, the decision denying
// and the check saying why.

const checksPolicy = `apiVersion: relproof.dev/v1
kind: Policy
environments:
  production:
    level: minimum
    subject: {allowedRepositories: ["ghcr.io/acme/*"]}
    source: {repositories: [github.com/acme/app], refs: ["refs/tags/v*"]}
    builder:
      ids: ["https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1*"]
      runnerEnvironment: github-hosted
    require: [provenance, sbom, vuln, test]
    vulnerabilities: {maxSeverity: high}
    approvals: {minimum: 0}
    rollback: {required: true}
    breakGlass: {allowed: true, requireJustification: true}
    rules:
      - {name: no-gpl3, expr: "!sbom.packages.exists(p, p.license == 'GPL-3.0-only')", message: "GPL-3.0-only packages are not allowed"}
`

var (
	releaseDigest  = subject.Digest{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}
	previousDigest = subject.Digest{Algorithm: "sha256", Hex: strings.Repeat("cd", 32)}
)

// evidenceOf is a verified attestation of predicateType with pred.
func evidenceOf(t *testing.T, predicateType string, pred map[string]any, n int) verify.Attestation {
	t.Helper()
	ps, err := structpb.NewStruct(pred)
	if err != nil {
		t.Fatal(err)
	}
	return verify.Attestation{
		Source: predicateType, Kind: verify.KindAttestation, PredicateType: predicateType,
		Digest: "sha256:" + strings.Repeat(string("0123456789"[n%10]), 64), Signer: "key K",
		Statement: &intoto.Statement{Type: intoto.StatementTypeUri, PredicateType: predicateType, Predicate: ps},
	}
}

func provenanceEvidence(t *testing.T, repo, ref, builder, runner string) verify.Attestation {
	a := evidenceOf(t, "https://slsa.dev/provenance/v1", map[string]any{
		"buildDefinition": map[string]any{"externalParameters": map[string]any{"workflow": map[string]any{"ref": ref, "repository": "https://" + repo}}},
		"runDetails":      map[string]any{"builder": map[string]any{"id": builder}},
	}, 1)
	a.Provenance = &verify.Provenance{BuilderID: builder, SourceURI: "git+https://" + repo + "@" + ref, SourceRef: ref, RunnerEnvironment: runner}
	return a
}

func sbomEvidence(t *testing.T, license string) verify.Attestation {
	return sbomEvidenceOf(t, releaseDigest, license)
}

// sbomEvidenceOf is syft's SPDX of the image whose digest is described.
func sbomEvidenceOf(t *testing.T, described subject.Digest, license string) verify.Attestation {
	return evidenceOf(t, "https://spdx.dev/Document", map[string]any{
		"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "app",
		"packages": []any{
			map[string]any{"SPDXID": "SPDXRef-DocumentRoot-Image-app", "name": "ghcr.io/acme/app", "versionInfo": described.String()},
			map[string]any{"SPDXID": "SPDXRef-Package-libfoo", "name": "libfoo", "versionInfo": "1.2.3", "licenseConcluded": license},
		},
		"relationships": []any{map[string]any{"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-DocumentRoot-Image-app"}},
	}, 2)
}

func vulnEvidence(t *testing.T, matches ...any) verify.Attestation {
	return vulnEvidenceOf(t, releaseDigest, matches...)
}

// vulnEvidenceOf is a grype scan whose report says it scanned target.
func vulnEvidenceOf(t *testing.T, target subject.Digest, matches ...any) verify.Attestation {
	if matches == nil {
		matches = []any{}
	}
	return evidenceOf(t, predicate.VulnType, map[string]any{
		"scanner": map[string]any{"uri": "pkg:github/anchore/grype", "version": "0.80.0", "result": map[string]any{
			"matches": matches, "source": map[string]any{"type": "image", "target": map[string]any{"userInput": "ghcr.io/acme/app@" + target.String(), "manifestDigest": target.String()}},
			"descriptor": map[string]any{"name": "grype", "version": "0.80.0"},
		}},
	}, 3)
}

func testEvidence(t *testing.T, result string, failed ...any) verify.Attestation {
	return evidenceOf(t, predicate.TestResultType, map[string]any{"result": result, "passedTests": []any{"TestA"}, "failedTests": failed}, 4)
}

func TestEveryCheck(t *testing.T) {
	t.Parallel()
	pol, err := policy.Parse("policy.yaml", []byte(checksPolicy), nil)
	if err != nil {
		t.Fatal(err)
	}
	release := func() Input {
		env, err := pol.EffectiveEnvironment("production")
		if err != nil {
			t.Fatal(err)
		}
		return Input{
			Subject:     &subject.Subject{Kind: subject.KindOCI, Name: "ghcr.io/acme/app", Digest: releaseDigest, Input: "oci://ghcr.io/acme/app@" + releaseDigest.String()},
			Environment: env, PolicyDigest: pol.Digest,
			Verified: []verify.Attestation{
				provenanceEvidence(t, "github.com/acme/app", "refs/tags/v1.0.0", "https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1.2.0", "github-hosted"),
				sbomEvidence(t, "MIT"),
				vulnEvidence(t),
				testEvidence(t, "PASSED"),
			},
			Rollback: &Rollback{Digest: previousDigest.String(), Verified: true, Evidence: []string{"sha256:" + strings.Repeat("9", 64)}},
			Now:      time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC),
		}
	}
	// replace swaps the evidence of one type.
	replace := func(in *Input, typ string, a ...verify.Attestation) {
		var kept []verify.Attestation
		for _, v := range in.Verified {
			if TypeOf(v) != typ {
				kept = append(kept, v)
			}
		}
		in.Verified = append(kept, a...)
	}

	d := Evaluate(release())
	if !d.Allowed() {
		t.Fatalf("the genuine release: %s; failed %+v", d.Decision, d.Failed())
	}
	wantPass := []string{"subject-pinned", "subject-repository", "source-repository", "source-ref", "required-provenance", "builder", "runner-environment",
		"required-sbom", "required-vuln", "required-test", "tests-passed", "vulnerabilities", "rule:no-gpl3", "rollback"}
	for _, id := range wantPass {
		if c := findCheck(d, id); c == nil || c.Status != Pass {
			t.Errorf("the genuine release: %s = %+v, want pass", id, c)
		}
	}

	tests := []struct {
		name   string
		edit   func(*Input)
		check  string
		status Status
		says   string
	}{
		{"a tag, not a digest", func(in *Input) {
			in.Subject.Resolution = &subject.Resolution{Tag: "ghcr.io/acme/app:v1", Digest: releaseDigest}
			in.Subject.Input = "oci://ghcr.io/acme/app:v1"
		}, "subject-pinned", Fail, `subject "oci://ghcr.io/acme/app:v1" is a tag`},
		{"an image from another registry", func(in *Input) { in.Subject.Name = "docker.io/acme/app" }, "subject-repository", Fail, `found "docker.io/acme/app"`},
		{"built from another repository", func(in *Input) {
			replace(in, "provenance", provenanceEvidence(t, "github.com/evil/app", "refs/tags/v1.0.0", "https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1.2.0", "github-hosted"))
		}, "source-repository", Fail, `found "github.com/evil/app"`},
		{"built from a branch", func(in *Input) {
			replace(in, "provenance", provenanceEvidence(t, "github.com/acme/app", "refs/heads/feature", "https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1.2.0", "github-hosted"))
		}, "source-ref", Fail, `found "refs/heads/feature"`},
		{"no provenance", func(in *Input) { replace(in, "provenance") }, "required-provenance", Fail, "no verified provenance for " + releaseDigest.String()},
		{"no provenance, so no source", func(in *Input) { replace(in, "provenance") }, "source", Fail, "no verified provenance says which source change"},
		{"built by another builder", func(in *Input) {
			replace(in, "provenance", provenanceEvidence(t, "github.com/acme/app", "refs/tags/v1.0.0", "https://github.com/acme/app/.github/workflows/anything.yml@refs/heads/main", "github-hosted"))
		}, "builder", Fail, "builder id not allowed"},
		{"built on a self-hosted runner", func(in *Input) {
			replace(in, "provenance", provenanceEvidence(t, "github.com/acme/app", "refs/tags/v1.0.0", "https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1.2.0", "self-hosted"))
		}, "runner-environment", Fail, `found "self-hosted"`},
		{"no SBOM", func(in *Input) { replace(in, "sbom") }, "required-sbom", Fail, "relproof sbom SUBJECT --attest"},
		{"no scan", func(in *Input) { replace(in, "vuln") }, "required-vuln", Fail, "no verified vuln attestation"},
		{"no tests", func(in *Input) { replace(in, "test") }, "required-test", Fail, "no verified test attestation"},
		{"failing tests", func(in *Input) { replace(in, "test", testEvidence(t, "FAILED", "TestCheckout")) }, "tests-passed", Fail, "TestCheckout"},
		{"a critical finding", func(in *Input) {
			replace(in, "vuln", vulnEvidence(t, map[string]any{
				"vulnerability": map[string]any{"id": "CVE-2026-9999", "severity": "Critical"},
				"artifact":      map[string]any{"name": "libfoo", "version": "1.2.3"},
			}))
		}, "vulnerabilities", Fail, "CVE-2026-9999"},
		{"a scan of another image", func(in *Input) { replace(in, "vuln", vulnEvidenceOf(t, previousDigest)) },
			"required-vuln", Fail, "the scan report itself says it is about " + previousDigest.String() + ", not the subject"},
		{"an SBOM of another image", func(in *Input) { replace(in, "sbom", sbomEvidenceOf(t, previousDigest, "MIT")) },
			"required-sbom", Fail, "the SBOM itself says it is about " + previousDigest.String()},
		{"a GPL package", func(in *Input) { replace(in, "sbom", sbomEvidence(t, "GPL-3.0-only")) }, "rule:no-gpl3", Fail, "GPL-3.0-only packages are not allowed"},
		{"no rollback digest", func(in *Input) { in.Rollback = nil }, "rollback", Fail, "the policy requires one"},
		{"a first release the policy does not let through", func(in *Input) {
			in.Rollback, in.FirstRelease, in.Environment.Rollback.AllowFirstRelease = nil, true, false
		}, "rollback", Fail, "rollback.allowFirstRelease"},
		{"a first release the policy lets through", func(in *Input) {
			in.Rollback, in.FirstRelease, in.Environment.Rollback.AllowFirstRelease = nil, true, true
		}, "rollback", Warn, "first release to production: GitHub lists no earlier successful deployment"},
		{"rollback to itself", func(in *Input) { in.Rollback.Digest = releaseDigest.String() }, "rollback", Fail, "the digest being deployed"},
		{"rollback without provenance", func(in *Input) { in.Rollback.Verified, in.Rollback.Reason = false, "no evidence for it was found" }, "rollback", Fail, "has no provenance that verifies"},
		{"break-glass without a justification", func(in *Input) { replace(in, "test"); in.BreakGlass = true }, "break-glass", Fail, "needs a justification"},
		{"a required signature is missing", func(in *Input) { in.Environment.Require = append(in.Environment.Require, policy.AttestationSignature) },
			"required-signature", Fail, "no verified signature over " + releaseDigest.String()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := release()
			tc.edit(&in)
			d := Evaluate(in)
			c := findCheck(d, tc.check)
			if c == nil || c.Status != tc.status || !strings.Contains(c.Message+" fix: "+c.Fix, tc.says) {
				t.Errorf("%s = %+v; want %s saying (or fixing with) %q", tc.check, c, tc.status, tc.says)
			}
			if tc.status == Fail && d.Allowed() {
				t.Errorf("decision %s with a failing %s", d.Decision, tc.check)
			}
		})
	}

	// Break-glass, justified and allowed: allow, loudly, every failure kept.
	in := release()
	replace(&in, "test")
	in.BreakGlass, in.Justification = true, "INC-42: payment outage"
	d = Evaluate(in)
	if c := findCheck(d, "break-glass"); !d.Allowed() || !d.BreakGlass || c == nil || c.Status != Warn || d.Verdict() != "ALLOW (BREAK-GLASS)" || findCheck(d, "required-test").Status != Fail {
		t.Errorf("justified break-glass: %s %s, break-glass %+v", d.Verdict(), d.Decision, c)
	}

	// Before the reviewers are asked: pending, never allow.
	in = release()
	in.Environment.Approvals.Minimum = 1
	in.PendingApprovals = true
	if d = Evaluate(in); d.Decision != Pending || findCheck(d, "approvals").Status != Warn {
		t.Errorf("pending approvals: %s, approvals %+v", d.Decision, findCheck(d, "approvals"))
	}
	in.PendingApprovals = false
	if d = Evaluate(in); d.Allowed() || findCheck(d, "approvals").Status != Fail {
		t.Errorf("approvals required and none given: %s, approvals %+v", d.Decision, findCheck(d, "approvals"))
	}
}

func findCheck(d *Decision, id string) *Check {
	for i := range d.Checks {
		if d.Checks[i].ID == id {
			return &d.Checks[i]
		}
	}
	return nil
}
