package audit

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/relproof/relproof/internal/report/safe"
)

// Sort orders the findings by file, line and rule, and the controls by
// area as the control matrix lists them.
func (r *Report) Sort() {
	sort.SliceStable(r.Findings, func(a, b int) bool {
		x, y := r.Findings[a], r.Findings[b]
		if x.File != y.File {
			return x.File < y.File
		}
		if x.Line != y.Line {
			return x.Line < y.Line
		}
		return x.Rule < y.Rule
	})
	order := map[Area]int{AreaSource: 0, AreaBuild: 1, AreaArtifact: 2, AreaDeployment: 3}
	sort.SliceStable(r.Controls, func(a, b int) bool { return order[r.Controls[a].Area] < order[r.Controls[b].Area] })
}

// Counts is how many findings there are of each severity.
func (r *Report) Counts() map[Severity]int {
	n := map[Severity]int{}
	for _, f := range r.Findings {
		n[f.Severity]++
	}
	return n
}

func (r *Report) countLine() string {
	n := r.Counts()
	return fmt.Sprintf("%d findings: %d high, %d medium, %d low", len(r.Findings), n[SeverityHigh], n[SeverityMedium], n[SeverityLow])
}

// WriteText writes the report for a terminal. Everything read from the
// repository is printed on one line each (safe.Text).
func (r *Report) WriteText(w io.Writer) error {
	head := "relproof audit of " + safe.Text(r.Repository)
	if r.Commit != "" {
		head += " at " + safe.Text(r.Commit)
	}
	fmt.Fprintln(w, head)
	if len(r.Controls) > 0 {
		fmt.Fprintln(w, "\ncontrols:")
		for _, c := range r.Controls {
			fmt.Fprintf(w, "  %-14s %-20s %s — %s\n", c.Level, string(c.Area), safe.Text(c.Title), safe.Text(strings.Join(c.Facts, "; ")))
			if c.Unknown != "" {
				fmt.Fprintf(w, "  %-14s %-20s could not be read: %s\n", "", "", safe.Text(c.Unknown))
			}
			if c.Next != "" {
				fmt.Fprintf(w, "  %-14s %-20s next: %s\n", "", "", safe.Text(c.Next))
			}
		}
	}
	if len(r.Findings) > 0 {
		fmt.Fprintln(w, "\nfindings:")
	}
	for _, f := range r.Findings {
		fmt.Fprintf(w, "  %s:%d: %s %s: %s\n", safe.Text(f.File), f.Line, f.Severity, f.Rule, safe.Text(f.Message))
	}
	_, err := fmt.Fprintf(w, "\n%s\n", r.countLine())
	return err
}

// WriteJSON writes the report as JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// maxMarkdown keeps a check run's summary under GitHub's 65535 characters.
const maxMarkdown = 60000

// Markdown renders the report for a check run's summary or a job summary.
// Text from the repository is escaped (safe.Markdown, safe.Code), so a
// step name cannot open a link, a table cell or HTML.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "## relproof audit: %s\n\n", safe.Markdown(r.Repository))
	if r.Commit != "" {
		fmt.Fprintf(&b, "At commit `%s`. ", safe.Code(r.Commit))
	}
	fmt.Fprintf(&b, "%s.\n\n", r.countLine())
	if len(r.Controls) > 0 {
		b.WriteString("### Controls\n\n| area | control | level | facts | next |\n|---|---|---|---|---|\n")
		for _, c := range r.Controls {
			facts := make([]string, 0, len(c.Facts)+1)
			for _, f := range c.Facts {
				facts = append(facts, safe.Markdown(f))
			}
			if c.Unknown != "" {
				facts = append(facts, "could not be read: "+safe.Markdown(c.Unknown))
			}
			fmt.Fprintf(&b, "| %s | %s | **%s** | %s | %s |\n", c.Area, safe.Markdown(c.Title), c.Level, strings.Join(facts, "<br>"), safe.Markdown(c.Next))
		}
		b.WriteString("\n")
	}
	if len(r.Findings) > 0 {
		b.WriteString("### Findings\n\n| severity | rule | where | what |\n|---|---|---|---|\n")
		for i, f := range r.Findings {
			if b.Len() > maxMarkdown {
				fmt.Fprintf(&b, "\n%d more findings are not shown here; the SARIF and JSON reports list them all.\n", len(r.Findings)-i)
				break
			}
			rule, _ := RuleByID(f.Rule)
			fmt.Fprintf(&b, "| %s | `%s` %s | `%s:%d` | %s |\n", f.Severity, f.Rule, safe.Markdown(rule.Title), safe.Code(f.File), f.Line, safe.Markdown(f.Message))
		}
		b.WriteString("\n<details><summary>Why these matter and how to fix them</summary>\n\n")
		for _, id := range r.rulesSeen() {
			rule, _ := RuleByID(id)
			fmt.Fprintf(&b, "- **`%s`** — %s %s\n", rule.ID, rule.Why, rule.Fix)
		}
		b.WriteString("\n</details>\n")
	}
	return b.String()
}

func (r *Report) rulesSeen() []string {
	seen := map[string]bool{}
	var out []string
	for _, rule := range Rules {
		for _, f := range r.Findings {
			if f.Rule == rule.ID && !seen[rule.ID] {
				seen[rule.ID] = true
				out = append(out, rule.ID)
			}
		}
	}
	return out
}
