package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// provenanceJSON is a SLSA v1 predicate as the build-attest workflow writes it.
const provenanceJSON = `{
  "buildDefinition": {
    "buildType": "https://actions.github.io/buildtypes/workflow/v1",
    "externalParameters": {
      "workflow": {"ref": "refs/tags/v1.4.0", "repository": "https://github.com/acme/app", "path": ".github/workflows/release.yml"}
    },
    "internalParameters": {"github": {"event_name": "push", "runner_environment": "github-hosted"}},
    "resolvedDependencies": [{"uri": "git+https://github.com/acme/app@refs/tags/v1.4.0", "digest": {"gitCommit": "5c1bd4d5e0b0d8e4e8c4f0f0a6f7f4b1b1c2d3e4"}}]
  },
  "runDetails": {
    "builder": {"id": "https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1.4.0"},
    "metadata": {"invocationId": "https://github.com/acme/app/actions/runs/123/attempts/1"}
  }
}`

func ruleInput(t *testing.T) RuleInput {
	t.Helper()
	var prov map[string]any
	if err := json.Unmarshal([]byte(provenanceJSON), &prov); err != nil {
		t.Fatal(err)
	}
	pkgs := []Package{
		{Name: "golang.org/x/crypto", Version: "v0.31.0", License: "BSD-3-Clause", PURL: "pkg:golang/golang.org/x/crypto@v0.31.0"},
		{Name: "github.com/spf13/cobra", Version: "v1.10.2", License: "Apache-2.0", PURL: "pkg:golang/github.com/spf13/cobra@v1.10.2"},
		{Name: "musl", Version: "1.2.5-r0", License: "MIT", PURL: "pkg:apk/alpine/musl@1.2.5-r0"},
	}
	for i := range 50 {
		pkgs = append(pkgs, Package{Name: fmt.Sprintf("example.com/lib%d", i), Version: "v1.0.0", License: "MIT"})
	}
	return RuleInput{
		Subject:    Subject{Name: "ghcr.io/acme/app", Digest: digestA},
		Provenance: prov,
		SBOM:       &SBOMInput{Packages: pkgs},
		Vuln: &VulnInput{Findings: []Finding{
			{ID: "CVE-2024-0001", Package: "musl", Version: "1.2.5-r0", Severity: "Medium"},
		}},
		Tests: &TestsInput{Result: "PASSED", Passed: []string{"TestA", "TestB"}},
		Approvals: []ApprovalInput{
			{Reviewer: "alice", State: "approved", Time: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), Comment: "LGTM"},
			{Reviewer: "bob", State: "approved", Time: time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC)},
		},
	}
}

func TestEvalRules(t *testing.T) {
	t.Parallel()
	gpl := Package{Name: "readline", Version: "8.2", License: "GPL-3.0-only", PURL: "pkg:apk/alpine/readline@8.2"}
	tests := []struct {
		name  string
		expr  string
		input func(in *RuleInput)
		want  RuleResult
	}{
		{
			name: "no-gpl3 passes",
			expr: "!sbom.packages.exists(p, p.license == 'GPL-3.0-only')",
			want: RuleResult{Passed: true},
		},
		{
			name:  "no-gpl3 fails",
			expr:  "!sbom.packages.exists(p, p.license == 'GPL-3.0-only')",
			input: func(in *RuleInput) { in.SBOM.Packages = append(in.SBOM.Packages, gpl) },
			want:  RuleResult{Message: "the rule's message"},
		},
		{
			name: "subject and environment",
			expr: "subject.name.startsWith('ghcr.io/acme/') && subject.digest.startsWith('sha256:') && environment == 'production'",
			want: RuleResult{Passed: true},
		},
		{
			name: "provenance",
			expr: "provenance.buildDefinition.externalParameters.workflow.ref.startsWith('refs/tags/v') && provenance.buildDefinition.internalParameters.github.runner_environment == 'github-hosted'",
			want: RuleResult{Passed: true},
		},
		{
			name: "vulnerability severities are normalized",
			expr: "vuln.findings.all(f, f.severity in ['medium', 'low'] && f.fixedVersion == '')",
			want: RuleResult{Passed: true},
		},
		{
			name: "tests must be clean",
			expr: "tests.result == 'PASSED' && size(tests.failed) == 0 && size(tests.warned) == 0",
			input: func(in *RuleInput) {
				in.Tests = &TestsInput{Result: "WARNED", Passed: []string{"TestA"}, Warned: []string{"TestSlow"}}
			},
			want: RuleResult{Message: "the rule's message"},
		},
		{
			name: "approvals are timestamps",
			expr: "size(approvals) >= 2 && approvals.all(a, a.state == 'approved' && a.time > timestamp('2026-11-01T00:00:00Z'))",
			want: RuleResult{Passed: true},
		},
		{
			name: "strings extension",
			expr: "approvals.exists(a, a.comment.lowerAscii() == 'lgtm')",
			want: RuleResult{Passed: true},
		},
		{
			name:  "missing evidence fails closed, naming what is missing",
			expr:  "!sbom.packages.exists(p, p.license == 'GPL-3.0-only')",
			input: func(in *RuleInput) { in.SBOM = nil },
			want:  RuleResult{Message: "not evaluated: needs a verified SBOM (see required-sbom)", Missing: []string{"sbom"}},
		},
		{
			name:  "missing provenance",
			expr:  "provenance.buildDefinition.externalParameters.workflow.ref.startsWith('refs/tags/v')",
			input: func(in *RuleInput) { in.Provenance = nil },
			want:  RuleResult{Message: "not evaluated: needs verified provenance (see required-provenance)", Missing: []string{"provenance"}},
		},
		{
			name:  "missing scan",
			expr:  "vuln.findings.all(f, f.severity != 'critical')",
			input: func(in *RuleInput) { in.Vuln = nil },
			want:  RuleResult{Message: "not evaluated: needs a verified vulnerability scan (see required-vuln)", Missing: []string{"vuln"}},
		},
		{
			name:  "missing tests",
			expr:  "tests.result == 'PASSED'",
			input: func(in *RuleInput) { in.Tests = nil },
			want:  RuleResult{Message: "not evaluated: needs a verified test result (see required-test)", Missing: []string{"tests"}},
		},
		{
			name:  "only the missing evidence the rule reads is named",
			expr:  "tests.result == 'PASSED' && sbom.packages.size() > 0 && vuln.findings.size() >= 0",
			input: func(in *RuleInput) { in.Tests, in.SBOM, in.Provenance = nil, nil, nil },
			want:  RuleResult{Message: "not evaluated: needs a verified SBOM (see required-sbom) and a verified test result (see required-test)", Missing: []string{"sbom", "tests"}},
		},
		{
			name:  "an error of the rule's own is not blamed on missing evidence",
			expr:  "size(approvals) / (size(approvals) - 2) == 1 ? sbom.packages.size() > 0 : false",
			input: func(in *RuleInput) { in.SBOM = nil },
			want:  RuleResult{Message: "could not be evaluated, so it fails: division by zero"},
		},
		{
			name: "evidence that is present but lacks the key is the rule's error",
			expr: "provenance.noSuchField == 'x'",
			want: RuleResult{Message: "could not be evaluated, so it fails: no such key: noSuchField"},
		},
		{
			name:  "has() makes missing evidence lenient on purpose",
			expr:  "!has(sbom.packages) || !sbom.packages.exists(p, p.license == 'GPL-3.0-only')",
			input: func(in *RuleInput) { in.SBOM = nil },
			want:  RuleResult{Passed: true},
		},
		{
			name:  "missing approvals are an empty list",
			expr:  "size(approvals) == 0",
			input: func(in *RuleInput) { in.Approvals = nil },
			want:  RuleResult{Passed: true},
		},
		{
			name: "runtime error fails",
			expr: "size(approvals) / (size(approvals) - 2) == 1",
			want: RuleResult{Message: "could not be evaluated, so it fails: division by zero"},
		},
		{
			name: "a result that is not a bool fails",
			expr: "provenance.buildDefinition.buildType",
			want: RuleResult{Message: `could not be evaluated, so it fails: expected a bool, found string https://actions.github.io/buildtypes/workflow/v1`},
		},
		{
			name: "cost limit",
			expr: "sbom.packages.all(a, sbom.packages.all(b, sbom.packages.all(c, a.name != '')))",
			input: func(in *RuleInput) {
				for i := range 150 {
					in.SBOM.Packages = append(in.SBOM.Packages, Package{Name: fmt.Sprintf("example.com/more%d", i)})
				}
			},
			want: RuleResult{Message: "could not be evaluated, so it fails: operation cancelled: actual cost limit exceeded"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			policy := header + "\t\t\tproduction:\n\t\t\t\trules:\n" +
				"\t\t\t\t\t- name: r\n\t\t\t\t\t\texpr: " + yamlQuote(tt.expr) + "\n\t\t\t\t\t\tmessage: the rule's message\n"
			env := environment(t, parse(t, policy, nil), "production")
			in := ruleInput(t)
			if tt.input != nil {
				tt.input(&in)
			}
			start := time.Now()
			got := EvalRules(env, in)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("EvalRules took %s", d)
			}
			tt.want.Name = "r"
			if len(got) != 1 {
				t.Fatalf("EvalRules gave %d results, want 1", len(got))
			}
			if (got[0].Err != nil) != strings.HasPrefix(tt.want.Message, "could not be evaluated") {
				t.Errorf("Err = %v", got[0].Err)
			}
			if got[0].Err != nil && !errors.Is(got[0].Err, ErrRuleEvaluation) {
				t.Errorf("Err %v does not match ErrRuleEvaluation", got[0].Err)
			}
			got[0].Err = nil
			if diff := cmp.Diff(tt.want, got[0]); diff != "" {
				t.Errorf("EvalRules (-want +got):\n%s", diff)
			}
		})
	}
}

func yamlQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestEvalRulesOrderAndDefaults(t *testing.T) {
	t.Parallel()
	p := parse(t, header+`
			staging:
				rules:
					- {name: first, expr: "true"}
					- {name: second, expr: "environment == 'production'"}
					- {name: third, expr: "1 in [1]", message: third is fine}
`, nil)
	got := EvalRules(environment(t, p, "staging"), RuleInput{})
	want := []RuleResult{
		{Name: "first", Passed: true},
		{Name: "second", Message: "rule second failed: environment == 'production'"},
		{Name: "third", Passed: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("EvalRules (-want +got):\n%s", diff)
	}
}

func TestEvalRulesHandBuilt(t *testing.T) {
	t.Parallel()
	env := &Environment{Name: "dev", Rules: []Rule{
		{Name: "ok", Expr: "environment == 'dev'"},
		{Name: "broken", Expr: "environment ==", Message: "never shown"},
	}}
	got := EvalRules(env, RuleInput{})
	if !got[0].Passed || got[0].Err != nil {
		t.Errorf("hand-built rule ok = %+v, want a pass", got[0])
	}
	if got[1].Passed || !errors.Is(got[1].Err, ErrRuleEvaluation) || !strings.Contains(got[1].Message, "invalid CEL") {
		t.Errorf("hand-built rule broken = %+v, want a failure naming invalid CEL", got[1])
	}
}
