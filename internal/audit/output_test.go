package audit

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// corpusReport audits every workflow of the audit corpus as one report.
func corpusReport(t *testing.T) *Report {
	t.Helper()
	fs, err := CheckDir(filepath.Join("..", "..", "testdata", "audit-corpus", "workflows"), filepath.Join("..", "..", "testdata", "audit-corpus"))
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) < 200 {
		t.Fatalf("the corpus gave %d findings, want over 200", len(fs))
	}
	r := &Report{Repository: "acme/app", Commit: strings.Repeat("a", 40), Findings: fs}
	r.Sort()
	return r
}

func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "sarif", "sarif-2.1.0-rtm.5.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("file:///sarif-2.1.0.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("file:///sarif-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSARIFValidates checks the SARIF of the whole corpus against the SARIF
// 2.1.0 JSON schema, and what GitHub code scanning needs beyond it: a rule
// for every result at its index, a relative file and a line for every
// result, help text and a security-severity for every rule.
func TestSARIFValidates(t *testing.T) {
	r := corpusReport(t)
	var b bytes.Buffer
	if err := r.WriteSARIF(&b, "v1.2.3"); err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	schema := sarifSchema(t)
	if err := schema.Validate(inst); err != nil {
		t.Fatalf("the SARIF does not validate: %v", err)
	}
	var log sarifLog
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if len(run.Results) != len(r.Findings) {
		t.Fatalf("%d results for %d findings", len(run.Results), len(r.Findings))
	}
	if run.Tool.Driver.SemanticVersion != "1.2.3" {
		t.Errorf("semanticVersion %q, want 1.2.3", run.Tool.Driver.SemanticVersion)
	}
	for _, rule := range run.Tool.Driver.Rules {
		if rule.Help.Text == "" || rule.Help.Markdown == "" || rule.Properties["security-severity"] == nil {
			t.Errorf("rule %s lacks help or a security-severity", rule.ID)
		}
	}
	for _, res := range run.Results {
		if run.Tool.Driver.Rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("result %s points at rule index %d, which is %s", res.RuleID, res.RuleIndex, run.Tool.Driver.Rules[res.RuleIndex].ID)
		}
		loc := res.Locations[0].PhysicalLocation
		if loc.Region.StartLine < 1 || strings.HasPrefix(loc.ArtifactLocation.URI, "/") || strings.Contains(loc.ArtifactLocation.URI, "..") {
			t.Errorf("result %s at %q line %d: want a relative path and a line", res.RuleID, loc.ArtifactLocation.URI, loc.Region.StartLine)
		}
	}

	// The schema check can fail: SARIF without its version does not pass.
	var raw map[string]any
	if err := json.Unmarshal(b.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	delete(raw, "version")
	broken, _ := json.Marshal(raw)
	inst, _ = jsonschema.UnmarshalJSON(bytes.NewReader(broken))
	if schema.Validate(inst) == nil {
		t.Fatal("SARIF without a version validated: the schema check cannot fail")
	}
}

// TestSARIFNoFindings: a clean repository still gives a valid log, with
// an empty list of results (code scanning then closes old alerts).
func TestSARIFNoFindings(t *testing.T) {
	var b bytes.Buffer
	if err := (&Report{Repository: "acme/app"}).WriteSARIF(&b, "(devel)"); err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := sarifSchema(t).Validate(inst); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"results": []`) {
		t.Errorf("no empty results list:\n%s", b.String())
	}
}

// TestReportsEscapeWorkflowText: a step name is the workflow author's
// text; in Markdown it opens no link, cell or HTML, and in text it starts
// no new line.
func TestReportsEscapeWorkflowText(t *testing.T) {
	src := "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - name: \"x | [click](https://evil) <img src=x>\\n::add-mask::y\"\n        uses: evil/action@main\n"
	fs, err := CheckWorkflow(".github/workflows/x.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	r := &Report{Repository: "acme/app", Findings: fs}
	// A message quoting the step name, as other rules do.
	r.Findings = append(r.Findings, Finding{Rule: "tag-promotion", Severity: SeverityHigh, File: ".github/workflows/x.yml", Line: 6,
		Message: "step \"x | [click](https://evil) <img src=x>\n::add-mask::y\" pushes latest"})
	md := r.Markdown()
	for _, bad := range []string{"[click](", "<img", "\n::add-mask::"} {
		if strings.Contains(md, bad) {
			t.Errorf("Markdown carries %q unescaped:\n%s", bad, md)
		}
	}
	var txt bytes.Buffer
	if err := r.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(txt.String(), "\n::add-mask::") {
		t.Errorf("text report starts a line with a workflow command:\n%s", txt.String())
	}
}
