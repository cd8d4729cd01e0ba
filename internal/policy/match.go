package policy

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"
)

// Match answers whether the policy allows one value the evidence shows.
type Match struct {
	Allowed bool
	// Unrestricted says the policy does not restrict this value (an empty
	// list, or runnerEnvironment any): the check does not apply.
	Unrestricted bool
	What         string // what was checked: "source repository", "signer", …
	Expected     string // what the policy allows: `one of "ghcr.io/acme/*", …`
	Found        string // the value checked, normalized
	Matched      string // the pattern or signer that allowed it
}

// Message says what was checked and, when it is not allowed, what was
// expected and what was found.
func (m Match) Message() string {
	switch {
	case m.Unrestricted:
		return fmt.Sprintf("%s %s is allowed: the policy does not restrict it", m.What, quoteOrNone(m.Found))
	case m.Allowed:
		return fmt.Sprintf("%s %s is allowed by %s", m.What, quoteOrNone(m.Found), m.Matched)
	}
	return fmt.Sprintf("%s not allowed: expected %s, found %s", m.What, m.Expected, quoteOrNone(m.Found))
}

// quoteOrNone quotes a found value for a message; a description that
// quotes its own parts (a signer's) is left as it is.
func quoteOrNone(s string) string {
	switch {
	case s == "":
		return "none"
	case strings.Contains(s, `"`):
		return s
	}
	return fmt.Sprintf("%q", s)
}

// oneOf formats what a list allows.
func oneOf(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	if len(q) == 1 {
		return q[0]
	}
	return "one of " + strings.Join(q, ", ")
}

// matchGlobs matches found against patterns; an empty list allows anything,
// and an empty found matches no pattern.
func matchGlobs(what string, patterns []string, found string) Match {
	m := Match{What: what, Found: found, Expected: oneOf(patterns)}
	if len(patterns) == 0 {
		m.Allowed, m.Unrestricted, m.Expected = true, true, "anything"
		return m
	}
	if found == "" {
		return m
	}
	for _, p := range patterns {
		if globMatch(p, found) {
			m.Allowed, m.Matched = true, fmt.Sprintf("%q", p)
			return m
		}
	}
	return m
}

// SubjectRepositoryAllowed checks an OCI subject's repository against
// subject.allowedRepositories. repository is HOST/REPOSITORY; a scheme
// (oci://), @digest or :tag on it is dropped first.
func (e *Environment) SubjectRepositoryAllowed(repository string) Match {
	return matchGlobs("subject repository", e.Subject.AllowedRepositories, SubjectRepository(repository))
}

// SourceRepositoryAllowed checks the repository the artifact was built from
// against source.repositories. uri is any form ParseSourceURI reads.
func (e *Environment) SourceRepositoryAllowed(uri string) Match {
	repo, _ := ParseSourceURI(uri)
	return matchGlobs("source repository", e.Source.Repositories, repo)
}

// RefAllowed checks the full source ref ("refs/heads/main") against
// source.refs.
func (e *Environment) RefAllowed(ref string) Match {
	return matchGlobs("source ref", e.Source.Refs, ref)
}

// BuilderAllowed checks a builder id, with its @ref, against builder.ids.
func (e *Environment) BuilderAllowed(id string) Match {
	return matchGlobs("builder id", e.Builder.IDs, id)
}

// RunnerAllowed checks where the build ran ("github-hosted", "self-hosted")
// against builder.runnerEnvironment.
func (e *Environment) RunnerAllowed(runnerEnvironment string) Match {
	want := e.Builder.RunnerEnvironment
	m := Match{What: "runner environment", Found: runnerEnvironment, Expected: fmt.Sprintf("%q", want)}
	switch {
	case want == "" || want == RunnerAny:
		m.Allowed, m.Unrestricted, m.Expected = true, true, "anything"
	case runnerEnvironment == string(want):
		m.Allowed, m.Matched = true, fmt.Sprintf("%q", want)
	}
	return m
}

// SignerIdentity is who signed a piece of evidence: a keyless signer's
// certificate issuer and identity (its subject alternative name), or the
// public key of a key signer.
type SignerIdentity struct {
	Issuer    string
	Identity  string
	PublicKey crypto.PublicKey
}

func (s SignerIdentity) String() string {
	var parts []string
	if s.Issuer != "" || s.Identity != "" {
		parts = append(parts, fmt.Sprintf("issuer %q and identity %q", s.Issuer, s.Identity))
	}
	if s.PublicKey != nil {
		parts = append(parts, "key "+keyDigest(s.PublicKey))
	}
	return strings.Join(parts, ", ")
}

// SignerAllowed checks who signed against signers: a keyless entry matches
// the same issuer and an identity equal to identity or matching
// identityRegexp in full; a key entry matches the same public key.
func (e *Environment) SignerAllowed(s SignerIdentity) Match {
	m := Match{What: "signer", Found: s.String()}
	if len(e.Signers) == 0 {
		m.Allowed, m.Unrestricted, m.Expected = true, true, "anyone"
		return m
	}
	want := make([]string, len(e.Signers))
	for i, sg := range e.Signers {
		want[i] = sg.String()
		if !m.Allowed && sg.allows(s) {
			m.Allowed, m.Matched = true, sg.String()
		}
	}
	m.Expected = strings.Join(want, "; or ")
	if len(want) > 1 {
		m.Expected = "one of " + m.Expected
	}
	return m
}

func (sg Signer) allows(s SignerIdentity) bool {
	if sg.Key != "" {
		k, ok := sg.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
		return ok && s.PublicKey != nil && k.Equal(s.PublicKey)
	}
	if sg.Issuer == "" || s.Issuer != sg.Issuer || s.Identity == "" {
		return false
	}
	if sg.Identity != "" {
		return s.Identity == sg.Identity
	}
	re, err := anchoredRegexp(sg.IdentityRegexp)
	return err == nil && sg.IdentityRegexp != "" && re.MatchString(s.Identity)
}

func (sg Signer) String() string {
	switch {
	case sg.Key != "":
		return fmt.Sprintf("key %s (%s)", sg.Key, sg.KeyDigest)
	case sg.Identity != "":
		return fmt.Sprintf("issuer %q with identity %q", sg.Issuer, sg.Identity)
	}
	return fmt.Sprintf("issuer %q with identity matching %q", sg.Issuer, sg.IdentityRegexp)
}

// keyDigest is "sha256:HEX" of k's DER SubjectPublicKeyInfo.
func keyDigest(k crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return fmt.Sprintf("(a %T key)", k)
	}
	sum := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// SubjectRepository returns the HOST/REPOSITORY of an OCI reference,
// lower-cased, without scheme, digest or tag: "oci://GHCR.io/acme/app:1.2@sha256:…"
// is "ghcr.io/acme/app".
func SubjectRepository(ref string) string {
	s := strings.TrimSpace(ref)
	if _, rest, ok := strings.Cut(s, "://"); ok {
		s = rest
	}
	s, _, _ = strings.Cut(s, "@")
	if i := strings.LastIndexByte(s, ':'); i > strings.LastIndexByte(s, '/') {
		s = s[:i]
	}
	return strings.ToLower(s)
}

// ParseSourceURI returns the repository (HOST/OWNER/REPO, lower-cased) and
// ref a source URI names. It reads "github.com/o/r", "https://github.com/o/r",
// "https://github.com/o/r.git", "git+https://github.com/o/r@refs/heads/main",
// "ssh://git@github.com/o/r.git" and "git@github.com:o/r.git"; ref is "" when
// the URI names none.
func ParseSourceURI(uri string) (repo, ref string) {
	s := strings.TrimSpace(uri)
	if _, rest, ok := strings.Cut(s, "://"); ok {
		s = rest
	} else if colon, slash := strings.IndexByte(s, ':'), strings.IndexByte(s, '/'); colon > 0 && (slash < 0 || colon < slash) && strings.Contains(s[:colon], "@") {
		s = s[:colon] + "/" + s[colon+1:] // scp-like git@host:owner/repo
	}
	if slash := strings.IndexByte(s, '/'); slash > 0 {
		if at := strings.LastIndexByte(s[:slash], '@'); at >= 0 {
			s = s[at+1:] // user@host
		}
	}
	s, ref, _ = strings.Cut(s, "@")
	s = strings.TrimSuffix(strings.TrimSuffix(s, "/"), ".git")
	return strings.ToLower(s), ref
}

func checkSubjectPattern(s string) (string, error) {
	const like = "HOST/REPOSITORY, like ghcr.io/acme/*"
	switch {
	case strings.Contains(s, "://"):
		return "", fmt.Errorf("expected %s without a scheme, found %q", like, s)
	case strings.Contains(s, "@"):
		return "", fmt.Errorf("expected %s without a digest, found %q", like, s)
	case !strings.Contains(s, "/"):
		return "", fmt.Errorf("expected %s, found %q", like, s)
	case strings.LastIndexByte(s, ':') > strings.LastIndexByte(s, '/'):
		return "", fmt.Errorf("expected %s without a tag, found %q", like, s)
	}
	return checkGlob(strings.ToLower(s))
}

func checkSourcePattern(s string) (string, error) {
	repo, ref := ParseSourceURI(s)
	switch {
	case ref != "":
		return "", fmt.Errorf("expected a repository without a ref (list refs under source.refs), found %q", s)
	case strings.Count(repo, "/") < 2:
		return "", fmt.Errorf("expected HOST/OWNER/REPO, like github.com/acme/app, found %q", s)
	}
	return checkGlob(repo)
}

func checkRefPattern(s string) (string, error) {
	if !strings.HasPrefix(s, "refs/") {
		return "", fmt.Errorf("expected a full ref name, like refs/heads/main or refs/tags/v*, found %q", s)
	}
	return checkGlob(s)
}

func checkBuilderPattern(s string) (string, error) {
	if !strings.Contains(s, "://") {
		return "", fmt.Errorf("expected a builder id URI, like https://github.com/OWNER/REPO/.github/workflows/build.yml@refs/tags/v1*, found %q", s)
	}
	return checkGlob(s)
}

func checkGlob(s string) (string, error) {
	if _, err := compileGlob(s); err != nil {
		return "", fmt.Errorf("expected a glob, found %q: %v", s, err)
	}
	return s, nil
}
