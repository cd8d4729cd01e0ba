package adopt

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/relproof/relproof/internal/policy"
)

// Status of one line of a check.
type Status string

const (
	// OK: a workflow produces what the policy requires.
	OK Status = "ok"
	// Missing: the policy requires it and no workflow produces it; the
	// gate will deny.
	Missing Status = "missing"
	// Info: not a requirement, said for the reader.
	Info Status = "info"
)

// Line is what one requirement of an environment needs and where it comes
// from.
type Line struct {
	Requirement string `json:"requirement"`
	Status      Status `json:"status"`
	Message     string `json:"message"`
}

// Environment is the check of one environment of the policy.
type Environment struct {
	Name  string `json:"name"`
	Level string `json:"level"`
	Lines []Line `json:"lines"`
}

// Report is what `relproof policy check` prints.
type Report struct {
	Policy       string        `json:"policy"`
	PolicyDigest string        `json:"policyDigest"`
	Workflows    []string      `json:"workflows"`
	Repository   string        `json:"repository,omitempty"`
	Environments []Environment `json:"environments"`
	// Missing counts the lines whose requirement nothing produces.
	Missing int `json:"missing"`
	// Warnings are the policy's own (a keyless signer open to any caller).
	Warnings []string `json:"warnings,omitempty"`
	// Permissions say, for each job that calls one of relproof's reusable
	// workflows, whether it grants what that workflow asks for (a run that
	// does not, GitHub does not start); counted in Missing.
	Permissions []Line `json:"permissions"`
}

// Check explains, for every environment of pol, what it requires and which
// job or step of workflows produces it. repository (OWNER/REPO, may be
// empty) is whose runs sign, for the signer lines.
func Check(pol *policy.Policy, policyPath string, workflows []*Workflow, repository string) (*Report, error) {
	r := &Report{Policy: policyPath, PolicyDigest: pol.Digest, Repository: repository, Environments: []Environment{}, Workflows: []string{}}
	for _, w := range workflows {
		r.Workflows = append(r.Workflows, w.Path)
	}
	for _, name := range pol.EnvironmentNames() {
		env, err := pol.EffectiveEnvironment(name)
		if err != nil {
			return nil, err
		}
		r.Warnings = append(r.Warnings, env.Warnings...)
		e := Environment{Name: name, Level: string(env.Level)}
		c := &checker{env: env, workflows: workflows, repository: repository}
		e.Lines = c.lines()
		for _, l := range e.Lines {
			if l.Status == Missing {
				r.Missing++
			}
		}
		r.Environments = append(r.Environments, e)
	}
	r.Permissions = PermissionLines(workflows)
	for _, l := range r.Permissions {
		if l.Status == Missing {
			r.Missing++
		}
	}
	if r.Permissions == nil {
		r.Permissions = []Line{}
	}
	return r, nil
}

type checker struct {
	env        *policy.Environment
	workflows  []*Workflow
	repository string
}

// producer is a job or step that makes one kind of evidence.
type producer struct {
	w   *Workflow
	job *Job
	// what says how, for people.
	what string
	// report is the file it attests, for a report another step writes.
	report string
}

func (c *checker) lines() []Line {
	var out []Line
	for _, t := range c.env.Require {
		out = append(out, c.required(t))
	}
	gates := c.gates()
	out = append(out, c.gateLine(gates))
	if c.env.Approvals.Minimum > 0 {
		out = append(out, c.approvalsLine(gates))
	}
	if c.env.Rollback.Required {
		out = append(out, c.rollbackLine(gates))
	}
	out = append(out, c.signerLines(gates)...)
	out = append(out, c.deploymentSignerLine(gates)...)
	if l, ok := c.releaseFileLine(); ok {
		out = append(out, l)
	}
	return out
}

// releaseFileLine checks, where a workflow builds a release file (not an
// image, beside which the evidence and the deployment records are pushed),
// that they are kept with the repository's artifact attestations and read
// from there: by build-attest.yml, the environment's gates and
// release-record.yml. Without that, the next release finds neither its
// rollback digest's evidence nor the record that vouches for it.
func (c *checker) releaseFileLine() (Line, bool) {
	var short []string
	files := false
	want := func(w *Workflow, j *Job, what, input string, with map[string]string) {
		// An expression is the caller's to get right; this check cannot
		// tell its value.
		if v := with[input]; !strings.EqualFold(v, "true") && !strings.Contains(v, "${{") {
			short = append(short, fmt.Sprintf("%s: job %s: %s has %s: %s, not true", w.Path, j.ID, what, input, orNone(v)))
		}
	}
	for _, w := range c.workflows {
		built := false
		for _, j := range w.Jobs {
			if isRelproofWorkflow(j.Uses, "build-attest.yml") && j.With["file"] != "" {
				built, files = true, true
				want(w, j, "build-attest.yml", "github-upload", j.With)
			}
		}
		if !built {
			continue
		}
		for _, j := range w.Jobs {
			switch {
			case isRelproofWorkflow(j.Uses, "deploy-gate.yml") && j.With["environment"] == c.env.Name:
				want(w, j, "deploy-gate.yml", "from-github", j.With)
			case isRelproofWorkflow(j.Uses, "release-record.yml") && j.With["environment"] == c.env.Name:
				want(w, j, "release-record.yml", "github-upload", j.With)
			}
			for _, st := range j.Steps {
				if isRelproofAction(st.Uses, "gate-environment") && st.With["environment"] == c.env.Name {
					want(w, j, fmt.Sprintf("gate-environment (step %q)", st.Label()), "from-github", st.With)
				}
			}
		}
	}
	if !files {
		return Line{}, false
	}
	l := Line{Requirement: "release file", Status: OK, Message: "the release file's evidence and deployment records are kept with the repository's artifact attestations, and the gates read them there"}
	if len(short) > 0 {
		l.Status = Missing
		l.Message = "a release file's evidence and deployment records are kept only with the repository's artifact attestations, and the next release reads its rollback digest's there: " + strings.Join(short, "; ")
	}
	return l, true
}

// scanners are the vulnerability scanners' official actions and commands.
var (
	scannerActions = []string{"anchore/scan-action", "aquasecurity/trivy-action", "snyk/actions", "docker/scout-action"}
	// A scanner run as a command, at the start of a line of the script.
	scannerRun = regexp.MustCompile(`(?m)^\s*(grype|trivy|osv-scanner|snyk)\s`)
)

// relproof is where relproof's workflows and actions come from; a copy
// elsewhere is someone else's code, whatever its file is called.
const relproof = "relproof/relproof"

func isRelproofWorkflow(uses, file string) bool {
	name, _ := action(uses)
	return name == relproof+"/.github/workflows/"+file
}

func isRelproofAction(uses, a string) bool {
	name, _ := action(uses)
	return name == relproof+"/actions/"+a
}

// isFalse reads a boolean input as GitHub would, for a literal; ok is false
// for an expression, which only a run can tell.
func isFalse(v string) (yes, ok bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "false":
		return true, true
	case "", "true":
		return false, true
	}
	return false, false
}

// producers lists what makes evidence of type t.
func (c *checker) producers(t policy.AttestationType) []producer {
	var out []producer
	for _, w := range c.workflows {
		for _, j := range w.Jobs {
			if isRelproofWorkflow(j.Uses, "build-attest.yml") {
				switch t {
				case policy.AttestationProvenance:
					out = append(out, producer{w: w, job: j, what: "build-attest.yml signs the provenance"})
				case policy.AttestationSBOM:
					out = append(out, producer{w: w, job: j, what: "build-attest.yml makes and signs the SBOM"})
				case policy.AttestationTest:
					if f := j.With["test-report"]; f != "" {
						out = append(out, producer{w: w, job: j, what: "build-attest.yml attests test-report " + f, report: f})
					}
				case policy.AttestationVuln:
					if f := j.With["vuln-report"]; f != "" {
						out = append(out, producer{w: w, job: j, what: "build-attest.yml attests vuln-report " + f, report: f})
					}
				}
			}
			for _, s := range j.Steps {
				name, _ := action(s.Uses)
				switch {
				case isRelproofAction(s.Uses, "attest") && (s.With["type"] == string(t) || (t == policy.AttestationProvenance && s.With["type"] == "")):
					out = append(out, producer{w: w, job: j, what: fmt.Sprintf("step %q attests it", s.Label()), report: s.With["predicate"]})
				case isRelproofAction(s.Uses, "generate-sbom") && t == policy.AttestationSBOM:
					out = append(out, producer{w: w, job: j, what: fmt.Sprintf("step %q makes and signs the SBOM", s.Label())})
				case name == "actions/attest-build-provenance" && t == policy.AttestationProvenance:
					out = append(out, producer{w: w, job: j, what: fmt.Sprintf("step %q (GitHub's attest-build-provenance)", s.Label())})
				case name == "actions/attest-sbom" && t == policy.AttestationSBOM:
					out = append(out, producer{w: w, job: j, what: fmt.Sprintf("step %q (GitHub's attest-sbom)", s.Label())})
				case t == policy.AttestationSignature && (strings.Contains(s.Run, "sign --blob") || strings.Contains(s.Run, "sign-blob")):
					out = append(out, producer{w: w, job: j, what: fmt.Sprintf("step %q signs the file", s.Label())})
				}
			}
		}
	}
	return out
}

// writer finds the step of w that writes report (by its file name, in a
// step's script or inputs) and says whether it is a scanner.
func writer(w *Workflow, report string) (*Job, *Step, bool) {
	base := path.Base(report)
	var job *Job
	var last *Step
	// The last step that names the file is what is uploaded.
	for _, j := range w.Jobs {
		for _, s := range j.Steps {
			mentions := strings.Contains(s.Run, base)
			for _, v := range s.With {
				mentions = mentions || strings.Contains(v, base)
			}
			if mentions {
				job, last = j, s
			}
		}
	}
	if last == nil {
		return nil, nil, false
	}
	return job, last, isScanner(last)
}

func isScanner(s *Step) bool {
	name, _ := action(s.Uses)
	for _, a := range scannerActions {
		if name == a || strings.HasPrefix(name, a+"/") {
			return true
		}
	}
	return scannerRun.MatchString(s.Run)
}

func (c *checker) required(t policy.AttestationType) Line {
	l := Line{Requirement: string(t)}
	ps := c.producers(t)
	if len(ps) == 0 {
		l.Status, l.Message = Missing, fmt.Sprintf("required, and no workflow produces it: %s", howTo(t))
		return l
	}
	var says []string
	for _, p := range ps {
		where := fmt.Sprintf("%s: job %s, %s", p.w.Path, p.job.ID, p.what)
		if p.report == "" {
			says = append(says, where)
			continue
		}
		j, s, scanner := writer(p.w, p.report)
		switch {
		case s == nil:
			l.Status = Missing
			says = append(says, where+", but no step of the workflow writes "+path.Base(p.report))
		case t == policy.AttestationVuln && !scanner:
			l.Status = Missing
			says = append(says, fmt.Sprintf("%s, written by step %q of job %s, which runs no scanner this check knows (%s, grype, trivy)", where, s.Label(), j.ID, strings.Join(scannerActions, ", ")))
		default:
			says = append(says, fmt.Sprintf("%s, written by step %q of job %s", where, s.Label(), j.ID))
		}
	}
	if l.Status == "" {
		l.Status = OK
	}
	l.Message = strings.Join(says, "; ")
	return l
}

func howTo(t policy.AttestationType) string {
	switch t {
	case policy.AttestationVuln:
		return "run a scanner (anchore/scan-action, output-format json) and give its report to build-attest.yml's vuln-report"
	case policy.AttestationTest:
		return "write a test report (go test -json, JUnit XML) and give it to build-attest.yml's test-report"
	case policy.AttestationSignature:
		return "sign the file (relproof sign --blob, cosign sign-blob --bundle)"
	}
	return "call relproof's build-attest.yml for the artifact"
}

// gate is where an environment's final gate runs.
type gate struct {
	w   *Workflow
	job *Job
	// prepare is deploy-gate.yml's call (the check run that shows the
	// digest), when there is one.
	prepare *Job
	// reusable says deploy-gate.yml's approve job holds the final gate.
	reusable bool
	// inEnvironment says the final gate's job runs in the environment.
	inEnvironment bool
	rollback      string
	// flaw, when set, is why this gate does not hold as written.
	flaw string
	// signsInJob says the gate signs the approvals and the decision in the
	// caller's own job (gate-environment's approvals: record there).
	signsInJob bool
}

func (c *checker) gates() []gate {
	var out []gate
	name := c.env.Name
	for _, w := range c.workflows {
		var prepare *Job
		for _, j := range w.Jobs {
			if !isRelproofWorkflow(j.Uses, "deploy-gate.yml") || j.With["environment"] != name {
				continue
			}
			prepare = j
			switch no, ok := isFalse(j.With["approve-job"]); {
			case !ok:
				out = append(out, gate{w: w, job: j, prepare: j, reusable: true, inEnvironment: true,
					flaw: fmt.Sprintf("job %s gives deploy-gate.yml approve-job: %s, an expression: this check cannot tell whether its approve job holds the final gate", j.ID, j.With["approve-job"])})
			case !no:
				out = append(out, gate{w: w, job: j, prepare: j, reusable: true, inEnvironment: true, rollback: j.With["rollback-digest"]})
			}
		}
		for _, j := range w.Jobs {
			for i, s := range j.Steps {
				if !isRelproofAction(s.Uses, "gate-environment") || s.With["environment"] != name || (s.With["stage"] != "" && s.With["stage"] != "final") {
					continue
				}
				g := gate{w: w, job: j, prepare: prepare, inEnvironment: j.Environment == name, rollback: s.With["rollback-digest"],
					signsInJob: s.With["approvals"] != "github"}
				switch {
				case s.If != "":
					g.flaw = fmt.Sprintf("its final gate step %q runs only if: %s", s.Label(), s.If)
				case s.ContinueOnError != "" && s.ContinueOnError != "false":
					g.flaw = fmt.Sprintf("its final gate step %q has continue-on-error: %s, so a deny does not stop the job", s.Label(), s.ContinueOnError)
				default:
					// Nothing but setting up relproof, reading the policy
					// and fetching files may run before the gate.
					for _, before := range j.Steps[:i] {
						name, _ := action(before.Uses)
						if name == relproof || isRelproofAction(before.Uses, "policy") || name == "actions/checkout" || name == "actions/download-artifact" {
							continue
						}
						g.flaw = fmt.Sprintf("step %q runs before its final gate step %q", before.Label(), s.Label())
						break
					}
				}
				out = append(out, g)
			}
		}
	}
	return out
}

func (c *checker) gateLine(gates []gate) Line {
	l := Line{Requirement: "gate", Status: OK}
	if len(gates) == 0 {
		l.Status, l.Message = Missing, fmt.Sprintf("no job runs relproof's final gate for %s: call deploy-gate.yml with environment: %s, or run actions/gate-environment (stage final) in the job that deploys, with environment: %s", c.env.Name, c.env.Name, c.env.Name)
		return l
	}
	var says []string
	for _, g := range gates {
		switch {
		case g.flaw != "":
			l.Status = Missing
			says = append(says, fmt.Sprintf("%s: job %s: %s", g.w.Path, g.job.ID, g.flaw))
		case g.reusable:
			says = append(says, fmt.Sprintf("%s: job %s calls deploy-gate.yml, whose approve job runs in %s and holds the final gate; deploy after it", g.w.Path, g.job.ID, c.env.Name))
		case !g.inEnvironment:
			l.Status = Missing
			says = append(says, fmt.Sprintf("%s: job %s runs the final gate outside environment %s: no reviewer is asked for it and the environment's credentials are not held back; give the job environment: %s", g.w.Path, g.job.ID, c.env.Name, c.env.Name))
		case g.signsInJob:
			l.Status = Missing
			says = append(says, fmt.Sprintf("%s: job %s signs the approvals and the decision itself (gate-environment approvals: record): every step of a caller's job signs as its workflow, so give the final gate approvals: github and let release-record.yml sign them", g.w.Path, g.job.ID))
		default:
			s := fmt.Sprintf("%s: job %s runs in %s and starts with the final gate, so its deploy steps run only when relproof allows", g.w.Path, g.job.ID, c.env.Name)
			if g.prepare != nil {
				s += fmt.Sprintf("; job %s (deploy-gate.yml) shows the reviewers the digest first", g.prepare.ID)
			} else if c.env.Approvals.TiedToEvidence {
				l.Status = Missing
				s += "; but no job calls deploy-gate.yml to show the reviewers the digest first, and the policy counts only approvals given after it was shown (tiedToEvidence)"
			}
			says = append(says, s)
		}
	}
	l.Message = strings.Join(says, "; ")
	return l
}

func (c *checker) approvalsLine(gates []gate) Line {
	l := Line{Requirement: "approvals", Status: OK}
	var jobs []string
	for _, g := range gates {
		if g.inEnvironment && g.flaw == "" {
			jobs = append(jobs, g.job.ID)
		}
	}
	if len(jobs) == 0 {
		l.Status, l.Message = Missing, fmt.Sprintf("%d required, and no job that records them runs in environment %s", c.env.Approvals.Minimum, c.env.Name)
		return l
	}
	l.Message = fmt.Sprintf("%d, by a required reviewer of environment %s, whom GitHub asks before job %s runs (Settings → Environments → %s → Required reviewers)", c.env.Approvals.Minimum, c.env.Name, strings.Join(jobs, ", "), c.env.Name)
	if c.env.Approvals.PreventSelfReview {
		l.Message += "; nobody who wrote, committed or pushed the change counts"
	}
	return l
}

func (c *checker) rollbackLine(gates []gate) Line {
	l := Line{Requirement: "rollback", Status: OK}
	for _, g := range gates {
		switch g.rollback {
		case "", "auto":
			l.Message = fmt.Sprintf("the digest of %s's last successful deployment, from GitHub's deployments (job %s)", c.env.Name, g.job.ID)
		case "none":
			l.Status, l.Message = Missing, fmt.Sprintf("required, and job %s gates with rollback-digest: none", g.job.ID)
			return l
		default:
			l.Message = fmt.Sprintf("job %s names it: %s", g.job.ID, g.rollback)
		}
	}
	if l.Message == "" {
		l.Status, l.Message = Missing, "required, and no gate checks one"
		return l
	}
	if c.env.Rollback.AllowFirstRelease {
		l.Message += "; the first release, with nothing to roll back to, is let through with a warning"
	} else {
		l.Message += "; a first release, with nothing to roll back to, is denied (rollback.allowFirstRelease is false)"
	}
	return l
}

// signerLines check that the jobs that sign the approvals and decisions
// are signers the policy lists for them: deploy-gate.yml's approve job, or
// release-record.yml after a caller's deploy job that held the gate.
func (c *checker) signerLines(gates []gate) []Line {
	var out []Line
	for _, g := range gates {
		if g.flaw != "" || g.signsInJob {
			continue
		}
		signer := g.job
		if !g.reusable {
			signer = nil
			for _, j := range g.w.Jobs {
				if isRelproofWorkflow(j.Uses, "release-record.yml") && j.With["environment"] == c.env.Name && j.With["decision-artifact"] == "" {
					signer = j
				}
			}
			if signer == nil {
				out = append(out, Line{Requirement: "signers.approval", Status: Missing, Message: fmt.Sprintf(
					"%s: job %s holds the final gate and signs nothing, and no job calls release-record.yml for %s without a decision-artifact, to record and sign the approvals and the decision", g.w.Path, g.job.ID, c.env.Name)})
				continue
			}
		}
		for _, kind := range []policy.EvidenceKind{policy.KindApproval, policy.KindDecision} {
			out = append(out, c.signerLine(kind, signer))
		}
	}
	return out
}

// deploymentSignerLine checks, where the rollback digest is read from the
// environment's deployments, that the job recording them (release-record.yml)
// signs deployment records the policy lists a signer for: without one, no
// deployment GitHub lists is taken for the rollback target.
func (c *checker) deploymentSignerLine(gates []gate) []Line {
	auto := false
	for _, g := range gates {
		auto = auto || g.rollback == "" || g.rollback == "auto"
	}
	// release-record.yml records only on a decision no recorded deployment
	// has overtaken, which needs deployment signers too.
	var recorder *Job
	for _, w := range c.workflows {
		for _, j := range w.Jobs {
			if isRelproofWorkflow(j.Uses, "release-record.yml") && j.With["environment"] == c.env.Name {
				recorder = j
			}
		}
	}
	if !auto && recorder == nil {
		return nil
	}
	if recorder == nil {
		return []Line{{Requirement: "signers.deployment", Status: Missing, Message: fmt.Sprintf(
			"the rollback digest is read from %s's deployments, and no job calls release-record.yml for %s to record and sign them: no deployment would be taken for the rollback target", c.env.Name, c.env.Name)}}
	}
	return []Line{c.signerLine(policy.KindDeployment, recorder)}
}

// signerLine checks that job, a caller of one of relproof's reusable
// workflows, signs evidence of kind as a signer the policy lists for it.
func (c *checker) signerLine(kind policy.EvidenceKind, job *Job) Line {
	l := Line{Requirement: "signers." + string(kind), Status: OK}
	if c.repository == "" {
		l.Status, l.Message = Missing, "whose runs sign is not known, so the signers cannot be checked: give --repository OWNER/REPO"
		return l
	}
	uri := signerURI(job)
	var why, anyRef []string
	// A policy that lists no signers at all admits anyone; one that lists
	// some admits only those listed for the kind.
	admitted := len(c.env.Signers) == 0 && kind != policy.KindDeployment // deployment records need a listed signer
	for _, sg := range c.env.SignersFor(kind) {
		if sg.Key != "" {
			continue
		}
		cert := policy.Certificate{Issuer: sg.Issuer, SAN: uri, BuildSignerURI: uri, SourceRepositoryURI: "https://github.com/" + c.repository,
			SourceRepositoryID: sg.SourceRepositoryID, SourceRepositoryRef: sg.SourceRef, RunnerEnvironment: string(sg.RunnerEnvironment)}
		if w := sg.Admits(cert); w == "" {
			admitted = true
			// Probes: a branch anyone who may push can make, a pull request.
			if sg.AdmitsRef("refs/heads/relproof-probe") || sg.AdmitsRef("refs/pull/1/merge") {
				anyRef = append(anyRef, sg.SignerWorkflow)
			}
		} else {
			why = append(why, w)
		}
	}
	switch {
	case admitted && kind == policy.KindDeployment && len(anyRef) > 0:
		// A deployment record is trusted beyond its run: as the rollback
		// target, and what a change is counted from.
		l.Status = Missing
		l.Message = fmt.Sprintf("job %s signs them as %s, and signers.deployment admits runs of branches or pull requests (%s): a run on any branch could record a deployment that later releases trust; set sourceRef to the ref releases run on (refs/tags/v*)",
			job.ID, strings.TrimPrefix(uri, "https://"), strings.Join(anyRef, ", "))
	case admitted:
		l.Message = fmt.Sprintf("job %s signs them as %s, a signer the policy lists", job.ID, strings.TrimPrefix(uri, "https://"))
	case len(why) == 0:
		l.Status = Missing
		l.Message = fmt.Sprintf("job %s signs them as %s, and the policy lists no keyless signer under signers.%s", job.ID, strings.TrimPrefix(uri, "https://"), kind)
	default:
		l.Status = Missing
		l.Message = fmt.Sprintf("job %s signs them as %s, which no keyless signer of signers.%s admits (%s)", job.ID, strings.TrimPrefix(uri, "https://"), kind, strings.Join(why, "; "))
	}
	return l
}

var commitSHA = regexp.MustCompile(`^[0-9a-f]{40}$`)

// signerURI is the Build Signer URI of a job that calls one of relproof's
// reusable workflows: the workflow at the ref the caller wrote (a tag as
// refs/tags/REF, a commit as itself).
func signerURI(j *Job) string {
	name, r := action(j.Uses)
	if !commitSHA.MatchString(r) {
		r = "refs/tags/" + r
	}
	return "https://github.com/" + name + "@" + r
}
