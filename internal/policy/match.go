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

func (sg Signer) String() string {
	if sg.Key != "" {
		return fmt.Sprintf("key %s (%s)", sg.Key, sg.KeyDigest)
	}
	var parts []string
	switch {
	case sg.Identity != "":
		parts = append(parts, fmt.Sprintf("issuer %q with identity %q", sg.Issuer, sg.Identity))
	case sg.IdentityRegexp != "":
		parts = append(parts, fmt.Sprintf("issuer %q with identity matching %q", sg.Issuer, sg.IdentityRegexp))
	default:
		parts = append(parts, fmt.Sprintf("issuer %q", sg.Issuer))
	}
	if sg.SignerWorkflow != "" {
		parts = append(parts, fmt.Sprintf("workflow %q", sg.SignerWorkflow))
	}
	if sg.SourceRepository != "" {
		parts = append(parts, fmt.Sprintf("called from %q", sg.SourceRepository))
	}
	if sg.SourceRepositoryID != "" {
		parts = append(parts, fmt.Sprintf("repository id %s", sg.SourceRepositoryID))
	}
	if sg.SourceRef != "" {
		parts = append(parts, fmt.Sprintf("ref %q", sg.SourceRef))
	}
	if sg.RunnerEnvironment != "" {
		parts = append(parts, fmt.Sprintf("on %s runners", sg.RunnerEnvironment))
	}
	return strings.Join(parts, ", ")
}

// Certificate is what a Fulcio certificate says of who signed: its issuer
// and subject alternative name, and GitHub's claims (Fulcio's OID
// extensions). The gate fills it from the verified certificate.
type Certificate struct {
	Issuer              string
	SAN                 string
	BuildSignerURI      string // https://github.com/OWNER/REPO/.github/workflows/F@REF
	SourceRepositoryURI string // https://github.com/OWNER/REPO
	SourceRepositoryID  string
	SourceRepositoryRef string
	RunnerEnvironment   string
}

// Admits checks a verified certificate against the signer's constraints.
// It returns "" when the certificate satisfies every one, else what was
// expected and what the certificate says. Issuer and identity are checked by
// the signature verification itself; they are checked again here so that a
// caller cannot forget them.
func (sg Signer) Admits(c Certificate) string {
	if sg.Key != "" {
		return "a key signer does not admit certificates"
	}
	var why []string
	mismatch := func(what, want, found string) {
		why = append(why, fmt.Sprintf("%s: expected %s, found %s", what, want, quoteOrNone(found)))
	}
	if c.Issuer != sg.Issuer {
		mismatch("issuer", fmt.Sprintf("%q", sg.Issuer), c.Issuer)
	}
	switch {
	case sg.Identity != "" && c.SAN != sg.Identity:
		mismatch("identity", fmt.Sprintf("%q", sg.Identity), c.SAN)
	case sg.IdentityRegexp != "":
		if re, err := anchoredRegexp(sg.IdentityRegexp); err != nil || !re.MatchString(c.SAN) {
			mismatch("identity", fmt.Sprintf("one matching %q", sg.IdentityRegexp), c.SAN)
		}
	}
	if sg.SignerWorkflow != "" {
		found := strings.TrimPrefix(c.BuildSignerURI, "https://")
		if !globMatch(sg.SignerWorkflow, found) {
			mismatch("signer workflow", fmt.Sprintf("%q", sg.SignerWorkflow), found)
		}
	}
	if sg.SourceRepository != "" {
		found, _ := ParseSourceURI(c.SourceRepositoryURI)
		if !globMatch(sg.SourceRepository, found) {
			mismatch("source repository (the repository whose run signed)", fmt.Sprintf("%q", sg.SourceRepository), found)
		}
	}
	if sg.SourceRepositoryID != "" && c.SourceRepositoryID != sg.SourceRepositoryID {
		mismatch("source repository id", sg.SourceRepositoryID, c.SourceRepositoryID)
	}
	if sg.SourceRef != "" && !globMatch(sg.SourceRef, c.SourceRepositoryRef) {
		mismatch("source ref", fmt.Sprintf("%q", sg.SourceRef), c.SourceRepositoryRef)
	}
	if sg.RunnerEnvironment != "" && c.RunnerEnvironment != string(sg.RunnerEnvironment) {
		mismatch("runner environment", fmt.Sprintf("%q", sg.RunnerEnvironment), c.RunnerEnvironment)
	}
	return strings.Join(why, "; ")
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

// checkWorkflowPattern reads a signerWorkflow glob:
// [HOST/]OWNER/REPO/.github/workflows/FILE@REF, as gh attestation verify's
// --signer-workflow names it; the host defaults to github.com.
func checkWorkflowPattern(s string) (string, error) {
	const like = "[HOST/]OWNER/REPO/.github/workflows/FILE.yml@REF, like relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1*"
	w := strings.TrimPrefix(s, "https://")
	if first, _, _ := strings.Cut(w, "/"); !strings.Contains(first, ".") {
		w = "github.com/" + w
	}
	path, ref, hasRef := strings.Cut(w, "@")
	parts := strings.Split(path, "/")
	if len(parts) < 6 || parts[3] != ".github" || parts[4] != "workflows" || !hasRef || ref == "" {
		return "", fmt.Errorf("expected %s, found %q (the @REF is required: name the version you trust)", like, s)
	}
	return checkGlob(w)
}

// checkSignerRepository reads a sourceRepository glob: OWNER/REPO or
// HOST/OWNER/REPO (github.com by default), lower-cased.
func checkSignerRepository(s string) (string, error) {
	repo, ref := ParseSourceURI(s)
	if strings.Count(repo, "/") == 1 {
		repo = "github.com/" + repo
	}
	switch {
	case ref != "":
		return "", fmt.Errorf("expected a repository without a ref (give the ref as sourceRef), found %q", s)
	case strings.Count(repo, "/") != 2:
		return "", fmt.Errorf("expected OWNER/REPO or HOST/OWNER/REPO, like acme/app, found %q", s)
	}
	return checkGlob(repo)
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

// AdmitsRef reports whether the signer admits runs for ref (the
// certificate's Source Repository Ref): any ref when it names none.
func (sg Signer) AdmitsRef(ref string) bool {
	return sg.SourceRef == "" || globMatch(sg.SourceRef, ref)
}
