package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitRepo makes an empty git repository in dir with the remote origin.
func gitRepo(t *testing.T, dir, origin string) {
	t.Helper()
	for _, args := range [][]string{{"init", "-q"}, {"remote", "add", "origin", origin}} {
		if origin == "" && args[0] == "remote" {
			continue
		}
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

func TestInitWritesAPairThatChecks(t *testing.T) {
	t.Parallel()
	env := testEnv(t, nil)
	gitRepo(t, env.Dir, "git@github.com:Acme/App.git")
	writeFile(t, env.Dir, "go.mod", "module example.com/app\n\ngo 1.22\n")
	r := run(t, env, "init", "--kind", "image")
	expect(t, r, 0)
	for _, want := range []string{"wrote .github/relproof/policy.yaml", "wrote .github/workflows/release.yml", "ok      vuln", "Next: in the repository's settings, create the environment(s) production"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("init output does not say %q:\n%s", want, r.stdout)
		}
	}
	wf := readFile(t, filepath.Join(env.Dir, ".github/workflows/release.yml"))
	pol := readFile(t, filepath.Join(env.Dir, ".github/relproof/policy.yaml"))
	// The image name is lower-cased; the repository is as GitHub spells it.
	for _, want := range []string{"IMAGE: ghcr.io/acme/app", "go test -json ./...", "anchore/scan-action@1638637db639e0ade3258b51db49a9a137574c3e", "environment: production"} {
		if !strings.Contains(wf, want) {
			t.Errorf("the workflow has no %q", want)
		}
	}
	for _, want := range []string{`allowedRepositories: ["ghcr.io/acme/app"]`, "sourceRepository: Acme/App", "signerWorkflow: relproof/relproof/.github/workflows/release-record.yml@refs/tags/v1*"} {
		if !strings.Contains(pol, want) {
			t.Errorf("the policy has no %q", want)
		}
	}
	// policy check agrees.
	r = run(t, env, "policy", "check", filepath.Join(env.Dir, ".github/relproof/policy.yaml"), "--repository", "Acme/App")
	expect(t, r, 0)

	// A second init refuses to overwrite; --force does.
	r = run(t, env, "init", "--kind", "image")
	expect(t, r, 2, ".github/relproof/policy.yaml exists; refusing to overwrite it (use --force)")
	expect(t, run(t, env, "init", "--kind", "binary", "--force", "--name", "appd"), 0)
	if wf := readFile(t, filepath.Join(env.Dir, ".github/workflows/release.yml")); !strings.Contains(wf, "dist/appd") {
		t.Errorf("--force did not rewrite the workflow for the binary")
	}
}

func TestInitRefusesBadInput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		origin string
		args   []string
		says   string
	}{
		{"no repository and no origin", "", nil, "--repository: not given, and"},
		{"an origin that is not GitHub", "https://gitlab.com/acme/app.git", nil, "is not a github.com repository"},
		{"a kind that is not one", "git@github.com:acme/app.git", []string{"--kind", "tarball"}, `--kind: expected image or binary, found "tarball"`},
		{"a newline in an environment", "git@github.com:acme/app.git", []string{"--environment", "prod\nrun: curl evil"}, `--environment: expected a name of letters, digits, '.', '-' and '_' that YAML reads as a name (not true, null or a number), found "prod\nrun: curl evil"`},
		{"an environment YAML reads as a boolean", "git@github.com:acme/app.git", []string{"--environment", "true"}, `(not true, null or a number), found "true"`},
		{"a release file YAML reads as nothing", "git@github.com:acme/app.git", []string{"--kind", "binary", "--name", "null"}, `--name: expected a file name`},
		{"a registry that reads as an option", "git@github.com:acme/app.git", []string{"--registry", "-ghcr.io"}, `--registry: expected a registry host`},
		{"an environment twice", "git@github.com:acme/app.git", []string{"--environment", "prod", "--environment", "PROD"}, `--environment: "PROD" is given twice`},
		{"an image with a capital", "git@github.com:acme/app.git", []string{"--image", "ghcr.io/Acme/app"}, "--image: expected HOST/PATH in lower case"},
		{"a registry for a binary", "git@github.com:acme/app.git", []string{"--kind", "binary", "--registry", "ghcr.io"}, "--kind: a binary release is kept as a workflow artifact"},
		{"a repository with a quote", "", []string{"--repository", `acme/app"`}, `--repository: expected OWNER/REPO, found "acme/app\""`},
		{"a workflow path", "git@github.com:acme/app.git", []string{"--workflow", "../../x.yml"}, "--workflow: expected a file name ending in .yml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := testEnv(t, nil)
			gitRepo(t, env.Dir, tc.origin)
			r := run(t, env, append([]string{"init"}, tc.args...)...)
			expect(t, r, 2, tc.says)
			if _, err := os.Stat(filepath.Join(env.Dir, ".github")); err == nil {
				t.Errorf("init wrote files on bad input")
			}
		})
	}
}

func TestPolicyCheck(t *testing.T) {
	t.Parallel()
	env := testEnv(t, nil)
	writeFile(t, env.Dir, "go.mod", "module example.com/app\n")
	expect(t, run(t, env, "init", "--kind", "binary", "--repository", "acme/app"), 0)
	policyPath := filepath.Join(env.Dir, ".github/relproof/policy.yaml")
	wfPath := filepath.Join(env.Dir, ".github/workflows/release.yml")

	// Without the scan, the check says what is missing and exits 1.
	wf := readFile(t, wfPath)
	i, j := strings.Index(wf, "      - name: Scan for vulnerabilities"), strings.Index(wf, "      - uses: actions/upload-artifact")
	wf = strings.Replace(wf[:i]+wf[j:], "      vuln-report: vulnerabilities.json\n", "", 1)
	writeFile(t, filepath.Dir(wfPath), "release.yml", wf)
	r := run(t, env, "policy", "check", policyPath, "--repository", "acme/app")
	expect(t, r, 1, "1 requirement(s) the workflows in")
	if !strings.Contains(r.stdout, "MISSING vuln") {
		t.Errorf("policy check does not name the missing scan:\n%s", r.stdout)
	}
	r = run(t, env, "policy", "check", policyPath, "--repository", "acme/app", "--output", "json")
	if r.code != 1 || !strings.Contains(r.stdout, `"status": "missing"`) {
		t.Errorf("policy check --output json: exit %d\n%s", r.code, r.stdout)
	}

	// A gate job that grants less than deploy-gate.yml's jobs ask for:
	// GitHub would not start the run.
	writeFile(t, filepath.Dir(wfPath), "release.yml", strings.Replace(readFile(t, wfPath), "      id-token: write # the approve job's ask (signing)\n", "", 1))
	r = run(t, env, "policy", "check", policyPath, "--repository", "acme/app")
	expect(t, r, 1)
	if !strings.Contains(r.stdout, "calls of relproof's reusable workflows\n") || !strings.Contains(r.stdout, "MISSING permissions") ||
		!strings.Contains(r.stdout, "calls deploy-gate.yml, whose jobs ask for id-token: write (grants none); GitHub refuses to start the run") {
		t.Errorf("policy check does not name the permission GitHub would refuse the run for:\n%s", r.stdout)
	}

	// Bad input exits 2, naming it.
	expect(t, run(t, env, "policy", "check", filepath.Join(env.Dir, "nope.yaml")), 2, "nope.yaml")
	expect(t, run(t, env, "policy", "check", policyPath, "--workflows", filepath.Join(env.Dir, "nowhere")), 2, "nowhere")
	writeFile(t, filepath.Dir(wfPath), "broken.yml", "jobs: [")
	expect(t, run(t, env, "policy", "check", policyPath), 2, "broken.yml: expected YAML")
}
