package fakegithub

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// handler serves one endpoint with the state locked; repo is the request's
// repository (nil for paths without one).
type handler func(w http.ResponseWriter, r *http.Request, s *State, repo *Repo)

func (f *Fake) handle(pattern string, h handler) {
	f.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		var repo *Repo
		if owner := r.PathValue("owner"); owner != "" {
			var ok bool
			if repo, ok = f.state.Repos[strings.ToLower(owner+"/"+r.PathValue("repo"))]; !ok {
				f.notFound(w)
				return
			}
		}
		h(w, r, f.state, repo)
	})
}

func (f *Fake) routes() {
	f.mux = http.NewServeMux()
	const repo = "/repos/{owner}/{repo}"
	f.handle("GET "+repo, func(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
		f.ok(w, http.StatusOK, repo.repository(base(r)))
	})
	// Source.
	f.handle("GET "+repo+"/commits/{sha}/pulls", f.commitPulls)
	f.handle("GET "+repo+"/pulls/{number}", f.getPull)
	f.handle("GET "+repo+"/pulls/{number}/reviews", f.listReviews)
	f.handle("GET "+repo+"/compare/{basehead}", f.compare)
	f.handle("GET "+repo+"/commits", f.listCommits)
	f.handle("GET "+repo+"/branches/{branch}", f.getBranch)
	f.handle("GET "+repo+"/branches/{branch}/protection", f.getProtection)
	f.handle("GET "+repo+"/rules/branches/{branch}", f.branchRules)
	f.handle("GET "+repo+"/contents/{path...}", f.getContents)
	f.handle("GET "+repo+"/codeowners/errors", f.codeownersErrors)
	// Build.
	f.handle("GET "+repo+"/actions/runs/{id}", f.getRun)
	f.handle("GET "+repo+"/actions/runs/{id}/attempts/{attempt}", f.getRun)
	f.handle("GET "+repo+"/actions/runs/{id}/jobs", f.listJobs)
	f.handle("GET "+repo+"/actions/runs/{id}/attempts/{attempt}/jobs", f.listJobs)
	f.handle("GET "+repo+"/actions/jobs/{id}/logs", f.jobLogs)
	f.handle("GET /_blobs/job-logs/{id}", f.blob)
	// Approvals.
	f.handle("GET "+repo+"/actions/runs/{id}/approvals", f.approvals)
	f.handle("POST "+repo+"/actions/runs/{id}/deployment_protection_rule", f.reviewProtectionRule)
	// Deployments.
	f.handle("GET "+repo+"/deployments", f.listDeployments)
	f.handle("POST "+repo+"/deployments", f.createDeployment)
	f.handle("GET "+repo+"/deployments/{id}", f.getDeployment)
	f.handle("GET "+repo+"/deployments/{id}/statuses", f.listStatuses)
	f.handle("POST "+repo+"/deployments/{id}/statuses", f.createStatus)
	// Check runs.
	f.handle("GET "+repo+"/commits/{ref}/check-runs", f.listCheckRuns)
	f.handle("POST "+repo+"/check-runs", f.createCheckRun)
	f.handle("PATCH "+repo+"/check-runs/{id}", f.updateCheckRun)
	f.handle("GET "+repo+"/check-runs/{id}", f.getCheckRun)
	// GraphQL: the one query relproof makes.
	f.handle("POST /graphql", f.graphql)
	// Attestations.
	f.handle("POST "+repo+"/attestations", f.uploadAttestation)
	f.handle("GET "+repo+"/attestations/{digest}", f.listAttestations)
	// GitHub Apps.
	f.handle("GET "+repo+"/installation", f.repoInstallation)
	f.handle("GET /app/installations", f.listInstallations)
	f.handle("GET /installation/repositories", f.installationRepos)
	f.handle("GET "+repo+"/actions/runs", f.listRuns)
	f.handle("GET "+repo+"/actions/runs/{id}/pending_deployments", f.pendingDeployments)
	f.handle("POST /app/installations/{id}/access_tokens", f.installationToken)
	f.settingsRoutes(repo)
	f.releaseRoutes(repo)
	// Organizations.
	f.handle("GET /orgs/{org}/repos", f.orgRepos)
	f.handle("GET /orgs/{org}/installation", f.orgInstallation)
}

func base(r *http.Request) apiBase { return apiBase(api(r)) }

func pathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil && id > 0
}

// --- source ---

func (f *Fake) commitPulls(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	sha := r.PathValue("sha")
	if _, ok := repo.Commits[sha]; !ok {
		f.error(w, http.StatusUnprocessableEntity, "No commit found for SHA: "+sha)
		return
	}
	out := arr{}
	for _, p := range repo.Pulls {
		if p.MergeCommitSHA == sha || p.HeadSHA == sha || slices.Contains(p.Commits, sha) {
			out = append(out, repo.simplePull(base(r), p))
		}
	}
	f.ok(w, http.StatusOK, page(w, r, out))
}

func (repo *Repo) findPull(r *http.Request) *Pull {
	n, _ := strconv.Atoi(r.PathValue("number"))
	for _, p := range repo.Pulls {
		if p.Number == n {
			return p
		}
	}
	return nil
}

func (f *Fake) getPull(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	p := repo.findPull(r)
	if p == nil {
		f.notFound(w)
		return
	}
	f.ok(w, http.StatusOK, repo.pull(base(r), p))
}

func (f *Fake) listReviews(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	p := repo.findPull(r)
	if p == nil {
		f.notFound(w)
		return
	}
	out := arr{}
	for _, rv := range p.Reviews {
		out = append(out, repo.review(base(r), p, rv))
	}
	f.ok(w, http.StatusOK, page(w, r, out))
}

// resolve turns a ref (a SHA or a branch) into a commit SHA.
func (repo *Repo) resolve(ref string) (string, bool) {
	ref = strings.TrimPrefix(strings.TrimPrefix(ref, "refs/heads/"), "heads/")
	if b, ok := repo.Branches[ref]; ok {
		return b.HeadSHA, true
	}
	if _, ok := repo.Commits[ref]; ok {
		return ref, true
	}
	return "", false
}

// listCommits lists the history of ?sha= (a branch or commit; the default
// branch without one), newest first, as GitHub's list-commits does: each
// item has the shape of compare's commits.
func (f *Fake) listCommits(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	ref := r.URL.Query().Get("sha")
	if ref == "" {
		ref = repo.DefaultBranch
	}
	head, ok := repo.resolve(ref)
	if !ok {
		f.notFound(w)
		return
	}
	commits := arr{}
	for _, c := range page(w, r, repo.ancestors(head)) {
		commits = append(commits, repo.commit(base(r), c))
	}
	f.ok(w, http.StatusOK, commits)
}

func (f *Fake) compare(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	baseRef, headRef, ok := strings.Cut(r.PathValue("basehead"), "...")
	b, okb := repo.resolve(baseRef)
	h, okh := repo.resolve(headRef)
	if !ok || !okb || !okh {
		f.notFound(w)
		return
	}
	inBase := map[string]bool{}
	for _, c := range repo.ancestors(b) {
		inBase[c.SHA] = true
	}
	var ahead []*Commit
	for _, c := range repo.ancestors(h) {
		if !inBase[c.SHA] {
			ahead = append(ahead, c)
		}
	}
	behind := 0
	inHead := map[string]bool{}
	for _, c := range repo.ancestors(h) {
		inHead[c.SHA] = true
	}
	for sha := range inBase {
		if !inHead[sha] {
			behind++
		}
	}
	mergeBase := b
	for _, c := range repo.ancestors(h) {
		if inBase[c.SHA] {
			mergeBase = c.SHA
			break
		}
	}
	slices.Reverse(ahead) // oldest first, as GitHub lists them
	status := "identical"
	switch {
	case len(ahead) > 0 && behind > 0:
		status = "diverged"
	case len(ahead) > 0:
		status = "ahead"
	case behind > 0:
		status = "behind"
	}
	commits := arr{}
	files := arr{}
	seen := map[string]bool{}
	for _, c := range page(w, r, ahead) {
		commits = append(commits, repo.commit(base(r), c))
	}
	for _, c := range ahead {
		for _, p := range c.Files {
			if seen[p] {
				continue
			}
			seen[p] = true
			files = append(files, obj{
				"sha": fmt.Sprintf("%040x", stableID("blob", c.SHA+p)), "filename": p, "status": "modified", "additions": 1, "deletions": 1, "changes": 2,
				"blob_url": repo.html() + "/blob/" + h + "/" + p, "raw_url": repo.html() + "/raw/" + h + "/" + p,
				"contents_url": repo.api(base(r)) + "/contents/" + p + "?ref=" + h, "patch": "@@ -1 +1 @@",
			})
		}
	}
	bc, mb := repo.Commits[b], repo.Commits[mergeBase]
	bh := r.PathValue("basehead")
	f.ok(w, http.StatusOK, obj{
		"url":               repo.api(base(r)) + "/compare/" + bh,
		"html_url":          repo.html() + "/compare/" + bh,
		"permalink_url":     fmt.Sprintf("%s/compare/%s:%s...%s:%s", repo.html(), repo.Owner, b, repo.Owner, h),
		"diff_url":          repo.html() + "/compare/" + bh + ".diff",
		"patch_url":         repo.html() + "/compare/" + bh + ".patch",
		"base_commit":       repo.commit(base(r), bc),
		"merge_base_commit": repo.commit(base(r), mb),
		"status":            status,
		"ahead_by":          len(ahead),
		"behind_by":         behind,
		"total_commits":     len(ahead),
		"commits":           commits,
		"files":             files,
	})
}

func (f *Fake) getBranch(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	b, ok := repo.Branches[r.PathValue("branch")]
	if !ok {
		f.error(w, http.StatusNotFound, "Branch not found")
		return
	}
	a := repo.api(base(r))
	checks := arr{}
	contexts := arr{}
	if b.Protection != nil {
		for _, c := range b.Protection.StatusChecks {
			contexts = append(contexts, c)
			checks = append(checks, obj{"context": c, "app_id": nil})
		}
	}
	var c any = obj{"sha": b.HeadSHA, "url": a + "/commits/" + b.HeadSHA}
	if cm, ok := repo.Commits[b.HeadSHA]; ok {
		c = repo.commit(base(r), cm)
	}
	f.ok(w, http.StatusOK, obj{
		"name":      b.Name,
		"commit":    c,
		"_links":    obj{"self": a + "/branches/" + b.Name, "html": repo.html() + "/tree/" + b.Name},
		"protected": b.Protected(),
		"protection": obj{
			"enabled":                b.Protected(),
			"required_status_checks": obj{"enforcement_level": "non_admins", "contexts": contexts, "checks": checks},
		},
		"protection_url": a + "/branches/" + b.Name + "/protection",
	})
}

func (f *Fake) getProtection(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	b, ok := repo.Branches[r.PathValue("branch")]
	if !ok {
		f.error(w, http.StatusNotFound, "Branch not found")
		return
	}
	if b.Protection == nil {
		f.ok(w, http.StatusNotFound, obj{"message": "Branch not protected", "documentation_url": "https://docs.github.com/rest/branches/branch-protection#get-branch-protection", "status": "404"})
		return
	}
	f.ok(w, http.StatusOK, repo.protection(base(r), b.Name, b.Protection))
}

func (f *Fake) branchRules(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	out := arr{}
	if b, ok := repo.Branches[r.PathValue("branch")]; ok {
		for _, ru := range b.Rules {
			out = append(out, rule(ru))
		}
	}
	f.ok(w, http.StatusOK, page(w, r, out))
}

func (f *Fake) getContents(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	path := r.PathValue("path")
	ref := r.URL.Query().Get("ref")
	if ref == "" {
		ref = repo.DefaultBranch
	}
	if _, ok := repo.resolve(ref); !ok {
		f.error(w, http.StatusNotFound, "No commit found for the ref "+ref)
		return
	}
	path = strings.Trim(path, "/")
	if target, ok := repo.Symlinks[path]; ok {
		// GitHub serves the file a symlink points to, when it is one.
		if to := resolveLink(path, target); to != "" {
			if text, ok := repo.fileAt(ref, to); ok {
				f.ok(w, http.StatusOK, repo.content(base(r), to, ref, text))
				return
			}
		}
		f.ok(w, http.StatusOK, repo.symlink(base(r), path, ref, target))
		return
	}
	if url, ok := repo.Submodules[path]; ok {
		f.ok(w, http.StatusOK, repo.submodule(base(r), path, ref, url))
		return
	}
	if text, ok := repo.fileAt(ref, path); ok {
		f.ok(w, http.StatusOK, repo.content(base(r), path, ref, text))
		return
	}
	if entries := repo.dirEntries(base(r), path, ref); len(entries) > 0 {
		f.ok(w, http.StatusOK, entries)
		return
	}
	f.notFound(w)
}

// fileAt returns a file's text at ref: RefFiles over Files.
func (repo *Repo) fileAt(ref, path string) (string, bool) {
	if text, ok := repo.RefFiles[ref][path]; ok {
		return text, true
	}
	text, ok := repo.Files[path]
	return text, ok
}

// resolveLink returns the repository path a symlink at path points to, ""
// when it points out of the repository.
func resolveLink(path, target string) string {
	if strings.HasPrefix(target, "/") {
		return ""
	}
	dir := ""
	if i := strings.LastIndex(path, "/"); i >= 0 {
		dir = path[:i]
	}
	parts := strings.Split(dir, "/")
	if dir == "" {
		parts = nil
	}
	for _, p := range strings.Split(target, "/") {
		switch p {
		case "", ".":
		case "..":
			if len(parts) == 0 {
				return ""
			}
			parts = parts[:len(parts)-1]
		default:
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "/")
}

// dirEntries lists the directory dir at ref ("" is the root) as GitHub's
// contents API does: its files, symlinks, submodules (typed "file", as
// GitHub lists them) and subdirectories, in git's tree order. It is empty
// when dir is no directory.
func (repo *Repo) dirEntries(r apiBase, dir, ref string) arr {
	prefix := dir + "/"
	if dir == "" {
		prefix = ""
	}
	type entry struct {
		name string
		obj  obj
	}
	seen := map[string]bool{}
	var entries []entry
	add := func(path string, build func(name string) obj) {
		rest, ok := strings.CutPrefix(path, prefix)
		if !ok || rest == "" {
			return
		}
		name, _, sub := strings.Cut(rest, "/")
		key := name
		if sub {
			key += "/" // git orders a tree by its name and a slash
		}
		if seen[key] {
			return
		}
		seen[key] = true
		if sub {
			entries = append(entries, entry{key, repo.dirEntry(r, prefix+name, ref)})
			return
		}
		entries = append(entries, entry{key, build(name)})
	}
	files := maps.Clone(repo.Files)
	if files == nil {
		files = map[string]string{}
	}
	maps.Copy(files, repo.RefFiles[ref])
	for path, text := range files {
		add(path, func(string) obj { return repo.fileEntry(r, path, ref, text) })
	}
	for path, target := range repo.Symlinks {
		add(path, func(string) obj { return repo.symlinkEntry(r, path, ref, target) })
	}
	for path, url := range repo.Submodules {
		add(path, func(string) obj { return repo.submoduleEntry(r, path, ref, url) })
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	out := arr{}
	for _, e := range entries {
		out = append(out, e.obj)
	}
	return out
}

func (f *Fake) codeownersErrors(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	found := false
	for _, p := range []string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"} {
		if _, ok := repo.Files[p]; ok {
			found = true
		}
	}
	if !found {
		f.notFound(w)
		return
	}
	errs := arr{}
	for _, e := range repo.CodeownersErrors {
		errs = append(errs, obj{"line": e.Line, "column": e.Column, "kind": e.Kind, "source": e.Source, "suggestion": nilIfEmpty(e.Suggestion), "message": e.Message, "path": e.Path})
	}
	f.ok(w, http.StatusOK, obj{"errors": errs})
}

// --- build ---

func (f *Fake) findRun(w http.ResponseWriter, r *http.Request, repo *Repo) (*Run, int, bool) {
	id, ok := pathID(r, "id")
	run := repo.Runs[id]
	if !ok || run == nil {
		f.notFound(w)
		return nil, 0, false
	}
	attempt := run.Attempt
	if a := r.PathValue("attempt"); a != "" {
		n, err := strconv.Atoi(a)
		if err != nil || n < 1 || n > run.Attempt {
			f.notFound(w)
			return nil, 0, false
		}
		attempt = n
	}
	return run, attempt, true
}

func (f *Fake) getRun(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	run, attempt, ok := f.findRun(w, r, repo)
	if !ok {
		return
	}
	f.ok(w, http.StatusOK, repo.run(base(r), run, attempt))
}

func (f *Fake) listJobs(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	run, attempt, ok := f.findRun(w, r, repo)
	if !ok {
		return
	}
	all := r.PathValue("attempt") == "" && r.URL.Query().Get("filter") == "all"
	var jobs []any
	for _, j := range run.Jobs {
		if all || j.Attempt == attempt {
			jobs = append(jobs, repo.job(base(r), run, j))
		}
	}
	f.ok(w, http.StatusOK, obj{"total_count": len(jobs), "jobs": orEmpty(page(w, r, jobs))})
}

func orEmpty(a []any) []any {
	if a == nil {
		return arr{}
	}
	return a
}

func (repo *Repo) findJob(id int64) (*Run, *Job) {
	for _, run := range repo.Runs {
		for _, j := range run.Jobs {
			if j.ID == id {
				return run, j
			}
		}
	}
	return nil, nil
}

func (f *Fake) jobLogs(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	id, _ := pathID(r, "id")
	_, j := repo.findJob(id)
	if j == nil || j.Status != "completed" {
		f.notFound(w)
		return
	}
	// GitHub redirects to a short-lived, signed blob URL on another host.
	w.Header().Set("Location", fmt.Sprintf("%s/_blobs/job-logs/%d?sv=2021-08-06&sig=%s", strings.TrimSuffix(api(r), "/api/v3"), id, hex.EncodeToString([]byte(repo.FullName()))))
	w.WriteHeader(http.StatusFound)
}

func (f *Fake) blob(w http.ResponseWriter, r *http.Request, s *State, _ *Repo) {
	// Blob storage refuses requests that carry credentials it did not issue.
	if r.Header.Get("Authorization") != "" {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`<?xml version="1.0" encoding="utf-8"?><Error><Code>InvalidAuthenticationInfo</Code><Message>Authentication information is not given in the correct format.</Message></Error>`))
		return
	}
	id, _ := pathID(r, "id")
	for _, repo := range s.Repos {
		if _, j := repo.findJob(id); j != nil && r.URL.Query().Get("sig") == hex.EncodeToString([]byte(repo.FullName())) {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write([]byte(j.Log))
			return
		}
	}
	w.WriteHeader(http.StatusForbidden)
}

// --- approvals ---

func (f *Fake) approvals(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	run, _, ok := f.findRun(w, r, repo)
	if !ok {
		return
	}
	out := arr{}
	for _, ap := range run.Approvals {
		out = append(out, repo.approval(base(r), ap))
	}
	f.ok(w, http.StatusOK, out)
}

func (f *Fake) reviewProtectionRule(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	run, _, ok := f.findRun(w, r, repo)
	if !ok {
		return
	}
	var body struct {
		EnvironmentName string `json:"environment_name"`
		State           string `json:"state"`
		Comment         string `json:"comment"`
	}
	if err := decode(r, &body); err != nil || body.EnvironmentName == "" || (body.State != "" && body.State != "approved" && body.State != "rejected") {
		f.error(w, http.StatusUnprocessableEntity, "Invalid request.\n\nenvironment_name is required, and state is approved or rejected.")
		return
	}
	if utf8.RuneCountInString(body.Comment) > 1024 {
		f.error(w, http.StatusUnprocessableEntity, "Invalid request.\n\ncomment is too long (maximum is 1024 characters).")
		return
	}
	// A run that lists the environments waiting on the rule takes a status
	// report or an answer only while the rule has not answered for it.
	if run.PendingEnvironments != nil {
		pending := slices.ContainsFunc(run.PendingEnvironments, func(e string) bool { return strings.EqualFold(e, body.EnvironmentName) })
		for _, rv := range repo.ProtectionRuleReviews {
			pending = pending && !(rv.RunID == run.ID && strings.EqualFold(rv.Environment, body.EnvironmentName))
		}
		if !pending {
			f.error(w, http.StatusUnprocessableEntity, "No pending deployment protection rule for this app in environment "+body.EnvironmentName+".")
			return
		}
	}
	if body.State == "" {
		// A status report: a comment, the rule still pending; at most 10.
		n := 0
		for _, sr := range repo.StatusReports {
			if sr.RunID == run.ID && sr.Environment == body.EnvironmentName {
				n++
			}
		}
		if body.Comment == "" || n >= 10 {
			f.error(w, http.StatusUnprocessableEntity, "Invalid request.\n\nA status report needs a comment, and a deployment takes at most 10.")
			return
		}
		repo.StatusReports = append(repo.StatusReports, ProtectionRuleReview{RunID: run.ID, Environment: body.EnvironmentName, Comment: body.Comment, At: time.Now()})
		w.WriteHeader(http.StatusNoContent)
		return
	}
	repo.ProtectionRuleReviews = append(repo.ProtectionRuleReviews, ProtectionRuleReview{RunID: run.ID, Environment: body.EnvironmentName, State: body.State, Comment: body.Comment, At: time.Now()})
	w.WriteHeader(http.StatusNoContent)
}

// --- deployments ---

func (f *Fake) listDeployments(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	q := r.URL.Query()
	out := arr{}
	for _, d := range sortedDeployments(repo.Deployments) {
		if (q.Get("environment") == "" || q.Get("environment") == d.Environment) && (q.Get("sha") == "" || q.Get("sha") == d.SHA) &&
			(q.Get("ref") == "" || q.Get("ref") == d.Ref) && (q.Get("task") == "" || q.Get("task") == d.Task) {
			out = append(out, repo.deployment(base(r), d))
		}
	}
	f.ok(w, http.StatusOK, page(w, r, out))
}

func (f *Fake) createDeployment(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	var body struct {
		Ref                   string          `json:"ref"`
		Task                  string          `json:"task"`
		Payload               json.RawMessage `json:"payload"`
		Environment           string          `json:"environment"`
		Description           string          `json:"description"`
		ProductionEnvironment *bool           `json:"production_environment"`
		TransientEnvironment  bool            `json:"transient_environment"`
	}
	if err := decode(r, &body); err != nil || body.Ref == "" {
		f.error(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"ref\" wasn't supplied.")
		return
	}
	sha, ok := repo.resolve(body.Ref)
	if !ok {
		f.error(w, http.StatusUnprocessableEntity, "No ref found for: "+body.Ref)
		return
	}
	payload := body.Payload
	if len(payload) > 0 && payload[0] == '"' {
		var str string
		_ = json.Unmarshal(payload, &str)
		payload = json.RawMessage(str)
	}
	if len(payload) > 0 && !json.Valid(payload) {
		f.error(w, http.StatusUnprocessableEntity, "Invalid request.\n\nFor 'properties/payload', is not a valid JSON object.")
		return
	}
	env := body.Environment
	if env == "" {
		env = "production"
	}
	task := body.Task
	if task == "" {
		task = "deploy"
	}
	now := f.now().UTC()
	d := &Deployment{
		ID: s.ID(), SHA: sha, Ref: body.Ref, Task: task, Payload: payload, Environment: env, Description: body.Description,
		Creator: f.actor(r), CreatedAt: now, UpdatedAt: now, Production: env == "production", Transient: body.TransientEnvironment,
	}
	if body.ProductionEnvironment != nil {
		d.Production = *body.ProductionEnvironment
	}
	repo.environmentID(env)
	repo.Deployments = append(repo.Deployments, d)
	f.ok(w, http.StatusCreated, repo.deployment(base(r), d))
}

func (repo *Repo) findDeployment(r *http.Request) *Deployment {
	id, _ := pathID(r, "id")
	for _, d := range repo.Deployments {
		if d.ID == id {
			return d
		}
	}
	return nil
}

func (f *Fake) getDeployment(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	d := repo.findDeployment(r)
	if d == nil {
		f.notFound(w)
		return
	}
	f.ok(w, http.StatusOK, repo.deployment(base(r), d))
}

func (f *Fake) listStatuses(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	d := repo.findDeployment(r)
	if d == nil {
		f.notFound(w)
		return
	}
	out := arr{}
	for i := len(d.Statuses) - 1; i >= 0; i-- {
		out = append(out, repo.deploymentStatus(base(r), d, d.Statuses[i]))
	}
	f.ok(w, http.StatusOK, page(w, r, out))
}

var deploymentStates = []string{"error", "failure", "inactive", "in_progress", "queued", "pending", "success"}

func (f *Fake) createStatus(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	d := repo.findDeployment(r)
	if d == nil {
		f.notFound(w)
		return
	}
	var body struct {
		State          string `json:"state"`
		Description    string `json:"description"`
		EnvironmentURL string `json:"environment_url"`
		LogURL         string `json:"log_url"`
		TargetURL      string `json:"target_url"`
		AutoInactive   *bool  `json:"auto_inactive"`
	}
	if err := decode(r, &body); err != nil || !slices.Contains(deploymentStates, body.State) {
		f.error(w, http.StatusUnprocessableEntity, "Validation Failed: state is not included in the list")
		return
	}
	now := f.now().UTC()
	logURL := body.LogURL
	if logURL == "" {
		logURL = body.TargetURL
	}
	st := &DeploymentStatus{ID: s.ID(), State: body.State, Description: body.Description, EnvironmentURL: body.EnvironmentURL, LogURL: logURL, Creator: f.actor(r), CreatedAt: now}
	d.Statuses = append(d.Statuses, st)
	d.UpdatedAt = now
	if body.State == "success" && (body.AutoInactive == nil || *body.AutoInactive) {
		for _, other := range repo.Deployments {
			if other != d && other.Environment == d.Environment && len(other.Statuses) > 0 && other.Statuses[len(other.Statuses)-1].State == "success" {
				other.Statuses = append(other.Statuses, &DeploymentStatus{ID: s.ID(), State: "inactive", Creator: f.actor(r), CreatedAt: now})
			}
		}
	}
	f.ok(w, http.StatusCreated, repo.deploymentStatus(base(r), d, st))
}

// actor is who a request acts as (for creators).
func (f *Fake) actor(r *http.Request) string {
	if strings.Contains(r.Header.Get("Authorization"), "ghs_") {
		return "relproof[bot]"
	}
	return "github-actions[bot]"
}

// appOf is the app a request acts as: the fake's App for its installation
// tokens, GitHub Actions for any other token (a workflow's GITHUB_TOKEN).
func (f *Fake) appOf(r *http.Request) string {
	if strings.Contains(r.Header.Get("Authorization"), "ghs_") {
		return "relproof"
	}
	return "github-actions"
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// --- check runs ---

func (f *Fake) listCheckRuns(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	sha, ok := repo.resolve(r.PathValue("ref"))
	if !ok {
		sha = r.PathValue("ref")
	}
	q := r.URL.Query()
	latest := q.Get("filter") != "all"
	var runs []*CheckRun
	for _, c := range repo.CheckRuns {
		if c.HeadSHA != sha || (q.Get("check_name") != "" && q.Get("check_name") != c.Name) {
			continue
		}
		if latest {
			// Only the newest check run of each name.
			if i := slices.IndexFunc(runs, func(o *CheckRun) bool { return o.Name == c.Name }); i >= 0 {
				if runs[i].ID < c.ID {
					runs[i] = c
				}
				continue
			}
		}
		runs = append(runs, c)
	}
	out := arr{}
	for _, c := range page(w, r, runs) {
		out = append(out, repo.checkRun(base(r), c))
	}
	f.ok(w, http.StatusOK, obj{"total_count": len(runs), "check_runs": out})
}

type checkRunBody struct {
	Name        *string    `json:"name"`
	HeadSHA     string     `json:"head_sha"`
	DetailsURL  *string    `json:"details_url"`
	ExternalID  *string    `json:"external_id"`
	Status      *string    `json:"status"`
	Conclusion  *string    `json:"conclusion"`
	StartedAt   *time.Time `json:"started_at"`
	CompletedAt *time.Time `json:"completed_at"`
	Output      *struct {
		Title       *string           `json:"title"`
		Summary     *string           `json:"summary"`
		Text        *string           `json:"text"`
		Annotations []json.RawMessage `json:"annotations"`
	} `json:"output"`
}

var conclusions = []string{"action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out"}

// apply writes body into c, or says what GitHub would refuse.
func (f *Fake) apply(c *CheckRun, body *checkRunBody) string {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&c.Name, body.Name)
	set(&c.DetailsURL, body.DetailsURL)
	set(&c.ExternalID, body.ExternalID)
	set(&c.Status, body.Status)
	set(&c.Conclusion, body.Conclusion)
	if body.StartedAt != nil {
		c.StartedAt = body.StartedAt.UTC()
	}
	if body.CompletedAt != nil {
		c.CompletedAt = body.CompletedAt.UTC()
	}
	if c.Conclusion != "" {
		if !slices.Contains(conclusions, c.Conclusion) {
			return "Invalid request.\n\nconclusion is not a member of the enum"
		}
		c.Status = "completed"
		if c.CompletedAt.IsZero() {
			c.CompletedAt = f.now().UTC()
		}
	}
	if o := body.Output; o != nil {
		if o.Title == nil || o.Summary == nil {
			return "Invalid request.\n\nFor 'properties/output', \"title\", \"summary\" weren't supplied."
		}
		c.Title, c.Summary = *o.Title, *o.Summary
		set(&c.Text, o.Text)
		if len(o.Annotations) > 50 {
			return "Invalid request.\n\nOnly 50 annotations are allowed per request."
		}
		for _, a := range o.Annotations {
			var ann struct {
				Path            string `json:"path"`
				StartLine       int    `json:"start_line"`
				EndLine         int    `json:"end_line"`
				AnnotationLevel string `json:"annotation_level"`
				Message         string `json:"message"`
			}
			if json.Unmarshal(a, &ann) != nil || ann.Path == "" || ann.StartLine < 1 || ann.EndLine < ann.StartLine || ann.Message == "" ||
				!slices.Contains([]string{"notice", "warning", "failure"}, ann.AnnotationLevel) {
				return "Invalid request.\n\nAn annotation needs path, start_line, end_line, annotation_level (notice, warning, failure) and message."
			}
		}
		c.Annotations = append(c.Annotations, o.Annotations...)
	}
	c.Writes++
	return ""
}

func (f *Fake) createCheckRun(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	var body checkRunBody
	if err := decode(r, &body); err != nil || body.Name == nil || *body.Name == "" || body.HeadSHA == "" {
		f.error(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"name\", \"head_sha\" weren't supplied.")
		return
	}
	if _, ok := repo.Commits[body.HeadSHA]; !ok {
		f.error(w, http.StatusUnprocessableEntity, "No commit found for SHA: "+body.HeadSHA)
		return
	}
	c := &CheckRun{ID: s.ID(), HeadSHA: body.HeadSHA, Status: "queued", StartedAt: f.now().UTC(), App: f.appOf(r)}
	if msg := f.apply(c, &body); msg != "" {
		f.error(w, http.StatusUnprocessableEntity, msg)
		return
	}
	repo.CheckRuns = append(repo.CheckRuns, c)
	f.ok(w, http.StatusCreated, repo.checkRun(base(r), c))
}

func (repo *Repo) findCheckRun(r *http.Request) *CheckRun {
	id, _ := pathID(r, "id")
	for _, c := range repo.CheckRuns {
		if c.ID == id {
			return c
		}
	}
	return nil
}

func (f *Fake) updateCheckRun(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	c := repo.findCheckRun(r)
	if c == nil {
		f.notFound(w)
		return
	}
	if app := f.appOf(r); app != cmpOr(c.App, "github-actions") {
		f.error(w, http.StatusForbidden, fmt.Sprintf("Invalid app_id `%d` - check run can only be modified by the GitHub App that created it.", stableID("app", app)))
		return
	}
	var body checkRunBody
	if err := decode(r, &body); err != nil {
		f.error(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	next := *c
	next.Annotations = append([]json.RawMessage(nil), c.Annotations...)
	if msg := f.apply(&next, &body); msg != "" {
		f.error(w, http.StatusUnprocessableEntity, msg)
		return
	}
	*c = next
	f.ok(w, http.StatusOK, repo.checkRun(base(r), c))
}

func (f *Fake) getCheckRun(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	c := repo.findCheckRun(r)
	if c == nil {
		f.notFound(w)
		return
	}
	f.ok(w, http.StatusOK, repo.checkRun(base(r), c))
}

// --- GraphQL ---

// graphql answers the one query relproof makes: a commit's authors (the git
// author and its Co-authored-by trailers), each with the account GitHub
// matches its email to, or null. Anything else is a GraphQL error.
func (f *Fake) graphql(w http.ResponseWriter, r *http.Request, s *State, _ *Repo) {
	var body struct {
		Query     string            `json:"query"`
		Variables map[string]string `json:"variables"`
	}
	if err := decode(r, &body); err != nil || body.Query == "" {
		f.error(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	v := body.Variables
	if !strings.Contains(body.Query, "object(oid: $oid)") || !strings.Contains(body.Query, "authors(first: 100)") || v["owner"] == "" || v["name"] == "" || v["oid"] == "" {
		f.ok(w, http.StatusOK, obj{"errors": arr{obj{"message": "the fake GitHub answers only the commit authors query"}}})
		return
	}
	repo, ok := s.Repos[strings.ToLower(v["owner"]+"/"+v["name"])]
	if !ok {
		f.ok(w, http.StatusOK, obj{"data": obj{"repository": nil}, "errors": arr{obj{"type": "NOT_FOUND", "path": arr{"repository"},
			"locations": arr{obj{"line": 2, "column": 3}}, "message": fmt.Sprintf("Could not resolve to a Repository with the name '%s/%s'.", v["owner"], v["name"])}}})
		return
	}
	c, ok := repo.Commits[v["oid"]]
	if !ok {
		f.ok(w, http.StatusOK, obj{"data": obj{"repository": obj{"object": nil}}})
		return
	}
	actor := func(name, email, login string) obj {
		var u any
		if login != "" {
			u = obj{"login": login}
		}
		return obj{"name": name, "email": email, "user": u}
	}
	nodes := arr{actor(c.AuthorName, c.AuthorEmail, c.AuthorLogin)}
	for _, m := range coAuthoredBy.FindAllStringSubmatch(c.Message, -1) {
		nodes = append(nodes, actor(strings.TrimSpace(m[1]), m[2], s.LoginOf(m[2])))
	}
	f.ok(w, http.StatusOK, obj{"data": obj{"repository": obj{"object": obj{"authors": obj{"totalCount": len(nodes), "nodes": nodes}}}}})
}

// coAuthoredBy is a Co-authored-by trailer as GitHub reads it: a line of
// its own, "Co-authored-by: NAME <EMAIL>".
var coAuthoredBy = regexp.MustCompile(`(?im)^co-authored-by:[ \t]*([^<\n]*?)[ \t]*<([^<>\s]+)>[ \t]*$`)

// --- attestations ---

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

func (f *Fake) uploadAttestation(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	var body struct {
		Bundle json.RawMessage `json:"bundle"`
	}
	if err := decode(r, &body); err != nil || len(body.Bundle) == 0 {
		f.error(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"bundle\" wasn't supplied.")
		return
	}
	digests, err := bundleDigests(body.Bundle)
	if err != nil {
		f.error(w, http.StatusUnprocessableEntity, "Invalid request.\n\n"+err.Error())
		return
	}
	a := &Attestation{ID: s.ID(), Bundle: body.Bundle, Digests: digests}
	repo.Attestations = append(repo.Attestations, a)
	f.ok(w, http.StatusCreated, obj{"id": a.ID})
}

// bundleDigests reads the subject digests of a bundle's DSSE statement.
func bundleDigests(bundle []byte) ([]string, error) {
	var b struct {
		MediaType    string `json:"mediaType"`
		DSSEEnvelope struct {
			Payload     string `json:"payload"`
			PayloadType string `json:"payloadType"`
		} `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(bundle, &b); err != nil || !strings.HasPrefix(b.MediaType, "application/vnd.dev.sigstore.bundle") {
		return nil, fmt.Errorf("the bundle is not a Sigstore bundle")
	}
	raw, err := base64.StdEncoding.DecodeString(b.DSSEEnvelope.Payload)
	if err != nil || b.DSSEEnvelope.PayloadType != "application/vnd.in-toto+json" {
		return nil, fmt.Errorf("the bundle does not carry an in-toto statement")
	}
	var st struct {
		Subject []struct {
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, fmt.Errorf("the statement is not JSON")
	}
	var out []string
	for _, sub := range st.Subject {
		for alg, hex := range sub.Digest {
			out = append(out, alg+":"+hex)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the statement has no subject digest")
	}
	return out, nil
}

func (f *Fake) listAttestations(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	digest := r.PathValue("digest")
	if !digestRE.MatchString(digest) && !strings.HasPrefix(digest, "sha512:") {
		f.error(w, http.StatusUnprocessableEntity, "Invalid subject digest")
		return
	}
	var found []*Attestation
	for _, a := range repo.Attestations {
		if slices.Contains(a.Digests, digest) {
			found = append(found, a)
		}
	}
	if len(found) == 0 {
		f.notFound(w)
		return
	}
	// Cursor pagination: after=ID of the last attestation seen.
	per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
	if per <= 0 {
		per = 30
	}
	per = min(per, r.Context().Value(ctxKey{}).(*reqInfo).pageSize)
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	out := arr{}
	var last int64
	more := false
	for _, a := range found {
		if a.ID <= after {
			continue
		}
		if len(out) == per {
			more = true
			break
		}
		out = append(out, obj{"bundle": json.RawMessage(a.Bundle), "repository_id": repo.ID, "bundle_url": nil})
		last = a.ID
	}
	if more {
		u := *r.URL
		q := u.Query()
		q.Set("after", strconv.FormatInt(last, 10))
		u.RawQuery = q.Encode()
		w.Header().Set("Link", fmt.Sprintf(`<%s%s>; rel="next"`, api(r), u.RequestURI()))
	}
	f.ok(w, http.StatusOK, obj{"attestations": out})
}

// --- GitHub Apps ---

func (f *Fake) repoInstallation(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	if repo.Installation == 0 {
		f.notFound(w)
		return
	}
	f.ok(w, http.StatusOK, obj{
		"id": repo.Installation, "app_id": f.app.id, "app_slug": "relproof", "target_type": "Organization", "target_id": stableID("user", repo.Owner),
		"account": user(base(r), repo.Owner), "repository_selection": "selected",
		"access_tokens_url": fmt.Sprintf("%s/app/installations/%d/access_tokens", api(r), repo.Installation),
		"permissions":       obj{"checks": "write", "deployments": "write", "actions": "read", "contents": "read", "pull_requests": "read", "attestations": "write"},
		"events":            arr{"deployment_protection_rule"}, "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
	})
}

// orgInstallation answers GET /orgs/{org}/installation: the App's
// installation on the organization, the one any of its repositories has.
func (f *Fake) orgInstallation(w http.ResponseWriter, r *http.Request, s *State, _ *Repo) {
	org := r.PathValue("org")
	for _, repo := range s.Repos {
		if strings.EqualFold(repo.Owner, org) && repo.Installation != 0 {
			f.repoInstallation(w, r, s, repo)
			return
		}
	}
	f.notFound(w)
}

func (f *Fake) installationToken(w http.ResponseWriter, r *http.Request, s *State, _ *Repo) {
	id, _ := pathID(r, "id")
	known := false
	for _, repo := range s.Repos {
		known = known || repo.Installation == id
	}
	if !known {
		f.notFound(w)
		return
	}
	tok := fmt.Sprintf("ghs_%036d", s.ID())
	f.tokens[tok] = true
	f.tokenInstallation[tok] = id
	f.ok(w, http.StatusCreated, obj{
		"token": tok, "expires_at": f.now().Add(time.Hour).UTC().Format(time.RFC3339),
		"permissions": obj{"checks": "write", "deployments": "write"}, "repository_selection": "selected",
	})
}

var _ = bytes.MinRead

// --- what a protection rule's reconciler reads ---

// listInstallations lists the App's installations, one per installation
// id the repositories have.
func (f *Fake) listInstallations(w http.ResponseWriter, r *http.Request, s *State, _ *Repo) {
	seen := map[int64]bool{}
	out := arr{}
	for _, name := range slices.Sorted(maps.Keys(s.Repos)) {
		repo := s.Repos[name]
		if repo.Installation == 0 || seen[repo.Installation] {
			continue
		}
		seen[repo.Installation] = true
		out = append(out, obj{"id": repo.Installation, "app_id": f.app.id, "app_slug": "relproof", "target_type": "Organization",
			"target_id": stableID("user", repo.Owner), "account": user(base(r), repo.Owner), "repository_selection": "selected",
			"access_tokens_url": fmt.Sprintf("%s/app/installations/%d/access_tokens", api(r), repo.Installation),
			"events":            arr{"deployment_protection_rule"}, "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"})
	}
	f.ok(w, http.StatusOK, page(w, r, out))
}

// installationRepos lists the repositories of the installation whose
// token the request carries.
func (f *Fake) installationRepos(w http.ResponseWriter, r *http.Request, s *State, _ *Repo) {
	_, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	id := f.tokenInstallation[tok] // the state lock is held
	if id == 0 {
		f.error(w, http.StatusForbidden, "This endpoint can only be accessed with an installation token.")
		return
	}
	out := arr{}
	for _, name := range slices.Sorted(maps.Keys(s.Repos)) {
		if repo := s.Repos[name]; repo.Installation == id {
			out = append(out, repo.repository(base(r)))
		}
	}
	f.ok(w, http.StatusOK, obj{"total_count": len(out), "repository_selection": "selected", "repositories": page(w, r, out)})
}

// listRuns lists the repository's runs, by ?status= when given.
func (f *Fake) listRuns(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	status := r.URL.Query().Get("status")
	out := arr{}
	for _, id := range slices.Sorted(maps.Keys(repo.Runs)) {
		run := repo.Runs[id]
		if status == "" || run.Status == status {
			out = append(out, repo.run(base(r), run, run.Attempt))
		}
	}
	f.ok(w, http.StatusOK, obj{"total_count": len(out), "workflow_runs": page(w, r, out)})
}

// pendingDeployments lists the environments a run waits for.
func (f *Fake) pendingDeployments(w http.ResponseWriter, r *http.Request, s *State, repo *Repo) {
	run, _, ok := f.findRun(w, r, repo)
	if !ok {
		return
	}
	out := arr{}
	// As GitHub lists them: an environment stays pending while it waits on
	// anything, its reviewers after the rule answered included.
	for _, env := range run.PendingEnvironments {
		envAPI := repo.api(base(r)) + "/environments/" + env
		out = append(out, obj{
			"environment":              obj{"id": stableID("environment", repo.FullName()+"/"+env), "node_id": nodeID("Environment", stableID("environment", env)), "name": env, "url": envAPI, "html_url": repo.html() + "/deployments/activity_log?environments_filter=" + env},
			"wait_timer":               0,
			"wait_timer_started_at":    run.CreatedAt.UTC().Format(time.RFC3339),
			"current_user_can_approve": false,
			"reviewers":                arr{obj{"type": "User", "reviewer": user(base(r), "octocat")}}, // the environment's required reviewer
		})
	}
	f.ok(w, http.StatusOK, out)
}
