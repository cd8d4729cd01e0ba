package policy

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCompileGlob(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		glob    string
		match   []string
		noMatch []string
		wantErr string
	}{
		{name: "literal", glob: "refs/heads/main", match: []string{"refs/heads/main"}, noMatch: []string{"refs/heads/main2", "refs/heads/mai"}},
		{name: "dots are literal", glob: "ghcr.io/acme/app", match: []string{"ghcr.io/acme/app"}, noMatch: []string{"ghcrXio/acme/app"}},
		{name: "star stays in a segment", glob: "ghcr.io/acme/*", match: []string{"ghcr.io/acme/app", "ghcr.io/acme/"}, noMatch: []string{"ghcr.io/acme/team/app", "ghcr.io/acme"}},
		{name: "double star crosses segments", glob: "refs/heads/release/**", match: []string{"refs/heads/release/1.2", "refs/heads/release/1/hotfix"}, noMatch: []string{"refs/heads/releases"}},
		{name: "question mark", glob: "refs/tags/v?", match: []string{"refs/tags/v1"}, noMatch: []string{"refs/tags/v10", "refs/tags/v/"}},
		{name: "class", glob: "refs/tags/v[0-9]*", match: []string{"refs/tags/v1.2.3"}, noMatch: []string{"refs/tags/vx"}},
		{name: "negated class", glob: "refs/tags/[!v]*", match: []string{"refs/tags/1.0"}, noMatch: []string{"refs/tags/v1.0", "refs/tags//"}},
		{name: "literal dash in class", glob: "a[-_]b", match: []string{"a-b", "a_b"}, noMatch: []string{"a.b"}},
		{name: "escape", glob: `refs/tags/\*`, match: []string{"refs/tags/*"}, noMatch: []string{"refs/tags/v1"}},
		{name: "builder id with ref", glob: "https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1*",
			match:   []string{"https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1.4.0"},
			noMatch: []string{"https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/heads/main", "https://github.com/evil/relproof/.github/workflows/build-attest.yml@refs/tags/v1"}},
		{name: "empty", glob: "", wantErr: "empty pattern"},
		{name: "unterminated class", glob: "v[0-9", wantErr: "unterminated character class: missing ]"},
		{name: "empty class", glob: "v[]", wantErr: "empty character class []"},
		{name: "reversed range", glob: "v[9-0]", wantErr: "invalid character class or encoding"},
		{name: "stray bracket", glob: "v]", wantErr: "] without ["},
		{name: "trailing backslash", glob: `v\`, wantErr: "trailing backslash escapes nothing"},
		{name: "triple star", glob: "a/***", wantErr: "*** is not a pattern: use * (within a path segment) or ** (across segments)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			re, err := compileGlob(tt.glob)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("compileGlob(%q) error %v, want %s", tt.glob, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.match {
				if !re.MatchString(s) {
					t.Errorf("%q does not match %q (%s)", tt.glob, s, re)
				}
			}
			for _, s := range tt.noMatch {
				if re.MatchString(s) {
					t.Errorf("%q matches %q (%s)", tt.glob, s, re)
				}
			}
		})
	}
}

// matchPolicy is the environment the matcher tests check against.
const matchPolicy = `
			production:
				level: strong
				subject:
					allowedRepositories: ["ghcr.io/acme/*", "registry.acme.example:5000/**"]
				source:
					repositories: ["https://github.com/acme/app.git", "github.com/acme-labs/*"]
					refs: ["refs/heads/main", "refs/tags/v*"]
				builder:
					ids: ["https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1*"]
				signers:
					- issuer: https://token.actions.githubusercontent.com
						identityRegexp: "https://github.com/relproof/relproof/\\.github/workflows/build-attest\\.yml@refs/tags/v1.*"
						sourceRepository: acme/app
					- issuer: https://accounts.google.com
						identity: release@acme.example
						sourceRepository: acme/app
			dev: {}
`

func TestMatchers(t *testing.T) {
	t.Parallel()
	p := parse(t, header+matchPolicy, nil)
	prod, dev := environment(t, p, "production"), environment(t, p, "dev")

	tests := []struct {
		name    string
		match   func() Match
		want    Match
		message string
	}{
		{
			name:    "subject repository allowed",
			match:   func() Match { return prod.SubjectRepositoryAllowed("oci://GHCR.io/acme/app:1.2.3@" + digestA) },
			want:    Match{Allowed: true, What: "subject repository", Expected: `one of "ghcr.io/acme/*", "registry.acme.example:5000/**"`, Found: "ghcr.io/acme/app", Matched: `"ghcr.io/acme/*"`},
			message: `subject repository "ghcr.io/acme/app" is allowed by "ghcr.io/acme/*"`,
		},
		{
			name:    "subject repository with port and nested path",
			match:   func() Match { return prod.SubjectRepositoryAllowed("registry.acme.example:5000/team/app") },
			want:    Match{Allowed: true, What: "subject repository", Expected: `one of "ghcr.io/acme/*", "registry.acme.example:5000/**"`, Found: "registry.acme.example:5000/team/app", Matched: `"registry.acme.example:5000/**"`},
			message: `subject repository "registry.acme.example:5000/team/app" is allowed by "registry.acme.example:5000/**"`,
		},
		{
			name:    "subject repository in a nested path is not matched by *",
			match:   func() Match { return prod.SubjectRepositoryAllowed("ghcr.io/acme/team/app") },
			want:    Match{What: "subject repository", Expected: `one of "ghcr.io/acme/*", "registry.acme.example:5000/**"`, Found: "ghcr.io/acme/team/app"},
			message: `subject repository not allowed: expected one of "ghcr.io/acme/*", "registry.acme.example:5000/**", found "ghcr.io/acme/team/app"`,
		},
		{
			name:    "subject repository unrestricted",
			match:   func() Match { return dev.SubjectRepositoryAllowed("docker.io/library/alpine") },
			want:    Match{Allowed: true, Unrestricted: true, What: "subject repository", Expected: "anything", Found: "docker.io/library/alpine"},
			message: `subject repository "docker.io/library/alpine" is allowed: the policy does not restrict it`,
		},
		{
			name:    "source repository from a SLSA resolved dependency",
			match:   func() Match { return prod.SourceRepositoryAllowed("git+https://github.com/Acme/App@refs/heads/main") },
			want:    Match{Allowed: true, What: "source repository", Expected: `one of "github.com/acme/app", "github.com/acme-labs/*"`, Found: "github.com/acme/app", Matched: `"github.com/acme/app"`},
			message: `source repository "github.com/acme/app" is allowed by "github.com/acme/app"`,
		},
		{
			name:    "source repository glob",
			match:   func() Match { return prod.SourceRepositoryAllowed("github.com/acme-labs/tool") },
			want:    Match{Allowed: true, What: "source repository", Expected: `one of "github.com/acme/app", "github.com/acme-labs/*"`, Found: "github.com/acme-labs/tool", Matched: `"github.com/acme-labs/*"`},
			message: `source repository "github.com/acme-labs/tool" is allowed by "github.com/acme-labs/*"`,
		},
		{
			name:    "source repository of a fork",
			match:   func() Match { return prod.SourceRepositoryAllowed("https://github.com/mallory/app") },
			want:    Match{What: "source repository", Expected: `one of "github.com/acme/app", "github.com/acme-labs/*"`, Found: "github.com/mallory/app"},
			message: `source repository not allowed: expected one of "github.com/acme/app", "github.com/acme-labs/*", found "github.com/mallory/app"`,
		},
		{
			name:    "source repository missing from the evidence",
			match:   func() Match { return prod.SourceRepositoryAllowed("") },
			want:    Match{What: "source repository", Expected: `one of "github.com/acme/app", "github.com/acme-labs/*"`},
			message: `source repository not allowed: expected one of "github.com/acme/app", "github.com/acme-labs/*", found none`,
		},
		{
			name:    "ref allowed",
			match:   func() Match { return prod.RefAllowed("refs/tags/v1.4.0") },
			want:    Match{Allowed: true, What: "source ref", Expected: `one of "refs/heads/main", "refs/tags/v*"`, Found: "refs/tags/v1.4.0", Matched: `"refs/tags/v*"`},
			message: `source ref "refs/tags/v1.4.0" is allowed by "refs/tags/v*"`,
		},
		{
			name:    "ref of a feature branch",
			match:   func() Match { return prod.RefAllowed("refs/heads/feature/x") },
			want:    Match{What: "source ref", Expected: `one of "refs/heads/main", "refs/tags/v*"`, Found: "refs/heads/feature/x"},
			message: `source ref not allowed: expected one of "refs/heads/main", "refs/tags/v*", found "refs/heads/feature/x"`,
		},
		{
			name: "builder allowed",
			match: func() Match {
				return prod.BuilderAllowed("https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1.4.0")
			},
			want: Match{Allowed: true, What: "builder id", Expected: `"https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1*"`,
				Found: "https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1.4.0", Matched: `"https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1*"`},
			message: `builder id "https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1.4.0" is allowed by "https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1*"`,
		},
		{
			name: "builder at an unpinned ref",
			match: func() Match {
				return prod.BuilderAllowed("https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/heads/main")
			},
			want: Match{What: "builder id", Expected: `"https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1*"`,
				Found: "https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/heads/main"},
			message: `builder id not allowed: expected "https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1*", found "https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/heads/main"`,
		},
		{
			name:    "runner github-hosted",
			match:   func() Match { return prod.RunnerAllowed("github-hosted") },
			want:    Match{Allowed: true, What: "runner environment", Expected: `"github-hosted"`, Found: "github-hosted", Matched: `"github-hosted"`},
			message: `runner environment "github-hosted" is allowed by "github-hosted"`,
		},
		{
			name:    "runner self-hosted",
			match:   func() Match { return prod.RunnerAllowed("self-hosted") },
			want:    Match{What: "runner environment", Expected: `"github-hosted"`, Found: "self-hosted"},
			message: `runner environment not allowed: expected "github-hosted", found "self-hosted"`,
		},
		{
			name:    "runner unrestricted",
			match:   func() Match { return dev.RunnerAllowed("self-hosted") },
			want:    Match{Allowed: true, Unrestricted: true, What: "runner environment", Expected: "anything", Found: "self-hosted"},
			message: `runner environment "self-hosted" is allowed: the policy does not restrict it`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.match()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Match (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.message, got.Message()); diff != "" {
				t.Errorf("Message (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseSourceURI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		uri, repo, ref string
	}{
		{uri: "github.com/acme/app", repo: "github.com/acme/app"},
		{uri: "https://github.com/acme/app", repo: "github.com/acme/app"},
		{uri: "https://github.com/Acme/App.git/", repo: "github.com/acme/app"},
		{uri: "git+https://github.com/acme/app@refs/heads/main", repo: "github.com/acme/app", ref: "refs/heads/main"},
		{uri: "git+https://github.com/acme/app.git@refs/tags/v1.2.3", repo: "github.com/acme/app", ref: "refs/tags/v1.2.3"},
		{uri: "github.com/acme/app@refs/heads/main", repo: "github.com/acme/app", ref: "refs/heads/main"},
		{uri: "ssh://git@github.com/acme/app.git", repo: "github.com/acme/app"},
		{uri: "git@github.com:acme/app.git", repo: "github.com/acme/app"},
		{uri: "https://ghe.acme.example:8443/team/app", repo: "ghe.acme.example:8443/team/app"},
		{uri: "", repo: ""},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			t.Parallel()
			repo, ref := ParseSourceURI(tt.uri)
			if repo != tt.repo || ref != tt.ref {
				t.Errorf("ParseSourceURI(%q) = %q, %q; want %q, %q", tt.uri, repo, ref, tt.repo, tt.ref)
			}
		})
	}
}

func TestSubjectRepository(t *testing.T) {
	t.Parallel()
	tests := []struct{ ref, want string }{
		{"ghcr.io/acme/app", "ghcr.io/acme/app"},
		{"oci://ghcr.io/acme/app@" + digestA, "ghcr.io/acme/app"},
		{"ghcr.io/acme/app:v1.2.3", "ghcr.io/acme/app"},
		{"localhost:5000/app:latest", "localhost:5000/app"},
		{"localhost:5000/app", "localhost:5000/app"},
	}
	for _, tt := range tests {
		if got := SubjectRepository(tt.ref); got != tt.want {
			t.Errorf("SubjectRepository(%q) = %q, want %q", tt.ref, got, tt.want)
		}
	}
}

// A keyless signer admits a certificate only when every GitHub claim it
// constrains matches, read from the certificate: the workflow that signed,
// the repository whose run it was (for a reusable workflow, the caller), its
// id, the ref and the runner.
func TestSignerAdmits(t *testing.T) {
	t.Parallel()
	p := parse(t, header+`
			production:
				signers:
					build:
						- issuer: https://token.actions.githubusercontent.com
							signerWorkflow: relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1*
							sourceRepository: acme/app
							sourceRepositoryId: "4242"
							sourceRef: refs/tags/v*
							runnerEnvironment: github-hosted
`, nil)
	sg := environment(t, p, "production").SignersFor(KindProvenance)[0]
	genuine := Certificate{
		Issuer:              "https://token.actions.githubusercontent.com",
		SAN:                 "https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1.4.0",
		BuildSignerURI:      "https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1.4.0",
		SourceRepositoryURI: "https://github.com/acme/app",
		SourceRepositoryID:  "4242",
		SourceRepositoryRef: "refs/tags/v1.0.0",
		RunnerEnvironment:   "github-hosted",
	}
	tests := []struct {
		name string
		edit func(*Certificate)
		want string
	}{
		{"genuine", func(*Certificate) {}, ""},
		{"our workflow called from another repository", func(c *Certificate) {
			c.SourceRepositoryURI, c.SourceRepositoryID = "https://github.com/evil/evil", "666"
		},
			`source repository (the repository whose run signed): expected "github.com/acme/app", found "github.com/evil/evil"; source repository id: expected 4242, found "666"`},
		{"a repository recreated under the same name", func(c *Certificate) { c.SourceRepositoryID = "9999" }, `source repository id: expected 4242, found "9999"`},
		{"another workflow of the same repository", func(c *Certificate) {
			c.BuildSignerURI = "https://github.com/acme/app/.github/workflows/sign-anything.yml@refs/heads/feature"
		}, `signer workflow: expected "github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1*", found "github.com/acme/app/.github/workflows/sign-anything.yml@refs/heads/feature"`},
		{"our workflow at a branch, not a release", func(c *Certificate) {
			c.BuildSignerURI = "https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/heads/main"
		}, "signer workflow"},
		{"a run for a branch", func(c *Certificate) { c.SourceRepositoryRef = "refs/heads/feature" }, `source ref: expected "refs/tags/v*", found "refs/heads/feature"`},
		{"a self-hosted runner", func(c *Certificate) { c.RunnerEnvironment = "self-hosted" }, `runner environment: expected "github-hosted", found "self-hosted"`},
		{"another issuer", func(c *Certificate) { c.Issuer = "https://token.actions.evil.example" }, "issuer: expected"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := genuine
			tc.edit(&c)
			got := sg.Admits(c)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("Admits = %q; want %q", got, tc.want)
			}
		})
	}
	if sg.May(KindApproval) || sg.May(KindDecision) || !sg.May(KindSignature) {
		t.Errorf("a build signer may sign %v; want the build kinds only", sg.Kinds)
	}
}
