package adopt

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relproof/relproof/internal/policy"
)

// The table of what relproof's reusable workflows ask for is what their
// jobs ask for, at the most of each scope.
func TestReusableAsksAreTheWorkflows(t *testing.T) {
	t.Parallel()
	for file, want := range reusableAsks {
		w, err := ParseWorkflow(file, mustRead(t, filepath.Join("../../.github/workflows", file)))
		if err != nil {
			t.Fatal(err)
		}
		got := Permissions{}
		for _, j := range w.Jobs {
			p := j.Permissions
			if p == nil {
				p = w.Permissions
			}
			for s, v := range p {
				if level(v) > level(got[s]) {
					got[s] = v
				}
			}
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s asks for %v; reusableAsks says %v", file, got, want)
		}
	}
	// Every reusable workflow is in it.
	files, err := filepath.Glob("../../.github/workflows/*.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.Contains(string(mustRead(t, f)), "workflow_call:") && reusableAsks[filepath.Base(f)] == nil {
			t.Errorf("%s is a reusable workflow that reusableAsks leaves out", f)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A job that calls a reusable workflow and grants less than its jobs ask
// for, an approve job that does not run among them, is missing: GitHub
// would not start the run.
func TestCheckFindsCallersThatGrantTooLittle(t *testing.T) {
	t.Parallel()
	pol, err := policy.Load("../../examples/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	wf := string(mustRead(t, "../../examples/workflows/image.yml"))
	for _, tc := range []struct {
		name, from, to, says string
	}{
		{"the approve job's id-token dropped from a prepare-only gate", "      id-token: write # the approve job's ask (signing)\n", "",
			"job gate-staging calls deploy-gate.yml, whose jobs ask for id-token: write (grants none)"},
		{"packages read where the approve job writes", "      packages: write # the image's referrers (the evidence); write: the approve job's ask\n", "      packages: read\n",
			"job gate-staging calls deploy-gate.yml, whose jobs ask for packages: write (grants read)"},
		{"the record job's permissions removed, and the workflow grants contents only", "    permissions:\n      contents: read # the policy, from the default branch\n      actions: read # the run's environment approvals\n      pull-requests: read # who made the change (no self-review)\n      deployments: write # the GitHub deployment of the digest; the rollback digest\n", "    permissions-removed:\n",
			"job record-staging calls release-record.yml, whose jobs ask for"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if !strings.Contains(wf, tc.from) {
				t.Fatalf("the example has no %q", tc.from)
			}
			w, err := ParseWorkflow(".github/workflows/release.yml", []byte(strings.Replace(wf, tc.from, tc.to, 1)))
			if err != nil {
				t.Fatal(err)
			}
			r, err := Check(pol, "policy.yaml", []*Workflow{w}, "acme/app")
			if err != nil {
				t.Fatal(err)
			}
			var found bool
			for _, l := range r.Permissions {
				found = found || (l.Status == Missing && strings.Contains(l.Message, tc.says))
			}
			if !found || r.Missing == 0 {
				t.Errorf("permissions %+v (missing %d); want one missing, saying %q", r.Permissions, r.Missing, tc.says)
			}
		})
	}
}
