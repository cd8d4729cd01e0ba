package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/relproof/relproof/internal/adopt"
	"github.com/relproof/relproof/internal/fsutil"
	"github.com/relproof/relproof/internal/policy"
	"github.com/relproof/relproof/internal/report/safe"
	"github.com/relproof/relproof/internal/scaffold"
)

type initOptions struct {
	kind         string
	dir          string
	repository   string
	registry     string
	image        string
	name         string
	environments []string
	workflow     string
	force        bool
}

type initReport struct {
	Files []string `json:"files"`
	// Check is what `relproof policy check` says of the pair.
	Check *adopt.Report `json:"check"`
}

func newInitCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &initOptions{}
	cmd := &cobra.Command{
		Use:   "init [--kind image|binary] [--dir DIR]",
		Short: "Write a release workflow and the policy it answers to into a repository",
		Long: `Write a matched pair into a repository: .github/relproof/policy.yaml and a
release workflow (.github/workflows/release.yml), with the repository, its
image (lower-cased, as registries want it) or release file, and its
environments filled in.

The workflow runs on a tag v*: it tests (go test -json for a Go module,
else make test writing JUnit XML), builds, scans with anchore/scan-action
(pinned by SHA), and has relproof's build-attest.yml sign the SBOM, the
provenance, the test results and the scan for the artifact's digest. For
each environment, deploy-gate.yml shows the reviewers the digest, and the
deploy job runs in the environment and starts with relproof's final gate,
so the environment's credentials are used only after relproof allowed that
digest; release-record.yml records the deployment and the evidence pack.
The policy (level strong) requires exactly what the workflow produces, and
names the workflows that may sign each kind of evidence. Comments marked
CHANGE say what to edit.

The repository is read from the git remote "origin" of --dir when
--repository is not given. Existing files are not overwritten without
--force. Afterwards: create the environments in the repository's settings
with required reviewers, and commit the files to the default branch (the
gate reads the policy from there).`,
		Example: `  relproof init --kind image
  relproof init --kind binary --repository acme/app --environment staging --environment production
  relproof policy check .github/relproof/policy.yaml`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInit(cmd.OutOrStdout(), env, g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.kind, "kind", "image", "what a release ships: image (pushed to a registry) or binary (a file)")
	f.StringVar(&o.dir, "dir", ".", "the repository's root")
	f.StringVar(&o.repository, "repository", "", "OWNER/REPO on GitHub (default: from the git remote origin)")
	f.StringVar(&o.registry, "registry", "", "the image registry host (--kind image; default ghcr.io)")
	f.StringVar(&o.image, "image", "", "the image, HOST/PATH (--kind image; default REGISTRY/OWNER/REPO, lower-cased)")
	f.StringVar(&o.name, "name", "", "the release file's name (--kind binary; default REPO)")
	f.StringArrayVar(&o.environments, "environment", nil, "a GitHub environment to deploy to, in promotion order (repeatable; default production)")
	f.StringVar(&o.workflow, "workflow", "release.yml", "the workflow's file name under .github/workflows")
	f.BoolVar(&o.force, "force", false, "overwrite existing files")
	return cmd
}

func runInit(w io.Writer, env *Env, g *globalOptions, o *initOptions) error {
	dir := o.dir
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(env.Dir, dir)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return usageErrorf("--dir %s: expected the repository's directory, found none", o.dir)
	}
	repo := o.repository
	if repo == "" {
		var err error
		if repo, err = originRepository(dir); err != nil {
			return usageErrorf("--repository: not given, and %v; give OWNER/REPO", err)
		}
	}
	_, goErr := os.Stat(filepath.Join(dir, "go.mod"))
	files, err := scaffold.Files(scaffold.Options{
		Kind: scaffold.Kind(o.kind), Repository: repo, Registry: o.registry, Image: o.image, Name: o.name,
		Environments: o.environments, Go: goErr == nil, Workflow: o.workflow,
	})
	var optErr *scaffold.OptionError
	if errors.As(err, &optErr) {
		return usageErrorf("--%s: %w", optErr.Option, optErr.Err)
	}
	if err != nil {
		return err
	}
	if !o.force {
		for _, f := range files {
			p := filepath.Join(dir, f.Path)
			if _, err := os.Lstat(p); err == nil {
				return usageErrorf("%s exists; refusing to overwrite it (use --force)", f.Path)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("checking %s: %w", f.Path, err)
			}
		}
	}
	// The pair is checked, as `relproof policy check` would, before
	// anything is written.
	staging, err := os.MkdirTemp("", "relproof-init-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(staging)
	for _, f := range files {
		if err := writeNew(filepath.Join(staging, f.Path), f.Data); err != nil {
			return err
		}
	}
	rep := initReport{}
	if rep.Check, err = checkPolicy(filepath.Join(staging, scaffold.PolicyPath), scaffold.PolicyPath, filepath.Join(staging, scaffold.WorkflowDir), staging, repo); err != nil {
		return fmt.Errorf("the policy relproof init made does not check: %w", err)
	}
	for _, f := range files {
		if err := writeNew(filepath.Join(dir, f.Path), f.Data); err != nil {
			return err
		}
		rep.Files = append(rep.Files, f.Path)
	}
	return g.report(w, rep, func(w io.Writer) {
		for _, f := range rep.Files {
			fmt.Fprintf(w, "wrote %s\n", f)
		}
		fmt.Fprintln(w)
		checkText(w, rep.Check)
		envs := o.environments
		if len(envs) == 0 {
			envs = []string{"production"}
		}
		fmt.Fprintf(w, "\nNext: in the repository's settings, create the environment(s) %s with required reviewers\n(and prevent self-review), then commit both files to the default branch.\n", strings.Join(envs, ", "))
	})
}

// writeNew writes data to p atomically, making its directory.
func writeNew(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(p, data, 0o644)
}

// originPattern reads OWNER/REPO from a GitHub remote URL.
var originPattern = regexp.MustCompile(`github\.com[:/]([A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+?)(\.git)?/?$`)

// originRepository is OWNER/REPO of dir's git remote origin on GitHub.
func originRepository(dir string) (string, error) {
	out, err := exec.Command("git", "-C", dir, "remote", "get-url", "origin").Output()
	if err != nil {
		return "", fmt.Errorf("%s has no git remote origin", dir)
	}
	url := strings.TrimSpace(string(out))
	m := originPattern.FindStringSubmatch(url)
	if m == nil {
		return "", fmt.Errorf("the git remote origin %s is not a github.com repository", safe.Code(url))
	}
	return m[1], nil
}

type policyCheckOptions struct {
	workflows  string
	repository string
}

func newPolicyCmd(env *Env, g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Check a policy against the workflows that must produce its evidence",
	}
	cmd.AddCommand(newPolicyCheckCmd(env, g))
	return cmd
}

func newPolicyCheckCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &policyCheckOptions{}
	cmd := &cobra.Command{
		Use:   "check POLICY [--workflows DIR]",
		Short: "Say what each environment requires and which workflow step produces it",
		Long: `Read the policy and the repository's workflows, and say, for each environment,
what the gate will require and which job or step produces it: provenance,
SBOM, test results and the vulnerability scan (and which step writes the
report build-attest.yml attests), the final gate and whether its job runs in
the environment, the approvals, the rollback digest, and whether the jobs
that sign the approvals and the decision are signers the policy lists, and,
for a release file, that its evidence and deployment records are kept with
the repository's artifact attestations and the gates read them there.

A requirement no workflow produces is reported as missing, before a release
is denied for it. So is a job that calls one of relproof's reusable
workflows and grants less than that workflow's jobs ask for: GitHub refuses
to start such a run, checking even the jobs that will not run. Exit 0 when
every requirement is produced, 1 when one is missing, 2 for a policy or
workflow that cannot be read.`,
		Example: `  relproof policy check .github/relproof/policy.yaml
  relproof policy check policy.yaml --workflows .github/workflows --repository acme/app --output json`,
		Args: exactArgs(1, "one POLICY file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPolicyCheck(cmd.OutOrStdout(), env, g, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.workflows, "workflows", "", "the directory of workflow files (default .github/workflows beside the policy's .github)")
	f.StringVar(&o.repository, "repository", "", "OWNER/REPO whose runs sign (default GITHUB_REPOSITORY, else the git remote origin)")
	return cmd
}

func runPolicyCheck(w io.Writer, env *Env, g *globalOptions, o *policyCheckOptions, policyPath string) error {
	wfDir := o.workflows
	if wfDir == "" {
		// .github/relproof/policy.yaml → .github/workflows
		wfDir = filepath.Join(filepath.Dir(filepath.Dir(policyPath)), "workflows")
	}
	repo := o.repository
	if repo == "" {
		repo = env.Getenv("GITHUB_REPOSITORY")
	}
	if repo == "" {
		repo, _ = originRepository(filepath.Dir(wfDir))
	}
	rep, err := checkPolicy(policyPath, policyPath, wfDir, "", repo)
	if err != nil {
		return err
	}
	if err := g.report(w, rep, func(w io.Writer) { checkText(w, rep) }); err != nil {
		return err
	}
	if rep.Missing > 0 {
		return denied{fmt.Errorf("policy %s: %d requirement(s) the workflows in %s do not meet", policyPath, rep.Missing, wfDir)}
	}
	return nil
}

// checkPolicy checks the policy at path (shown as shown) against the
// workflows in wfDir, naming them relative to root when it is given.
func checkPolicy(path, shown, wfDir, root, repo string) (*adopt.Report, error) {
	pol, err := policy.Load(path)
	if err != nil {
		return nil, err
	}
	wfs, err := adopt.ReadWorkflows(wfDir)
	if err != nil {
		return nil, usageError(err)
	}
	if root != "" {
		for _, w := range wfs {
			if rel, err := filepath.Rel(root, w.Path); err == nil {
				w.Path = filepath.ToSlash(rel)
			}
		}
	}
	return adopt.Check(pol, shown, wfs, repo)
}

func checkText(w io.Writer, r *adopt.Report) {
	fmt.Fprintf(w, "policy %s (%s), workflows: %s\n", r.Policy, r.PolicyDigest, strings.Join(r.Workflows, ", "))
	for _, e := range r.Environments {
		fmt.Fprintf(w, "\n%s (level %s)\n", e.Name, e.Level)
		for _, l := range e.Lines {
			mark := "ok     "
			if l.Status == adopt.Missing {
				mark = "MISSING"
			}
			fmt.Fprintf(w, "  %s %-17s %s\n", mark, l.Requirement, safe.Text(l.Message))
		}
	}
	if len(r.Permissions) > 0 {
		fmt.Fprintf(w, "\ncalls of relproof's reusable workflows\n")
		for _, l := range r.Permissions {
			mark := "ok     "
			if l.Status == adopt.Missing {
				mark = "MISSING"
			}
			fmt.Fprintf(w, "  %s %-17s %s\n", mark, l.Requirement, safe.Text(l.Message))
		}
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", safe.Text(warn))
	}
	if r.Missing > 0 {
		fmt.Fprintf(w, "\n%d requirement(s) are missing: a release would be denied for them, or, for permissions, GitHub would not start its run.\n", r.Missing)
	}
}
