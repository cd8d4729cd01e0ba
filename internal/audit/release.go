package audit

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/rhysd/actionlint"
)

// secretRef is a ${{ secrets.NAME }} in the workflow.
var secretRef = regexp.MustCompile(`\bsecrets\.([A-Za-z_][A-Za-z0-9_-]*)`)

// Secret names, upper-cased, that are long-lived credentials for signing,
// publishing or deploying whatever step reads them.
var (
	credentialName = regexp.MustCompile(`PRIVATE_?KEY|SIGNING|COSIGN|(^|_)GPG|PGP|AZURE_CREDENTIALS|SERVICE_ACCOUNT|(^|_)SA_KEY|GCP_\w*KEY|GOOGLE_(APPLICATION_)?CREDENTIALS|GCLOUD_\w*KEY|ACCESS_KEY|SSH|NPM_(TOKEN|AUTH)|NODE_AUTH_TOKEN|PYPI|TWINE|NUGET|CARGO_REGISTRY|RUBYGEMS|GEM_HOST|SNAPCRAFT|AUR_|KUBE_?CONFIG|CERTIFICATE|_P12|KEYSTORE|FURY|CLOUDSMITH|ARTIFACTORY|JFROG|CODEARTIFACT`)
	// Registry passwords and tokens count where a login or a push may
	// read them; *_KEY where a step that ships may.
	registryName = regexp.MustCompile(`(DOCKER|QUAY|REGISTRY|GHCR|ECR|ACR|GCR|HARBOR)\w*(PASSWORD|TOKEN|PASS|PAT|PWD)`)
	keyName      = regexp.MustCompile(`_KEY$|^KEY$`)
	// Names that are no credential (a user, a host, a region) or a
	// credential for notifications, analysis or tests.
	notCredential = regexp.MustCompile(`USER(NAME)?$|_USER_|(^|_)HOST(NAME)?$|_URL$|_ENDPOINT$|_REGION$|_PROJECT(_ID)?$|_NAME$|_ORG$|(^|_)ID$|PORT$|SLACK|DISCORD|TEAMS|TELEGRAM|WEBHOOK|SONAR|CODECOV|COVERALLS|GITGUARDIAN|SNYK|(^|_)TEST|OPENAI|ANTHROPIC|KNOWN_HOSTS|FINGERPRINT`)
	// GitHub's own tokens count only where a registry takes them.
	githubToken = regexp.MustCompile(`(^|_)PAT$|GITHUB|(^|_)GH_|(^|_)GIT_|REPO_`)
	// A generic secret counts in a step that publishes, deploys, signs or
	// logs in to a registry.
	genericSecret = regexp.MustCompile(`TOKEN|PASSWORD|PASSWD|PWD|SECRET|API_KEY|CREDENTIAL|AUTH`)
	// Variables through which a CLI takes its credential
	// (SUPABASE_ACCESS_TOKEN, CLOUDFLARE_API_TOKEN, TF_TOKEN_…).
	credentialVar = regexp.MustCompile(`(?i)(TOKEN|PASSWORD|PASSWD|PWD|API_KEY|SECRET_KEY|ACCESS_KEY|CREDENTIALS)$`)
	// Inputs and variables through which a registry takes a password.
	registryPassword = regexp.MustCompile(`(?i)^(password|registry-password|registry_password|node_auth_token|twine_password|nuget_auth_token|nuget_key|cr_pat)$|\blogin\b[^\n]*(--password|-p\s)|password-stdin|_authtoken`)
	// Inputs through which an action takes a key or credential.
	credentialInput = regexp.MustCompile(`(?i)^(key|private[-_]key|ssh[-_]key|key[-_]file|service_account_key|credentials|creds|api[-_]?token|api[-_]key|token)$`)
)

// use is one secret reference in a job: where, and in what.
type use struct {
	name string
	line int
	step *step  // nil for job env or a reusable workflow call
	key  string // the input or variable that takes it
	text string // the line of the script or value
}

// checkSecrets: long-lived-secret.
//
// A reusable workflow's own secrets (on.workflow_call.secrets) are its
// parameters: the credential is read, and found, in the caller's job.
func (c *checker) checkSecrets() {
	params := map[string]bool{}
	for _, e := range c.w.On {
		if wc, ok := e.(*actionlint.WorkflowCallEvent); ok {
			for name := range wc.Secrets {
				params[strings.ToLower(name)] = true
			}
		}
	}
	wfEnv := c.workflowEnvSecrets()
	for _, j := range c.jobs {
		if j.env != "" {
			continue
		}
		first := map[string]bool{}
		for _, u := range c.secretUses(j) {
			if first[u.name] || params[strings.ToLower(u.name)] || !c.longLived(j, u) {
				continue
			}
			first[u.name] = true
			c.add("long-lived-secret", u.line, j, "job %s reads secret %s, a long-lived credential, without an environment", j.id, u.name)
		}
		if j.releasePath() {
			for _, u := range wfEnv {
				if !first[u.name] && !params[strings.ToLower(u.name)] && c.longLived(j, u) {
					first[u.name] = true
					c.add("long-lived-secret", u.line, j, "workflow env gives secret %s, a long-lived credential, to job %s, which has no environment", u.name, j.id)
				}
			}
		}
	}
}

func (c *checker) longLived(j *job, u use) bool {
	n := strings.ToUpper(u.name)
	if n == "GITHUB_TOKEN" {
		return false // a token GitHub makes for the job and revokes after it
	}
	registry := registryPassword.MatchString(u.key) || registryPassword.MatchString(u.text)
	var active bool
	switch {
	case u.step != nil:
		// A build argument or a build secret goes into the image, not
		// to a registry or a deployment; a checkout's token reads code.
		build := strings.EqualFold(u.key, "build-args") || strings.EqualFold(u.key, "secrets")
		active = !build && u.step.action != "actions/checkout" && (u.step.publishes || u.step.signs || isRegistryLogin(u.step) ||
			u.step.deployRun || credentialInput.MatchString(u.key) ||
			// A key written to a file in one step and used by the
			// job's deployment in another.
			(j.deploys || j.publishes || j.signs) && keyName.MatchString(strings.ToUpper(u.name)))
	case j.j.WorkflowCall != nil:
		active = registry
	default:
		active = j.releasePath()
	}
	switch {
	case githubToken.MatchString(n):
		return registry && active
	case notCredential.MatchString(n) && !strings.Contains(n, "ACCESS_KEY"):
		return false
	case credentialName.MatchString(n):
		return true
	case registryName.MatchString(n), keyName.MatchString(n):
		return active
	case genericSecret.MatchString(n):
		return active && (registry || credentialInput.MatchString(u.key) || (credentialVar.MatchString(u.key) && (j.deploys || j.publishes)))
	}
	return false
}

func (c *checker) workflowEnvSecrets() []use {
	if c.w.Env == nil {
		return nil
	}
	var out []use
	for _, v := range c.w.Env.Vars {
		if v.Value == nil {
			continue
		}
		for _, m := range secretRef.FindAllStringSubmatch(v.Value.Value, -1) {
			out = append(out, use{name: m[1], line: c.lineOf(v.Value, m[0]), key: v.Name.Value, text: v.Value.Value})
		}
	}
	sortUses(out)
	return out
}

// secretUses lists a job's secret references in file order.
func (c *checker) secretUses(j *job) []use {
	var out []use
	scan := func(s *actionlint.String, st *step, key string) {
		if s == nil {
			return
		}
		if !strings.Contains(s.Value, "secrets.") {
			return
		}
		for i, vl := range strings.Split(s.Value, "\n") {
			for _, m := range secretRef.FindAllStringSubmatch(vl, -1) {
				l := c.scriptLine(s, i, vl)
				text := ""
				if l > 0 && l <= len(c.lines) {
					text = c.lines[l-1]
				}
				out = append(out, use{name: m[1], line: l, step: st, key: key, text: text})
			}
		}
	}
	if j.j.Env != nil {
		for _, v := range j.j.Env.Vars {
			scan(v.Value, nil, v.Name.Value)
		}
	}
	if ct := j.j.Container; ct != nil && ct.Credentials != nil {
		scan(ct.Credentials.Password, nil, "password")
	}
	if wc := j.j.WorkflowCall; wc != nil {
		for k, s := range wc.Secrets {
			if s.Value != nil {
				scan(s.Value, nil, k)
			}
		}
		for k, in := range wc.Inputs {
			scan(in.Value, nil, k)
		}
	}
	for _, st := range j.steps {
		if st.s.Env != nil {
			for _, v := range st.s.Env.Vars {
				scan(v.Value, st, v.Name.Value)
			}
		}
		for k, v := range st.with {
			scan(v, st, k)
		}
		scan(st.run, st, "run")
	}
	sortUses(out)
	return out
}

func sortUses(u []use) {
	for i := 1; i < len(u); i++ {
		for k := i; k > 0 && u[k].line < u[k-1].line; k-- {
			u[k], u[k-1] = u[k-1], u[k]
		}
	}
}

var (
	floating     = `(latest|stable|prod|production|edge|live|current)`
	floatingPush = regexp.MustCompile(`\b(docker|podman|buildah|nerdctl)\s+(image\s+)?push\b[^\n]*:` + floating + `\b|\bcrane\s+tag\s+\S+\s+` + floating + `\b|--tag[= ]` + floating + `\b|imagetools\s+create\b[^\n]*-t\s+\S+:` + floating + `\b`)
	floatingTag  = regexp.MustCompile(`(^|[\s,:=])` + floating + `(\s*$|[\s,])|:` + floating + `\b|value=` + floating + `\b`)
	signByTag    = regexp.MustCompile(`\b(cosign\s+(sign|attest)|notation\s+sign)\s`)
	deployByTag  = regexp.MustCompile(`\bset\s+image\b|--image-tag\b|image\.tag=|\bimage:\s|newTag|kustomize\s+edit\s+set\s+image`)
	byDigest     = regexp.MustCompile(`@sha256|@\$|@\{|(?i)digest`)
	tagInputs    = regexp.MustCompile(`^(version|tag|image-tag|image_tag|imagetag|image-version|image_version)$`)
	// Inputs through which a deploy action takes the image to run.
	imageInputs = regexp.MustCompile(`^(image|images|image-name|image_name|imagename|image-uri|image_uri|container-image|container-images|containers)$`)
	// A floating tag named anywhere in a step that pushes: built up in a
	// variable (TAGS="-t $IMAGE:latest") as well as on the push line.
	floatingNamed = regexp.MustCompile(`:` + floating + `([_-][\w-]*)?(\W|$)`)
	assignment    = regexp.MustCompile(`^\s*(export\s+)?[A-Za-z_][A-Za-z0-9_]*\+?=|GITHUB_OUTPUT|GITHUB_ENV`)
	pullLine      = regexp.MustCompile(`\b(pull|FROM|cache-from|cache-to)\b`)
	branchTag     = regexp.MustCompile(`:\$\{?GITHUB_REF##\*/\}?|:\$\{\{\s*github\.(ref_name|head_ref)\s*\}\}|:\$\{?GITHUB_(REF_NAME|HEAD_REF)\}?`)
	// A deployment manifest edited to name the image by a commit or tag.
	manifestEdit  = regexp.MustCompile(`\b(sed|envsubst|yq)\b[^\n]*(GITHUB_SHA|github\.sha|IMAGE_TAG|\$TAG\b|\$\{TAG\})[^\n]*(\.ya?ml|\.json|manifest|deployment)`)
	nameTagLatest = regexp.MustCompile(`(?i)\btag\b[^\n]*\b` + floating + `\b|\b(promote|move)\b[^\n]*\b` + floating + `\b`)
)

// checkTagPromotion: tag-promotion. In a job gated by an environment, the
// reviewers approved a tag: the finding says "deployment approved by tag
// only".
func (c *checker) checkTagPromotion() {
	branchOnly := c.branchOnly()
	for _, j := range c.jobs {
		add := func(line int, format string, args ...any) {
			msg := fmt.Sprintf(format, args...)
			if j.env != "" {
				msg = fmt.Sprintf("deployment approved by tag only: environment %s approves job %s, whose %s", j.env, j.id, msg)
			}
			c.add("tag-promotion", line, j, "%s", msg)
		}
		for _, st := range j.steps {
			if st.run != nil {
				for i, l := range strings.Split(st.run.Value, "\n") {
					line := c.scriptLine(st.run, i, l)
					switch {
					case !j.deploys && !mayTag(l):
						// Nothing on this line can push, tag, sign or deploy.
					case floatingPush.MatchString(l):
						add(line, "step %q pushes or moves a floating tag", stepLabel(st))
					case signByTag.MatchString(l) && !byDigest.MatchString(l) && lastRefByTag(l):
						add(line, "step %q signs an image by tag, not by digest", stepLabel(st))
					case st.deploys && deployByTag.MatchString(l) && !byDigest.MatchString(l):
						add(line, "step %q deploys an image by tag, not by digest", stepLabel(st))
					case st.publishes && assignment.MatchString(l) && floatingNamed.MatchString(l) && !pullLine.MatchString(l):
						add(line, "step %q names a floating tag, which it pushes", stepLabel(st))
					case st.publishes && branchOnly && branchTag.MatchString(l) && strings.Contains(l, "push"):
						add(line, "step %q pushes a tag named after the branch, which every push moves", stepLabel(st))
					case j.deploys && manifestEdit.MatchString(l) && !byDigest.MatchString(l):
						add(line, "step %q points the deployment's manifest at an image tag, not a digest", stepLabel(st))
					}
				}
			}
			if tags, ok := st.with["tags"]; ok && (pushes(st) || st.publishes) {
				for i, l := range strings.Split(tags.Value, "\n") {
					switch {
					case floatingTag.MatchString(l):
						add(c.scriptLine(tags, i, l), "step %q pushes the floating tag in %q", stepLabel(st), strings.TrimSpace(l))
					case c.fixedTag(j, st, l) != "":
						add(c.scriptLine(tags, i, l), "step %q pushes the fixed tag %s on every run, moving it to each new build", stepLabel(st), c.fixedTag(j, st, l))
					}
				}
			}
			if st.deploys && st.action != "" {
				for k, v := range st.with {
					switch {
					case tagInputs.MatchString(k) && !byDigest.MatchString(v.Value):
						add(v.Pos.Line, "step %q deploys by the tag given in %s, not by digest", stepLabel(st), k)
					case imageInputs.MatchString(k) && tagged.MatchString(maskExpr(v.Value)) && !byDigest.MatchString(v.Value):
						add(v.Pos.Line, "step %q deploys %s by tag, not by digest", stepLabel(st), strings.TrimSpace(v.Value))
					}
				}
			}
			if st.action == "docker/metadata-action" && metaTagsPushed(j, st) {
				for _, in := range []string{"flavor", "tags"} {
					v, ok := st.with[in]
					if !ok {
						continue
					}
					for i, l := range strings.Split(v.Value, "\n") {
						if metaFloating.MatchString(l) {
							add(c.scriptLine(v, i, l), "step %q makes the floating tag %q, which the workflow pushes", stepLabel(st), strings.TrimSpace(l))
						}
					}
				}
			}
			if st.s.Name != nil && nameTagLatest.MatchString(st.name) && (st.publishes || st.deploys || j.publishes || st.run != nil) {
				add(st.s.Name.Pos.Line, "step %q moves a floating tag", st.name)
			}
		}
	}
}

var envRef = regexp.MustCompile(`\$\{\{\s*env\.(\w+)\s*\}\}`)

// fixedTag is the name of an env variable with a constant value that the
// tag line l names, in a workflow run for branch pushes: each run pushes
// the same tag again. "" if none.
func (c *checker) fixedTag(j *job, st *step, l string) string {
	if !c.onBranchPush() {
		return ""
	}
	// Only the tag, after the last colon outside an expression, counts.
	masked := exprRe.ReplaceAllStringFunc(l, func(e string) string { return strings.Repeat("x", len(e)) })
	i := strings.LastIndex(masked, ":")
	if i < 0 {
		return ""
	}
	for _, m := range envRef.FindAllStringSubmatch(l[i:], -1) {
		for _, env := range []*actionlint.Env{st.s.Env, j.j.Env, c.w.Env} {
			if env == nil {
				continue
			}
			if v, ok := env.Vars[strings.ToLower(m[1])]; ok {
				if v.Value != nil && !strings.Contains(v.Value.Value, "${{") && strings.TrimSpace(v.Value.Value) != "" {
					return m[1] + "=" + strings.TrimSpace(v.Value.Value)
				}
				break
			}
		}
	}
	return ""
}

// branchOnly says the workflow runs on pushes to branches only (no tags,
// no releases), so a tag named after github.ref_name is a branch's.
func (c *checker) branchOnly() bool {
	if _, ok := c.triggers["release"]; ok {
		return false
	}
	branches := false
	for _, e := range c.w.On {
		if we, ok := e.(*actionlint.WebhookEvent); ok && we.Hook.Value == "push" {
			if we.Tags != nil || we.Branches == nil {
				return false
			}
			branches = true
		}
	}
	return branches
}

// onBranchPush says the workflow runs on pushes to branches (not only tags).
func (c *checker) onBranchPush() bool {
	for _, e := range c.w.On {
		if we, ok := e.(*actionlint.WebhookEvent); ok && we.Hook.Value == "push" && (we.Tags == nil || we.Branches != nil) {
			return true
		}
	}
	return false
}

// metaFloating: docker/metadata-action's tags and flavor that make a
// floating tag — latest (unless false), a raw floating value, edge.
var metaFloating = regexp.MustCompile(`^\s*latest=(true|\$\{\{)|type=raw,\s*value=` + floating + `\b|type=edge\b`)

// tagged: an image reference that ends in a tag (after masking
// expressions, :EXPR or :word).
var tagged = regexp.MustCompile(`[\w.\-/]+:[\w.\-]+['"]?\s*$`)

// maskExpr replaces each ${{ … }} with the word EXPR, so that an image
// reference built of expressions reads as one word.
func maskExpr(s string) string { return exprRe.ReplaceAllString(s, "EXPR") }

// lastRefByTag says the image a signing command names (its last argument)
// is named by a tag: NAME:TAG, with no @digest. A reference that is a
// variable alone says neither, and is not reported.
func lastRefByTag(l string) bool {
	fields := strings.Fields(maskExpr(l))
	for i := len(fields) - 1; i >= 0; i-- {
		f := strings.Trim(fields[i], `"'`)
		if f == "" || strings.HasPrefix(f, "-") || f == "\\" {
			continue
		}
		if strings.Contains(f, "@") {
			return false
		}
		return tagged.MatchString(f)
	}
	return false
}

// metaTagsPushed says a later step of the job pushes the tags the
// metadata step made (a build that pushes by digest alone pushes none).
func metaTagsPushed(j *job, meta *step) bool {
	id := ""
	if meta.s.ID != nil {
		id = meta.s.ID.Value
	}
	after := false
	for _, st := range j.steps {
		if st == meta {
			after = true
			continue
		}
		if !after || !st.publishes {
			continue
		}
		uses := strings.Contains(st.text, "DOCKER_METADATA_OUTPUT_TAGS") || strings.Contains(st.text, "DOCKER_METADATA_OUTPUT_JSON")
		if id != "" {
			uses = uses || strings.Contains(st.text, "steps."+id+".outputs.tags") || strings.Contains(st.text, "steps."+id+".outputs.json")
		}
		if uses {
			return true
		}
	}
	return false
}

// mayTag says a script line holds a word that pushing, tagging or signing
// needs; the tag-promotion checks skip the others.
func mayTag(l string) bool {
	l = strings.ToLower(l)
	for _, w := range []string{"push", "tag", "imagetools", "sign", "latest", "stable", "prod", "edge", "live", "current"} {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// scriptLine is the file line of the i-th line l of the value s.
func (c *checker) scriptLine(s *actionlint.String, i int, l string) int {
	if s.Pos == nil {
		return 0
	}
	if i == 0 && s.Pos.Line <= len(c.lines) && strings.Contains(c.lines[s.Pos.Line-1], strings.TrimSpace(l)) {
		return s.Pos.Line
	}
	// A block scalar starts on the line after its indicator.
	start := s.Pos.Line
	if start <= len(c.lines) {
		rest := strings.TrimSpace(c.lines[start-1][min(len(c.lines[start-1]), max(0, s.Pos.Col-1)):])
		if strings.HasPrefix(rest, "|") || strings.HasPrefix(rest, ">") {
			start++
		}
	}
	want := strings.TrimSpace(l)
	for n := start + i; n <= len(c.lines) && n <= start+i+3; n++ {
		if strings.Contains(c.lines[n-1], want) {
			return n
		}
	}
	return start + i
}

var (
	scanActions = map[string]string{
		"aquasecurity/trivy-action": "image-ref",
		"anchore/scan-action":       "image",
		"anchore/sbom-action":       "image",
		"snyk/actions/docker":       "image",
		"docker/scout-action":       "image",
	}
	scanRun = regexp.MustCompile(`\b(trivy\s+(image|i)|grype|syft(\s+scan)?|snyk\s+container\s+(test|monitor))\s+((-\S+\s+(\S+\s+)?)*)([\w.${}-]+(/[\w.${}-]+)+(:[^\s@]+)?)(\s|$)`)
)

// checkScans: scan-not-by-digest.
func (c *checker) checkScans() {
	pushes := false
	for _, j := range c.jobs {
		pushes = pushes || j.publishes
	}
	if !pushes {
		return
	}
	for _, j := range c.jobs {
		for _, st := range j.steps {
			if in, ok := scanActions[st.action]; ok {
				if ref, ok := st.with[in]; ok && byTag(ref.Value) {
					c.add("scan-not-by-digest", ref.Pos.Line, j, "step %q scans %s by tag, not by the pushed digest", stepLabel(st), strings.TrimSpace(ref.Value))
				}
			}
			if st.run != nil {
				for i, l := range strings.Split(st.run.Value, "\n") {
					ml := strings.NewReplacer(`"`, "", `'`, "").Replace(maskExpr(l))
					if m := scanRun.FindStringSubmatch(ml); m != nil && !byDigest.MatchString(l) && byTag(m[8]) {
						c.add("scan-not-by-digest", c.scriptLine(st.run, i, l), j, "step %q scans %s by tag, not by the pushed digest", stepLabel(st), m[8])
					}
				}
			}
		}
	}
}

// byTag says an image reference names a tag (or none, which is latest),
// not a digest. A reference that is one expression and nothing else says
// neither, unless the expression's name says it is a tag.
func byTag(ref string) bool {
	r := strings.TrimSpace(ref)
	if r == "" || byDigest.MatchString(r) || isLocal(r) {
		return false
	}
	if m := exprRe.FindStringIndex(r); m != nil && m[0] == 0 && m[1] == len(r) {
		return strings.Contains(strings.ToLower(r), "tag")
	}
	return true
}

func isLocal(ref string) bool {
	r := strings.TrimSpace(ref)
	return strings.HasPrefix(r, "dir:") || strings.HasPrefix(r, "file:") || strings.HasPrefix(r, ".") || strings.HasPrefix(r, "/") || strings.HasPrefix(r, "docker-archive:") || strings.HasPrefix(r, "oci-dir:")
}

// checkAttestVerified: attest-not-verified. One finding per workflow, at
// the first signing step that a publication or deployment follows.
func (c *checker) checkAttestVerified() {
	for _, j := range c.jobs {
		if wc := j.j.WorkflowCall; wc != nil && wc.Uses != nil && verifyRe.MatchString(wc.Uses.Value) {
			return
		}
		for _, st := range j.steps {
			if st.verifies {
				return
			}
		}
	}
	for _, j := range c.jobs {
		if j.j.WorkflowCall != nil && j.signs {
			if c.followedBy(j, -1) {
				c.add("attest-not-verified", j.j.WorkflowCall.Uses.Pos.Line, j, "provenance generated but not checked at deployment: job %s makes provenance, and jobs after it publish or deploy with nothing verifying it", j.id)
				return
			}
		}
		for i, st := range j.steps {
			if !st.signs || !c.followedBy(j, i) {
				continue
			}
			line := st.s.Pos.Line
			if a, ok := st.s.Exec.(*actionlint.ExecAction); ok && a.Uses != nil {
				line = a.Uses.Pos.Line
			} else if st.run != nil {
				for k, l := range strings.Split(st.run.Value, "\n") {
					if signRunRe.MatchString(l) {
						line = c.scriptLine(st.run, k, l)
						break
					}
				}
			}
			c.add("attest-not-verified", line, j, "provenance generated but not checked at deployment: step %q signs or attests, and the artifact is then published or deployed with nothing verifying it", stepLabel(st))
			return
		}
	}
}

// followedBy says a step after step i of j, or a job that needs j, publishes,
// deploys or promotes.
func (c *checker) followedBy(j *job, i int) bool {
	for _, st := range j.steps[i+1:] {
		if st.publishes || st.deploys || c.promotes(st) {
			return true
		}
	}
	return c.shipsAfter(j)
}

func (c *checker) promotes(st *step) bool {
	return st.run != nil && floatingPush.MatchString(st.run.Value)
}

// shipsAfter says a job that needs j, directly or through other jobs,
// publishes or deploys. It is worked out once for every job, over the
// needs: graph turned around (a cycle, which GitHub refuses, ends the walk).
func (c *checker) shipsAfter(j *job) bool {
	if c.after == nil {
		dependents := map[*job][]*job{}
		for _, d := range c.jobs {
			for _, n := range d.j.Needs {
				if p := c.byID[strings.ToLower(n.Value)]; p != nil && p != d {
					dependents[p] = append(dependents[p], d)
				}
			}
		}
		c.after = map[*job]bool{}
		state := map[*job]int{} // 1 walking, 2 done
		var walk func(*job) bool
		walk = func(x *job) bool {
			switch state[x] {
			case 1:
				return false
			case 2:
				return c.after[x]
			}
			state[x] = 1
			ships := false
			for _, d := range dependents[x] {
				if d.publishes || d.deploys || walk(d) {
					ships = true
				}
			}
			state[x], c.after[x] = 2, ships
			return ships
		}
		for _, x := range c.jobs {
			walk(x)
		}
	}
	return c.after[j]
}
