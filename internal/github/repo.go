package github

import (
	"fmt"
	"strings"
)

// Repo is a repository, OWNER/NAME.
type Repo struct {
	Owner string
	Name  string
}

// ParseRepo parses "OWNER/NAME" (as in GITHUB_REPOSITORY).
func ParseRepo(s string) (Repo, error) {
	owner, name, ok := strings.Cut(s, "/")
	if !ok || owner == "" || name == "" || strings.ContainsAny(name, "/ ") || strings.ContainsAny(owner, " ") {
		return Repo{}, fmt.Errorf("repository %q: expected OWNER/NAME", s)
	}
	return Repo{Owner: owner, Name: name}, nil
}

// String returns "OWNER/NAME".
func (r Repo) String() string { return r.Owner + "/" + r.Name }

// MarshalText encodes the repository as "OWNER/NAME".
func (r Repo) MarshalText() ([]byte, error) { return []byte(r.String()), nil }
