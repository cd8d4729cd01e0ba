package audit

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/rhysd/actionlint"

	"github.com/relproof/relproof/internal/fsutil"
)

// CheckDir checks every *.yml and *.yaml file directly in dir. Paths in the
// findings are relative to base when they are under it (so a finding names
// .github/workflows/release.yml, not an absolute path).
func CheckDir(dir, base string) ([]Finding, error) {
	paths, err := fsutil.YAMLFiles(dir)
	if err != nil {
		return nil, err
	}
	var out []Finding
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		name := p
		if base != "" {
			if rel, err := filepath.Rel(base, p); err == nil && !strings.HasPrefix(rel, "..") {
				name = filepath.ToSlash(rel)
			}
		}
		fs, err := CheckWorkflow(name, src)
		if err != nil {
			return nil, err
		}
		out = append(out, fs...)
	}
	return out, nil
}

// CheckWorkflow checks one workflow file. A file actionlint cannot read as a
// workflow at all is an error naming it; a workflow it reads with
// complaints (a key GitHub added after it, say) is still checked.
func CheckWorkflow(path string, src []byte) ([]Finding, error) {
	c, err := analyze(path, src)
	if err != nil {
		return nil, err
	}
	return c.findings, nil
}

// File is a workflow file: its path in the repository and its bytes.
type File struct {
	Path string
	Data []byte
}

// CheckFiles checks workflow files and gathers what the build-isolation
// control is rated on.
func CheckFiles(files []File) ([]Finding, *WorkflowFacts, error) {
	facts := &WorkflowFacts{Files: len(files)}
	var out []Finding
	for _, f := range files {
		c, err := analyze(f.Path, f.Data)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, c.findings...)
		c.facts(facts)
	}
	return out, facts, nil
}

func analyze(path string, src []byte) (*checker, error) {
	w, errs := actionlint.Parse(src)
	if w == nil || (len(w.Jobs) == 0 && len(errs) > 0) || len(w.Jobs) == 0 {
		msg := "no jobs"
		if len(errs) > 0 {
			msg = fmt.Sprintf("line %d: %s", errs[0].Line, errs[0].Message)
		}
		return nil, fmt.Errorf("workflow %s: not a GitHub Actions workflow: %s", path, msg)
	}
	c := newChecker(path, src, w)
	c.run()
	return c, nil
}

// checker holds one workflow while the rules run over it.
type checker struct {
	path     string
	lines    []string
	w        *actionlint.Workflow
	jobs     []*job // in file order
	byID     map[string]*job
	triggers map[string]*actionlint.String
	findings []Finding
	seen     map[string]bool
	// after caches shipsAfter.
	after map[*job]bool
}

// job is a workflow job with what its steps do.
type job struct {
	id    string
	j     *actionlint.Job
	steps []*step
	// env is the environment's name, "" for none.
	env string
	// publishes: pushes to a registry or package index; deploys: changes a
	// running system; signs: makes signatures or attestations; builds:
	// builds a release artifact.
	publishes, deploys, signs, builds bool
	// staging says every deployment of the job targets a non-production
	// system.
	staging bool
}

// releasePath says the job builds, signs, publishes or deploys.
func (j *job) releasePath() bool { return j.publishes || j.deploys || j.signs || j.builds }

// step is one step of a job.
type step struct {
	s      *actionlint.Step
	action string // owner/repo[/path], lower-cased, without the ref
	run    *actionlint.String
	with   map[string]*actionlint.String // input names lower-cased
	name   string
	// text is everything the step says, for matching.
	text string
	// publishes, deploys, signs, verifies: what the step does.
	publishes, deploys, signs, verifies, builds bool
	// login: logs in to a registry; deployRun: deploys by a command or an
	// action (not only by its name).
	login, deployRun bool
}

func newChecker(path string, src []byte, w *actionlint.Workflow) *checker {
	c := &checker{
		path:     path,
		lines:    splitLines(string(src)),
		w:        w,
		byID:     map[string]*job{},
		triggers: map[string]*actionlint.String{},
		seen:     map[string]bool{},
	}
	for _, e := range w.On {
		switch e := e.(type) {
		case *actionlint.WebhookEvent:
			c.triggers[e.Hook.Value] = e.Hook
			for _, t := range e.Types {
				c.triggers[e.Hook.Value+":"+t.Value] = t
			}
		case *actionlint.RepositoryDispatchEvent:
			c.triggers["repository_dispatch"] = nil
			for _, t := range e.Types {
				c.triggers["repository_dispatch:"+t.Value] = t
			}
		default:
			c.triggers[e.EventName()] = nil
		}
	}
	for _, j := range w.Jobs {
		c.jobs = append(c.jobs, c.readJob(j))
	}
	sort.Slice(c.jobs, func(a, b int) bool { return c.jobs[a].j.Pos.Line < c.jobs[b].j.Pos.Line })
	for _, j := range c.jobs {
		c.byID[strings.ToLower(j.id)] = j
	}
	return c
}

func (c *checker) readJob(j *actionlint.Job) *job {
	out := &job{id: j.ID.Value, j: j}
	if j.Environment != nil && j.Environment.Name != nil {
		out.env = j.Environment.Name.Value
		if out.env == "" {
			out.env = "(expression)"
		}
	}
	for _, s := range j.Steps {
		st := &step{s: s, with: map[string]*actionlint.String{}}
		var text []string
		if s.Name != nil {
			st.name = s.Name.Value
			text = append(text, s.Name.Value)
		}
		switch e := s.Exec.(type) {
		case *actionlint.ExecRun:
			st.run = e.Run
			if e.Run != nil {
				text = append(text, e.Run.Value)
			}
		case *actionlint.ExecAction:
			if e.Uses != nil {
				st.action = actionName(e.Uses.Value)
				text = append(text, e.Uses.Value)
			}
			for k, in := range e.Inputs {
				if in.Value != nil {
					st.with[strings.ToLower(k)] = in.Value
					text = append(text, k+": "+in.Value.Value)
				}
			}
		}
		if s.Env != nil {
			for _, v := range s.Env.Vars {
				if v.Value != nil {
					text = append(text, v.Name.Value+"="+v.Value.Value)
				}
			}
		}
		st.text = strings.Join(text, "\n")
		classifyStep(st)
		out.steps = append(out.steps, st)
		out.publishes = out.publishes || st.publishes
		out.deploys = out.deploys || st.deploys
		out.signs = out.signs || st.signs
		out.builds = out.builds || st.builds
	}
	for i, st := range out.steps {
		if st.run == nil || !gitopsEditRe.MatchString(st.run.Value) {
			continue
		}
		for _, later := range out.steps[i:] {
			if later.run != nil && gitPushRe.MatchString(later.run.Value) {
				st.deploys, out.deploys = true, true
				break
			}
		}
	}
	if j.WorkflowCall != nil && j.WorkflowCall.Uses != nil {
		u := strings.ToLower(j.WorkflowCall.Uses.Value)
		if strings.Contains(u, "slsa-github-generator") || strings.Contains(u, "attest") {
			out.signs = true
		}
	}
	// A job is registered with a registry when it logs in to one; with a
	// release tool or a build that then runs, it publishes.
	if !out.publishes {
		login, tool := false, false
		for _, st := range out.steps {
			login = login || isRegistryLogin(st)
			tool = tool || pushesByConfig(st)
		}
		out.publishes = login && tool
	}
	out.staging = out.deploys && stagingRe.MatchString(strings.ToLower(out.id+" "+str(j.Name)+" "+c.workflowName()+" "+c.deployTargets(out)))
	return out
}

func (c *checker) workflowName() string {
	return str(c.w.Name) + " " + filepath.Base(c.path)
}

// deployTargets is the text of the job's deploying steps.
func (c *checker) deployTargets(j *job) string {
	var b strings.Builder
	for _, st := range j.steps {
		if st.deploys {
			b.WriteString(st.text)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func str(s *actionlint.String) string {
	if s == nil {
		return ""
	}
	return s.Value
}

// actionName is a uses: value without its ref, lower-cased.
func actionName(uses string) string {
	name, _, _ := strings.Cut(uses, "@")
	return strings.ToLower(name)
}

// The step classifiers. They read what the workflow file shows: a make
// target or a script's contents are not looked into.
var (
	publishRunRe    = regexp.MustCompile(`(?m)\b(docker|podman|buildah|nerdctl)\s+(image\s+)?push\b|\bdocker\s+buildx\s+build\b[^\n]*--push\b|\bbuildx\s+imagetools\s+create\b|\bcrane\s+(push|copy|cp|append|mutate)\b|\bskopeo\s+copy\b|\boras\s+push\b|\bflux\s+push\s+artifact\b|\bko\s+(build|publish|resolve|apply)\b|\b(npm|pnpm|yarn|npx|lerna)\s+(run\s+)?[\w:-]*publish\b|\byarn\s+npm\s+publish\b|\btwine\s+upload\b|\b(poetry|uv|flit|hatch|pdm)\s+publish\b|\b(dotnet\s+)?nuget\s+push\b|\bcargo\s+publish\b|\bgem\s+push\b|\bsnapcraft\s+(upload|push)\b|\baws\s+s3\s+(cp|sync)\b|\bwrangler\s+r2\b|\baz\s+acr\s+build\b|\bgcloud\s+builds\s+submit\b|\bjib\b|\bgradlew?\b[^\n]*\bpublish|\bmvn\b[^\n]*\bdeploy\b`)
	publishActionRe = regexp.MustCompile(`^(pypa/gh-action-pypi-publish|js-devtools/npm-publish|ksxgithub/github-actions-deploy-aur|mislav/bump-homebrew-formula-action|dawidd6/action-homebrew-bump-formula|snapcore/action-publish|rubygems/release-gem|changesets/action|jakejarvis/s3-sync-action|ryand56/r2-upload-action|cloudflare/wrangler-action)$`)
	deployRunRe     = regexp.MustCompile(`(?m)\bkubectl\b[^\n]*\b(apply|set\s+image|rollout\s+restart|create|replace|patch)\b|\bhelm\s+(upgrade|install)\b|\bhelmfile\b[^\n]*\b(apply|sync)\b|\bterraform\s+apply\b|\bpulumi\s+up\b|\b(serverless|sls)\s+deploy\b|\baws\s+(ecs\s+update-service|lambda\s+update-function|deploy\b|cloudformation\s+deploy|elasticbeanstalk)|\baz\s+(webapp|functionapp|containerapp|vm\s+run-command|aks)\b|\bgcloud\s+(run\s+deploy|app\s+deploy|functions\s+deploy|container\s+clusters)|\bfirebase\s+deploy\b|\bvercel\b[^\n]*--prod\b|\bnetlify\s+deploy\b[^\n]*--prod\b|\bfly(ctl)?\s+deploy\b|\bheroku\b|^\s*(ssh|scp)\s|\brsync\b[^\n]*@|\bdocker\s+(stack\s+deploy|compose\b[^\n]*\bup\b)|\bflux\s+tag\s+artifact\b|\bargocd\s+app\s+(sync|set)\b|\bsupabase\s+(functions\s+deploy|db\s+push)\b|\bwrangler\s+(pages\s+)?(deploy|publish)\b|\brailway\s+up\b|\bdokku\b|\bcaprover\s+deploy\b`)
	deployActionRe  = regexp.MustCompile(`^(appleboy/ssh-action|appleboy/scp-action|easingthemes/ssh-deploy|burnett01/rsync-deployments|aws-actions/amazon-ecs-deploy-task-definition|aws-actions/aws-cloudformation-github-deploy|azure/webapps-deploy|azure/functions-action|azure/k8s-deploy|azure/container-apps-deploy-action|azure/aks-set-context|google-github-actions/deploy-cloudrun|google-github-actions/deploy-appengine|google-github-actions/deploy-cloud-functions|amondnet/vercel-action|peaceiris/actions-gh-pages|actions/deploy-pages|superfly/flyctl-actions|akhileshns/heroku-deploy|einaregilsson/beanstalk-deploy)$`)
	deployNameRe    = regexp.MustCompile(`(?i)^\s*(deploy|promote|roll\s*out|rollout)\b|\bdeployment\s*$|^\s*(auto(matic)?|prod(uction)?)\s+deploy`)
	// A GitOps promotion: a manifest's image is rewritten, then pushed.
	gitopsEditRe  = regexp.MustCompile(`\b(sed|yq)\b[^\n]*(image:|newTag|image\.tag|\.image\b)|kustomize\s+edit\s+set\s+image`)
	gitPushRe     = regexp.MustCompile(`\bgit\s+push\b`)
	publishNameRe = regexp.MustCompile(`(?i)publish|nuget|\bnpm\b|pypi|release-plz/action`)
	notPublishRe  = regexp.MustCompile(`(?i)test|result|report|coverage|docs|pages|comment|unit|summary|artifact|setup`)
	signRunRe     = regexp.MustCompile(`\bcosign\s+(sign|sign-blob|attest|attest-blob)\b|\bnotation\s+sign\b|\bgpg\b[^\n]*--(detach-)?sign\b|\bgh\s+attestation\s+create\b`)
	signActionRe  = regexp.MustCompile(`^(actions/attest-build-provenance|actions/attest|actions/attest-sbom|sigstore/gh-action-sigstore-python|slsa-framework/slsa-github-generator/.*)$`)
	verifyRe      = regexp.MustCompile(`\bcosign\s+verify(-attestation|-blob|-blob-attestation)?\b|\bgh\s+attestation\s+verify\b|\bslsa-verifier\b|\brelproof\s+(verify|gate)\b|\bnotation\s+verify\b|relproof/relproof/(actions/)?(verify-provenance|gate-environment)\b|relproof/relproof/\.github/workflows/deploy-gate\.ya?ml`)
	buildRunRe    = regexp.MustCompile(`\bdocker\s+(buildx\s+)?build\b|\b(podman|buildah)\s+(build|bud)\b|\bgoreleaser\b|\bko\s+build\b|\baz\s+acr\s+build\b`)
	buildActionRe = regexp.MustCompile(`^(docker/build-push-action|docker/bake-action|goreleaser/goreleaser-action|ko-build/setup-ko|actions/upload-pages-artifact|redhat-actions/buildah-build)$`)
	loginRunRe    = regexp.MustCompile(`\b(docker|podman|buildah|helm\s+registry|oras|crane\s+auth|skopeo)\s+login\b`)
	loginActionRe = regexp.MustCompile(`^(docker/login-action|aws-actions/amazon-ecr-login|azure/docker-login|redhat-actions/podman-login)$`)
	stagingRe     = regexp.MustCompile(`\b(staging|stage|stg|dev|develop|development|test|testing|preview|qa|sandbox|review)\b|-(dev|stg|staging)\b`)
)

// deployingAction: an action whose name says it deploys, not one that
// prepares, sets up or reports on a deployment.
var deployingAction = regexp.MustCompile(`deploy`)
var notDeployingAction = regexp.MustCompile(`prepare|setup|install|status|notify|comment`)

// keyed runs a long alternation only over text that holds one of the
// literal words it needs: most of a script holds none, and Go's regexp
// pays for every alternative at every position.
type keyed struct {
	re   *regexp.Regexp
	keys []string
}

func (k keyed) MatchString(s string) bool {
	if k.keys == nil {
		return k.re.MatchString(s)
	}
	for _, key := range k.keys {
		if strings.Contains(s, key) {
			return k.re.MatchString(s)
		}
	}
	return false
}

var (
	publishRun = splitKeyed(publishRunRe)
	deployRun  = splitKeyed(deployRunRe)
	signRun    = splitKeyed(signRunRe)
	buildRun   = splitKeyed(buildRunRe)
	loginRun   = keyedAny{{loginRunRe, []string{"login"}}}
	verifies   = keyedAny{{verifyRe, []string{"verif", "relproof"}}}
)

// keyedAny matches when one of its alternatives does.
type keyedAny []keyed

func (ks keyedAny) MatchString(s string) bool {
	for _, k := range ks {
		if k.MatchString(s) {
			return true
		}
	}
	return false
}

// splitKeyed splits a regexp's top-level alternatives, each gated by the
// words it starts with: a leading word (kubectl) or a leading group of
// words ((docker|podman)). An alternative with no word to key on is run
// on every text.
func splitKeyed(re *regexp.Regexp) keyedAny {
	src := strings.TrimPrefix(re.String(), "(?m)")
	var alts []string
	depth, start := 0, 0
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			depth--
		case '|':
			if depth == 0 {
				alts = append(alts, src[start:i])
				start = i + 1
			}
		}
	}
	alts = append(alts, src[start:])
	var out keyedAny
	for _, a := range alts {
		out = append(out, keyed{regexp.MustCompile("(?m)" + a), leadingWords(a)})
	}
	return out
}

// leadingWords are the literal words an alternative must start with;
// nil when it starts with none.
func leadingWords(a string) []string {
	a = strings.TrimPrefix(a, `\b`)
	a = strings.TrimPrefix(a, `^\s*`)
	if strings.HasPrefix(a, "(") {
		end := strings.Index(a, ")")
		if end < 0 {
			return nil
		}
		var words []string
		for _, w := range strings.Split(a[1:end], "|") {
			lw := leadingWord(w)
			if lw == "" {
				return nil
			}
			words = append(words, lw)
		}
		return words
	}
	if w := leadingWord(a); w != "" {
		return []string{w}
	}
	return nil
}

func leadingWord(a string) string {
	n := 0
	for n < len(a) && ('a' <= a[n] && a[n] <= 'z' || a[n] == '-') {
		n++
	}
	if n < 2 {
		return ""
	}
	return a[:n]
}

func classifyStep(st *step) {
	run := ""
	if st.run != nil {
		run = st.run.Value
	}
	st.login = loginActionRe.MatchString(st.action) || loginRun.MatchString(run)
	// An action whose name says it deploys does (ftp-deploy-action,
	// pages-action of a hosting provider, …).
	st.deployRun = deployActionRe.MatchString(st.action) || deployRun.MatchString(run) ||
		(st.action != "" && (deployingAction.MatchString(st.action) && !notDeployingAction.MatchString(st.action) || st.action == "cloudflare/pages-action"))
	st.publishes = publishRun.MatchString(run) || publishActionRe.MatchString(st.action) || (strings.Contains(st.text, "--push") && pushTool.MatchString(st.text) && (st.login || strings.Contains(st.text, "buildx") || strings.Contains(st.text, "make")))
	if pushes(st) || (publishNameRe.MatchString(st.action) && !notPublishRe.MatchString(st.action)) {
		st.publishes = true
	}
	if cmd, ok := st.with["command"]; ok && st.action == "release-plz/action" && strings.TrimSpace(cmd.Value) == "release-pr" {
		st.publishes = false // opens a pull request; release publishes
	}
	st.deploys = st.deployRun || (st.name != "" && deployNameRe.MatchString(st.name))
	st.signs = signRun.MatchString(run) || signActionRe.MatchString(st.action)
	st.verifies = verifies.MatchString(st.text)
	st.builds = buildRun.MatchString(run) || buildActionRe.MatchString(st.action) || strings.HasSuffix(st.action, "buildah-action")
}

// imageActionRe: actions that build or copy images, whose push input
// publishes them (an attestation action's push input publishes evidence,
// not the release).
var imageActionRe = regexp.MustCompile(`build|push|docker|buildah|podman|image|bake|\bko\b|jib|kaniko`)

// pushTool: release tools that push what they build by their own
// configuration (goreleaser's dockers:, ko), and builds told to --push
// through a variable or a make argument.
var pushTool = regexp.MustCompile(`\bgoreleaser\b|\bko\s+(build|publish|resolve|apply)\b|--push\b`)

// pushesByConfig says the step may push what it builds without saying
// docker push: after a registry login, that is a publication.
func pushesByConfig(st *step) bool {
	return st.action == "goreleaser/goreleaser-action" || st.action == "ko-build/setup-ko" || pushTool.MatchString(st.text)
}

// pushes says the step is an image action told to push.
func pushes(st *step) bool {
	if o, ok := st.with["outputs"]; ok && imageActionRe.MatchString(st.action) && strings.Contains(strings.ReplaceAll(o.Value, " ", ""), "push=true") {
		return true // outputs: type=image,push-by-digest=true,push=true
	}
	p, ok := st.with["push"]
	if !ok || !imageActionRe.MatchString(st.action) {
		return false
	}
	v := strings.Trim(strings.ToLower(p.Value), `'" `)
	return v != "false" && v != ""
}

func isRegistryLogin(st *step) bool { return st.login }

// splitLines splits src where YAML (libyaml, which actionlint's parser
// follows) breaks lines: at CR LF, CR, LF, NEL, LS and PS. A file of
// old-Mac line ends has the lines GitHub's parser counts, not one.
func splitLines(src string) []string {
	var out []string
	start := 0
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRuneInString(src[i:])
		switch r {
		case '\r':
			out = append(out, src[start:i])
			if i+1 < len(src) && src[i+1] == '\n' {
				n = 2
			}
			start = i + n
		case '\n', '\u0085', '\u2028', '\u2029':
			out = append(out, src[start:i])
			start = i + n
		}
		i += n
	}
	return append(out, src[start:])
}

// add records a finding once per rule and line.
func (c *checker) add(rule string, line int, j *job, format string, args ...any) {
	key := fmt.Sprintf("%s:%d", rule, line)
	if c.seen[key] || line <= 0 {
		return
	}
	c.seen[key] = true
	r, _ := RuleByID(rule)
	f := Finding{Rule: rule, Severity: r.Base, File: c.path, Line: line, Message: fmt.Sprintf(format, args...)}
	if j != nil {
		f.Job = j.id
		f.ReleasePath = j.releasePath()
		if f.ReleasePath && f.Severity < SeverityHigh {
			f.Severity++
		}
	}
	c.findings = append(c.findings, f)
}

// lineOf finds the file line on which needle appears in the value s, which
// may be a block scalar spanning lines after its key.
func (c *checker) lineOf(s *actionlint.String, needle string) int {
	if s == nil || s.Pos == nil {
		return 0
	}
	start := s.Pos.Line
	end := start + strings.Count(s.Value, "\n") + 2
	for l := start; l <= end && l <= len(c.lines); l++ {
		if strings.Contains(c.lines[l-1], needle) {
			return l
		}
	}
	return start
}

func (c *checker) run() {
	c.checkUses()
	c.checkPermissions()
	c.checkTemplateInjection()
	c.checkPRTargetCheckout()
	c.checkSelfHosted()
	c.checkEnvironments()
	c.checkSecrets()
	c.checkTagPromotion()
	c.checkScans()
	c.checkAttestVerified()
	sort.SliceStable(c.findings, func(a, b int) bool {
		if c.findings[a].Line != c.findings[b].Line {
			return c.findings[a].Line < c.findings[b].Line
		}
		return c.findings[a].Rule < c.findings[b].Rule
	})
}

var shaRef = regexp.MustCompile(`^[0-9a-f]{40}$`)

// checkUses: unpinned-action and unpinned-first-party-action.
func (c *checker) checkUses() {
	check := func(j *job, u *actionlint.String) {
		if u == nil {
			return
		}
		v := strings.TrimSpace(u.Value)
		if strings.HasPrefix(v, "./") || strings.HasPrefix(v, "docker://") || strings.Contains(v, "${{") {
			return
		}
		name, ref, ok := strings.Cut(v, "@")
		if ok && shaRef.MatchString(ref) {
			return
		}
		owner, _, _ := strings.Cut(strings.ToLower(name), "/")
		rule := "unpinned-action"
		if owner == "actions" || owner == "github" {
			rule = "unpinned-first-party-action"
		}
		if !ok {
			ref = "(none)"
		}
		c.add(rule, u.Pos.Line, j, "%s is referenced by %q, not by a full commit SHA", name, ref)
	}
	for _, j := range c.jobs {
		if j.j.WorkflowCall != nil {
			check(j, j.j.WorkflowCall.Uses)
		}
		for _, st := range j.steps {
			if a, ok := st.s.Exec.(*actionlint.ExecAction); ok {
				check(j, a.Uses)
			}
		}
	}
}

// checkPermissions: missing-permissions.
func (c *checker) checkPermissions() {
	if c.w.Permissions != nil {
		return
	}
	for _, j := range c.jobs {
		if j.j.Permissions == nil {
			c.add("missing-permissions", j.j.Pos.Line, j, "job %s sets no permissions and the workflow sets none, so its token has the repository default", j.id)
		}
	}
}

// untrusted are event fields anyone who opens a pull request, an issue or
// a comment, or pushes a branch, chooses.
var untrusted = regexp.MustCompile(`\bgithub\.head_ref\b|\bgithub\.event\.(pull_request|issue|discussion)\.(title|body)\b|\bgithub\.event\.pull_request\.head\.(ref|label|repo\.default_branch)\b|\bgithub\.event\.(comment|review|review_comment)\.body\b|\bgithub\.event\.head_commit\.(message|author\.(name|email)|committer\.(name|email))\b|\bgithub\.event\.commits\b[^}]*\.(message|author|committer)\b|\bgithub\.event\.workflow_run\.(head_branch|display_title|head_commit\.(message|author)|pull_requests\b[^}]*\.head\.ref)\b|\bgithub\.event\.pages\b[^}]*\.page_name\b|\bgithub\.event\.client_payload\.pull_request\.(title|body|head\.ref)\b`)

var exprRe = regexp.MustCompile(`\$\{\{(.*?)\}\}`)

// checkTemplateInjection: template-injection.
func (c *checker) checkTemplateInjection() {
	for _, j := range c.jobs {
		for _, st := range j.steps {
			if st.run == nil {
				continue
			}
			if !strings.Contains(st.run.Value, "${{") {
				continue
			}
			for i, l := range strings.Split(st.run.Value, "\n") {
				for _, m := range exprRe.FindAllStringSubmatch(l, -1) {
					if f := untrusted.FindString(m[1]); f != "" {
						c.add("template-injection", c.scriptLine(st.run, i, l), j, "%s is expanded into the script of step %q", f, stepLabel(st))
					}
				}
			}
		}
	}
}

func stepLabel(st *step) string {
	switch {
	case st.name != "":
		return st.name
	case st.action != "":
		return st.action
	case st.run != nil:
		for _, l := range strings.Split(st.run.Value, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				if r := []rune(l); len(r) > 40 {
					l = string(r[:40]) + "…"
				}
				return "run: " + l
			}
		}
	}
	return fmt.Sprintf("at line %d", st.s.Pos.Line)
}

var prHeadRe = regexp.MustCompile(`\bgithub\.event\.pull_request\.head\.(ref|sha)\b|\bgithub\.head_ref\b|\bgithub\.event\.workflow_run\.head_(sha|branch)\b|\bclient_payload\.pull_request\.head\b|refs/pull/|\bgithub\.event\.(number|pull_request\.number)\b|\bgithub\.event\.workflow_run\.pull_requests\b`)
var handedOver = regexp.MustCompile(`\b(needs|steps)\.[\w-]+\.outputs\.|\benv\.`)

// checkPRTargetCheckout: pr-target-checkout.
func (c *checker) checkPRTargetCheckout() {
	_, prt := c.triggers["pull_request_target"]
	_, wr := c.triggers["workflow_run"]
	command := false
	for k := range c.triggers {
		if strings.HasPrefix(k, "repository_dispatch") && (strings.HasSuffix(k, "-command") || strings.HasSuffix(k, "_command")) {
			command = true
		}
	}
	if !prt && !wr && !command {
		return
	}
	for _, j := range c.jobs {
		for _, st := range j.steps {
			if st.action != "actions/checkout" {
				continue
			}
			ref, ok := st.with["ref"]
			if !ok {
				continue
			}
			if prHeadRe.MatchString(ref.Value) || ((wr || command) && handedOver.MatchString(ref.Value)) {
				c.add("pr-target-checkout", ref.Pos.Line, j, "a privileged run checks out the pull request's code (ref: %s)", strings.TrimSpace(ref.Value))
			}
		}
	}
}

var selfHostedRe = regexp.MustCompile(`(?i)\bself-hosted\b|\barc-|runner-set|\brunners?-scale-set|^runs-on[=/]|\bruns-on=`)

// checkSelfHosted: self-hosted-release.
func (c *checker) checkSelfHosted() {
	for _, j := range c.jobs {
		r := j.j.RunsOn
		if r == nil || !(j.publishes || j.deploys || j.signs || (j.builds && c.isRelease())) {
			continue
		}
		var labels []*actionlint.String
		labels = append(labels, r.Labels...)
		if r.LabelsExpr != nil {
			labels = append(labels, r.LabelsExpr)
		}
		if r.Group != nil {
			labels = append(labels, r.Group)
		}
		for _, l := range labels {
			values := append([]string{l.Value}, matrixValues(j.j, l.Value)...)
			if v, ok := firstMatch(selfHostedRe, values); ok {
				c.add("self-hosted-release", l.Pos.Line, j, "job %s builds or ships a release on a self-hosted runner (%s)", j.id, v)
				break
			}
		}
	}
}

var matrixRef = regexp.MustCompile(`\bmatrix\.([\w-]+)`)

// matrixValues are the values the job's matrix gives the matrix variables
// an expression names (runs-on: ${{ matrix.runner }}).
func matrixValues(j *actionlint.Job, expr string) []string {
	if j.Strategy == nil || j.Strategy.Matrix == nil {
		return nil
	}
	m := j.Strategy.Matrix
	var out []string
	for _, ref := range matrixRef.FindAllStringSubmatch(expr, -1) {
		name := strings.ToLower(ref[1])
		if row, ok := m.Rows[name]; ok {
			for _, v := range row.Values {
				out = append(out, rawStrings(v)...)
			}
		}
		if m.Include != nil {
			for _, comb := range m.Include.Combinations {
				if a, ok := comb.Assigns[name]; ok {
					out = append(out, rawStrings(a.Value)...)
				}
			}
		}
	}
	return out
}

// rawStrings are the strings of a matrix value: itself, or a list's.
func rawStrings(v actionlint.RawYAMLValue) []string {
	switch v := v.(type) {
	case *actionlint.RawYAMLString:
		return []string{v.Value}
	case *actionlint.RawYAMLArray:
		var out []string
		for _, e := range v.Elems {
			out = append(out, rawStrings(e)...)
		}
		return out
	}
	return nil
}

func firstMatch(re *regexp.Regexp, values []string) (string, bool) {
	for _, v := range values {
		if re.MatchString(v) {
			return v, true
		}
	}
	return "", false
}

// isRelease says the workflow runs for releases: on tags, releases, or by
// a name that says so.
func (c *checker) isRelease() bool {
	if _, ok := c.triggers["release"]; ok {
		return true
	}
	for _, e := range c.w.On {
		if we, ok := e.(*actionlint.WebhookEvent); ok && we.Hook.Value == "push" && we.Tags != nil {
			return true
		}
	}
	n := strings.ToLower(c.workflowName())
	return strings.Contains(n, "release") || strings.Contains(n, "deploy") || strings.Contains(n, "publish") || strings.Contains(n, "pages")
}

// checkEnvironments: deploy-without-environment.
func (c *checker) checkEnvironments() {
	for _, j := range c.jobs {
		if j.env != "" {
			continue
		}
		switch {
		case j.publishes:
			c.add("deploy-without-environment", j.j.Pos.Line, j, "job %s publishes to a registry or package index without an environment", j.id)
		case j.deploys && !j.staging:
			c.add("deploy-without-environment", j.j.Pos.Line, j, "job %s deploys without an environment", j.id)
		}
	}
}
