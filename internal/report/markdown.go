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
	fmt.Fprintf(&b, "%s `%s` → **%s**\n\n", verdict, safe.Code(d.Digest), escape(d.Environment))
	source := ""
	if d.PolicySource != "" {
		source = " from " + escape(d.PolicySource)
	}
	fmt.Fprintf(&b, "Subject `%s` · policy `%s`%s · %s\n\n", safe.Code(d.Subject), safe.Code(d.PolicyDigest), source, d.Time.UTC().Format("2006-01-02 15:04:05Z"))
	b.WriteString(sourceLine(d.Source))

	b.WriteString("### The six questions\n\n| # | question | answer | checks |\n|---|---|---|---|\n")
	for q := 1; q <= 6; q++ {
		var ids []string
		n := 0
		for _, c := range d.Checks {
			if c.Question != q {
				continue
			}
			if n++; n <= cellLimit {
				ids = append(ids, icons[c.Status]+" "+escape(c.ID))
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
			fmt.Fprintf(&b, "- **%s** (question %d): %s", escape(c.ID), c.Question, escape(c.Message))
			if c.Fix != "" {
				fmt.Fprintf(&b, " — *%s*", escape(c.Fix))
			}
			b.WriteString("\n")
		}
	}

	b.WriteString(everyCheck(d.Checks))

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
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s |\n", escape(e.Type), safe.Code(short(e.Digest)), escape(e.Signer), t)
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

// sourceLine says where the release came from, as the verified provenance
// the decision counted says it, or that none says.
func sourceLine(s *gate.Source) string {
	if s == nil {
		return "Source: no verified provenance says where this was built from.\n\n"
	}
	var parts []string
	for _, f := range []struct{ name, value string }{{"Source", s.Repository}, {"ref", s.Ref}, {"commit", s.Commit}, {"builder", s.Builder}} {
		if f.value != "" {
			parts = append(parts, fmt.Sprintf("%s `%s`", f.name, safe.Code(f.value)))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "Source: not named")
	}
	return fmt.Sprintf("%s (from the verified provenance `%s`)\n\n", strings.Join(parts, " · "), safe.Code(short(s.Provenance)))
}

// everyCheck lists every check with what it found, collapsed: the six
// questions name the checks, this says what each one saw.
func everyCheck(checks []gate.Check) string {
	if len(checks) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n<details><summary>Every check and what it found (%d)</summary>\n\n", len(checks))
	b.WriteString("| # | check | status | message |\n|---|---|---|---|\n")
	for i, c := range checks {
		if i == listLimit {
			fmt.Fprintf(&b, "| … | and %d more | | |\n", len(checks)-listLimit)
			break
		}
		fmt.Fprintf(&b, "| %d | %s | %s %s | %s |\n", c.Question, escape(c.ID), icons[c.Status], c.Status, escape(c.Message))
	}
	b.WriteString("\n</details>\n")
	return b.String()
}

// Mermaid draws the decision's chain (ChainOf) as a flowchart: every node,
// coloured by its status, then every edge.
func Mermaid(d *gate.Decision) string {
	c := ChainOf(d)
	var b strings.Builder
	b.WriteString("```mermaid\nflowchart LR\n")
	for _, n := range c.Nodes {
		label := n.Label
		if n.Detail != "" {
			label += "<br/>" + safe.Mermaid(n.Detail)
		}
		fmt.Fprintf(&b, "  %s[\"%s<br/>%s\"]:::%s\n", n.ID, label, n.Status, className(n.Status))
	}
	for _, e := range c.Edges {
		fmt.Fprintf(&b, "  %s --> %s\n", e.From, e.To)
	}
	b.WriteString("  classDef pass fill:#dafbe1,stroke:#1a7f37,color:#0d3d1a\n")
	b.WriteString("  classDef fail fill:#ffebe9,stroke:#cf222e,color:#5c0a0f\n")
	b.WriteString("  classDef warn fill:#fff8c5,stroke:#9a6700,color:#3d2a00\n")
	b.WriteString("  classDef na fill:#f6f8fa,stroke:#8c959f,color:#24292f\n")
	b.WriteString("```\n")
	return b.String()
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
