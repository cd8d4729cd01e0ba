package attest

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	slsa "github.com/in-toto/attestation/go/predicates/provenance/v1"
	intoto "github.com/in-toto/attestation/go/v1"
	"github.com/sethvargo/go-githubactions"
	"google.golang.org/protobuf/types/known/structpb"
)

// Build types and builder ids relproof writes into provenance.
const (
	// GitHubWorkflowBuildType is the build type GitHub's own artifact
	// attestations use, so verifiers that know it read ours the same way.
	GitHubWorkflowBuildType = "https://actions.github.io/buildtypes/workflow/v1"
	// LocalBuildType marks provenance made outside CI from a git work tree.
	LocalBuildType = "https://relproof.dev/buildtypes/local/v1"
	// LocalBuilderID is the builder id of a local build: no CI vouches for it.
	LocalBuilderID = "https://relproof.dev/builders/local"
)

// ProvenanceInput is where build provenance comes from.
type ProvenanceInput struct {
	// Getenv reads the environment (os.Getenv, or a map in tests).
	Getenv func(string) string
	// Dir is searched upward for the git repository of a local build.
	Dir string
	// BuilderID overrides the builder id. In a reusable workflow the
	// environment names the caller's workflow, not the reusable one; the
	// reusable workflow passes its own ref here.
	BuilderID string
}

// Provenance returns a SLSA v1 provenance predicate: from the GitHub Actions
// environment when GITHUB_ACTIONS is "true", else from the local git
// repository at in.Dir.
func Provenance(in ProvenanceInput) (*slsa.Provenance, error) {
	if in.Getenv == nil {
		return nil, errors.New("provenance: no environment given")
	}
	var p *slsa.Provenance
	var err error
	if in.Getenv("GITHUB_ACTIONS") == "true" {
		p, err = actionsProvenance(in.Getenv)
	} else {
		p, err = localProvenance(in.Dir)
	}
	if err != nil {
		return nil, err
	}
	if in.BuilderID != "" {
		p.RunDetails.Builder.Id = in.BuilderID
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	return p, nil
}

// actionsProvenance follows GitHub's workflow build type: the workflow file
// and ref are the external parameters, the source commit the resolved
// dependency, the run attempt the invocation.
func actionsProvenance(getenv func(string) string) (*slsa.Provenance, error) {
	ctx, err := githubactions.New(githubactions.WithGetenv(getenv)).Context()
	if err != nil {
		return nil, fmt.Errorf("reading the GitHub Actions environment: %w", err)
	}
	var missing []string
	for _, name := range []string{"GITHUB_REPOSITORY", "GITHUB_SHA", "GITHUB_REF", "GITHUB_WORKFLOW_REF", "GITHUB_RUN_ID", "GITHUB_RUN_ATTEMPT"} {
		if getenv(name) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("GITHUB_ACTIONS is true but %s not set: cannot say what was built", strings.Join(missing, ", "))
	}
	server := strings.TrimSuffix(ctx.ServerURL, "/")
	repoURL := server + "/" + ctx.Repository
	workflowRef := getenv("GITHUB_WORKFLOW_REF") // OWNER/REPO/.github/workflows/F.yml@REF
	path, _, ok := strings.Cut(strings.TrimPrefix(workflowRef, ctx.Repository+"/"), "@")
	if !ok {
		return nil, fmt.Errorf("GITHUB_WORKFLOW_REF %q: expected OWNER/REPO/PATH@REF", workflowRef)
	}
	external, err := structpb.NewStruct(map[string]any{
		"workflow": map[string]any{
			"ref":        ctx.Ref,
			"repository": repoURL,
			"path":       path,
		},
	})
	if err != nil {
		return nil, err
	}
	github := map[string]any{
		"event_name":          ctx.EventName,
		"repository_id":       getenv("GITHUB_REPOSITORY_ID"),
		"repository_owner_id": getenv("GITHUB_REPOSITORY_OWNER_ID"),
		"runner_environment":  getenv("RUNNER_ENVIRONMENT"),
	}
	for k, v := range map[string]string{"runner_os": getenv("RUNNER_OS"), "runner_arch": getenv("RUNNER_ARCH"), "runner_name": getenv("RUNNER_NAME"), "actor": ctx.Actor, "triggering_actor": ctx.TriggeringActor} {
		if v != "" {
			github[k] = v
		}
	}
	internal, err := structpb.NewStruct(map[string]any{"github": github})
	if err != nil {
		return nil, err
	}
	return &slsa.Provenance{
		BuildDefinition: &slsa.BuildDefinition{
			BuildType:          GitHubWorkflowBuildType,
			ExternalParameters: external,
			InternalParameters: internal,
			ResolvedDependencies: []*intoto.ResourceDescriptor{{
				Uri:    "git+" + repoURL + "@" + ctx.Ref,
				Digest: map[string]string{"gitCommit": ctx.SHA},
			}},
		},
		RunDetails: &slsa.RunDetails{
			Builder: &slsa.Builder{Id: server + "/" + workflowRef},
			Metadata: &slsa.BuildMetadata{
				InvocationId: fmt.Sprintf("%s/actions/runs/%d/attempts/%d", repoURL, ctx.RunID, ctx.RunAttempt),
			},
		},
	}, nil
}

// localProvenance describes a build from a git work tree: which commit, on
// which ref, whether the tree had uncommitted changes. No CI vouches for it,
// and the builder id says so.
func localProvenance(dir string) (*slsa.Provenance, error) {
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return nil, fmt.Errorf("local provenance: %s is not in a git repository (outside GitHub Actions, provenance comes from the local git repository): %w", dir, err)
	}
	head, err := repo.Head()
	if err != nil {
		return nil, fmt.Errorf("local provenance: reading HEAD of the git repository at %s: %w", dir, err)
	}
	ref := head.Name().String()
	if head.Name() == plumbing.HEAD {
		ref = "HEAD" // detached
	}
	source := "file://" + dir
	if wt, err := repo.Worktree(); err == nil {
		source = "file://" + wt.Filesystem.Root()
	}
	if origin, err := repo.Remote("origin"); err == nil && len(origin.Config().URLs) > 0 {
		source = redactURL(origin.Config().URLs[0])
	}
	dirty, err := isDirty(repo)
	if err != nil {
		return nil, fmt.Errorf("local provenance: reading work tree status: %w", err)
	}
	external, err := structpb.NewStruct(map[string]any{
		"source": map[string]any{"repository": source, "ref": ref},
	})
	if err != nil {
		return nil, err
	}
	internal, err := structpb.NewStruct(map[string]any{"worktreeDirty": dirty})
	if err != nil {
		return nil, err
	}
	return &slsa.Provenance{
		BuildDefinition: &slsa.BuildDefinition{
			BuildType:          LocalBuildType,
			ExternalParameters: external,
			InternalParameters: internal,
			ResolvedDependencies: []*intoto.ResourceDescriptor{{
				Uri:    "git+" + source + "@" + ref,
				Digest: map[string]string{"gitCommit": head.Hash().String()},
			}},
		},
		RunDetails: &slsa.RunDetails{Builder: &slsa.Builder{Id: LocalBuilderID}},
	}, nil
}

func isDirty(repo *git.Repository) (bool, error) {
	wt, err := repo.Worktree()
	if err != nil {
		if errors.Is(err, git.ErrIsBareRepository) {
			return false, nil
		}
		return false, err
	}
	st, err := wt.Status()
	if err != nil {
		return false, err
	}
	return !st.IsClean(), nil
}

// redactURL drops credentials from a remote URL (https://TOKEN@host/...).
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = nil
	return u.String()
}
