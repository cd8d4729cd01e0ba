package cli

import (
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// allCommands is every command of the tree under root.
func allCommands(root *cobra.Command) []*cobra.Command {
	cmds := []*cobra.Command{root}
	for _, c := range root.Commands() {
		cmds = append(cmds, allCommands(c)...)
	}
	return cmds
}

// helpSections splits a command's help into its flag groups: heading →
// the flags listed under it, in order.
func helpSections(help string) (map[string][]string, []string) {
	sections := map[string][]string{}
	var order []string
	heading := ""
	flag := regexp.MustCompile(`^\s+(?:-\w, )?--([\w-]+)`)
	for _, line := range strings.Split(help, "\n") {
		if h, ok := strings.CutSuffix(line, " Flags:"); ok && !strings.HasPrefix(line, " ") {
			heading = h
			order = append(order, h)
			continue
		}
		if line == "" || !strings.HasPrefix(line, " ") {
			heading = ""
			continue
		}
		if m := flag.FindStringSubmatch(line); m != nil && heading != "" {
			sections[heading] = append(sections[heading], m[1])
		}
	}
	return sections, order
}

func TestHelpGroupsFlags(t *testing.T) {
	t.Parallel()
	r := run(t, testEnv(t, nil), "attest", "--help")
	expect(t, r, 0)
	sections, order := helpSections(r.stdout)
	if got, want := strings.Join(order, ", "), "Signing, GitHub, Output, Other"; got != want {
		t.Errorf("attest --help headings: %s; want %s\n%s", got, want, r.stdout)
	}
	for group, flags := range map[string][]string{
		"Signing": {"fulcio-url", "key", "keyless", "rekor-url", "rekor-version", "signing-config", "sigstore", "tsa-url"},
		"GitHub":  {"github-app-id", "github-app-installation-id", "github-app-key", "repo"},
		"Output":  {"bundle-out", "github-upload", "output", "push"},
		"Other":   {"builder-id", "help", "predicate", "predicate-type", "type", "unsigned-out"},
	} {
		if got, want := strings.Join(sections[group], " "), strings.Join(flags, " "); got != want {
			t.Errorf("attest --help, %s Flags: %s; want %s", group, got, want)
		}
	}
	if strings.Contains(r.stdout, "Global Flags:") || strings.Contains(r.stdout, "\nFlags:") {
		t.Errorf("attest --help still has cobra's ungrouped headings:\n%s", r.stdout)
	}
}

// Every flag of every command is in a group its help lists once.
func TestHelpListsEveryFlagOnce(t *testing.T) {
	t.Parallel()
	for _, cmd := range allCommands(New(testEnv(t, nil))) {
		path := strings.Fields(cmd.CommandPath())[1:]
		r := run(t, testEnv(t, nil), append(path, "--help")...)
		expect(t, r, 0)
		sections, _ := helpSections(r.stdout)
		seen := map[string]int{}
		for _, flags := range sections {
			for _, f := range flags {
				seen[f]++
			}
		}
		check := func(f *pflag.Flag) {
			if !f.Hidden && seen[f.Name] != 1 {
				t.Errorf("%s --help lists --%s %d times", cmd.CommandPath(), f.Name, seen[f.Name])
			}
		}
		cmd.LocalFlags().VisitAll(check)
		cmd.InheritedFlags().VisitAll(check)
	}
}
