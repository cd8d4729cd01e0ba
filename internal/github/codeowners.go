package github

import (
	"regexp"
	"strings"
)

// CodeOwnersFiles are where GitHub looks for CODEOWNERS, in its order.
var CodeOwnersFiles = []string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"}

// workflowProbes are files that stand for .github/workflows/: CODEOWNERS
// covers the directory when each has owners.
var workflowProbes = []string{".github/workflows/release.yml", ".github/workflows/deploy.yaml"}

// codeOwnersRule is one line of a CODEOWNERS file.
type codeOwnersRule struct {
	line    int
	text    string
	pattern *regexp.Regexp
	owners  []string
}

// parseCodeOwners reads CODEOWNERS rules; lines it cannot read are skipped
// (GitHub reports them through the codeowners errors API).
func parseCodeOwners(content string) []codeOwnersRule {
	var rules []codeOwnersRule
	for i, raw := range strings.Split(content, "\n") {
		line := raw
		if j := strings.Index(line, " #"); j >= 0 {
			line = line[:j]
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		re, ok := codeOwnersPattern(fields[0])
		if !ok {
			continue
		}
		rules = append(rules, codeOwnersRule{line: i + 1, text: line, pattern: re, owners: fields[1:]})
	}
	return rules
}

// owner returns the last rule that matches path (the one GitHub applies).
func ownerRule(rules []codeOwnersRule, path string) *codeOwnersRule {
	var found *codeOwnersRule
	for i := range rules {
		if rules[i].pattern.MatchString(path) {
			found = &rules[i]
		}
	}
	return found
}

// codeOwnersPattern translates a CODEOWNERS (gitignore-style) pattern into a
// regular expression over repository paths.
func codeOwnersPattern(p string) (*regexp.Regexp, bool) {
	if strings.HasPrefix(p, "!") || strings.Contains(p, "[") || strings.Contains(p, "\\") || strings.Contains(p, "***") {
		return nil, false // not supported by GitHub's CODEOWNERS
	}
	dirOnly := strings.HasSuffix(p, "/")
	body := strings.TrimSuffix(p, "/")
	anchored := strings.HasPrefix(body, "/") || strings.Contains(body, "/")
	body = strings.TrimPrefix(body, "/")
	if body == "" {
		return nil, false
	}
	var b strings.Builder
	if anchored {
		b.WriteString("^")
	} else {
		b.WriteString("^(?:.*/)?")
	}
	for i := 0; i < len(body); i++ {
		switch {
		case strings.HasPrefix(body[i:], "**/"):
			b.WriteString("(?:.*/)?")
			i += 2
		case strings.HasPrefix(body[i:], "/**") && i+3 == len(body):
			b.WriteString("/.*")
			i += 2
		case strings.HasPrefix(body[i:], "**"):
			b.WriteString(".*")
			i++
		case body[i] == '*':
			b.WriteString("[^/]*")
		case body[i] == '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(body[i : i+1]))
		}
	}
	switch {
	case dirOnly:
		b.WriteString("/.+$")
	case strings.HasSuffix(body, "/*"):
		// "docs/*" owns the files in docs/, not those further down.
		b.WriteString("$")
	default:
		b.WriteString("(?:/.*)?$")
	}
	re, err := regexp.Compile(b.String())
	return re, err == nil
}
