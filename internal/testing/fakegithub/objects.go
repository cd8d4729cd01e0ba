package fakegithub

import (
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"strings"
	"time"
)

// The builders below write GitHub's objects with every field of GitHub's
// example responses, filled from the fake's state.

const web = "https://github.com"

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

// stableID derives a stable id from a name (users, teams, apps).
func stableID(kind, name string) int64 {
	h := fnv.New32a()
	h.Write([]byte(kind + "/" + strings.ToLower(name)))
	return int64(h.Sum32()%1_000_000_000) + 1
}

func nodeID(kind string, id int64) string {
	return base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("%02d:%s%d", len(kind), kind, id)))
}

// user is a simple-user.
func user(r apiBase, login string) any {
	if login == "" {
		return nil
	}
	id := stableID("user", login)
	typ := "User"
	if strings.HasSuffix(login, "[bot]") {
		typ = "Bot"
	}
	u := string(r) + "/users/" + login
	return obj{
		"login":               login,
		"id":                  id,
		"node_id":             nodeID("User", id),
		"avatar_url":          fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", id),
		"gravatar_id":         "",
		"url":                 u,
		"html_url":            web + "/" + login,
		"followers_url":       u + "/followers",
		"following_url":       u + "/following{/other_user}",
		"gists_url":           u + "/gists{/gist_id}",
		"starred_url":         u + "/starred{/owner}{/repo}",
		"subscriptions_url":   u + "/subscriptions",
		"organizations_url":   u + "/orgs",
		"repos_url":           u + "/repos",
		"events_url":          u + "/events{/privacy}",
		"received_events_url": u + "/received_events",
		"type":                typ,
		"site_admin":          false,
	}
}

func users(r apiBase, logins []string) arr {
	out := arr{}
	for _, l := range logins {
		out = append(out, user(r, l))
	}
	return out
}

// apiBase is the API base URL a request came to.
type apiBase string

func team(r apiBase, org, slug string) obj {
	id := stableID("team", slug)
	return obj{
		"id":                   id,
		"node_id":              nodeID("Team", id),
		"url":                  fmt.Sprintf("%s/teams/%d", r, id),
		"html_url":             fmt.Sprintf("%s/orgs/%s/teams/%s", web, org, slug),
		"name":                 slug,
		"slug":                 slug,
		"description":          "",
		"privacy":              "closed",
		"notification_setting": "notifications_enabled",
		"permission":           "pull",
		"members_url":          fmt.Sprintf("%s/teams/%d/members{/member}", r, id),
		"repositories_url":     fmt.Sprintf("%s/teams/%d/repos", r, id),
		"parent":               nil,
	}
}

func teams(r apiBase, org string, slugs []string) arr {
	out := arr{}
	for _, s := range slugs {
		out = append(out, team(r, org, s))
	}
	return out
}

// organization is an organization as GitHub shows an app's owner: a user's
// fields and an organization's.
func organization(r apiBase, login string) obj {
	o := user(r, login).(obj)
	u := string(r) + "/orgs/" + login
	o["type"] = "Organization"
	o["url"], o["repos_url"], o["events_url"] = u, u+"/repos", u+"/events"
	o["hooks_url"], o["issues_url"] = u+"/hooks", u+"/issues"
	o["members_url"], o["public_members_url"] = u+"/members{/member}", u+"/public_members{/member}"
	o["description"] = ""
	return o
}

// integration is a GitHub App.
func integration(r apiBase, slug string) obj {
	id := stableID("app", slug)
	return obj{
		"id":           id,
		"slug":         slug,
		"node_id":      nodeID("Integration", id),
		"owner":        organization(r, "github"),
		"name":         slug,
		"description":  "",
		"external_url": "https://example.com",
		"html_url":     web + "/apps/" + slug,
		"created_at":   "2017-07-08T20:18:44Z",
		"updated_at":   "2017-07-08T20:18:44Z",
		"permissions":  obj{"metadata": "read", "contents": "read", "checks": "write", "deployments": "write"},
		"events":       arr{"check_run", "deployment"},
	}
}

func integrations(r apiBase, slugs []string) arr {
	out := arr{}
	for _, s := range slugs {
		out = append(out, integration(r, s))
	}
	return out
}

func visibility(private bool) string {
	if private {
		return "private"
	}
	return "public"
}

// repository is a full repository object.
func (repo *Repo) repository(r apiBase) obj {
	full := repo.FullName()
	repoAPI := string(r) + "/repos/" + full
	created := "2020-01-01T00:00:00Z"
	return obj{
		"id":                 repo.ID,
		"node_id":            nodeID("Repository", repo.ID),
		"name":               repo.Name,
		"full_name":          full,
		"owner":              user(r, repo.Owner),
		"private":            repo.Private,
		"html_url":           web + "/" + full,
		"description":        nilIfEmpty(repo.Description),
		"fork":               repo.Fork,
		"url":                repoAPI,
		"archive_url":        repoAPI + "/{archive_format}{/ref}",
		"assignees_url":      repoAPI + "/assignees{/user}",
		"blobs_url":          repoAPI + "/git/blobs{/sha}",
		"branches_url":       repoAPI + "/branches{/branch}",
		"collaborators_url":  repoAPI + "/collaborators{/collaborator}",
		"comments_url":       repoAPI + "/comments{/number}",
		"commits_url":        repoAPI + "/commits{/sha}",
		"compare_url":        repoAPI + "/compare/{base}...{head}",
		"contents_url":       repoAPI + "/contents/{+path}",
		"contributors_url":   repoAPI + "/contributors",
		"deployments_url":    repoAPI + "/deployments",
		"downloads_url":      repoAPI + "/downloads",
		"events_url":         repoAPI + "/events",
		"forks_url":          repoAPI + "/forks",
		"git_commits_url":    repoAPI + "/git/commits{/sha}",
		"git_refs_url":       repoAPI + "/git/refs{/sha}",
		"git_tags_url":       repoAPI + "/git/tags{/sha}",
		"issue_comment_url":  repoAPI + "/issues/comments{/number}",
		"issue_events_url":   repoAPI + "/issues/events{/number}",
		"issues_url":         repoAPI + "/issues{/number}",
		"keys_url":           repoAPI + "/keys{/key_id}",
		"labels_url":         repoAPI + "/labels{/name}",
		"languages_url":      repoAPI + "/languages",
		"merges_url":         repoAPI + "/merges",
		"milestones_url":     repoAPI + "/milestones{/number}",
		"notifications_url":  repoAPI + "/notifications{?since,all,participating}",
		"pulls_url":          repoAPI + "/pulls{/number}",
		"releases_url":       repoAPI + "/releases{/id}",
		"stargazers_url":     repoAPI + "/stargazers",
		"statuses_url":       repoAPI + "/statuses/{sha}",
		"subscribers_url":    repoAPI + "/subscribers",
		"subscription_url":   repoAPI + "/subscription",
		"tags_url":           repoAPI + "/tags",
		"teams_url":          repoAPI + "/teams",
		"trees_url":          repoAPI + "/git/trees{/sha}",
		"hooks_url":          repoAPI + "/hooks",
		"git_url":            "git://github.com/" + full + ".git",
		"ssh_url":            "git@github.com:" + full + ".git",
		"clone_url":          web + "/" + full + ".git",
		"mirror_url":         nil,
		"svn_url":            web + "/" + full,
		"homepage":           nilIfEmpty(repo.Homepage),
		"language":           "Go",
		"forks_count":        0,
		"stargazers_count":   0,
		"watchers_count":     0,
		"size":               1,
		"default_branch":     repo.DefaultBranch,
		"open_issues_count":  0,
		"topics":             arr{"release"},
		"has_issues":         true,
		"has_projects":       true,
		"has_wiki":           false,
		"has_pages":          false,
		"has_downloads":      true,
		"has_discussions":    false,
		"archived":           repo.Archived,
		"is_template":        false,
		"visibility":         visibility(repo.Private),
		"disabled":           false,
		"pushed_at":          created,
		"created_at":         created,
		"updated_at":         created,
		"permissions":        obj{"admin": false, "push": true, "pull": true},
		"allow_rebase_merge": true,
		"temp_clone_token":   "",
		"allow_squash_merge": true,
		"allow_merge_commit": true,
		"allow_forking":      true,
		"forks":              0,
		"open_issues":        0,
		"license":            obj{"key": "apache-2.0", "name": "Apache License 2.0", "url": string(r) + "/licenses/apache-2.0", "spdx_id": "Apache-2.0", "node_id": "MDc6TGljZW5zZTI="},
		"watchers":           0,
	}
}
