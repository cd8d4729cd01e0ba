package report

import (
	"fmt"
	"strings"

	"github.com/relproof/relproof/internal/gate"
	"github.com/relproof/relproof/internal/report/safe"
)

// MaxSummary is GitHub's limit on a check run summary or a step summary.
const MaxSummary = 65535

// listLimit bounds each list in a summary, cellLimit each table cell; the
// rest is counted, not shown.
const (
	listLimit = 40
	cellLimit = 8
)

var icons = map[gate.Status]string{gate.Pass: "✅", gate.Fail: "❌", gate.Warn: "⚠️", gate.NotApplicable: "➖"}

// Markdown renders the decision as the summary GitHub shows.
func Markdown(d *gate.Decision) string {
	var b strings.Builder
	if d.BreakGlass {
		fmt.Fprintf(&b, "> [!CAUTION]\n> **Break-glass deployment.** Policy checks failed and were overridden. Justification: %s\n\n", escape(d.Justification))
	}
	verdict := "❌ **deny**"
	switch {
	case d.Allowed() && d.BreakGlass:
		verdict = "⚠️ **allow (break-glass)**"
	case d.Allowed():
		verdict = "✅ **allow**"
	case d.IsPending():
		verdict = "⏳ **awaiting approval** of"
	}
	fmt.Fprintf(&b, "%s `%s` → **%s**\n\n", verdict, d.Digest, escape(d.Environment))
	source := ""
	if d.PolicySource != "" {
		source = " from " + escape(d.PolicySource)
	}
	fmt.Fprintf(&b, "Subject `%s` · policy `%s`%s · %s\n\n", d.Subject, d.PolicyDigest, source, d.Time.UTC().Format("2006-01-02 15:04:05Z"))

	b.WriteString("### The six questions\n\n| # | question | answer | checks |\n|---|---|---|---|\n")
	for q := 1; q <= 6; q++ {
		var ids []string
		n := 0
		for _, c := range d.Checks {
			if c.Question != q {
				continue
			}
			if n++; n <= cellLimit {
				ids = append(ids, icons[c.Status]+" "+c.ID)
			}
		}
		if n > cellLimit {
			ids = append(ids, fmt.Sprintf("+%d more", n-cellLimit))
		}
		fmt.Fprintf(&b, "| %d | %s | %s %s | %s |\n", q, gate.Questions[q], icons[d.QuestionStatus(q)], d.QuestionStatus(q), strings.Join(ids, "<br>"))
	}

	if failed := d.Failed(); len(failed) > 0 {
		b.WriteString("\n### What failed\n\n")
		for i, c := range failed {
			if i == listLimit {
				fmt.Fprintf(&b, "- … and %d more\n", len(failed)-listLimit)
				break
			}
			fmt.Fprintf(&b, "- **%s** (question %d): %s", c.ID, c.Question, escape(c.Message))
			if c.Fix != "" {
				fmt.Fprintf(&b, " — *%s*", escape(c.Fix))
			}
			b.WriteString("\n")
		}
	}

	b.WriteString("\n### Evidence\n\n")
	if len(d.Evidence) == 0 {
		b.WriteString("No verified evidence for this digest.\n")
	} else {
		b.WriteString("| type | bundle digest | signer | time |\n|---|---|---|---|\n")
		for i, e := range d.Evidence {
			if i == listLimit {
				fmt.Fprintf(&b, "| … | and %d more | | |\n", len(d.Evidence)-listLimit)
				break
			}
			t := ""
			if !e.Time.IsZero() {
				t = e.Time.UTC().Format("2006-01-02 15:04Z")
			}
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s |\n", e.Type, short(e.Digest), escape(e.Signer), t)
		}
	}

	b.WriteString("\n### The chain\n\n")
	b.WriteString(Mermaid(d))

	out := b.String()
	if len(out) > MaxSummary {
		const cut = "\n\n… (summary cut at GitHub's limit; the full decision is in the decision file)\n"
		out = out[:MaxSummary-len(cut)] + cut
	}
	return out
}

// chainNodes are the chain's steps and the questions that colour them.
var chainNodes = []struct {
	id, label string
	status    func(*gate.Decision) gate.Status
}{
	{"source", "Source change", q(gate.QSource)},
	{"build", "Build and provenance", q(gate.QProvenance)},
	{"artifact", "Artifact", q(gate.QDigest)},
	{"attestations", "Tests and scans", worst(gate.QTestsScans, gate.QFindings)},
	{"approval", "Approval", check("approvals")},
	{"deploy", "Deploy", func(d *gate.Decision) gate.Status {
		if d.IsPending() {
			return gate.Warn
		}
		if d.Allowed() {
			if d.BreakGlass {
				return gate.Warn
			}
			return gate.Pass
		}
		return gate.Fail
	}},
}

// Mermaid draws the chain source → build → artifact → attestations →
// approval → deploy, each node coloured by the status of what it stands for.
func Mermaid(d *gate.Decision) string {
	var b strings.Builder
	b.WriteString("```mermaid\nflowchart LR\n")
	for i, n := range chainNodes {
		label := n.label
		switch n.id {
		case "artifact":
			label += "<br/>" + short(d.Digest)
		case "deploy":
			label += " to " + mermaidText(d.Environment) + "<br/>" + d.Decision
		}
		st := n.status(d)
		fmt.Fprintf(&b, "  %s[\"%s<br/>%s\"]:::%s\n", n.id, label, st, className(st))
		if i > 0 {
			fmt.Fprintf(&b, "  %s --> %s\n", chainNodes[i-1].id, n.id)
		}
	}
	b.WriteString("  classDef pass fill:#dafbe1,stroke:#1a7f37,color:#0d3d1a\n")
	b.WriteString("  classDef fail fill:#ffebe9,stroke:#cf222e,color:#5c0a0f\n")
	b.WriteString("  classDef warn fill:#fff8c5,stroke:#9a6700,color:#3d2a00\n")
	b.WriteString("  classDef na fill:#f6f8fa,stroke:#8c959f,color:#24292f\n")
	b.WriteString("```\n")
	return b.String()
}

func q(n int) func(*gate.Decision) gate.Status {
	return func(d *gate.Decision) gate.Status { return d.QuestionStatus(n) }
}

func worst(qs ...int) func(*gate.Decision) gate.Status {
	rank := map[gate.Status]int{gate.NotApplicable: 0, gate.Pass: 1, gate.Warn: 2, gate.Fail: 3}
	return func(d *gate.Decision) gate.Status {
		w := gate.NotApplicable
		for _, n := range qs {
			if s := d.QuestionStatus(n); rank[s] > rank[w] {
				w = s
			}
		}
		return w
	}
}

// check is the status of the checks with this id (not-applicable if none).
func check(id string) func(*gate.Decision) gate.Status {
	return func(d *gate.Decision) gate.Status {
		st := gate.NotApplicable
		for _, c := range d.Checks {
			if c.ID == id {
				st = c.Status
			}
		}
		return st
	}
}

func className(s gate.Status) string {
	if s == gate.NotApplicable {
		return "na"
	}
	return string(s)
}

// short is "sha256:0123456789ab…" for tables and nodes.
func short(digest string) string {
	alg, h, ok := strings.Cut(digest, ":")
	if !ok || len(h) <= 12 {
		return digest
	}
	return alg + ":" + h[:12] + "…"
}

// escape keeps text from outside (messages quote evidence) from breaking
// a Markdown line or table, or opening a link, an image or HTML.
func escape(s string) string { return safe.Markdown(s) }

// mermaidText keeps user text inside a quoted Mermaid label.
func mermaidText(s string) string {
	return strings.NewReplacer(`"`, "'", "[", "(", "]", ")", "<", "&lt;", ">", "&gt;").Replace(safe.Text(s))
}
