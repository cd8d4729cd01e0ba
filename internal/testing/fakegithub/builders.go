package fakegithub

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

func (repo *Repo) api(r apiBase) string { return string(r) + "/repos/" + repo.FullName() }
func (repo *Repo) html() string         { return web + "/" + repo.FullName() }

// pull is a pull request (full).
func (repo *Repo) pull(r apiBase, p *Pull) obj {
	a, h := repo.api(r), repo.html()
	n := p.Number
	id := stableID("pull", fmt.Sprintf("%s#%d", repo.FullName(), n))
	var milestone any
	if p.Milestone != "" {
		milestone = obj{
			"url": fmt.Sprintf("%s/milestones/1", a), "html_url": h + "/milestone/1", "labels_url": a + "/milestones/1/labels",
			"id": stableID("milestone", p.Milestone), "node_id": nodeID("Milestone", 1), "number": 1, "state": "open",
			"title": p.Milestone, "description": "", "creator": user(r, p.Author), "open_issues": 1, "closed_issues": 0,
			"created_at": ts(p.CreatedAt), "updated_at": ts(p.CreatedAt), "closed_at": nil, "due_on": nil,
		}
	}
	labels := arr{}
	for _, l := range p.Labels {
		labels = append(labels, obj{"id": stableID("label", l), "node_id": nodeID("Label", stableID("label", l)), "url": a + "/labels/" + l,
			"name": l, "description": "", "color": "ededed", "default": false})
	}
	var assignee any
	if len(p.Assignees) > 0 {
		assignee = user(r, p.Assignees[0])
	}
	closedAt := any(nil)
	if p.State == "closed" || p.Merged {
		closedAt = ts(p.MergedAt)
	}
	mergeable := any(nil)
	if p.State == "open" {
		mergeable = true
	}
	var mergedBy any
	if p.Merged {
		mergedBy = user(r, p.MergedBy)
	}
	updated := p.CreatedAt
	if p.MergedAt.After(updated) {
		updated = p.MergedAt
	}
	return obj{
		"url":                 fmt.Sprintf("%s/pulls/%d", a, n),
		"id":                  id,
		"node_id":             nodeID("PullRequest", id),
		"html_url":            fmt.Sprintf("%s/pull/%d", h, n),
		"diff_url":            fmt.Sprintf("%s/pull/%d.diff", h, n),
		"patch_url":           fmt.Sprintf("%s/pull/%d.patch", h, n),
		"issue_url":           fmt.Sprintf("%s/issues/%d", a, n),
		"commits_url":         fmt.Sprintf("%s/pulls/%d/commits", a, n),
		"review_comments_url": fmt.Sprintf("%s/pulls/%d/comments", a, n),
		"review_comment_url":  a + "/pulls/comments{/number}",
		"comments_url":        fmt.Sprintf("%s/issues/%d/comments", a, n),
		"statuses_url":        a + "/statuses/" + p.HeadSHA,
		"number":              n,
		"state":               p.State,
		"locked":              false,
		"title":               p.Title,
		"user":                user(r, p.Author),
		"body":                p.Body,
		"labels":              labels,
		"milestone":           milestone,
		"active_lock_reason":  nil,
		"created_at":          ts(p.CreatedAt),
		"updated_at":          ts(updated),
		"closed_at":           closedAt,
		"merged_at":           ts(p.MergedAt),
		"merge_commit_sha":    nilIfEmpty(p.MergeCommitSHA),
		"assignee":            assignee,
		"assignees":           users(r, p.Assignees),
		"requested_reviewers": users(r, p.RequestedReviewers),
		"requested_teams":     teams(r, repo.Owner, p.RequestedTeams),
		"head":                repo.prRef(r, p.Head, p.HeadSHA),
		"base":                repo.prRef(r, p.Base, p.BaseSHA),
		"_links": obj{
			"self":            obj{"href": fmt.Sprintf("%s/pulls/%d", a, n)},
			"html":            obj{"href": fmt.Sprintf("%s/pull/%d", h, n)},
			"issue":           obj{"href": fmt.Sprintf("%s/issues/%d", a, n)},
			"comments":        obj{"href": fmt.Sprintf("%s/issues/%d/comments", a, n)},
			"review_comments": obj{"href": fmt.Sprintf("%s/pulls/%d/comments", a, n)},
			"review_comment":  obj{"href": a + "/pulls/comments{/number}"},
			"commits":         obj{"href": fmt.Sprintf("%s/pulls/%d/commits", a, n)},
			"statuses":        obj{"href": a + "/statuses/" + p.HeadSHA},
		},
		"author_association":    "MEMBER",
		"auto_merge":            nil,
		"draft":                 p.Draft,
		"merged":                p.Merged,
		"mergeable":             mergeable,
		"rebaseable":            mergeable,
		"mergeable_state":       "clean",
		"merged_by":             mergedBy,
		"comments":              0,
		"review_comments":       0,
		"maintainer_can_modify": false,
		"commits":               len(p.Commits),
		"additions":             len(p.Commits) * 10,
		"deletions":             len(p.Commits),
		"changed_files":         len(p.Commits),
	}
}

func (repo *Repo) prRef(r apiBase, branch, sha string) obj {
	return obj{"label": repo.Owner + ":" + branch, "ref": branch, "sha": sha, "user": user(r, repo.Owner), "repo": repo.repository(r)}
}

// simplePull is a pull-request-simple (the list endpoints): no merged,
// merged_by or counts.
func (repo *Repo) simplePull(r apiBase, p *Pull) obj {
	o := repo.pull(r, p)
	for _, k := range []string{"merged", "mergeable", "rebaseable", "mergeable_state", "merged_by", "comments", "review_comments", "maintainer_can_modify", "commits", "additions", "deletions", "changed_files"} {
		delete(o, k)
	}
	return o
}

func (repo *Repo) review(r apiBase, p *Pull, rv *PullReview) obj {
	h := fmt.Sprintf("%s/pull/%d#pullrequestreview-%d", repo.html(), p.Number, rv.ID)
	pr := fmt.Sprintf("%s/pulls/%d", repo.api(r), p.Number)
	return obj{
		"id":                 rv.ID,
		"node_id":            nodeID("PullRequestReview", rv.ID),
		"user":               user(r, rv.User),
		"body":               rv.Body,
		"state":              rv.State,
		"html_url":           h,
		"pull_request_url":   pr,
		"_links":             obj{"html": obj{"href": h}, "pull_request": obj{"href": pr}},
		"submitted_at":       ts(rv.SubmittedAt),
		"commit_id":          rv.CommitID,
		"author_association": "MEMBER",
	}
}

// commit is a commit as compare lists it.
func (repo *Repo) commit(r apiBase, c *Commit) obj {
	a := repo.api(r)
	person := obj{"name": c.AuthorName, "email": c.AuthorEmail, "date": ts(c.Date)}
	parents := arr{}
	for _, p := range c.Parents {
		parents = append(parents, obj{"url": a + "/commits/" + p, "sha": p, "html_url": repo.html() + "/commit/" + p})
	}
	verification := obj{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil, "verified_at": nil}
	if c.Verified {
		verification = obj{"verified": true, "reason": "valid", "signature": "-----BEGIN PGP SIGNATURE-----\n...", "payload": "tree " + c.SHA, "verified_at": ts(c.Date)}
	}
	return obj{
		"url":          a + "/commits/" + c.SHA,
		"sha":          c.SHA,
		"node_id":      nodeID("Commit", stableID("commit", c.SHA)),
		"html_url":     repo.html() + "/commit/" + c.SHA,
		"comments_url": a + "/commits/" + c.SHA + "/comments",
		"commit": obj{
			"url":           a + "/git/commits/" + c.SHA,
			"author":        person,
			"committer":     obj{"name": c.CommitterName, "email": c.CommitterEmail, "date": ts(c.Date)},
			"message":       c.Message,
			"tree":          obj{"url": a + "/git/trees/" + c.SHA, "sha": c.SHA},
			"comment_count": 0,
			"verification":  verification,
		},
		"author":    user(r, c.AuthorLogin),
		"committer": user(r, c.CommitterLogin),
		"parents":   parents,
	}
}

func (repo *Repo) protection(r apiBase, branch string, p *Protection) obj {
	u := fmt.Sprintf("%s/branches/%s/protection", repo.api(r), branch)
	enabled := func(b bool) obj { return obj{"enabled": b} }
	checks := arr{}
	for _, c := range p.StatusChecks {
		checks = append(checks, obj{"context": c, "app_id": nil})
	}
	return obj{
		"url": u,
		"required_status_checks": obj{
			"url": u + "/required_status_checks", "contexts": toArr(p.StatusChecks), "checks": checks,
			"contexts_url": u + "/required_status_checks/contexts", "enforcement_level": "non_admins", "strict": true,
		},
		"enforce_admins": obj{"url": u + "/enforce_admins", "enabled": p.EnforceAdmins},
		"required_pull_request_reviews": obj{
			"url": u + "/required_pull_request_reviews",
			"dismissal_restrictions": obj{
				"url": u + "/dismissal_restrictions", "users_url": u + "/dismissal_restrictions/users", "teams_url": u + "/dismissal_restrictions/teams",
				"users": users(r, p.DismissalUsers), "teams": teams(r, repo.Owner, p.DismissalTeams), "apps": integrations(r, p.DismissalApps),
			},
			"dismiss_stale_reviews":           p.DismissStaleReviews,
			"require_code_owner_reviews":      p.RequireCodeOwnerReviews,
			"required_approving_review_count": p.RequiredApprovingReviews,
			"require_last_push_approval":      p.RequireLastPushApproval,
			"bypass_pull_request_allowances": obj{
				"users": users(r, p.BypassUsers), "teams": teams(r, repo.Owner, p.BypassTeams), "apps": integrations(r, p.BypassApps),
			},
		},
		"restrictions": obj{
			"url": u + "/restrictions", "users_url": u + "/restrictions/users", "teams_url": u + "/restrictions/teams", "apps_url": u + "/restrictions/apps",
			"users": users(r, p.PushUsers), "teams": teams(r, repo.Owner, p.PushTeams), "apps": integrations(r, p.PushApps),
		},
		"required_signatures":              obj{"url": u + "/required_signatures", "enabled": p.RequiredSignatures},
		"required_linear_history":          enabled(p.RequiredLinearHistory),
		"allow_force_pushes":               enabled(p.AllowForcePushes),
		"allow_deletions":                  enabled(p.AllowDeletions),
		"block_creations":                  enabled(false),
		"required_conversation_resolution": enabled(false),
		"lock_branch":                      enabled(false),
		"allow_fork_syncing":               enabled(false),
	}
}

func rule(ru Rule) obj {
	o := obj{"type": ru.Type, "ruleset_source_type": ru.SourceType, "ruleset_source": ru.Source, "ruleset_id": ru.RulesetID}
	if ru.Parameters != nil {
		o["parameters"] = ru.Parameters
	}
	return o
}

// maxContentSize is the largest file the contents API returns the content
// of: above it, GitHub answers with encoding "none" and no content.
const maxContentSize = 1 << 20

func (repo *Repo) content(r apiBase, path, ref, text string) obj {
	a := repo.api(r)
	sha := fmt.Sprintf("%040x", stableID("blob", text))
	enc, encoding := base64Lines(text), "base64"
	if len(text) > maxContentSize {
		enc, encoding = "", "none"
	}
	self := a + "/contents/" + path + "?ref=" + queryEscape(ref)
	return obj{
		"type":         "file",
		"encoding":     encoding,
		"size":         len(text),
		"name":         path[strings.LastIndex(path, "/")+1:],
		"path":         path,
		"content":      enc,
		"sha":          sha,
		"url":          self,
		"git_url":      a + "/git/blobs/" + sha,
		"html_url":     repo.html() + "/blob/" + ref + "/" + path,
		"download_url": "https://raw.githubusercontent.com/" + repo.FullName() + "/" + ref + "/" + path,
		"_links":       obj{"git": a + "/git/blobs/" + sha, "self": self, "html": repo.html() + "/blob/" + ref + "/" + path},
	}
}

// entry is an item of a directory listing (or a symlink or submodule
// served alone): type, size, name, path, sha, the URLs and _links.
func (repo *Repo) entry(r apiBase, typ, path, ref, sha string, size int, gitURL, htmlURL, download any) obj {
	self := repo.api(r) + "/contents/" + path + "?ref=" + queryEscape(ref)
	return obj{
		"type": typ, "size": size, "name": path[strings.LastIndex(path, "/")+1:], "path": path, "sha": sha,
		"url": self, "git_url": gitURL, "html_url": htmlURL, "download_url": download,
		"_links": obj{"self": self, "git": gitURL, "html": htmlURL},
	}
}

func (repo *Repo) fileEntry(r apiBase, path, ref, text string) obj {
	sha := fmt.Sprintf("%040x", stableID("blob", text))
	return repo.entry(r, "file", path, ref, sha, len(text), repo.api(r)+"/git/blobs/"+sha,
		repo.html()+"/blob/"+ref+"/"+path, "https://raw.githubusercontent.com/"+repo.FullName()+"/"+ref+"/"+path)
}

func (repo *Repo) dirEntry(r apiBase, path, ref string) obj {
	sha := fmt.Sprintf("%040x", stableID("tree", repo.FullName()+"/"+ref+"/"+path))
	return repo.entry(r, "dir", path, ref, sha, 0, repo.api(r)+"/git/trees/"+sha, repo.html()+"/tree/"+ref+"/"+path, nil)
}

func (repo *Repo) symlinkEntry(r apiBase, path, ref, target string) obj {
	sha := fmt.Sprintf("%040x", stableID("blob", "link "+target))
	return repo.entry(r, "symlink", path, ref, sha, len(target), repo.api(r)+"/git/blobs/"+sha,
		repo.html()+"/blob/"+ref+"/"+path, "https://raw.githubusercontent.com/"+repo.FullName()+"/"+ref+"/"+path)
}

// symlink is a symlink served alone: its entry and its target.
func (repo *Repo) symlink(r apiBase, path, ref, target string) obj {
	o := repo.symlinkEntry(r, path, ref, target)
	o["target"] = target
	return o
}

// submoduleEntry is a submodule in a directory listing, where GitHub types
// it "file" (for backwards compatibility, its documentation says).
func (repo *Repo) submoduleEntry(r apiBase, path, ref, url string) obj {
	sha := fmt.Sprintf("%040x", stableID("commit", url))
	name := strings.TrimSuffix(url[strings.LastIndex(url, "/")+1:], ".git")
	return repo.entry(r, "file", path, ref, sha, 0, fmt.Sprintf("%s/repos/%s/%s/git/trees/%s", r, repo.Owner, name, sha),
		fmt.Sprintf("%s/%s/%s/tree/%s", web, repo.Owner, name, sha), nil)
}

// submodule is a submodule served alone.
func (repo *Repo) submodule(r apiBase, path, ref, url string) obj {
	o := repo.submoduleEntry(r, path, ref, url)
	o["type"], o["submodule_git_url"] = "submodule", url
	return o
}

func (repo *Repo) run(r apiBase, run *Run, attempt int) obj {
	a := repo.api(r)
	ru := fmt.Sprintf("%s/actions/runs/%d", a, run.ID)
	started := run.StartedAt
	if t, ok := run.AttemptStarts[attempt]; ok {
		started = t
	}
	status, conclusion := run.Status, nilIfEmpty(run.Conclusion)
	if attempt < run.Attempt {
		status = "completed"
		if run.Conclusion == "" {
			conclusion = "failure"
		}
	}
	var prev any
	if attempt > 1 {
		prev = fmt.Sprintf("%s/attempts/%d", ru, attempt-1)
	}
	head := repo.Commits[run.HeadSHA]
	headCommit := obj{"id": run.HeadSHA, "tree_id": run.HeadSHA, "message": "", "timestamp": ts(run.CreatedAt),
		"author": obj{"name": run.Actor, "email": run.Actor + "@users.noreply.github.com"}, "committer": obj{"name": "GitHub", "email": "noreply@github.com"}}
	if head != nil {
		headCommit["message"], headCommit["timestamp"] = head.Message, ts(head.Date)
		headCommit["author"] = obj{"name": head.AuthorName, "email": head.AuthorEmail}
		headCommit["committer"] = obj{"name": head.CommitterName, "email": head.CommitterEmail}
	}
	path := run.Path
	if path != "" && !strings.Contains(path, "@") {
		path += "@" + run.HeadBranch
	}
	return obj{
		"id":                   run.ID,
		"name":                 run.Name,
		"node_id":              nodeID("WorkflowRun", run.ID),
		"check_suite_id":       run.ID + 1,
		"check_suite_node_id":  nodeID("CheckSuite", run.ID+1),
		"head_branch":          run.HeadBranch,
		"head_sha":             run.HeadSHA,
		"path":                 path,
		"run_number":           run.RunNumber,
		"event":                run.Event,
		"display_title":        headCommit["message"],
		"status":               status,
		"conclusion":           conclusion,
		"workflow_id":          run.WorkflowID,
		"url":                  ru,
		"html_url":             fmt.Sprintf("%s/actions/runs/%d", repo.html(), run.ID),
		"pull_requests":        arr{},
		"created_at":           ts(run.CreatedAt),
		"updated_at":           ts(started),
		"actor":                user(r, run.Actor),
		"run_attempt":          attempt,
		"referenced_workflows": arr{obj{"path": repo.FullName() + "/" + strings.Split(run.Path, "@")[0] + "@" + run.HeadSHA, "sha": run.HeadSHA, "ref": "refs/heads/" + run.HeadBranch}},
		"run_started_at":       ts(started),
		"triggering_actor":     user(r, cmpOr(run.TriggeringActor, run.Actor)),
		"jobs_url":             ru + "/jobs",
		"logs_url":             ru + "/logs",
		"check_suite_url":      fmt.Sprintf("%s/check-suites/%d", a, run.ID+1),
		"artifacts_url":        ru + "/artifacts",
		"cancel_url":           ru + "/cancel",
		"rerun_url":            ru + "/rerun",
		"previous_attempt_url": prev,
		"workflow_url":         fmt.Sprintf("%s/actions/workflows/%d", a, run.WorkflowID),
		"head_commit":          headCommit,
		"repository":           repo.repository(r),
		"head_repository":      repo.repository(r),
	}
}

func (repo *Repo) job(r apiBase, run *Run, j *Job) obj {
	a := repo.api(r)
	steps := arr{}
	for _, s := range j.Steps {
		steps = append(steps, obj{"name": s.Name, "status": s.Status, "conclusion": nilIfEmpty(s.Conclusion), "number": s.Number,
			"started_at": ts(s.StartedAt), "completed_at": ts(s.CompletedAt)})
	}
	labels := toArr(j.Labels)
	return obj{
		"id":                j.ID,
		"run_id":            run.ID,
		"run_url":           fmt.Sprintf("%s/actions/runs/%d", a, run.ID),
		"run_attempt":       j.Attempt,
		"node_id":           nodeID("CheckRun", j.ID),
		"head_sha":          run.HeadSHA,
		"url":               fmt.Sprintf("%s/actions/jobs/%d", a, j.ID),
		"html_url":          fmt.Sprintf("%s/actions/runs/%d/job/%d", repo.html(), run.ID, j.ID),
		"status":            j.Status,
		"conclusion":        nilIfEmpty(j.Conclusion),
		"created_at":        ts(j.CreatedAt),
		"started_at":        ts(j.StartedAt),
		"completed_at":      ts(j.CompletedAt),
		"name":              j.Name,
		"steps":             steps,
		"check_run_url":     fmt.Sprintf("%s/check-runs/%d", a, j.ID),
		"labels":            labels,
		"runner_id":         nilIfZero(j.RunnerID),
		"runner_name":       nilIfEmpty(j.RunnerName),
		"runner_group_id":   nilIfZero(j.RunnerGroupID),
		"runner_group_name": nilIfEmpty(j.RunnerGroupName),
		"workflow_name":     run.Name,
		"head_branch":       run.HeadBranch,
	}
}

func (repo *Repo) approval(r apiBase, ap *EnvApproval) obj {
	envs := arr{}
	for _, e := range ap.Environments {
		id := repo.environmentID(e)
		envs = append(envs, obj{
			"id": id, "node_id": nodeID("Environment", id), "name": e,
			"url":        repo.api(r) + "/environments/" + e,
			"html_url":   repo.html() + "/deployments/activity_log?environments_filter=" + queryEscape(e),
			"created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z",
		})
	}
	return obj{"state": ap.State, "comment": ap.Comment, "environments": envs, "user": user(r, ap.User)}
}

func (repo *Repo) deployment(r apiBase, d *Deployment) obj {
	u := fmt.Sprintf("%s/deployments/%d", repo.api(r), d.ID)
	payload := any(obj{})
	if len(d.Payload) > 0 {
		var p any
		if json.Unmarshal(d.Payload, &p) == nil && p != nil {
			payload = p
		}
	}
	return obj{
		"url":                    u,
		"id":                     d.ID,
		"node_id":                nodeID("Deployment", d.ID),
		"sha":                    d.SHA,
		"ref":                    d.Ref,
		"task":                   d.Task,
		"payload":                payload,
		"original_environment":   d.Environment,
		"environment":            d.Environment,
		"description":            nilIfEmpty(d.Description),
		"creator":                user(r, d.Creator),
		"created_at":             ts(d.CreatedAt),
		"updated_at":             ts(d.UpdatedAt),
		"statuses_url":           u + "/statuses",
		"repository_url":         repo.api(r),
		"transient_environment":  d.Transient,
		"production_environment": d.Production,
	}
}

func (repo *Repo) deploymentStatus(r apiBase, d *Deployment, s *DeploymentStatus) obj {
	du := fmt.Sprintf("%s/deployments/%d", repo.api(r), d.ID)
	return obj{
		"url":             fmt.Sprintf("%s/statuses/%d", du, s.ID),
		"id":              s.ID,
		"node_id":         nodeID("DeploymentStatus", s.ID),
		"state":           s.State,
		"creator":         user(r, s.Creator),
		"description":     s.Description,
		"environment":     d.Environment,
		"target_url":      s.LogURL,
		"created_at":      ts(s.CreatedAt),
		"updated_at":      ts(s.CreatedAt),
		"deployment_url":  du,
		"repository_url":  repo.api(r),
		"environment_url": s.EnvironmentURL,
		"log_url":         s.LogURL,
	}
}

func (repo *Repo) checkRun(r apiBase, c *CheckRun) obj {
	a := repo.api(r)
	prs := arr{}
	for _, p := range repo.Pulls {
		if p.HeadSHA == c.HeadSHA {
			ref := func(branch, sha string) obj {
				return obj{"ref": branch, "sha": sha, "repo": obj{"id": repo.ID, "url": a, "name": repo.Name}}
			}
			prs = append(prs, obj{"url": fmt.Sprintf("%s/pulls/%d", a, p.Number), "id": stableID("pull", fmt.Sprintf("%s#%d", repo.FullName(), p.Number)),
				"number": p.Number, "head": ref(p.Head, p.HeadSHA), "base": ref(p.Base, p.BaseSHA)})
		}
	}
	return obj{
		"id":           c.ID,
		"head_sha":     c.HeadSHA,
		"node_id":      nodeID("CheckRun", c.ID),
		"external_id":  c.ExternalID,
		"url":          fmt.Sprintf("%s/check-runs/%d", a, c.ID),
		"html_url":     fmt.Sprintf("%s/runs/%d", repo.html(), c.ID),
		"details_url":  c.DetailsURL,
		"status":       c.Status,
		"conclusion":   nilIfEmpty(c.Conclusion),
		"started_at":   ts(c.StartedAt),
		"completed_at": ts(c.CompletedAt),
		"output": obj{
			"title": c.Title, "summary": c.Summary, "text": nilIfEmpty(c.Text),
			"annotations_count": len(c.Annotations), "annotations_url": fmt.Sprintf("%s/check-runs/%d/annotations", a, c.ID),
		},
		"name":          c.Name,
		"check_suite":   obj{"id": stableID("suite", c.HeadSHA)},
		"app":           integration(r, cmpOr(c.App, "github-actions")),
		"pull_requests": prs,
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nilIfZero(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

func toArr(ss []string) arr {
	out := arr{}
	for _, s := range ss {
		out = append(out, s)
	}
	return out
}

// base64Lines encodes like GitHub's contents API: base64 in lines of 60.
func base64Lines(s string) string {
	enc := base64Std(s)
	var b strings.Builder
	for len(enc) > 60 {
		b.WriteString(enc[:60] + "\n")
		enc = enc[60:]
	}
	b.WriteString(enc + "\n")
	return b.String()
}

// sortedDeployments returns deployments newest first, as GitHub lists them.
func sortedDeployments(ds []*Deployment) []*Deployment {
	out := append([]*Deployment(nil), ds...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out
}

var _ = time.Second
