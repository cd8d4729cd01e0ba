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
	if len(nodes) != 6 || edges != 5 {
		t.Errorf("chain has %d nodes and %d edges, want 6 and 5", len(nodes), edges)
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
