package policy

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/ext"
	"gopkg.in/yaml.v3"
)

// RuleCostLimit bounds the work one rule may do in one evaluation, in CEL
// cost units (about one per value visited). A rule that exceeds it fails.
// Rules over a few thousand packages or findings stay well below it; a
// nested comprehension over them does not.
const RuleCostLimit = 1_000_000

// Rule is a custom check, a CEL expression over the evidence.
type Rule struct {
	Name    string
	Expr    string
	Message string // what the gate says when the rule fails
	// File and Line locate the rule.
	File string
	Line int

	program cel.Program
}

// RuleInput is the evidence rules see. Evidence the gate does not have is
// left nil; rules then see an empty map.
type RuleInput struct {
	Subject     Subject
	Provenance  map[string]any // the provenance predicate, as encoding/json decodes it
	SBOM        *SBOMInput
	Vuln        *VulnInput
	Tests       *TestsInput
	Approvals   []ApprovalInput
	Environment string // defaults to the environment's name
}

// Subject is the artifact being deployed.
type Subject struct {
	Name   string // "ghcr.io/acme/app", a file name, …
	Digest string // "sha256:HEX"
}

// SBOMInput is the subject's SBOM.
type SBOMInput struct {
	Packages []Package
}

// Package is one package of an SBOM.
type Package struct {
	Name    string
	Version string
	License string // SPDX expression, "" when unknown
	PURL    string
}

// VulnInput is the subject's vulnerability scan.
type VulnInput struct {
	Findings []Finding
}

// TestsInput is the subject's test result.
type TestsInput struct {
	Result                 string // PASSED, WARNED or FAILED
	Passed, Failed, Warned []string
}

// ApprovalInput is one review of the deployment.
type ApprovalInput struct {
	Reviewer string
	State    string // approved, rejected, …
	Time     time.Time
	Comment  string
}

// RuleResult is one rule's outcome.
type RuleResult struct {
	Name   string
	Passed bool
	// Message is "" when the rule passes; the rule's message when it gives
	// false; why it could not be evaluated when Err is set; which evidence
	// it needs when Missing is set.
	Message string
	// Err, when set, matches ErrRuleEvaluation: the expression failed, gave
	// something other than a bool, or exceeded RuleCostLimit.
	Err error
	// Missing names the evidence ("provenance", "sbom", "vuln", "tests")
	// that the rule reads but the gate does not have, when that is why it
	// could not be evaluated. The rule then fails, with no Err: the rule
	// is not broken, the evidence is absent.
	Missing []string
}

// evidenceVars are the rule variables that hold evidence the gate may not
// have, in the order messages name them, and what to say is missing: the
// evidence and the gate check that requires it.
var evidenceVars = []struct{ name, needs string }{
	{"provenance", "verified provenance (see required-provenance)"},
	{"sbom", "a verified SBOM (see required-sbom)"},
	{"vuln", "a verified vulnerability scan (see required-vuln)"},
	{"tests", "a verified test result (see required-test)"},
}

// ruleEnv declares the variables rules see; the package comment documents
// them.
var ruleEnv = sync.OnceValues(func() (*cel.Env, error) {
	m := cel.MapType(cel.StringType, cel.DynType)
	return cel.NewEnv(
		cel.Variable("subject", m),
		cel.Variable("provenance", m),
		cel.Variable("sbom", m),
		cel.Variable("vuln", m),
		cel.Variable("tests", m),
		cel.Variable("approvals", cel.ListType(cel.DynType)),
		cel.Variable("environment", cel.StringType),
		ext.Strings(),
	)
})

// compileRule compiles a rule's expression; it must give a bool.
func compileRule(expr string) (cel.Program, error) {
	env, err := ruleEnv()
	if err != nil {
		return nil, err
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		msgs := make([]string, 0, len(iss.Errors()))
		for _, e := range iss.Errors() {
			msgs = append(msgs, fmt.Sprintf("column %d: %s", e.Location.Column()+1, e.Message))
		}
		return nil, fmt.Errorf("invalid CEL: %s", strings.Join(msgs, "; "))
	}
	if t := ast.OutputType(); !t.IsExactType(types.BoolType) && !t.IsExactType(types.DynType) {
		return nil, fmt.Errorf("expected an expression that gives a bool, found one that gives %s", t)
	}
	// Partial evaluation changes nothing for a complete activation; it lets
	// eval ask, after an error, whether the rule needed absent evidence.
	return env.Program(ast, cel.CostLimit(RuleCostLimit), cel.EvalOptions(cel.OptPartialEval))
}

// rule parses one rules entry; names are the rule names seen so far.
func (p *parser) rule(n *yaml.Node, path string, names map[string]int) (Rule, bool) {
	r := p.r
	rule := Rule{File: r.file, Line: n.Line}
	before := r.count()
	var exprNode *yaml.Node
	seen := r.fields(n, path, []field{
		{"name", func(v *yaml.Node) {
			if s, ok := r.text(v, path+".name"); ok {
				if line, dup := names[s]; dup {
					r.errorf(v, path+".name", "rule %q is defined twice: first at line %d", s, line)
				}
				names[s] = v.Line
				rule.Name = s
			}
		}},
		{"expr", func(v *yaml.Node) {
			rule.Expr, _ = r.text(v, path+".expr")
			exprNode = v
		}},
		{"message", func(v *yaml.Node) { rule.Message, _ = r.text(v, path+".message") }},
	})
	if seen == nil {
		return rule, false
	}
	for _, f := range []string{"name", "expr"} {
		if !seen[f] {
			r.errorf(n, path, "missing field %s: a rule needs a name and an expr", f)
		}
	}
	if r.count() > before {
		return rule, false
	}
	prg, err := compileRule(rule.Expr)
	if err != nil {
		r.errorf(exprNode, path+".expr", "rule %q: %v", rule.Name, err)
		return rule, false
	}
	rule.program = prg
	if rule.Message == "" {
		rule.Message = fmt.Sprintf("rule %s failed: %s", rule.Name, rule.Expr)
	}
	return rule, true
}

// EvalRules evaluates env's rules over the evidence in. Every rule gives a
// result, in order; rules fail closed (see RuleResult).
func EvalRules(env *Environment, in RuleInput) []RuleResult {
	if in.Environment == "" {
		in.Environment = env.Name
	}
	vars, absent := in.activation()
	results := make([]RuleResult, 0, len(env.Rules))
	for _, rule := range env.Rules {
		results = append(results, rule.eval(vars, absent))
	}
	return results
}

// eval evaluates the rule over vars. absent names the evidence variables
// whose evidence the gate does not have (vars holds an empty map for each).
func (rule Rule) eval(vars map[string]any, absent []string) RuleResult {
	res := RuleResult{Name: rule.Name}
	fail := func(err error) RuleResult {
		res.Err = fmt.Errorf("%w: rule %s: %v", ErrRuleEvaluation, rule.Name, err)
		res.Message = fmt.Sprintf("could not be evaluated, so it fails: %v", err)
		return res
	}
	prg := rule.program
	if prg == nil {
		var err error
		if prg, err = compileRule(rule.Expr); err != nil {
			return fail(err)
		}
	}
	out, _, err := prg.Eval(vars)
	if err != nil {
		if missing := needed(prg, vars, absent); len(missing) > 0 {
			res.Missing = missing
			res.Message = "not evaluated: needs " + needsText(missing)
			return res
		}
		return fail(err)
	}
	b, ok := out.Value().(bool)
	if !ok || out.Type() != types.BoolType {
		return fail(fmt.Errorf("expected a bool, found %s %v", out.Type().TypeName(), out.Value()))
	}
	res.Passed = b
	if !b {
		res.Message = rule.Message
		if res.Message == "" {
			res.Message = fmt.Sprintf("rule %s failed: %s", rule.Name, rule.Expr)
		}
	}
	return res
}

// needed is the absent evidence a rule that failed to evaluate depends on:
// evaluated again with that evidence unknown rather than empty, it gives
// unknown (and not an error of its own, such as a division by zero).
func needed(prg cel.Program, vars map[string]any, absent []string) []string {
	if len(absent) == 0 {
		return nil
	}
	patterns := make([]*cel.AttributePatternType, len(absent))
	for i, name := range absent {
		patterns[i] = cel.AttributePattern(name)
	}
	act, err := cel.PartialVars(vars, patterns...)
	if err != nil {
		return nil
	}
	out, _, _ := prg.Eval(act)
	u, ok := out.(*types.Unknown)
	if !ok {
		return nil
	}
	used := map[string]bool{}
	for _, id := range u.IDs() {
		trails, _ := u.GetAttributeTrails(id)
		for _, t := range trails {
			used[t.Variable()] = true
		}
	}
	var missing []string
	for _, v := range evidenceVars {
		if used[v.name] {
			missing = append(missing, v.name)
		}
	}
	return missing
}

// needsText says what evidence the names stand for: "a verified SBOM (see
// required-sbom) and …".
func needsText(names []string) string {
	var parts []string
	for _, v := range evidenceVars {
		if slices.Contains(names, v.name) {
			parts = append(parts, v.needs)
		}
	}
	return strings.Join(parts, " and ")
}

// activation turns the input into the plain maps and lists rules see, and
// names the evidence variables left empty because the evidence is absent.
func (in RuleInput) activation() (map[string]any, []string) {
	vars := map[string]any{
		"subject":     map[string]any{"name": in.Subject.Name, "digest": in.Subject.Digest},
		"provenance":  map[string]any{},
		"sbom":        map[string]any{},
		"vuln":        map[string]any{},
		"tests":       map[string]any{},
		"environment": in.Environment,
	}
	if in.Provenance != nil {
		vars["provenance"] = in.Provenance
	}
	if in.SBOM != nil {
		pkgs := make([]any, len(in.SBOM.Packages))
		for i, p := range in.SBOM.Packages {
			pkgs[i] = map[string]any{"name": p.Name, "version": p.Version, "license": p.License, "purl": p.PURL}
		}
		vars["sbom"] = map[string]any{"packages": pkgs}
	}
	if in.Vuln != nil {
		fs := make([]any, len(in.Vuln.Findings))
		for i, f := range in.Vuln.Findings {
			fs[i] = map[string]any{
				"id": f.ID, "package": f.Package, "version": f.Version,
				"severity": string(NormalizeSeverity(f.Severity)), "fixedVersion": f.FixedVersion,
			}
		}
		vars["vuln"] = map[string]any{"findings": fs}
	}
	if in.Tests != nil {
		vars["tests"] = map[string]any{
			"result": in.Tests.Result,
			"passed": nonNil(in.Tests.Passed), "failed": nonNil(in.Tests.Failed), "warned": nonNil(in.Tests.Warned),
		}
	}
	approvals := make([]any, len(in.Approvals))
	for i, a := range in.Approvals {
		approvals[i] = map[string]any{"reviewer": a.Reviewer, "state": a.State, "time": a.Time.UTC(), "comment": a.Comment}
	}
	vars["approvals"] = approvals
	present := map[string]bool{"provenance": in.Provenance != nil, "sbom": in.SBOM != nil, "vuln": in.Vuln != nil, "tests": in.Tests != nil}
	var absent []string
	for _, v := range evidenceVars {
		if !present[v.name] {
			absent = append(absent, v.name)
		}
	}
	return vars, absent
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
