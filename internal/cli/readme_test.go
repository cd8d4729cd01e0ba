package cli

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The README refers to no command and no flag that does not exist: every
// relproof command line in its shell blocks is one this binary takes.
func TestReadmeCommandsExist(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	root := New(testEnv(t, nil))
	flag := regexp.MustCompile(`^--([a-z0-9-]+)`)
	inShell, checked := false, 0
	var line string
	for _, l := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(l, "```sh"):
			inShell = true
			continue
		case strings.HasPrefix(l, "```"):
			inShell = false
			continue
		case !inShell:
			continue
		}
		// A command continued over lines with \ is one line.
		if strings.HasSuffix(l, "\\") {
			line += strings.TrimSuffix(l, "\\") + " "
			continue
		}
		line += l
		full := line
		line = ""
		code, _, _ := strings.Cut(full, "#")
		words := strings.Fields(code)
		for len(words) > 0 && strings.Contains(words[0], "=") {
			words = words[1:] // VAR=value before the command
		}
		if len(words) == 0 || words[0] != "relproof" {
			continue
		}
		cmd, rest, err := root.Find(words[1:])
		if err != nil || cmd == root {
			t.Errorf("README: %q: no such command (%v)", full, err)
			continue
		}
		checked++
		for _, w := range rest {
			m := flag.FindStringSubmatch(w)
			if m == nil {
				continue
			}
			if cmd.Flags().Lookup(m[1]) == nil && cmd.InheritedFlags().Lookup(m[1]) == nil {
				t.Errorf("README: %q: relproof %s has no flag --%s", full, cmd.Name(), m[1])
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d relproof command lines found in the README's shell blocks", checked)
	}
}
