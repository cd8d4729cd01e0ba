package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// examplePolicy is the policy shipped in examples/, relative to this package.
const examplePolicy = "../../examples/policy.yaml"

func TestExamplePolicy(t *testing.T) {
	t.Parallel()
	p, err := Load(examplePolicy)
	if err != nil {
		t.Fatalf("Load(%s): %v", examplePolicy, err)
	}
	if diff := cmp.Diff([]string{"production", "staging"}, p.EnvironmentNames()); diff != "" {
		t.Errorf("EnvironmentNames (-want +got):\n%s", diff)
	}
	wantFiles := []string{"../../examples/policy.yaml", "../../examples/exceptions.yaml"}
	var gotFiles []string
	for _, f := range p.Files {
		gotFiles = append(gotFiles, f.Name)
	}
	if diff := cmp.Diff(wantFiles, gotFiles); diff != "" {
		t.Errorf("Files (-want +got):\n%s", diff)
	}

	levels := map[string]Level{"production": LevelStrong, "staging": LevelBetter}
	for name, level := range levels {
		if e := environment(t, p, name); e.Level != level {
			t.Errorf("%s: level %s, want %s", name, e.Level, level)
		}
	}

	prod := environment(t, p, "production")
	checks := []struct {
		name  string
		match Match
		want  bool
	}{
		{"subject repository", prod.SubjectRepositoryAllowed("ghcr.io/acme/app"), true},
		{"foreign subject repository", prod.SubjectRepositoryAllowed("docker.io/acme/app"), false},
		{"source repository", prod.SourceRepositoryAllowed("git+https://github.com/acme/app@refs/tags/v1.4.0"), true},
		{"tag ref", prod.RefAllowed("refs/tags/v1.4.0"), true},
		{"branch ref", prod.RefAllowed("refs/heads/feature"), false},
		{"builder", prod.BuilderAllowed("https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1.4.0"), true},
		{"runner", prod.RunnerAllowed("self-hosted"), false},
	}
	for _, c := range checks {
		if c.match.Allowed != c.want {
			t.Errorf("production %s: %s", c.name, c.match.Message())
		}
	}

	// One list per kind: build-attest.yml signs the build's evidence, and
	// release-record.yml the approvals and decisions, each only in
	// acme/app's runs.
	buildAttest := Certificate{
		Issuer:              "https://token.actions.githubusercontent.com",
		BuildSignerURI:      "https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1.4.0",
		SourceRepositoryURI: "https://github.com/acme/app",
		RunnerEnvironment:   "github-hosted",
	}
	// release-record.yml, after the deploy job, signs the approvals and the
	// decision; the deploy job itself (the caller's workflow) signs nothing
	// the policy trusts.
	releaseRecord := buildAttest
	releaseRecord.BuildSignerURI = "https://github.com/relproof/relproof/.github/workflows/release-record.yml@refs/tags/v1.4.0"
	deployJob := buildAttest
	deployJob.BuildSignerURI = "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.4.0"
	deployGate := buildAttest
	deployGate.BuildSignerURI = "https://github.com/relproof/relproof/.github/workflows/deploy-gate.yml@refs/tags/v1.4.0"
	fromElsewhere := buildAttest
	fromElsewhere.SourceRepositoryURI = "https://github.com/mallory/app"
	admitted := func(k EvidenceKind, c Certificate) bool {
		for _, sg := range prod.SignersFor(k) {
			if sg.Admits(c) == "" {
				return true
			}
		}
		return false
	}
	for _, c := range []struct {
		name string
		kind EvidenceKind
		cert Certificate
		want bool
	}{
		{"build-attest signs provenance", KindProvenance, buildAttest, true},
		{"build-attest does not sign approvals", KindApproval, buildAttest, false},
		{"release-record signs approvals", KindApproval, releaseRecord, true},
		{"release-record signs decisions", KindDecision, releaseRecord, true},
		{"release-record does not sign provenance", KindProvenance, releaseRecord, false},
		{"the caller's own workflow does not sign approvals", KindApproval, deployJob, false},
		{"the caller's own workflow does not sign decisions", KindDecision, deployJob, false},
		{"deploy-gate's approve job is not the one this policy names", KindApproval, deployGate, false},
		{"build-attest called from another repository", KindProvenance, fromElsewhere, false},
	} {
		if got := admitted(c.kind, c.cert); got != c.want {
			t.Errorf("production: %s: admitted %v, want %v", c.name, got, c.want)
		}
	}

	// The exceptions file holds one exception that is active at now and one
	// that has expired.
	active := prod.FindingBlocked(Finding{ID: "CVE-2024-45337", Package: "golang.org/x/crypto", Severity: "critical"}, digestA, now)
	if active.Blocked || active.Exception == nil {
		t.Errorf("CVE-2024-45337 is not excepted: %s", active.Message())
	}
	expired := prod.FindingBlocked(Finding{ID: "CVE-2023-45288", Package: "golang.org/x/net", Severity: "critical"}, digestA, now)
	if !expired.Blocked || expired.Expired == nil {
		t.Errorf("CVE-2023-45288 is not blocked with its expired exception: %s", expired.Message())
	}

	in := ruleInput(t)
	in.Environment = ""
	var failed []string
	for _, r := range EvalRules(prod, in) {
		if !r.Passed {
			failed = append(failed, r.Name+": "+r.Message)
		}
	}
	if len(failed) > 0 {
		t.Errorf("production rules fail on good evidence: %q", failed)
	}
	in.SBOM.Packages = append(in.SBOM.Packages, Package{Name: "readline", License: "GPL-3.0-only"})
	got := EvalRules(prod, in)
	if got[0].Name != "no-gpl3" || got[0].Passed || got[0].Message != "GPL-3.0-only packages are not allowed in production" {
		t.Errorf("no-gpl3 with a GPL-3.0-only package: %+v", got[0])
	}
}
