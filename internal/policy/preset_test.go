package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var envOpts = cmp.Options{
	cmpopts.IgnoreUnexported(Rule{}),
	cmpopts.IgnoreFields(Signer{}, "PublicKey"),
	cmpopts.EquateEmpty(),
}

// allDefaults are the preset fields, in the order applyPreset fills them.
var allDefaults = []string{
	"level", "subject.requireDigest", "require", "builder.runnerEnvironment",
	"vulnerabilities.maxSeverity", "vulnerabilities.unknownAs",
	"approvals.minimum", "approvals.preventSelfReview", "approvals.tiedToEvidence",
	"rollback.required", "rollback.allowFirstRelease", "breakGlass.allowed", "breakGlass.requireJustification",
}

func TestPresets(t *testing.T) {
	t.Parallel()
	strongSigner := Signer{
		Issuer:   "https://token.actions.githubusercontent.com",
		Identity: "https://github.com/acme/ci/.github/workflows/build.yml@refs/tags/v1",
		// The short form (a list) lists build signers, whose runs must come
		// from the repository.
		SourceRepository: "github.com/acme/app",
		Kinds:            BuildKinds,
	}
	tests := []struct {
		name   string
		policy string
		want   Environment
	}{
		{
			name:   "no level is minimum",
			policy: "\t\t\tenv: {}\n",
			want: Environment{
				Level:           LevelMinimum,
				Subject:         SubjectPolicy{RequireDigest: true},
				Builder:         BuilderPolicy{RunnerEnvironment: RunnerAny},
				Require:         []AttestationType{AttestationProvenance},
				Vulnerabilities: VulnerabilityPolicy{MaxSeverity: SeverityCritical, UnknownAs: SeverityCritical},
				Approvals:       ApprovalPolicy{Minimum: 1},
				Rollback:        RollbackPolicy{AllowFirstRelease: true},
				BreakGlass:      BreakGlassPolicy{RequireJustification: true},
				Defaults:        allDefaults,
			},
		},
		{
			name:   "minimum",
			policy: "\t\t\tenv: {level: minimum}\n",
			want: Environment{
				Level:           LevelMinimum,
				Subject:         SubjectPolicy{RequireDigest: true},
				Builder:         BuilderPolicy{RunnerEnvironment: RunnerAny},
				Require:         []AttestationType{AttestationProvenance},
				Vulnerabilities: VulnerabilityPolicy{MaxSeverity: SeverityCritical, UnknownAs: SeverityCritical},
				Approvals:       ApprovalPolicy{Minimum: 1},
				Rollback:        RollbackPolicy{AllowFirstRelease: true},
				BreakGlass:      BreakGlassPolicy{RequireJustification: true},
				Defaults:        allDefaults[1:],
			},
		},
		{
			name:   "better",
			policy: "\t\t\tenv: {level: better, signers: [" + betterSignerYAML + "]}\n",
			want: Environment{
				Level:           LevelBetter,
				Signers:         []Signer{betterSigner},
				Subject:         SubjectPolicy{RequireDigest: true},
				Builder:         BuilderPolicy{RunnerEnvironment: RunnerAny},
				Require:         []AttestationType{AttestationProvenance, AttestationSBOM},
				Vulnerabilities: VulnerabilityPolicy{MaxSeverity: SeverityHigh, UnknownAs: SeverityCritical},
				Approvals:       ApprovalPolicy{Minimum: 1, PreventSelfReview: true, TiedToEvidence: true},
				Rollback:        RollbackPolicy{AllowFirstRelease: true},
				BreakGlass:      BreakGlassPolicy{RequireJustification: true},
				Defaults:        allDefaults[1:],
			},
		},
		{
			name:   "strong",
			policy: "\t\t\tenv:\n\t\t\t\tlevel: strong\n" + strongBasics,
			want: Environment{
				Level:   LevelStrong,
				Subject: SubjectPolicy{RequireDigest: true},
				Source:  SourcePolicy{Repositories: []string{"github.com/acme/app"}},
				Builder: BuilderPolicy{
					IDs:               []string{"https://github.com/acme/ci/.github/workflows/build.yml@refs/tags/v1*"},
					RunnerEnvironment: RunnerGitHubHosted,
				},
				Signers:         []Signer{strongSigner},
				Require:         []AttestationType{AttestationProvenance, AttestationSBOM, AttestationVuln, AttestationTest},
				Vulnerabilities: VulnerabilityPolicy{MaxSeverity: SeverityMedium, UnknownAs: SeverityCritical},
				Approvals:       ApprovalPolicy{Minimum: 1, PreventSelfReview: true, TiedToEvidence: true},
				Rollback:        RollbackPolicy{Required: true},
				BreakGlass:      BreakGlassPolicy{RequireJustification: true},
				Defaults:        allDefaults[1:],
			},
		},
		{
			name: "explicit fields win over strong",
			policy: `			env:
				level: strong
				source: {repositories: [github.com/acme/app]}
				signers: [{issuer: "https://token.actions.githubusercontent.com", identity: "https://github.com/acme/ci/.github/workflows/build.yml@refs/tags/v1", sourceRepository: acme/app}]
				subject: {requireDigest: false}
				builder:
					ids: ["https://github.com/acme/ci/.github/workflows/build.yml@refs/tags/v1*"]
					runnerEnvironment: any
				require: [provenance]
				vulnerabilities: {maxSeverity: critical, unknownAs: medium}
				approvals: {minimum: 1, preventSelfReview: false, tiedToEvidence: false}
				rollback: {required: false, allowFirstRelease: false}
				breakGlass: {allowed: true, requireJustification: false}
`,
			want: Environment{
				Level:   LevelStrong,
				Subject: SubjectPolicy{RequireDigest: false},
				Source:  SourcePolicy{Repositories: []string{"github.com/acme/app"}},
				Builder: BuilderPolicy{
					IDs:               []string{"https://github.com/acme/ci/.github/workflows/build.yml@refs/tags/v1*"},
					RunnerEnvironment: RunnerAny,
				},
				Signers:         []Signer{strongSigner},
				Require:         []AttestationType{AttestationProvenance},
				Vulnerabilities: VulnerabilityPolicy{MaxSeverity: SeverityCritical, UnknownAs: SeverityMedium},
				Approvals:       ApprovalPolicy{Minimum: 1},
				BreakGlass:      BreakGlassPolicy{Allowed: true},
			},
		},
		{
			name:   "an explicit empty list wins too",
			policy: "\t\t\tenv: {level: better, require: [], approvals: {minimum: 0}, signers: [" + betterSignerYAML + "]}\n",
			want: Environment{
				Level:           LevelBetter,
				Signers:         []Signer{betterSigner},
				Subject:         SubjectPolicy{RequireDigest: true},
				Builder:         BuilderPolicy{RunnerEnvironment: RunnerAny},
				Require:         []AttestationType{},
				Vulnerabilities: VulnerabilityPolicy{MaxSeverity: SeverityHigh, UnknownAs: SeverityCritical},
				Approvals:       ApprovalPolicy{Minimum: 0, PreventSelfReview: true, TiedToEvidence: true},
				Rollback:        RollbackPolicy{AllowFirstRelease: true},
				BreakGlass:      BreakGlassPolicy{RequireJustification: true},
				Defaults: []string{
					"subject.requireDigest", "builder.runnerEnvironment",
					"vulnerabilities.maxSeverity", "vulnerabilities.unknownAs",
					"approvals.preventSelfReview", "approvals.tiedToEvidence",
					"rollback.required", "rollback.allowFirstRelease", "breakGlass.allowed", "breakGlass.requireJustification",
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := parse(t, header+tt.policy, nil)
			got := environment(t, p, "env")
			tt.want.Name, tt.want.File, tt.want.Line = "env", "policies/policy.yaml", 4
			if diff := cmp.Diff(&tt.want, got, envOpts); diff != "" {
				t.Errorf("EffectiveEnvironment (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPresetRequires(t *testing.T) {
	t.Parallel()
	p := parse(t, header+"\t\t\tdev: {level: minimum}\n\t\t\tstaging: {level: better, signers: ["+betterSignerYAML+"]}\n\t\t\tproduction:\n\t\t\t\tlevel: strong\n"+strongBasics, nil)
	want := map[string][]bool{ // provenance, sbom, vuln, test
		"dev":        {true, false, false, false},
		"staging":    {true, true, false, false},
		"production": {true, true, true, true},
	}
	for name, w := range want {
		e := environment(t, p, name)
		got := []bool{e.Requires(AttestationProvenance), e.Requires(AttestationSBOM), e.Requires(AttestationVuln), e.Requires(AttestationTest)}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("%s: Requires(provenance, sbom, vuln, test) (-want +got):\n%s", name, diff)
		}
	}
}
