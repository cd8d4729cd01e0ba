package adopt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relproof/relproof/internal/policy"
)

// releaseWorkflow is examples/workflows/image.yml, as a repository's
// .github/workflows/release.yml.
func releaseWorkflow(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../examples/workflows/image.yml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// lineOf is the report's last line for requirement in environment env,
// or nil.
func lineOf(r *Report, env, requirement string) *Line {
	var found *Line
	for _, e := range r.Environments {
		for i, l := range e.Lines {
			if e.Name == env && l.Requirement == requirement {
				found = &e.Lines[i]
			}
		}
	}
	return found
}

func cut(t *testing.T, s, from, to string) string {
	t.Helper()
	i := strings.Index(s, from)
	j := strings.Index(s[i+1:], to)
	if i < 0 || j < 0 {
		t.Fatalf("cut %q..%q: not found", from, to)
	}
	return s[:i] + s[i+1+j:]
}

func TestCheckFindsWhatIsMissing(t *testing.T) {
	t.Parallel()
	pol, err := policy.Load("../../examples/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		edit       func(t *testing.T, wf string) string
		repository string
		env, line  string
		says       string
	}{
		{"the scan step removed", func(t *testing.T, wf string) string {
			wf = cut(t, wf, "      - name: Scan for vulnerabilities", "      - uses: actions/upload-artifact")
			return strings.Replace(wf, "      vuln-report: vulnerabilities.json\n", "", 1)
		}, "acme/app", "production", "vuln", "required, and no workflow produces it"},
		{"the scan step removed, its report still attested", func(t *testing.T, wf string) string {
			return cut(t, wf, "      - name: Scan for vulnerabilities", "      - uses: actions/upload-artifact")
		}, "acme/app", "production", "vuln", "no step of the workflow writes vulnerabilities.json"},
		{"a step that writes the report but scans nothing", func(t *testing.T, wf string) string {
			wf = cut(t, wf, "      - name: Scan for vulnerabilities", "      - uses: actions/upload-artifact")
			return strings.Replace(wf, "      - uses: actions/upload-artifact", "      - name: Pretend\n        run: echo '{\"matches\":[]}' >reports/vulnerabilities.json\n\n      - uses: actions/upload-artifact", 1)
		}, "acme/app", "production", "vuln", `written by step "Pretend" of job build, which runs no scanner`},
		{"no test report", func(t *testing.T, wf string) string {
			return strings.Replace(wf, "      test-report: tests.json\n", "", 1)
		}, "acme/app", "production", "test", "required, and no workflow produces it"},
		{"the deploy job outside the environment", func(t *testing.T, wf string) string {
			return strings.Replace(wf, "\n    environment: production\n", "\n", 1)
		}, "acme/app", "production", "gate", "runs the final gate outside environment production"},
		{"the approvals then recorded nowhere", func(t *testing.T, wf string) string {
			return strings.Replace(wf, "\n    environment: production\n", "\n", 1)
		}, "acme/app", "production", "approvals", "no job that records them runs in environment production"},
		{"no final gate at all", func(t *testing.T, wf string) string {
			return strings.ReplaceAll(wf, "          environment: production\n", "          environment: prod\n")
		}, "acme/app", "production", "gate", "no job runs relproof's final gate for production"},
		{"no rollback digest", func(t *testing.T, wf string) string {
			return strings.Replace(wf, "          stage: final\n          subject: ${{ needs.attest.outputs.subject }}\n          expected-digest: ${{ needs.gate-production.outputs.digest }}\n",
				"          stage: final\n          subject: ${{ needs.attest.outputs.subject }}\n          expected-digest: ${{ needs.gate-production.outputs.digest }}\n          rollback-digest: none\n", 1)
		}, "acme/app", "production", "rollback", "rollback-digest: none"},
		{"the deploy job signs the approvals itself", func(t *testing.T, wf string) string {
			return strings.ReplaceAll(wf, "          approvals: github # read from GitHub by the gate; this job signs nothing\n", "")
		}, "acme/app", "production", "gate", "signs the approvals and the decision itself"},
		{"nothing signs the approvals after the deploy job", func(t *testing.T, wf string) string {
			// release-record's call is the last for production.
			i := strings.LastIndex(wf, "      environment: production\n      evidence-artifact:")
			return wf[:i] + "      environment: prod\n" + wf[i+len("      environment: production\n"):]
		}, "acme/app", "production", "signers.approval", "no job calls release-record.yml for production"},
		{"build-attest from someone else's repository", func(t *testing.T, wf string) string {
			return strings.Replace(wf, "uses: relproof/relproof/.github/workflows/build-attest.yml@v1", "uses: mallory/relproof/.github/workflows/build-attest.yml@v1", 1)
		}, "acme/app", "production", "provenance", "required, and no workflow produces it"},
		{"a final gate that may fail without stopping the job", func(t *testing.T, wf string) string {
			return strings.Replace(wf, "        uses: relproof/relproof/actions/gate-environment@v1\n", "        uses: relproof/relproof/actions/gate-environment@v1\n        continue-on-error: true\n", 2)
		}, "acme/app", "production", "gate", "continue-on-error: true, so a deny does not stop the job"},
		{"a deploy step before the final gate", func(t *testing.T, wf string) string {
			return strings.Replace(wf, "      - name: The policy, from the default branch\n", "      - name: Deploy early\n        run: ./deploy.sh\n\n      - name: The policy, from the default branch\n", 2)
		}, "acme/app", "production", "gate", `step "Deploy early" runs before its final gate step`},
		{"approve-job as an expression", func(t *testing.T, wf string) string {
			return strings.Replace(wf, "      approve-job: false # deploy-production holds the final gate, in the environment\n", "      approve-job: ${{ false }}\n", 1)
		}, "acme/app", "production", "gate", "an expression: this check cannot tell"},
		{"a step that rewrites the report after the scanner", func(t *testing.T, wf string) string {
			return strings.Replace(wf, "      - uses: actions/upload-artifact", "      - name: Tidy\n        run: echo '{\"matches\":[]}' >reports/vulnerabilities.json\n\n      - uses: actions/upload-artifact", 1)
		}, "acme/app", "production", "vuln", `written by step "Tidy" of job build, which runs no scanner`},
		{"a script that only names a scanner", func(t *testing.T, wf string) string {
			wf = cut(t, wf, "      - name: Scan for vulnerabilities", "      - uses: actions/upload-artifact")
			return strings.Replace(wf, "      - uses: actions/upload-artifact", "      - name: Pretend\n        run: echo trivy >reports/vulnerabilities.json\n\n      - uses: actions/upload-artifact", 1)
		}, "acme/app", "production", "vuln", "which runs no scanner"},
		{"whose runs sign is not known", func(t *testing.T, wf string) string { return wf },
			"", "production", "signers.decision", "give --repository OWNER/REPO"},
		{"another repository's copy of the workflow", func(t *testing.T, wf string) string { return wf },
			"mallory/app", "production", "signers.decision", "which no keyless signer of signers.decision admits"},
		{"deploy-gate's approve job signs, which the policy does not list", func(t *testing.T, wf string) string {
			return strings.Replace(wf, "      approve-job: false # deploy-production holds the final gate, in the environment\n", "", 1)
		}, "acme/app", "production", "signers.approval", "relproof/relproof/.github/workflows/deploy-gate.yml@refs/tags/v1, which no keyless signer"},
		{"release-record at a commit the policy does not list", func(t *testing.T, wf string) string {
			return strings.ReplaceAll(wf, "relproof/relproof/.github/workflows/release-record.yml@v1", "relproof/relproof/.github/workflows/release-record.yml@0123456789abcdef0123456789abcdef01234567")
		}, "acme/app", "production", "signers.decision", "release-record.yml@0123456789abcdef0123456789abcdef01234567, which no keyless signer"},
		{"release-record at a commit the policy does not list signs deployment records nobody admits", func(t *testing.T, wf string) string {
			return strings.ReplaceAll(wf, "relproof/relproof/.github/workflows/release-record.yml@v1", "relproof/relproof/.github/workflows/release-record.yml@0123456789abcdef0123456789abcdef01234567")
		}, "acme/app", "production", "signers.deployment", "which no keyless signer of signers.deployment admits"},
		{"nothing records production's deployments", func(t *testing.T, wf string) string {
			i := strings.LastIndex(wf, "      environment: production\n      evidence-artifact:")
			return wf[:i] + "      environment: prod\n" + wf[i+len("      environment: production\n"):]
		}, "acme/app", "production", "signers.deployment", "no job calls release-record.yml for production to record and sign them"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w, err := ParseWorkflow(".github/workflows/release.yml", []byte(tc.edit(t, releaseWorkflow(t))))
			if err != nil {
				t.Fatal(err)
			}
			r, err := Check(pol, "policy.yaml", []*Workflow{w}, tc.repository)
			if err != nil {
				t.Fatal(err)
			}
			var found *Line
			for _, e := range r.Environments {
				for i, l := range e.Lines {
					if e.Name == tc.env && l.Requirement == tc.line && l.Status == Missing {
						found = &e.Lines[i]
					}
				}
			}
			if found == nil || !strings.Contains(found.Message, tc.says) || r.Missing == 0 {
				t.Errorf("%s %s: %+v (missing %d); want missing, saying %q\n%+v", tc.env, tc.line, found, r.Missing, tc.says, r.Environments)
			}
		})
	}
}

func TestParseWorkflowRefusesWhatIsNoWorkflow(t *testing.T) {
	t.Parallel()
	for in, says := range map[string]string{
		"jobs: [":                 "expected YAML",
		"- a\n- b\n":              "expected a mapping with jobs, found a list",
		"on: push\n":              "expected jobs, a mapping of job ids, found none",
		"jobs:\n  build: hello\n": `job build: expected a mapping, found "hello"`,
	} {
		_, err := ParseWorkflow("w.yml", []byte(in))
		if err == nil || !strings.Contains(err.Error(), "w.yml") || !strings.Contains(err.Error(), says) {
			t.Errorf("ParseWorkflow(%q) = %v; want an error naming w.yml saying %q", in, err, says)
		}
	}
}

// A deployment record is trusted beyond its run (the next release's
// rollback target, what its change is counted from): a deployment signer
// that admits release-record.yml's runs of any ref, a branch's among them,
// is missing its sourceRef.
func TestCheckWantsDeploymentSignersPinnedToReleaseRuns(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../examples/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const line = "          sourceRef: refs/tags/v*               # run records: any branch's run could record any deployment\n"
	if !strings.Contains(string(raw), line) {
		t.Fatal("the example policy's production deployment signer has no sourceRef line to change")
	}
	w, err := ParseWorkflow(".github/workflows/release.yml", []byte(releaseWorkflow(t)))
	if err != nil {
		t.Fatal(err)
	}
	for ref, missing := range map[string]bool{"": true, "'refs/**'": true, "'refs/heads/*'": true, "refs/tags/v*": false} {
		edited := strings.Replace(string(raw), line, "", 1)
		if ref != "" {
			edited = strings.Replace(string(raw), line, "          sourceRef: "+ref+"\n", 1)
		}
		pol, err := policy.Parse("policy.yaml", []byte(edited), func(name string) ([]byte, error) { return os.ReadFile(filepath.Join("../../examples", name)) })
		if err != nil {
			t.Fatalf("sourceRef %s: %v", ref, err)
		}
		r, err := Check(pol, "policy.yaml", []*Workflow{w}, "acme/app")
		if err != nil {
			t.Fatal(err)
		}
		found := lineOf(r, "production", "signers.deployment")
		if found == nil || (found.Status == Missing) != missing || (missing && !strings.Contains(found.Message, "admits runs of branches or pull requests")) {
			t.Errorf("sourceRef %q: signers.deployment %+v; want missing %v", ref, found, missing)
		}
	}
}

// A release file's evidence and deployment records are kept only with the
// repository's attestations: each of its calls must keep or read them
// there. An image's workflow has no such line.
func TestCheckWantsAReleaseFilesRecordsKeptWithTheAttestations(t *testing.T) {
	t.Parallel()
	pol, err := policy.Load("../../examples/policy-binary.yaml")
	if err != nil {
		t.Fatal(err)
	}
	wf := string(mustRead(t, "../../examples/workflows/binary.yml"))
	line := func(t *testing.T, wf string) (Line, bool) {
		t.Helper()
		w, err := ParseWorkflow(".github/workflows/release.yml", []byte(wf))
		if err != nil {
			t.Fatal(err)
		}
		r, err := Check(pol, "policy.yaml", []*Workflow{w}, "acme/app")
		if err != nil {
			t.Fatal(err)
		}
		// The missing one, of any environment's, else the first.
		var found []Line
		for _, e := range r.Environments {
			for _, l := range e.Lines {
				if l.Requirement == "release file" {
					found = append(found, l)
				}
			}
		}
		for _, l := range found {
			if l.Status == Missing {
				return l, true
			}
		}
		if len(found) == 0 {
			return Line{}, false
		}
		return found[0], true
	}
	if l, ok := line(t, wf); !ok || l.Status != OK {
		t.Errorf("init's binary workflow: %+v, %v; want the release file line, ok", l, ok)
	}
	for _, tc := range []struct{ name, from, to, says string }{
		{"the gate does not read the attestations", "      from-github: true # a release file's earlier evidence (the rollback digest's) is kept there\n", "",
			"job gate-staging: deploy-gate.yml has from-github: none, not true"},
		{"the final gate does not read them", "          from-github: \"true\"\n", "",
			`gate-environment (step "relproof's final gate, for the digest the reviewers were shown") has from-github: none, not true`},
		{"the record is not kept there", "      github-upload: true # keep the deployment record with the repository's artifact attestations\n", "",
			"job record-staging: release-record.yml has github-upload: none, not true"},
		{"the evidence is not kept there", "      vuln-report: vulnerabilities.json\n      github-upload: true\n", "      vuln-report: vulnerabilities.json\n      github-upload: false\n",
			"job attest: build-attest.yml has github-upload: false, not true"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if !strings.Contains(wf, tc.from) {
				t.Fatalf("the example has no %q", tc.from)
			}
			l, ok := line(t, strings.Replace(wf, tc.from, tc.to, 1))
			if !ok || l.Status != Missing || !strings.Contains(l.Message, tc.says) {
				t.Errorf("%+v, %v; want missing, saying %q", l, ok, tc.says)
			}
		})
	}
	if l, ok := line(t, string(mustRead(t, "../../examples/workflows/image.yml"))); ok {
		t.Errorf("an image's workflow has a release file line: %+v", l)
	}
}

// release-record.yml records only on a decision no recorded deployment has
// overtaken, which it can tell only from records a deployment signer
// signed: with a rollback digest given by hand, its job still needs one.
func TestCheckWantsDeploymentSignersWhereDeploymentsAreRecorded(t *testing.T) {
	t.Parallel()
	given := "rollback-digest: sha256:" + strings.Repeat("ab", 32)
	wf := strings.ReplaceAll(releaseWorkflow(t), "      approve-job: false # deploy-", "      "+given+"\n      approve-job: false # deploy-")
	wf = strings.ReplaceAll(wf, "          approvals: github #", "          "+given+"\n          approvals: github #")
	w, err := ParseWorkflow(".github/workflows/release.yml", []byte(wf))
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.Parse("policy.yaml", []byte(`apiVersion: relproof.dev/v1
kind: Policy
environments:
  production:
    level: minimum
    require: []
    approvals: {minimum: 0}
    signers:
      build: [{key: build.pub}]
`), func(string) ([]byte, error) {
		return os.ReadFile("../../testdata/sigstore-conformance/bundle-verify/managed-key-and-trusted-root/key.pub")
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Check(pol, "policy.yaml", []*Workflow{w}, "acme/app")
	if err != nil {
		t.Fatal(err)
	}
	if found := lineOf(r, "production", "signers.deployment"); found == nil || found.Status != Missing {
		t.Errorf("signers.deployment %+v; want missing: release-record.yml records production's deployments", found)
	}
}
