package adopt

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/relproof/relproof/internal/policy"
)

// Every example workflow produces everything its example policy requires:
// copied into a repository as .github/workflows/release.yml (the name the
// policies' signers give it), nothing is missing for any environment.
func TestExampleWorkflowsProduceWhatTheirPoliciesRequire(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ workflow, policy string }{
		{"../../examples/workflows/image.yml", "../../examples/policy.yaml"},
		{"../../examples/workflows/binary.yml", "../../examples/policy-binary.yaml"},
	} {
		t.Run(filepath.Base(tc.workflow), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(tc.workflow)
			if err != nil {
				t.Fatal(err)
			}
			w, err := ParseWorkflow(".github/workflows/release.yml", data)
			if err != nil {
				t.Fatal(err)
			}
			pol, err := policy.Load(tc.policy)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Check(pol, tc.policy, []*Workflow{w}, "acme/app")
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Environments) == 0 {
				t.Fatal("no environments checked")
			}
			for _, e := range r.Environments {
				for _, l := range e.Lines {
					if l.Status != OK {
						t.Errorf("%s with %s: %s: %s %s", tc.workflow, tc.policy, e.Name, l.Requirement, l.Message)
					}
				}
			}
			if len(r.Permissions) < 5 || r.Missing != 0 {
				t.Errorf("%s: %d calls of the reusable workflows checked, %d missing: %+v", tc.workflow, len(r.Permissions), r.Missing, r.Permissions)
			}
		})
	}
}
