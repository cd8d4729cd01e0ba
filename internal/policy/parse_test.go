package policy

import (
	"crypto"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const header = `
		apiVersion: relproof.dev/v1
		kind: Policy
		environments:
`

// betterSignerYAML is a build signer that names the caller repository, as
// level better insists; betterSigner is it parsed.
const betterSignerYAML = `{issuer: "https://token.actions.githubusercontent.com", signerWorkflow: "relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1*", sourceRepository: acme/app}`

var betterSigner = Signer{
	Issuer:           "https://token.actions.githubusercontent.com",
	SignerWorkflow:   "github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1*",
	SourceRepository: "github.com/acme/app",
	Kinds:            BuildKinds,
}

// strongBasics is what level strong insists an environment lists.
const strongBasics = `				source: {repositories: [github.com/acme/app]}
				builder: {ids: ["https://github.com/acme/ci/.github/workflows/build.yml@refs/tags/v1*"]}
				signers: [{issuer: "https://token.actions.githubusercontent.com", identity: "https://github.com/acme/ci/.github/workflows/build.yml@refs/tags/v1", sourceRepository: acme/app}]
`

func TestParseErrors(t *testing.T) {
	t.Parallel()
	const file = "policies/policy.yaml"
	const exc = "policies/exceptions.yaml"
	goodException := `
		- id: CVE-2024-45337
		  reason: not reachable
		  approver: security@acme.example
		  expires: 2027-01-01
`
	key := newECDSAKey(t)

	tests := []struct {
		name   string
		policy string // without the header unless it starts with "!"
		files  files
		want   []string
	}{
		{
			name:   "unknown top-level field",
			policy: "!" + header + "\t\t\tdev: {}\n\t\tmetadata: {name: x}\n",
			want:   []string{file + `:5:1: unknown field "metadata": expected one of apiVersion, kind, environments`},
		},
		{
			name: "unknown environment field",
			policy: `
			dev:
				levle: better
`,
			want: []string{file + `:5:5: environments.dev: unknown field "levle": expected one of level, subject, source, builder, signers, require, vulnerabilities, approvals, rollback, breakGlass, rules`},
		},
		{
			name: "unknown nested field",
			policy: `
			dev:
				level: minimum
				builder:
					ids: ["https://github.com/acme/ci/.github/workflows/b.yml@refs/heads/main"]
					runner: github-hosted
`,
			want: []string{file + `:8:7: environments.dev.builder: unknown field "runner": expected one of ids, runnerEnvironment`},
		},
		{
			name:   "wrong apiVersion",
			policy: "!\n\t\tapiVersion: relproof.dev/v2\n\t\tkind: Policy\n\t\tenvironments: {dev: {}}\n",
			want:   []string{file + `:1:13: apiVersion: expected "relproof.dev/v1", found "relproof.dev/v2"`},
		},
		{
			name:   "wrong kind",
			policy: "!\n\t\tapiVersion: relproof.dev/v1\n\t\tkind: ClusterPolicy\n\t\tenvironments: {dev: {}}\n",
			want:   []string{file + `:2:7: kind: expected "Policy", found "ClusterPolicy"`},
		},
		{
			name:   "missing apiVersion and kind",
			policy: "!\n\t\tenvironments: {dev: {}}\n",
			want: []string{
				file + `:1:1: missing field apiVersion: expected relproof.dev/v1`,
				file + `:1:1: missing field kind: expected Policy`,
			},
		},
		{
			name:   "empty file",
			policy: "!\n\t\t# nothing yet\n",
			want:   []string{file + `: expected a policy (apiVersion: relproof.dev/v1, kind: Policy, environments: …), found an empty file`},
		},
		{
			name:   "not a mapping",
			policy: "!\n\t\t- apiVersion: relproof.dev/v1\n",
			want:   []string{file + `:1:1: expected a mapping of apiVersion, kind, environments, found a list`},
		},
		{
			name:   "invalid YAML",
			policy: "!" + header + "\t\t\tdev:\n\t\t\t\tlevel: [minimum\n",
			want:   []string{file + `:5: invalid YAML: did not find expected ',' or ']'`},
		},
		{
			name:   "two documents",
			policy: "!" + header + "\t\t\tdev: {}\n\t\t---\n\t\tkind: Policy\n",
			want:   []string{file + `:5:1: expected one YAML document, found a second one`},
		},
		{
			name: "anchors and aliases",
			policy: `
			staging: &shared
				level: better
			production: *shared
`,
			want: []string{
				file + `:4:12: expected a value, found the anchor &shared: anchors and aliases are not supported`,
				file + `:6:15: expected a value, found the alias *shared: write the value out`,
			},
		},
		{
			name:   "custom tag",
			policy: "\t\t\tdev: {level: !secret minimum}\n",
			want:   []string{file + `:4:16: expected a plain value, found the tag !secret`},
		},
		{
			name:   "no environments",
			policy: "!\n\t\tapiVersion: relproof.dev/v1\n\t\tkind: Policy\n\t\tenvironments: {}\n",
			want:   []string{file + `:3:15: environments: expected at least one environment, found none`},
		},
		{
			name:   "environments is a list",
			policy: "!\n\t\tapiVersion: relproof.dev/v1\n\t\tkind: Policy\n\t\tenvironments: [production]\n",
			want:   []string{file + `:3:15: environments: expected a mapping of environment names to their rules, found a list`},
		},
		{
			name: "duplicate environment",
			policy: `
			production: {level: minimum}
			Production: {level: minimum}
`,
			want: []string{file + `:5:3: environments: duplicate environment "Production": first at line 4 as "production" (names are not case sensitive)`},
		},
		{
			name: "field set twice",
			policy: `
			dev:
				level: minimum
				level: better
`,
			want: []string{file + `:6:5: environments.dev.level: set twice: first at line 5`},
		},
		{
			name:   "bad level",
			policy: "\t\t\tdev: {level: strongest}\n",
			want:   []string{file + `:4:16: environments.dev.level: expected one of minimum, better, strong, found "strongest"`},
		},
		{
			name:   "level is null",
			policy: "\t\t\tdev:\n\t\t\t\tlevel:\n",
			want:   []string{file + `:5:11: environments.dev.level: expected a string, found nothing`},
		},
		{
			name:   "bad maxSeverity",
			policy: "\t\t\tdev: {vulnerabilities: {maxSeverity: severe}}\n",
			want:   []string{file + `:4:40: environments.dev.vulnerabilities.maxSeverity: expected one of critical, high, medium, low, negligible, none, found "severe"`},
		},
		{
			name:   "unknownAs cannot be none",
			policy: "\t\t\tdev: {vulnerabilities: {unknownAs: none}}\n",
			want:   []string{file + `:4:38: environments.dev.vulnerabilities.unknownAs: expected one of critical, high, medium, low, negligible, ignore, found "none"`},
		},
		{
			name:   "bad runnerEnvironment",
			policy: "\t\t\tdev: {builder: {runnerEnvironment: hosted}}\n",
			want:   []string{file + `:4:38: environments.dev.builder.runnerEnvironment: expected one of github-hosted, self-hosted, any, found "hosted"`},
		},
		{
			name:   "bad and repeated require",
			policy: "\t\t\tdev: {require: [provenance, sboms, provenance]}\n",
			want: []string{
				file + `:4:31: environments.dev.require[1]: expected one of provenance, sbom, vuln, test, signature, found "sboms"`,
				file + `:4:38: environments.dev.require[2]: "provenance" is listed twice: first at line 4`,
			},
		},
		{
			name:   "require is a string",
			policy: "\t\t\tdev: {require: provenance}\n",
			want:   []string{file + `:4:18: environments.dev.require: expected a list, found "provenance"`},
		},
		{
			name:   "bad glob",
			policy: "\t\t\tdev: {source: {refs: [\"refs/tags/v[0-9\"]}}\n",
			want:   []string{file + `:4:25: environments.dev.source.refs[0]: expected a glob, found "refs/tags/v[0-9": unterminated character class: missing ]`},
		},
		{
			name:   "short ref",
			policy: "\t\t\tdev: {source: {refs: [main]}}\n",
			want:   []string{file + `:4:25: environments.dev.source.refs[0]: expected a full ref name, like refs/heads/main or refs/tags/v*, found "main"`},
		},
		{
			name: "subject repository with scheme or tag",
			policy: `
			dev:
				subject:
					allowedRepositories: ["oci://ghcr.io/acme/*", "ghcr.io/acme/app:latest", "app"]
`,
			want: []string{
				file + `:6:29: environments.dev.subject.allowedRepositories[0]: expected HOST/REPOSITORY, like ghcr.io/acme/* without a scheme, found "oci://ghcr.io/acme/*"`,
				file + `:6:53: environments.dev.subject.allowedRepositories[1]: expected HOST/REPOSITORY, like ghcr.io/acme/* without a tag, found "ghcr.io/acme/app:latest"`,
				file + `:6:80: environments.dev.subject.allowedRepositories[2]: expected HOST/REPOSITORY, like ghcr.io/acme/*, found "app"`,
			},
		},
		{
			name:   "source repository with a ref",
			policy: "\t\t\tdev: {source: {repositories: [\"git+https://github.com/acme/app@refs/heads/main\", acme/app]}}\n",
			want: []string{
				file + `:4:33: environments.dev.source.repositories[0]: expected a repository without a ref (list refs under source.refs), found "git+https://github.com/acme/app@refs/heads/main"`,
				file + `:4:84: environments.dev.source.repositories[1]: expected HOST/OWNER/REPO, like github.com/acme/app, found "acme/app"`,
			},
		},
		{
			name:   "builder id without scheme",
			policy: "\t\t\tdev: {builder: {ids: [acme/ci/.github/workflows/b.yml]}}\n",
			want:   []string{file + `:4:25: environments.dev.builder.ids[0]: expected a builder id URI, like https://github.com/OWNER/REPO/.github/workflows/build.yml@refs/tags/v1*, found "acme/ci/.github/workflows/b.yml"`},
		},
		{
			name: "bad identityRegexp",
			policy: `
			dev:
				signers:
					- issuer: https://token.actions.githubusercontent.com
						identityRegexp: "^https://github.com/(acme"
`,
			want: []string{file + `:7:25: environments.dev.signers[0].identityRegexp: expected an RE2 regular expression, found "^https://github.com/(acme": error parsing regexp: missing closing ): ` + "`^(?:^https://github.com/(acme)$`"},
		},
		{
			name: "keyless signers that leave the caller open, at better",
			policy: `
			staging:
				level: better
				signers:
					build:
						- {issuer: "https://token.actions.githubusercontent.com", signerWorkflow: "relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1"}
					approvals: []
					approval:
						- {issuer: "https://token.actions.githubusercontent.com", signerWorkflow: "relproof/relproof/.github/workflows/deploy-gate.yml"}
`,
			want: []string{
				file + `:9:7: environments.staging.signers: unknown field "approvals": expected one of build, provenance, sbom, vuln, test, signature, custom, approval, decision, deployment, vsa`,
				file + `:11:83: environments.staging.signers.approval[0].signerWorkflow: expected [HOST/]OWNER/REPO/.github/workflows/FILE.yml@REF, like relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1*, found "relproof/relproof/.github/workflows/deploy-gate.yml" (the @REF is required: name the version you trust)`,
			},
		},
		{
			name: "a keyless build signer that leaves the caller open, at strong",
			policy: `
			production:
				level: strong
				source: {repositories: [github.com/acme/app]}
				builder: {ids: ["https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1*"]}
				signers:
					build:
						- {issuer: "https://token.actions.githubusercontent.com", signerWorkflow: "relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1*"}
`,
			want: []string{
				file + `:10:11: environments.production.signers.build[0]: a keyless signer must name the sourceRepository whose runs count at level strong: our reusable workflows are public, so without it a run of them called from any repository on earth would count`,
			},
		},
		{
			name: "signer shapes",
			policy: `
			dev:
				signers:
					- {issuer: "https://token.actions.githubusercontent.com", key: keys/k.pub}
					- {}
					- {issuer: "https://token.actions.githubusercontent.com"}
					- {identity: "https://github.com/acme/app/.github/workflows/b.yml@refs/heads/main"}
					- {issuer: i, identity: a, identityRegexp: b}
`,
			want: []string{
				file + `:6:9: environments.dev.signers[0]: expected either a key or a keyless signer (issuer with identity, identityRegexp or signerWorkflow), found both`,
				file + `:7:9: environments.dev.signers[1]: expected key, or issuer with identity, identityRegexp or signerWorkflow, found neither`,
				file + `:8:9: environments.dev.signers[2]: expected identity, identityRegexp or signerWorkflow with issuer "https://token.actions.githubusercontent.com", found none: any identity of the issuer would do`,
				file + `:9:9: environments.dev.signers[3]: expected an issuer with the identity, found none`,
				file + `:10:9: environments.dev.signers[4]: expected identity or identityRegexp, found both`,
			},
		},
		{
			name:   "missing key file",
			policy: "\t\t\tdev: {signers: [{key: keys/release.pub}]}\n",
			want:   []string{file + `:4:25: environments.dev.signers[0].key: cannot read key file policies/keys/release.pub: file does not exist`},
		},
		{
			name:   "private key file",
			policy: "\t\t\tdev: {signers: [{key: keys/release.key}]}\n",
			files:  files{"policies/keys/release.key": privatePEM(t, key)},
			want:   []string{file + `:4:25: environments.dev.signers[0].key: key file policies/keys/release.key: expected a PEM public key, found a PRIVATE KEY: never put private keys in the policy`},
		},
		{
			name:   "key file not PEM",
			policy: "\t\t\tdev: {signers: [{key: keys/release.pub}]}\n",
			files:  files{"policies/keys/release.pub": "ssh-ed25519 AAAA…"},
			want:   []string{file + `:4:25: environments.dev.signers[0].key: key file policies/keys/release.pub: expected a PEM public key (-----BEGIN PUBLIC KEY-----), found no PEM block`},
		},
		{
			name:   "approvals.minimum out of range",
			policy: "\t\t\tdev: {approvals: {minimum: -1, preventSelfReview: yes}}\n",
			want: []string{
				file + `:4:30: environments.dev.approvals.minimum: expected a whole number from 0 to 100, found "-1"`,
				file + `:4:53: environments.dev.approvals.preventSelfReview: expected true or false, found "yes"`,
			},
		},
		{
			// GitHub lets the job in at the first reviewer's approval.
			name:   "more approvals than GitHub can record",
			policy: "\t\t\tdev: {approvals: {minimum: 2}}\n",
			want: []string{
				file + `:4:30: environments.dev.approvals.minimum: 2 approvals cannot be reached: GitHub lets a job into an environment as soon as one of its required reviewers approves, so a run records one approval for an environment, and relproof counts the approvals given for this environment only; use 1 (list several required reviewers for GitHub to choose from) or 0`,
			},
		},
		{
			name: "strong without what only the owner knows",
			policy: `
			production:
				level: strong
				signers: []
`,
			want: []string{
				file + `:4:3: environments.production: level strong requires source.repositories: list the repositories it may be built from`,
				file + `:4:3: environments.production: level strong requires builder.ids: list the builders you trust, with their @ref`,
				file + `:4:3: environments.production: level strong requires signers: list who may sign its evidence (signers.build)`,
			},
		},
		{
			name: "invalid CEL",
			policy: `
			dev:
				rules:
					- name: no-gpl3
						expr: "!sbom.packages.exists(p, p.license == 'GPL-3.0-only'"
						message: no GPL
`,
			want: []string{file + `:7:15: environments.dev.rules[0].expr: rule "no-gpl3": invalid CEL: column 53: Syntax error: missing ')' at '<EOF>'`},
		},
		{
			name: "undeclared CEL variable",
			policy: `
			dev:
				rules:
					- name: signed-off
						expr: "evidence.approved"
`,
			want: []string{file + `:7:15: environments.dev.rules[0].expr: rule "signed-off": invalid CEL: column 1: undeclared reference to 'evidence' (in container '')`},
		},
		{
			name: "CEL that is not a bool",
			policy: `
			dev:
				rules:
					- name: count
						expr: "size(sbom.packages) + 1"
`,
			want: []string{file + `:7:15: environments.dev.rules[0].expr: rule "count": expected an expression that gives a bool, found one that gives int`},
		},
		{
			name: "rule without expr, rule named twice",
			policy: `
			dev:
				rules:
					- name: a
						expr: "true"
					- name: a
						expr: "true"
					- name: b
`,
			want: []string{
				file + `:8:15: environments.dev.rules[1].name: rule "a" is defined twice: first at line 6`,
				file + `:10:9: environments.dev.rules[2]: missing field expr: a rule needs a name and an expr`,
			},
		},
		{
			name:   "missing exceptions file",
			policy: "\t\t\tdev: {vulnerabilities: {exceptions: exceptions.yaml}}\n",
			want:   []string{file + `:4:39: environments.dev.vulnerabilities.exceptions: cannot read exceptions file policies/exceptions.yaml: file does not exist`},
		},
		{
			name:   "malformed exceptions file",
			policy: "\t\t\tdev: {vulnerabilities: {exceptions: exceptions.yaml}}\n",
			files:  files{exc: "- id: CVE-2024-45337\n  reason: [unclosed\n"},
			want:   []string{exc + `:2: invalid YAML: did not find expected ',' or ']'`},
		},
		{
			name:   "exceptions file not a list",
			policy: "\t\t\tdev: {vulnerabilities: {exceptions: exceptions.yaml}}\n",
			files:  files{exc: "exceptions:\n  - id: CVE-2024-45337\n"},
			want:   []string{exc + `:1:1: expected a list, found a mapping`},
		},
		{
			name:   "bad exceptions",
			policy: "\t\t\tdev: {vulnerabilities: {exceptions: exceptions.yaml}}\n",
			files: files{exc: yamlText(`
		- id: CVE-2024-45337
		  reason: not reachable
		  approver: security@acme.example
		  expires: next spring
		- id: CVE-24-1
		  digest: sha256:ABC
		  reason: x
		  approver: y
		  expires: 2027-01-01
		  ticket: SEC-1
		- id: GHSA-v778-237x-gjrc
		  reason: x
		  expires: 2027-01-01
`)},
			want: []string{
				exc + `:4:12: [0].expires: expected an RFC 3339 time (2026-03-31T00:00:00Z) or a date (2026-03-31), found "next spring"`,
				exc + `:5:7: [1].id: expected a CVE or GHSA id (CVE-2024-45337, GHSA-v778-237x-gjrc), found "CVE-24-1"`,
				exc + `:6:11: [1].digest: expected a subject digest sha256:<64 lower-case hex digits>, found "sha256:ABC"`,
				exc + `:10:3: [1]: unknown field "ticket": expected one of id, digest, package, reason, approver, expires`,
				exc + `:11:3: [2]: missing field approver: an exception needs id, reason, approver and expires`,
			},
		},
		{
			name:   "repeated exception",
			policy: "\t\t\tdev: {vulnerabilities: {exceptions: exceptions.yaml}}\n",
			files:  files{exc: yamlText(goodException + goodException)},
			want:   []string{exc + `:6:3: [1]: the same exception (id, digest, package) as at line 1`},
		},
		{
			name: "exceptions file shared by two environments is reported once",
			policy: `
			dev: {vulnerabilities: {exceptions: exceptions.yaml}}
			staging: {vulnerabilities: {exceptions: exceptions.yaml}}
`,
			files: files{exc: "- {id: CVE-2024-45337}\n"},
			want: []string{
				exc + `:1:3: [0]: missing field reason: an exception needs id, reason, approver and expires`,
				exc + `:1:3: [0]: missing field approver: an exception needs id, reason, approver and expires`,
				exc + `:1:3: [0]: missing field expires: an exception needs id, reason, approver and expires`,
			},
		},
		{
			name: "every problem at once",
			policy: `
			dev:
				level: low
				approvals: {minimum: many}
			production:
				level: strong
				` + "\n" + `
`,
			want: []string{
				file + `:5:12: environments.dev.level: expected one of minimum, better, strong, found "low"`,
				file + `:6:26: environments.dev.approvals.minimum: expected a whole number from 0 to 100, found "many"`,
				file + `:7:3: environments.production: level strong requires source.repositories: list the repositories it may be built from`,
				file + `:7:3: environments.production: level strong requires builder.ids: list the builders you trust, with their @ref`,
				file + `:7:3: environments.production: level strong requires signers: list who may sign its evidence (signers.build)`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			text := tt.policy
			if text != "" && text[0] == '!' {
				text = text[1:]
			} else {
				text = header + strings.TrimPrefix(text, "\n")
			}
			_, err := Parse(file, []byte(yamlText(text)), tt.files.read)
			if !errors.Is(err, ErrInvalidPolicy) {
				t.Errorf("Parse error %v does not match ErrInvalidPolicy", err)
			}
			if diff := cmp.Diff(tt.want, errorLines(err)); diff != "" {
				t.Errorf("Parse errors (-want +got):\n%s\npolicy:\n%s", diff, yamlText(text))
			}
		})
	}
}

func TestParseErrorFields(t *testing.T) {
	t.Parallel()
	_, err := Parse("p.yaml", []byte(yamlText(header+"\t\t\tdev: {vulnerabilities: {exceptions: x.yaml}}\n")), files{}.read)
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is not an *Error", err)
	}
	want := &Error{File: "p.yaml", Line: 4, Column: 39, Field: "environments.dev.vulnerabilities.exceptions",
		Msg: "cannot read exceptions file x.yaml: file does not exist", Err: pe.Err}
	if diff := cmp.Diff(*want, *pe, cmpopts.EquateErrors()); diff != "" {
		t.Errorf("*Error (-want +got):\n%s", diff)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v does not wrap fs.ErrNotExist", err)
	}
}

func TestParseWithoutFileAccess(t *testing.T) {
	t.Parallel()
	_, err := Parse("p.yaml", []byte(yamlText(header+"\t\t\tdev: {signers: [{key: k.pub}]}\n")), nil)
	want := "p.yaml:4:25: environments.dev.signers[0].key: cannot read key file k.pub: this policy was parsed without file access"
	if err == nil || err.Error() != want {
		t.Errorf("Parse error %v, want %s", err, want)
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key := newECDSAKey(t)
	write := func(name, data string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	policy := yamlText(header + `
			production:
				level: strong
				source: {repositories: [github.com/acme/app]}
				builder: {ids: ["https://github.com/acme/ci/.github/workflows/b.yml@refs/tags/v1*"]}
				signers: [{key: keys/release.pub}]
				vulnerabilities: {exceptions: exceptions.yaml}
			staging:
				signers: [{key: keys/release.pub}]
				vulnerabilities: {exceptions: exceptions.yaml}
`)
	pub := publicPEM(t, &key.PublicKey)
	exceptions := yamlText(`
		- id: CVE-2024-45337
		  reason: not reachable
		  approver: security@acme.example
		  expires: 2027-01-01
`)
	write("policy.yaml", policy)
	write("keys/release.pub", pub)
	write("exceptions.yaml", exceptions)

	p, err := Load(filepath.Join(dir, "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []File{
		{Name: filepath.Join(dir, "policy.yaml"), Digest: digestOf([]byte(policy))},
		{Name: filepath.Join(dir, "keys/release.pub"), Digest: digestOf([]byte(pub))},
		{Name: filepath.Join(dir, "exceptions.yaml"), Digest: digestOf([]byte(exceptions))},
	}
	if diff := cmp.Diff(wantFiles, p.Files); diff != "" {
		t.Errorf("Files (-want +got):\n%s", diff)
	}
	if p.Digest != wantFiles[0].Digest {
		t.Errorf("Digest %s, want %s", p.Digest, wantFiles[0].Digest)
	}
	if diff := cmp.Diff([]string{"production", "staging"}, p.EnvironmentNames()); diff != "" {
		t.Errorf("EnvironmentNames (-want +got):\n%s", diff)
	}
	for _, name := range p.EnvironmentNames() {
		e := environment(t, p, name)
		if !e.Signers[0].PublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(&key.PublicKey) {
			t.Errorf("%s: signer key is not the key file's", name)
		}
		if len(e.Vulnerabilities.Exceptions) != 1 {
			t.Errorf("%s: %d exceptions, want 1", name, len(e.Vulnerabilities.Exceptions))
		}
	}

	_, err = Load(filepath.Join(dir, "missing.yaml"))
	if !errors.Is(err, ErrInvalidPolicy) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing file: %v, want ErrInvalidPolicy and fs.ErrNotExist", err)
	}
}

// At level minimum a keyless signer that leaves the caller open parses,
// with a warning the decision shows.
func TestOpenSignerWarnsAtMinimum(t *testing.T) {
	t.Parallel()
	p := parse(t, header+"\t\t\tdev:\n\t\t\t\tsigners: [{issuer: \"https://token.actions.githubusercontent.com\", signerWorkflow: \"acme/ci/.github/workflows/b.yml@refs/heads/main\"}]\n", nil)
	e := environment(t, p, "dev")
	if len(e.Warnings) != 1 || !strings.Contains(e.Warnings[0], "signers[0]: a keyless signer should name the sourceRepository whose runs count") {
		t.Errorf("warnings %q; want one about the open caller", e.Warnings)
	}
}

func TestEffectiveEnvironmentName(t *testing.T) {
	t.Parallel()
	p := parse(t, header+"\t\t\tProduction: {level: better, signers: ["+betterSignerYAML+"]}\n\t\t\tdev: {}\n", nil)
	tests := []struct {
		name    string
		ask     string
		want    string
		wantErr string
	}{
		{name: "exact", ask: "Production", want: "Production"},
		{name: "other case", ask: "production", want: "Production"},
		{name: "unknown", ask: "prod", wantErr: `environment "prod" is not in policy policies/policy.yaml: expected one of Production, dev`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := p.EffectiveEnvironment(tt.ask)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrUnknownEnvironment) || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %s (ErrUnknownEnvironment)", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.Name != tt.want {
				t.Errorf("Name %q, want %q", e.Name, tt.want)
			}
		})
	}
}

func TestEffectiveEnvironmentIsACopy(t *testing.T) {
	t.Parallel()
	p := parse(t, header+"\t\t\tdev: {source: {refs: [refs/heads/main]}}\n", nil)
	e := environment(t, p, "dev")
	e.Source.Refs[0] = "refs/heads/evil"
	e.Require = append(e.Require, AttestationTest)
	again := environment(t, p, "dev")
	if again.Source.Refs[0] != "refs/heads/main" || again.Requires(AttestationTest) {
		t.Errorf("changing one EffectiveEnvironment result changed the policy: %+v", again)
	}
}
