package audit

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// corpusLabels is testdata/audit-corpus/labels.json.
type corpusLabels struct {
	Rules map[string]string `json:"rules"`
	Files []struct {
		File     string `json:"file"`
		Path     string `json:"path"`
		Findings []struct {
			Rule   string `json:"rule"`
			Line   int    `json:"line"`
			Reason string `json:"reason"`
		} `json:"findings"`
	} `json:"files"`
}

type score struct{ tp, fp, fn int }

func (s score) precision() float64 {
	if s.tp+s.fp == 0 {
		return 1
	}
	return float64(s.tp) / float64(s.tp+s.fp)
}

func (s score) recall() float64 {
	if s.tp+s.fn == 0 {
		return 1
	}
	return float64(s.tp) / float64(s.tp+s.fn)
}

// TestCorpusPrecisionRecall checks the workflow rules against the labelled
// real-world workflows of testdata/audit-corpus: a finding is right when its
// rule and line are labelled. It prints precision and recall per rule and
// overall, and fails below 0.95 precision or 0.9 recall overall, or 0.8 for
// any rule.
func TestCorpusPrecisionRecall(t *testing.T) {
	root := filepath.Join("..", "..", "testdata", "audit-corpus")
	b, err := os.ReadFile(filepath.Join(root, "labels.json"))
	if err != nil {
		t.Fatal(err)
	}
	var labels corpusLabels
	if err := json.Unmarshal(b, &labels); err != nil {
		t.Fatal(err)
	}
	if len(labels.Files) < 30 {
		t.Fatalf("labels.json lists %d files, want the corpus's 30", len(labels.Files))
	}
	scores := map[string]*score{}
	for id := range labels.Rules {
		if _, ok := RuleByID(id); !ok {
			t.Errorf("the corpus defines rule %s, which relproof does not check", id)
		}
		scores[id] = &score{}
	}
	var misses []string
	for _, f := range labels.Files {
		src, err := os.ReadFile(filepath.Join(root, "workflows", f.File))
		if err != nil {
			t.Fatal(err)
		}
		got, err := CheckWorkflow(f.Path, src)
		if err != nil {
			t.Fatalf("%s: %v", f.File, err)
		}
		want := map[string]string{}
		for _, l := range f.Findings {
			want[fmt.Sprintf("%s:%d", l.Rule, l.Line)] = l.Reason
		}
		have := map[string]Finding{}
		for _, g := range got {
			if g.File != f.Path {
				t.Errorf("%s: finding names file %q, want %q", f.File, g.File, f.Path)
			}
			have[fmt.Sprintf("%s:%d", g.Rule, g.Line)] = g
		}
		for k, g := range have {
			s := scores[g.Rule]
			if s == nil {
				s = &score{}
				scores[g.Rule] = s
			}
			if _, ok := want[k]; ok {
				s.tp++
			} else {
				s.fp++
				misses = append(misses, fmt.Sprintf("false positive %s:%s — %s", f.File, k, g.Message))
			}
		}
		for k, reason := range want {
			if _, ok := have[k]; !ok {
				rule, _, _ := strings.Cut(k, ":")
				scores[rule].fn++
				misses = append(misses, fmt.Sprintf("missed %s:%s — %s", f.File, k, reason))
			}
		}
	}
	sort.Strings(misses)
	for _, m := range misses {
		t.Log(m)
	}
	ids := make([]string, 0, len(scores))
	for id := range scores {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var all score
	t.Logf("%-28s %4s %4s %4s %9s %7s", "rule", "tp", "fp", "fn", "precision", "recall")
	for _, id := range ids {
		s := scores[id]
		all.tp, all.fp, all.fn = all.tp+s.tp, all.fp+s.fp, all.fn+s.fn
		t.Logf("%-28s %4d %4d %4d %9.3f %7.3f", id, s.tp, s.fp, s.fn, s.precision(), s.recall())
		if s.precision() < 0.8 || s.recall() < 0.8 {
			t.Errorf("rule %s: precision %.3f, recall %.3f; want both at least 0.8", id, s.precision(), s.recall())
		}
	}
	t.Logf("%-28s %4d %4d %4d %9.3f %7.3f", "overall", all.tp, all.fp, all.fn, all.precision(), all.recall())
	if all.precision() < 0.95 || all.recall() < 0.9 {
		t.Errorf("overall precision %.3f, recall %.3f; want at least 0.95 and 0.9", all.precision(), all.recall())
	}
}

// BenchmarkCorpus checks the 30 corpus workflows in one process:
//
//	go test ./internal/audit -run '^$' -bench Corpus
func BenchmarkCorpus(b *testing.B) {
	root := filepath.Join("..", "..", "testdata", "audit-corpus")
	var files []File
	m, _ := filepath.Glob(filepath.Join(root, "workflows", "*"))
	for _, p := range m {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, File{Path: filepath.Base(p), Data: data})
	}
	for b.Loop() {
		if _, _, err := CheckFiles(files); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(len(files)), "µs/file")
}
