package report

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/relproof/relproof/internal/gate"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var when = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func decision(verdict string, checks ...gate.Check) *gate.Decision {
	return &gate.Decision{
		Decision:     verdict,
		Subject:      "ghcr.io/acme/app@sha256:" + strings.Repeat("ab", 32),
		Digest:       "sha256:" + strings.Repeat("ab", 32),
		Environment:  "production",
		PolicyDigest: "sha256:" + strings.Repeat("cd", 32),
		Time:         when,
		Checks:       checks,
		Source: &gate.Source{
			Repository: "https://github.com/acme/app", Ref: "refs/heads/main", Commit: "0123456789abcdef0123456789abcdef01234567",
			Builder: "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main", Provenance: "sha256:" + strings.Repeat("01", 32),
		},
		RollbackDigest: "sha256:" + strings.Repeat("ef", 32),
		Evidence: []gate.Evidence{
			{Type: "provenance", PredicateType: "https://slsa.dev/provenance/v1", Digest: "sha256:" + strings.Repeat("01", 32), Signer: "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main", Time: when.Add(-time.Hour)},
			{Type: "test", PredicateType: "https://in-toto.io/attestation/test-result/v0.1", Digest: "sha256:" + strings.Repeat("02", 32), Signer: "key abc="},
		},
	}
}

var allPass = []gate.Check{
	{Question: 1, ID: "subject-pinned", Status: gate.Pass, Message: "digest pinned"},
	{Question: 1, ID: "approvals", Status: gate.Pass, Message: "1 approval for this digest"},
	{Question: 2, ID: "source-repository", Status: gate.Pass, Message: "github.com/acme/app"},
	{Question: 3, ID: "builder", Status: gate.Pass, Message: "trusted builder"},
	{Question: 4, ID: "required-test", Status: gate.Pass, Message: "tests passed"},
	{Question: 5, ID: "vulnerabilities", Status: gate.Pass, Message: "no finding above high"},
	{Question: 6, ID: "rollback", Status: gate.Pass, Message: "rollback to sha256:…"},
}

func TestMarkdownGolden(t *testing.T) {
	t.Parallel()
	failing := append([]gate.Check{}, allPass...)
	failing[4] = gate.Check{Question: 4, ID: "required-vuln", Status: gate.Fail, Message: "no vulnerability scan for sha256:abab… (a scan for sha256:9999… does not count)", Fix: "scan the exact digest and attest the report"}
	failing[5] = gate.Check{Question: 5, ID: "vulnerabilities", Status: gate.Warn, Message: "CVE-2026-1 | excepted until 2026-12-01"}
	glass := decision("allow", failing...)
	glass.BreakGlass = true
	glass.Justification = "INC-42: payment outage | hotfix"
	for name, d := range map[string]*gate.Decision{
		"allow":       decision("allow", allPass...),
		"deny":        decision("deny", failing...),
		"break-glass": glass,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := Markdown(d)
			golden := filepath.Join("testdata", name+".md")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/report/ -update)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("summary differs from %s (-want +got):\n%s", golden, diff)
			}
			checkMermaid(t, got)
		})
	}
}

// checkMermaid parses the flowchart block: a header, node definitions with
// a known class, edges between defined nodes, class definitions. It is the
// subset of Mermaid's grammar the summary uses, checked line by line.
func checkMermaid(t *testing.T, md string) {
	t.Helper()
	start := strings.Index(md, "```mermaid\n")
	if start < 0 {
		t.Fatal("no mermaid block")
	}
	body := md[start+len("```mermaid\n"):]
	end := strings.Index(body, "```")
	if end < 0 {
		t.Fatal("mermaid block not closed")
	}
	lines := strings.Split(strings.TrimSuffix(body[:end], "\n"), "\n")
	if lines[0] != "flowchart LR" {
		t.Fatalf("mermaid header = %q", lines[0])
	}
	var (
		node     = regexp.MustCompile(`^  ([a-z]+)\["([^"\n\[\]]*)"\]:::([a-z]+)$`)
		edge     = regexp.MustCompile(`^  ([a-z]+) --> ([a-z]+)$`)
		classDef = regexp.MustCompile(`^  classDef ([a-z]+) ([a-z-]+:#[0-9a-f]{6})(,[a-z-]+:#[0-9a-f]{6})*$`)
	)
	nodes, used, defined := map[string]bool{}, map[string]bool{}, map[string]bool{}
	edges := 0
	for i, l := range lines[1:] {
		switch {
		case node.MatchString(l):
			m := node.FindStringSubmatch(l)
			nodes[m[1]], used[m[3]] = true, true
		case edge.MatchString(l):
			m := edge.FindStringSubmatch(l)
			if !nodes[m[1]] || !nodes[m[2]] {
				t.Errorf("line %d: edge between undefined nodes: %q", i+2, l)
			}
			edges++
		case classDef.MatchString(l):
			defined[classDef.FindStringSubmatch(l)[1]] = true
		default:
			t.Errorf("line %d is not valid flowchart syntax: %q", i+2, l)
		}
	}
	for c := range used {
		if !defined[c] {
			t.Errorf("class %q used but not defined", c)
		}
	}
	if len(nodes) != 7 || edges != 6 {
		t.Errorf("chain has %d nodes and %d edges, want 7 and 6", len(nodes), edges)
	}
}

// Long lists are summarised so the summary stays under GitHub's limit.
func TestMarkdownStaysUnderGitHubLimit(t *testing.T) {
	t.Parallel()
	d := decision("deny")
	for i := 0; i < 5000; i++ {
		d.Checks = append(d.Checks, gate.Check{Question: 1 + i%6, ID: fmt.Sprintf("rule-%d", i), Status: gate.Fail, Message: strings.Repeat("x", 200)})
		d.Evidence = append(d.Evidence, gate.Evidence{Type: "custom", Digest: "sha256:" + strings.Repeat("0", 64)})
	}
	got := Markdown(d)
	if len(got) > MaxSummary {
		t.Fatalf("summary is %d characters, over GitHub's %d", len(got), MaxSummary)
	}
	if !strings.Contains(got, "… and 4960 more") {
		t.Error("long lists are not summarised")
	}
	if !strings.HasPrefix(got, "❌ **deny** `sha256:") {
		t.Errorf("the verdict and digest are not first: %q", got[:60])
	}
}

func TestMermaidEscapesEnvironment(t *testing.T) {
	t.Parallel()
	d := decision("deny")
	d.Environment = `prod"] --> x["evil`
	checkMermaid(t, Markdown(d))
}

// Where the release came from is said near the top, from the decision's
// verified provenance, and that nothing says it when no provenance counted.
func TestMarkdownSourceNearTop(t *testing.T) {
	t.Parallel()
	got := Markdown(decision("allow", allPass...))
	at, questions := strings.Index(got, "Source `https://github.com/acme/app` · ref `refs/heads/main` · commit `0123456789abcdef0123456789abcdef01234567`"), strings.Index(got, "### The six questions")
	if at < 0 || at > questions {
		t.Errorf("the source is not named before the six questions:\n%s", got)
	}
	d := decision("deny", allPass...)
	d.Source = nil
	if got := Markdown(d); !strings.Contains(got, "Source: no verified provenance says where this was built from.") {
		t.Errorf("a decision without a source does not say so:\n%s", got)
	}
}

// On allow, every check's message is in the summary, collapsed; text that
// came from outside cannot close the block, open HTML or break the table.
func TestMarkdownEveryCheckMessage(t *testing.T) {
	t.Parallel()
	checks := append([]gate.Check{}, allPass...)
	checks = append(checks, gate.Check{Question: 5, ID: "rule:no|pipe", Status: gate.Pass, Message: "</details><img src=x onerror=alert(1)> | cell\n::error::pwned"})
	got := Markdown(decision("allow", checks...))
	open, end := strings.Index(got, "<details><summary>Every check and what it found (8)</summary>"), strings.Index(got, "</details>")
	if open < 0 || end < open {
		t.Fatalf("no collapsed list of the checks:\n%s", got)
	}
	block := got[open:end]
	for _, c := range allPass {
		if !strings.Contains(block, "| "+c.ID+" | ✅ pass | "+c.Message+" |") {
			t.Errorf("check %s and its message %q are not listed:\n%s", c.ID, c.Message, block)
		}
	}
	if !strings.Contains(block, `| rule:no\|pipe | ✅ pass | &lt;/details&gt;&lt;img src=x onerror=alert(1)&gt; \| cell ::error::pwned |`) {
		t.Errorf("the outside text is not escaped on one row:\n%s", block)
	}
	if n := strings.Count(got, "</details>"); n != 1 {
		t.Errorf("%d </details> in the summary, want the block's own", n)
	}
	if strings.Contains(got, "<img") || strings.Contains(got, "\n::error") {
		t.Errorf("outside text is quoted raw:\n%s", got)
	}
}

// The chain is source → build → artifact → evidence → approval →
// deployment → rollback, and the flowchart draws ChainOf: the same nodes,
// in the same order, joined one to the next.
func TestMermaidDrawsTheChain(t *testing.T) {
	t.Parallel()
	want := []string{"source", "build", "artifact", "evidence", "approval", "deployment", "rollback"}
	d := decision("allow", allPass...)
	c := ChainOf(d)
	var ids []string
	for i, n := range c.Nodes {
		ids = append(ids, n.ID)
		if i > 0 && (c.Edges[i-1] != Edge{From: want[i-1], To: want[i]}) {
			t.Errorf("edge %d = %+v, want %s --> %s", i-1, c.Edges[i-1], want[i-1], want[i])
		}
	}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("ChainOf nodes (-want +got):\n%s", diff)
	}
	node := regexp.MustCompile(`(?m)^  ([a-z]+)\["`)
	var drawn []string
	for _, m := range node.FindAllStringSubmatch(Mermaid(d), -1) {
		drawn = append(drawn, m[1])
	}
	if diff := cmp.Diff(want, drawn); diff != "" {
		t.Errorf("flowchart nodes (-want +got):\n%s", diff)
	}
}

// Outside text in a node — the source, the environment — stays inside its
// label: no quote, bracket, backtick or HTML gets through.
func TestMermaidEscapesSource(t *testing.T) {
	t.Parallel()
	d := decision("deny")
	d.Source.Repository = "github.com/evil/app\"] --> x[\"```\n<img src=x>"
	d.Source.Ref = "#60;script#62;"
	got := Markdown(d)
	checkMermaid(t, got)
	chart := got[strings.Index(got, "```mermaid"):]
	if strings.Contains(chart, "<img") || strings.Count(got, "```") != 2 {
		t.Errorf("the source breaks out of the flowchart:\n%s", chart)
	}
	// Above, in a code span, it is one line with no backtick to close it.
	if !strings.Contains(got, "Source `github.com/evil/app\"] --> x[\"''' <img src=x>` · ref `#60;script#62;`") {
		t.Errorf("the source line:\n%s", got)
	}
}
