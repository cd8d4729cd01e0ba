package github

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// What relproof audit reads beyond a repository's settings (settings.go):
// its workflow files, an organization's repositories, and the recent
// deployments.

// ErrWorkflowFile is a workflow file relproof does not read: a symlink, a
// submodule, or a file above MaxWorkflowFileSize.
var ErrWorkflowFile = errors.New("unreadable workflow file")

// MaxWorkflowFileSize is the largest workflow file WorkflowFiles reads: the
// contents API returns no content above it.
const MaxWorkflowFileSize = 1 << 20

// WorkflowsDir is where GitHub Actions reads workflows from.
const WorkflowsDir = ".github/workflows"

// maxDirEntries is how many entries the contents API lists of a directory.
const maxDirEntries = 1000

// WorkflowFile is one workflow file of a repository.
type WorkflowFile struct {
	Path string
	Data []byte
}

// WorkflowFiles reads every *.yml and *.yaml file directly under
// .github/workflows at ref ("" = default branch). A repository without the
// directory has none (nil, nil). Files above 1 MiB or that are not files
// (symlinks, submodules) are an error naming them (ErrWorkflowFile), and
// none is read then. Subdirectories are passed over: Actions reads none.
//
// It makes one request for the directory and one per workflow file. Give a
// commit SHA for ref to read every file at the same commit: a branch may
// move between the requests.
func (c *Client) WorkflowFiles(ctx context.Context, repo Repo, ref string) ([]WorkflowFile, error) {
	at := ref
	if at == "" {
		at = "the default branch"
	}
	op := fmt.Sprintf("listing %s of %s at %s", WorkflowsDir, repo, at)
	opts := &gh.RepositoryContentGetOptions{Ref: ref}
	file, dir, _, err := c.gh.Repositories.GetContents(ctx, repo.Owner, repo.Name, WorkflowsDir, opts)
	if err != nil {
		ferr := c.fail(op, err)
		var e *Error
		// GitHub answers 404 for a ref it does not know too; that is no
		// repository without workflows.
		if errors.Is(ferr, ErrNotFound) && errors.As(ferr, &e) && !strings.HasPrefix(e.Message, "No commit found") {
			return nil, nil
		}
		return nil, ferr
	}
	if file != nil {
		return nil, fmt.Errorf("%s: %w: %s is a %s, not a directory", op, ErrWorkflowFile, WorkflowsDir, file.GetType())
	}
	if len(dir) >= maxDirEntries {
		return nil, fmt.Errorf("%s: %w: GitHub lists at most %d entries of a directory", op, ErrIncomplete, maxDirEntries)
	}
	var paths, refused []string
	for _, e := range dir {
		if !isWorkflowName(e.GetName()) {
			continue
		}
		switch typ := e.GetType(); {
		case typ == "dir":
			// Actions reads no subdirectory, whatever its name.
		case typ == "file" && e.DownloadURL == nil:
			// GitHub lists a submodule as a file without a download URL.
			refused = append(refused, e.GetPath()+" is a submodule")
		case typ == "file" && e.GetSize() > MaxWorkflowFileSize:
			refused = append(refused, fmt.Sprintf("%s is %d bytes, above %d", e.GetPath(), e.GetSize(), MaxWorkflowFileSize))
		case typ == "file":
			paths = append(paths, e.GetPath())
		default:
			refused = append(refused, fmt.Sprintf("%s is a %s", e.GetPath(), typ))
		}
	}
	if len(refused) > 0 {
		return nil, workflowFileError(repo, at, refused)
	}
	slices.Sort(paths)
	var out []WorkflowFile
	for _, p := range paths {
		fc, dc, _, err := c.gh.Repositories.GetContents(ctx, repo.Owner, repo.Name, p, opts)
		if err != nil {
			return nil, c.fail(fmt.Sprintf("reading %s of %s at %s", p, repo, at), err)
		}
		// What the listing said may not be what GitHub serves: a symlink to
		// a file comes back as that file, a submodule as a submodule.
		switch {
		case fc == nil:
			refused = append(refused, fmt.Sprintf("%s is a directory (%d entries)", p, len(dc)))
			continue
		case fc.GetType() != "file":
			refused = append(refused, fmt.Sprintf("%s is a %s", p, fc.GetType()))
			continue
		case fc.GetPath() != p:
			refused = append(refused, fmt.Sprintf("%s is a symlink to %s", p, fc.GetPath()))
			continue
		case fc.GetSize() > MaxWorkflowFileSize:
			refused = append(refused, fmt.Sprintf("%s is %d bytes, above %d", p, fc.GetSize(), MaxWorkflowFileSize))
			continue
		}
		text, err := fc.GetContent()
		if err != nil {
			return nil, c.fail(fmt.Sprintf("reading %s of %s at %s", p, repo, at), fmt.Errorf("%w: %w", ErrMalformed, err))
		}
		out = append(out, WorkflowFile{Path: p, Data: []byte(text)})
	}
	if len(refused) > 0 {
		return nil, workflowFileError(repo, at, refused)
	}
	return out, nil
}

func workflowFileError(repo Repo, at string, refused []string) error {
	return fmt.Errorf("reading the workflows of %s at %s: %w: %s", repo, at, ErrWorkflowFile, strings.Join(refused, "; "))
}

// isWorkflowName reports whether a file name is a workflow's: .yml or
// .yaml, in any case (relproof reads a file Actions might run rather than
// miss one).
func isWorkflowName(name string) bool {
	n := strings.ToLower(name)
	return strings.HasSuffix(n, ".yml") || strings.HasSuffix(n, ".yaml")
}

// OrgRepository is a repository of an organization, as the audit needs it.
type OrgRepository struct {
	Repo          Repo
	DefaultBranch string
	Archived      bool
	Fork          bool
	Private       bool
}

// maxOrgPages bounds OrgRepos: 50,000 repositories.
const maxOrgPages = 500

// OrgRepos lists every repository of org (all pages, 100 per page),
// archived ones included (the caller filters). It makes one request per
// page; the pages are sorted by name, which a repository created while they
// are read does not reorder.
func (c *Client) OrgRepos(ctx context.Context, org string) ([]OrgRepository, error) {
	op := fmt.Sprintf("listing the repositories of %s", org)
	opts := &gh.RepositoryListByOrgOptions{Type: "all", Sort: "full_name", Direction: "asc", ListOptions: gh.ListOptions{PerPage: 100}}
	out := []OrgRepository{}
	seen := map[string]bool{}
	for page := 0; ; page++ {
		if page == maxOrgPages {
			return out, fmt.Errorf("%s: %w: more than %d pages", op, ErrIncomplete, maxOrgPages)
		}
		rs, resp, err := c.gh.Repositories.ListByOrg(ctx, org, opts)
		if err != nil {
			return out, c.fail(op, err)
		}
		for _, r := range rs {
			repo := Repo{Owner: r.GetOwner().GetLogin(), Name: r.GetName()}
			if repo.Owner == "" || repo.Name == "" {
				var err error
				if repo, err = ParseRepo(r.GetFullName()); err != nil {
					return out, c.fail(op, fmt.Errorf("%w: a repository without a name: %w", ErrMalformed, err))
				}
			}
			// A repository renamed between pages may be listed twice.
			if key := strings.ToLower(repo.String()); !seen[key] {
				seen[key] = true
				out = append(out, OrgRepository{Repo: repo, DefaultBranch: r.GetDefaultBranch(), Archived: r.GetArchived(), Fork: r.GetFork(), Private: r.GetPrivate()})
			}
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// RecentDeployments lists the newest n deployments of the repository, all
// environments, newest first, each with relproof's payload digest when it
// has one (Deployment.Digest "" otherwise). It reads no statuses
// (Deployment.Statuses is nil) and makes one request per 100 deployments:
// one for n <= 100.
func (c *Client) RecentDeployments(ctx context.Context, repo Repo, n int) ([]Deployment, error) {
	out := []Deployment{}
	if n <= 0 {
		return out, nil
	}
	opts := &gh.DeploymentsListOptions{ListOptions: gh.ListOptions{PerPage: min(n, deploymentsPerPage)}}
	for len(out) < n {
		deps, resp, err := c.gh.Repositories.ListDeployments(ctx, repo.Owner, repo.Name, opts)
		if err != nil {
			return out, c.fail(fmt.Sprintf("listing the deployments of %s", repo), err)
		}
		for _, d := range deps {
			if len(out) == n {
				break
			}
			p := payloadOf(d.Payload)
			out = append(out, Deployment{
				Repository:     repo.String(),
				ID:             d.GetID(),
				URL:            d.GetURL(),
				Environment:    d.GetEnvironment(),
				Ref:            d.GetRef(),
				SHA:            d.GetSHA(),
				Digest:         p.Digest,
				Subject:        p.Subject,
				RollbackDigest: p.RollbackDigest,
				Creator:        d.GetCreator().GetLogin(),
				CreatedAt:      d.GetCreatedAt().UTC(),
			})
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return out, nil
}
