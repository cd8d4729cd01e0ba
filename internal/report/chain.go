package report

import (
	"fmt"
	"strings"

	"github.com/relproof/relproof/internal/gate"
)

// Node is one step of the release chain: what it stands for, what it is
// for this decision (Detail, outside text that each rendering escapes for
// its own format) and the status of the checks that answer for it.
type Node struct {
	ID     string // a lowercase word, the same in every rendering
	Label  string
	Detail string
	Status gate.Status
}

// Edge joins two nodes of the chain, by ID.
type Edge struct{ From, To string }

// Chain is the release chain of one decision — source, build, artifact,
// evidence, approval, deployment, rollback — as the Markdown summary draws
// it (Mermaid) and the evidence pack's index.html lists it. Both draw
// ChainOf, so they show the same nodes in the same order.
type Chain struct {
	Nodes []Node
	Edges []Edge
}

// ChainOf is the chain of d: each node coloured by the checks that answer
// for it, each edge from one step to the next.
func ChainOf(d *gate.Decision) Chain {
	src := d.Source
	if src == nil {
		src = &gate.Source{}
	}
	nodes := []Node{
		{"source", "Source", sourceDetail(d.Source), d.QuestionStatus(gate.QSource)},
		{"build", "Build", orNone(workflowName(src.Builder), "no verified builder"), d.QuestionStatus(gate.QProvenance)},
		{"artifact", "Artifact", short(d.Digest), worstCheck(d, "subject-pinned", "subject-repository")},
		{"evidence", "Evidence", fmt.Sprintf("%d verified attestation(s)", len(d.Evidence)), worstOf(d.QuestionStatus(gate.QTestsScans), d.QuestionStatus(gate.QFindings))},
		{"approval", "Approval", "", worstCheck(d, "approvals")},
		{"deployment", "Deployment", "to " + d.Environment + ": " + d.Decision, deployStatus(d)},
		{"rollback", "Rollback", orNone(short(d.RollbackDigest), "no rollback digest"), d.QuestionStatus(gate.QRollback)},
	}
	c := Chain{Nodes: nodes}
	for i := 1; i < len(nodes); i++ {
		c.Edges = append(c.Edges, Edge{From: nodes[i-1].ID, To: nodes[i].ID})
	}
	return c
}

// sourceDetail is "REPOSITORY@REF COMMIT" as the verified provenance says.
func sourceDetail(s *gate.Source) string {
	if s == nil {
		return "no verified provenance"
	}
	out := strings.TrimPrefix(strings.TrimPrefix(s.Repository, "git+"), "https://")
	if s.Ref != "" {
		out += "@" + s.Ref
	}
	if s.Commit != "" {
		out += " " + shortCommit(s.Commit)
	}
	return orNone(strings.TrimSpace(out), "not named by the provenance")
}

// workflowName is a builder's workflow file and ref when the builder is a
// GitHub workflow (".../.github/workflows/release.yml@refs/heads/main" is
// "release.yml@refs/heads/main"), else the builder id.
func workflowName(builder string) string {
	if _, after, ok := strings.Cut(builder, "/.github/workflows/"); ok && after != "" {
		return after
	}
	return builder
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

func orNone(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

func deployStatus(d *gate.Decision) gate.Status {
	switch {
	case d.IsPending(), d.Allowed() && d.BreakGlass:
		return gate.Warn
	case d.Allowed():
		return gate.Pass
	}
	return gate.Fail
}

var statusRank = map[gate.Status]int{gate.NotApplicable: 0, gate.Pass: 1, gate.Warn: 2, gate.Fail: 3}

// worstOf is fail over warn over pass over not-applicable.
func worstOf(ss ...gate.Status) gate.Status {
	w := gate.NotApplicable
	for _, s := range ss {
		if statusRank[s] > statusRank[w] {
			w = s
		}
	}
	return w
}

// worstCheck is the worst status of the checks with these ids
// (not-applicable if none).
func worstCheck(d *gate.Decision, ids ...string) gate.Status {
	var ss []gate.Status
	for _, c := range d.Checks {
		for _, id := range ids {
			if c.ID == id {
				ss = append(ss, c.Status)
			}
		}
	}
	return worstOf(ss...)
}
