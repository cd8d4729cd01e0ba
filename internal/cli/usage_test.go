package cli

import (
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// A backticked word in a flag's usage is the placeholder pflag prints
// after the flag (--unsigned-out FILE): it must be one word, not a phrase
// pflag would print as --unsigned-out relproof sign.
func TestFlagPlaceholders(t *testing.T) {
	t.Parallel()
	word := regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)
	for _, cmd := range allCommands(New(testEnv(t, nil))) {
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if !strings.Contains(f.Usage, "`") {
				return
			}
			name, _ := pflag.UnquoteUsage(f)
			if strings.Count(f.Usage, "`") != 2 || !word.MatchString(name) {
				t.Errorf("%s --%s: usage %q shows as --%s %s; quote one placeholder word (`FILE`) or none", cmd.CommandPath(), f.Name, f.Usage, f.Name, name)
			}
		})
	}
}

// A flag the usage line shows outside [ ] and ( ) must be required; every
// flag it names must exist.
func TestUseLinesShowOnlyRequiredFlagsAsRequired(t *testing.T) {
	t.Parallel()
	for _, cmd := range allCommands(New(testEnv(t, nil))) {
		depth := 0
		for _, tok := range strings.Fields(cmd.Use) {
			opened := strings.Count(tok, "[") + strings.Count(tok, "(")
			name, isFlag := strings.CutPrefix(strings.TrimLeft(tok, "[("), "--")
			name = strings.TrimRight(name, "])|.…")
			if isFlag {
				f := cmd.Flags().Lookup(name)
				switch {
				case f == nil:
					t.Errorf("%s: usage line %q names --%s, which the command does not have", cmd.CommandPath(), cmd.Use, name)
				case depth == 0 && opened == 0 && !required(f):
					t.Errorf("%s: usage line %q shows --%s as required, but it is optional: write [--%s …]", cmd.CommandPath(), cmd.Use, name, name)
				}
			}
			depth += opened - strings.Count(tok, "]") - strings.Count(tok, ")")
		}
	}
}

func required(f *pflag.Flag) bool {
	return len(f.Annotations[cobra.BashCompOneRequiredFlag]) > 0 || len(f.Annotations["cobra_annotation_one_required"]) > 0
}
