package adopt

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Permissions is a GITHUB_TOKEN grant, scope to level ("read", "write",
// "none"), as a workflow or job writes it; nil when it writes none.
type Permissions map[string]string

// tokenScopes are the GITHUB_TOKEN's permission scopes, for read-all and
// write-all.
var tokenScopes = []string{"actions", "attestations", "checks", "contents", "deployments", "discussions", "id-token", "issues",
	"models", "packages", "pages", "pull-requests", "repository-projects", "security-events", "statuses"}

// readPermissions reads a permissions: value; nil when there is none.
func readPermissions(n *yaml.Node) Permissions {
	switch {
	case n == nil:
		return nil
	case n.Kind == yaml.ScalarNode:
		level := strings.TrimSuffix(n.Value, "-all") // read-all, write-all
		p := Permissions{}
		if level == "read" || level == "write" {
			for _, s := range tokenScopes {
				p[s] = level
			}
		}
		return p
	case n.Kind == yaml.MappingNode:
		p := Permissions{}
		for k, v := range stringMap(n) {
			p[k] = v
		}
		return p
	}
	return Permissions{}
}

// restrictedToken is what a job that grants nothing gets where the
// repository's default token is read-only, the default for new
// repositories and organizations.
var restrictedToken = Permissions{"contents": "read", "packages": "read"}

func level(v string) int {
	switch v {
	case "read":
		return 1
	case "write":
		return 2
	}
	return 0
}

// reusableAsks is what the jobs of relproof's reusable workflows ask their
// GITHUB_TOKEN for, at the most of each scope. GitHub checks every job of a
// called workflow, a skipped one too, against what the calling job grants
// before the run starts, and refuses to start it when one asks for more
// ("The nested job ... is requesting ..., but is only allowed ...").
// TestReusableAsksAreTheWorkflows holds it to .github/workflows.
var reusableAsks = map[string]Permissions{
	"build-attest.yml": {"contents": "read", "id-token": "write", "packages": "write", "attestations": "write"},
	"deploy-gate.yml": {"contents": "read", "actions": "read", "deployments": "read", "pull-requests": "read", "checks": "write",
		"id-token": "write", "packages": "write", "attestations": "read"},
	"release-record.yml": {"contents": "read", "deployments": "write", "id-token": "write", "packages": "write", "actions": "read",
		"pull-requests": "read", "attestations": "write"},
	"audit.yml": {"contents": "read", "checks": "write", "security-events": "write", "actions": "read", "deployments": "read", "attestations": "read"},
}

// PermissionLines says, for every job of workflows that calls one of
// relproof's reusable workflows, whether it grants what that workflow's
// jobs ask for: a run whose calling job grants less does not start.
func PermissionLines(workflows []*Workflow) []Line {
	var out []Line
	for _, w := range workflows {
		for _, j := range w.Jobs {
			name, _ := action(j.Uses)
			file, ok := strings.CutPrefix(name, relproof+"/.github/workflows/")
			asks := reusableAsks[file]
			if !ok || asks == nil {
				continue
			}
			granted, from := j.Permissions, "grants"
			if granted == nil {
				granted, from = w.Permissions, "is granted by the workflow"
			}
			if granted == nil {
				granted, from = restrictedToken, "grants nothing, so gets the read-only default token"
			}
			var short []string
			for _, s := range slices.Sorted(maps.Keys(asks)) {
				if level(granted[s]) < level(asks[s]) {
					short = append(short, fmt.Sprintf("%s: %s (%s %s)", s, asks[s], from, orNone(granted[s])))
				}
			}
			l := Line{Requirement: "permissions", Status: OK, Message: fmt.Sprintf("%s:%d: job %s grants what %s asks for", w.Path, j.Line, j.ID, file)}
			if len(short) > 0 {
				l.Status = Missing
				l.Message = fmt.Sprintf("%s:%d: job %s calls %s, whose jobs ask for %s; GitHub refuses to start the run (add them to the job's permissions: the jobs still get only what each asks for)",
					w.Path, j.Line, j.ID, file, strings.Join(short, ", "))
			}
			out = append(out, l)
		}
	}
	return out
}

func orNone(v string) string {
	if v == "" {
		return "none"
	}
	return v
}
