package policy

import (
	"errors"
	"os"
	"testing"
	"time"
)

// FuzzParse checks that no policy panics Parse, that every error matches
// ErrInvalidPolicy, and that every policy it accepts has environments whose
// presets are applied.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"../../examples/policy.yaml", "../../examples/exceptions.yaml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(yamlText(header + matchPolicy)))
	f.Add([]byte(yamlText(header + "\t\t\tdev: {rules: [{name: r, expr: \"size(approvals) > 0\"}]}\n")))
	f.Add([]byte("apiVersion: relproof.dev/v1\nkind: Policy\nenvironments: {a: &x {}, b: *x}\n"))
	fsys := files{"examples/exceptions.yaml": vulnExceptions}
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		p, err := Parse("examples/policy.yaml", data, fsys.read)
		if d := time.Since(start); d > time.Second {
			t.Fatalf("Parse took %s", d)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidPolicy) {
				t.Fatalf("error %q does not match ErrInvalidPolicy", err)
			}
			return
		}
		names := p.EnvironmentNames()
		if len(names) == 0 {
			t.Fatal("a policy without environments")
		}
		for _, name := range names {
			e, err := p.EffectiveEnvironment(name)
			if err != nil {
				t.Fatal(err)
			}
			if e.Level == "" || e.Builder.RunnerEnvironment == "" || e.Vulnerabilities.MaxSeverity == "" {
				t.Fatalf("environment %s has no presets: %+v", name, e)
			}
			EvalRules(e, RuleInput{})
		}
	})
}
