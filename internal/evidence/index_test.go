package evidence

import (
	"regexp"
	"strings"
	"testing"

	"github.com/relproof/relproof/internal/report"
)

func chainIDs(c report.Chain) []string {
	var ids []string
	for _, n := range c.Nodes {
		ids = append(ids, n.ID)
	}
	return ids
}

// index.html and the Markdown summary draw one chain model: the same
// nodes, in the same order — source, build, artifact, evidence, approval,
// deployment, rollback.
func TestIndexAndSummaryDrawTheSameChain(t *testing.T) {
	t.Parallel()
	d, m := browserDecision()
	html, err := renderIndex(d, m)
	if err != nil {
		t.Fatal(err)
	}
	var page, summary []string
	for _, sm := range regexp.MustCompile(`<li class="[a-z-]+" data-step="([a-z]+)">`).FindAllStringSubmatch(string(html), -1) {
		page = append(page, sm[1])
	}
	for _, sm := range regexp.MustCompile(`(?m)^  ([a-z]+)\["`).FindAllStringSubmatch(report.Mermaid(d), -1) {
		summary = append(summary, sm[1])
	}
	want := "source build artifact evidence approval deployment rollback"
	if strings.Join(chainIDs(report.ChainOf(d)), " ") != want {
		t.Fatalf("ChainOf = %q, want %q", chainIDs(report.ChainOf(d)), want)
	}
	if strings.Join(page, " ") != want || strings.Join(summary, " ") != want {
		t.Errorf("index.html draws %q, the summary %q; want both %q", page, summary, want)
	}
}

// Text from outside on the page — the source, a check's message, the
// justification — is escaped and kept on one line.
func TestIndexEscapesOutsideText(t *testing.T) {
	t.Parallel()
	d, m := browserDecision()
	d.Source.Repository = "github.com/evil/app\n<img src=x onerror=alert(1)>\u202e"
	d.Checks[0].Message = "</div><script>alert(1)</script>"
	d.BreakGlass, d.Justification = true, "INC-1 <b>now</b>"
	html, err := renderIndex(d, m)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<img", "<script", "<b>now", "\u202e", "app\n"} {
		if strings.Contains(string(html), bad) {
			t.Errorf("index.html quotes %q raw", bad)
		}
	}
}
