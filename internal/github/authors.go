package github

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// ChangeAuthors are who made the change a commit brings, as GitHub logins:
// the authors of the pull requests that contain the commit and, for every
// commit since the environment's previous successful deployment, the
// accounts GitHub matched its author and committer to and those its
// Co-authored-by trailers name. Git's own names and emails are never taken
// for a login: the committer writes them.
type ChangeAuthors struct {
	Logins []string `json:"logins"`
	// Known is false when some author could not be determined: there is no
	// previous deployment to compare with, GitHub listed the range only in
	// part, a commit's author or committer has no account GitHub matched, or
	// a co-author trailer names none. Note says why.
	Known bool         `json:"known"`
	Note  string       `json:"note,omitempty"`
	Range *CommitRange `json:"commit_range,omitempty"`
}

func (a *ChangeAuthors) add(login string) {
	if login != "" && !slices.ContainsFunc(a.Logins, func(l string) bool { return strings.EqualFold(l, login) }) {
		a.Logins = append(a.Logins, login)
	}
}

func (a *ChangeAuthors) unknown(why string) {
	a.Known = false
	if a.Note != "" {
		a.Note += "; "
	}
	a.Note += why
}

// ChangeAuthorsSince reads who made the change that commit brings to env
// (see ChangeAuthors), counting from prev, a deployment the caller vouches
// for (GitHub's deployments are any workflow's with deployments: write to
// post, and one at the commit would leave the change nobody's). With prev
// nil the change is the whole history up to commit, and why says why there
// is no deployment to count from. An error is a failed read; authors that
// cannot be determined are a result with Known false.
func (c *Client) ChangeAuthorsSince(ctx context.Context, repo Repo, commit, env string, prev *PreviousDeployment, why string) (*ChangeAuthors, error) {
	if commit == "" {
		return nil, fmt.Errorf("%w: no commit", ErrConfig)
	}
	a := &ChangeAuthors{Logins: []string{}, Known: true}
	lo := &gh.ListOptions{PerPage: 100}
	for page := 0; ; page++ {
		if page == maxPages {
			a.unknown(fmt.Sprintf("commit %s is in more than %d pages of pull requests; GitHub listed only those", short(commit), maxPages))
			break
		}
		prs, resp, err := c.gh.PullRequests.ListPullRequestsWithCommit(ctx, repo.Owner, repo.Name, commit, lo)
		if err != nil {
			return nil, c.fail(fmt.Sprintf("listing the pull requests of commit %s in %s", commit, repo), err)
		}
		for _, pr := range prs {
			a.add(pr.GetUser().GetLogin())
		}
		if resp.NextPage == 0 {
			break
		}
		lo.Page = resp.NextPage
	}
	if env == "" {
		a.unknown("no environment, so no previous deployment to read the change's commits from")
		return a, nil
	}
	r, err := c.commitRangeSince(ctx, repo, env, commit, prev)
	if err != nil {
		return nil, err
	}
	a.Range = r
	commits := r.Commits
	switch {
	case r.Base == "":
		// A first deployment brings the whole history up to the commit:
		// its authors are everyone who wrote or committed any of it.
		h, err := c.history(ctx, repo, commit)
		if err != nil {
			return nil, err
		}
		commits = h.Commits
		first := "a first deployment to " + env
		if why != "" {
			first = "no deployment to " + env + " to count the change from (" + why + ")"
		}
		if h.Truncated {
			a.unknown(fmt.Sprintf("%s brings every commit up to %s, and its history is longer than the %d commits read", first, short(commit), len(h.Commits)))
		} else {
			a.Note = fmt.Sprintf("%s: the change is every commit up to %s (%d)", first, short(commit), len(h.Commits))
		}
	case r.Status == "diverged" || (r.Status != "ahead" && r.Status != "identical" && r.Status != "behind"):
		// The deployment counted from is on another line of history: the
		// commits GitHub lists are not the change (a base on a branch forked
		// after a commit leaves that commit out). Behind, the commit was
		// deployed before it (a rollback brings no commit of its own).
		a.unknown(fmt.Sprintf("the deployment counted from, at %s, is neither an ancestor nor a descendant of %s (GitHub compares them as %q)", short(r.Base), short(r.Head), r.Status))
	case r.Truncated:
		a.unknown(fmt.Sprintf("the range %s..%s has %d commits and GitHub listed %d", short(r.Base), short(r.Head), r.TotalCommits, len(r.Commits)))
	}
	var noAuthor, noCommitter, noCoAuthor []string
	for _, rc := range commits {
		if rc.AuthorLogin == "" {
			noAuthor = append(noAuthor, short(rc.SHA))
		}
		if rc.CommitterLogin == "" {
			noCommitter = append(noCommitter, short(rc.SHA))
		}
		a.add(rc.AuthorLogin)
		a.add(rc.CommitterLogin)
		if len(rc.coAuthors) == 0 {
			continue
		}
		logins, resolved, err := c.coAuthors(ctx, repo, rc.SHA, rc.coAuthors)
		if err != nil {
			return nil, err
		}
		for _, l := range logins {
			a.add(l)
		}
		if !resolved {
			noCoAuthor = append(noCoAuthor, short(rc.SHA))
		}
	}
	for _, m := range []struct {
		shas []string
		what string
	}{
		{noAuthor, "author has no GitHub account GitHub matched"},
		{noCommitter, "committer has no GitHub account GitHub matched"},
		{noCoAuthor, "Co-authored-by trailers name someone GitHub matched to no account"},
	} {
		if len(m.shas) > 0 {
			a.unknown(fmt.Sprintf("the %s of commit %s", m.what, listShort(m.shas)))
		}
	}
	return a, nil
}

// history lists commit and its ancestors, newest first, up to
// maxRangeCommits; Truncated says there were more.
func (c *Client) history(ctx context.Context, repo Repo, commit string) (*CommitRange, error) {
	cr := &CommitRange{Head: commit, Commits: []RangeCommit{}}
	opts := &gh.CommitsListOptions{SHA: commit, ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		if len(cr.Commits) >= maxRangeCommits {
			cr.Truncated = true
			break
		}
		list, resp, err := c.gh.Repositories.ListCommits(ctx, repo.Owner, repo.Name, opts)
		if err != nil {
			return nil, c.fail(fmt.Sprintf("listing the history of %s in %s", commit, repo), err)
		}
		for _, rc := range list {
			cr.Commits = append(cr.Commits, rangeCommit(rc))
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	cr.TotalCommits = len(cr.Commits)
	return cr, nil
}

// coAuthorTrailer matches a Co-authored-by trailer and its email.
var coAuthorTrailer = regexp.MustCompile(`(?im)^[ \t]*co-authored-by:(.*)$`)

var trailerEmail = regexp.MustCompile(`<([^<>\s]+)>`)

// coAuthorTrailers returns the emails of a commit message's Co-authored-by
// trailers, "" for one that gives none. Every such line counts, wherever
// it is in the message: one GitHub does not take for a trailer is then
// matched to no account, and the change's authors are not known.
func coAuthorTrailers(message string) []string {
	var out []string
	for _, m := range coAuthorTrailer.FindAllStringSubmatch(message, -1) {
		email := ""
		if e := trailerEmail.FindStringSubmatch(m[1]); e != nil {
			email = e[1]
		}
		out = append(out, email)
	}
	return out
}

// coAuthorsQuery asks GitHub who it takes for a commit's authors: the git
// author and each Co-authored-by trailer, with the account it matched
// each email to. The REST API does not say.
const coAuthorsQuery = `query($owner: String!, $name: String!, $oid: GitObjectID!) {
  repository(owner: $owner, name: $name) {
    object(oid: $oid) {
      ... on Commit {
        authors(first: 100) { totalCount nodes { email user { login } } }
      }
    }
  }
}`

type coAuthorsAnswer struct {
	Data *struct {
		Repository *struct {
			Object *struct {
				Authors *struct {
					TotalCount int `json:"totalCount"`
					Nodes      []struct {
						Email string `json:"email"`
						User  *struct {
							Login string `json:"login"`
						} `json:"user"`
					} `json:"nodes"`
				} `json:"authors"`
			} `json:"object"`
		} `json:"repository"`
	} `json:"data"`
	Errors []struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"errors"`
}

// coAuthors reads the accounts GitHub matched a commit's authors to (its
// GraphQL API), and whether every email of emails is among them with an
// account.
func (c *Client) coAuthors(ctx context.Context, repo Repo, sha string, emails []string) (logins []string, resolved bool, err error) {
	op := fmt.Sprintf("reading the co-authors of commit %s in %s", sha, repo)
	body := map[string]any{"query": coAuthorsQuery, "variables": map[string]string{"owner": repo.Owner, "name": repo.Name, "oid": sha}}
	var ans coAuthorsAnswer
	if _, err := c.do(ctx, http.MethodPost, c.graphqlURL(), body, &ans); err != nil {
		return nil, false, c.fail(op, err)
	}
	if len(ans.Errors) > 0 {
		msgs := make([]string, 0, len(ans.Errors))
		for _, e := range ans.Errors {
			msgs = append(msgs, strings.TrimSpace(e.Type+" "+e.Message))
		}
		return nil, false, c.fail(op, fmt.Errorf("%w: %s", ErrMalformed, strings.Join(msgs, "; ")))
	}
	if ans.Data == nil || ans.Data.Repository == nil || ans.Data.Repository.Object == nil || ans.Data.Repository.Object.Authors == nil {
		return nil, false, c.fail(op, fmt.Errorf("%w: GitHub answered without the commit's authors", ErrMalformed))
	}
	authors := ans.Data.Repository.Object.Authors
	matched := map[string]bool{}
	for _, n := range authors.Nodes {
		if n.User != nil && n.User.Login != "" {
			logins = append(logins, n.User.Login)
			matched[strings.ToLower(n.Email)] = true
		}
	}
	resolved = authors.TotalCount <= len(authors.Nodes)
	for _, e := range emails {
		if e == "" || !matched[strings.ToLower(e)] {
			resolved = false
		}
	}
	return logins, resolved, nil
}

// graphqlURL is the GraphQL endpoint beside the REST API: /graphql, or
// /api/graphql on GitHub Enterprise Server (whose REST API is /api/v3).
func (c *Client) graphqlURL() string {
	u := *c.api
	if strings.HasSuffix(u.Path, "/api/v3/") {
		u.Path = strings.TrimSuffix(u.Path, "v3/") + "graphql"
	} else {
		u.Path += "graphql"
	}
	return u.String()
}

// listShort lists a few SHAs and how many more there are.
func listShort(shas []string) string {
	const shown = 3
	if len(shas) <= shown {
		return strings.Join(shas, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(shas[:shown], ", "), len(shas)-shown)
}
