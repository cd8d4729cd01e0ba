package policy

import (
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"slices"
	"strings"
	"time"
)

// The policy file's apiVersion and kind.
const (
	APIVersion = "relproof.dev/v1"
	Kind       = "Policy"
)

// Level is a control level of the control matrix; it presets an
// environment's defaults.
type Level string

// Levels.
const (
	LevelMinimum Level = "minimum"
	LevelBetter  Level = "better"
	LevelStrong  Level = "strong"
)

// AttestationType names evidence an environment can require.
type AttestationType string

// Attestation types.
const (
	AttestationProvenance AttestationType = "provenance"
	AttestationSBOM       AttestationType = "sbom"
	AttestationVuln       AttestationType = "vuln"
	AttestationTest       AttestationType = "test"
	// AttestationSignature is a plain signature over the artifact's digest
	// (a Sigstore message-signature bundle, as `cosign sign-blob --bundle`
	// makes) by one of the environment's signers: no statement, no predicate.
	AttestationSignature AttestationType = "signature"
)

// RunnerEnvironment is where a build may have run.
type RunnerEnvironment string

// Runner environments, as GitHub's OIDC token and Fulcio certificates say
// them; RunnerAny allows either.
const (
	RunnerGitHubHosted RunnerEnvironment = "github-hosted"
	RunnerSelfHosted   RunnerEnvironment = "self-hosted"
	RunnerAny          RunnerEnvironment = "any"
)

// Policy is a parsed policy file.
type Policy struct {
	Name   string // the file's name, as given to Load or Parse
	Digest string // "sha256:HEX" of the policy file's bytes
	// Files are every file the policy was read from, the policy first, then
	// exceptions and key files in the order the policy names them.
	Files []File

	envs  map[string]*Environment // by lower-cased name, presets applied
	names []string                // in file order
}

// File is a file a policy was read from.
type File struct {
	Name   string `json:"name"`
	Digest string `json:"digest"` // "sha256:HEX"
}

// Environment is what a policy says about deployments to one environment.
// EffectiveEnvironment returns it with the level's presets applied.
type Environment struct {
	Name            string
	Level           Level
	Subject         SubjectPolicy
	Source          SourcePolicy
	Builder         BuilderPolicy
	Signers         []Signer
	Require         []AttestationType
	Vulnerabilities VulnerabilityPolicy
	Approvals       ApprovalPolicy
	Rollback        RollbackPolicy
	BreakGlass      BreakGlassPolicy
	Rules           []Rule

	// Defaults are the fields the level's preset filled, as the file would
	// spell them ("approvals.minimum"), in the order of the preset table.
	Defaults []string
	// File and Line locate the environment in the policy.
	File string
	Line int
	// Warnings are what the policy allows but should not (a keyless signer
	// that leaves open which repository's runs count, at level minimum).
	Warnings []string
}

// SubjectPolicy constrains the artifact.
type SubjectPolicy struct {
	// RequireDigest denies a subject given only by tag.
	RequireDigest bool
	// AllowedRepositories are HOST/REPOSITORY globs for oci:// subjects;
	// empty allows any.
	AllowedRepositories []string
}

// SourcePolicy constrains the source the artifact was built from.
type SourcePolicy struct {
	Repositories []string // HOST/OWNER/REPO globs; empty allows any
	Refs         []string // full ref globs; empty allows any
}

// BuilderPolicy constrains the build.
type BuilderPolicy struct {
	IDs               []string // builder id globs, with @ref; empty allows any
	RunnerEnvironment RunnerEnvironment
}

// EvidenceKind is a class of evidence, as far as who may sign it is concerned.
type EvidenceKind string

// Kinds of evidence. The build kinds (provenance, sbom, vuln, test,
// signature and custom predicates) come from the build; approvals from the
// deployment gate's approval job; decisions from the gate itself.
const (
	KindProvenance EvidenceKind = "provenance"
	KindSBOM       EvidenceKind = "sbom"
	KindVuln       EvidenceKind = "vuln"
	KindTest       EvidenceKind = "test"
	KindSignature  EvidenceKind = "signature"
	KindCustom     EvidenceKind = "custom" // any predicate type that is none of relproof's
	KindApproval   EvidenceKind = "approval"
	KindDecision   EvidenceKind = "decision"
	KindDeployment EvidenceKind = "deployment"
	KindVSA        EvidenceKind = "vsa"
)

// BuildKinds are what a build signs, the kinds a "build" signer may sign.
var BuildKinds = []EvidenceKind{KindProvenance, KindSBOM, KindVuln, KindTest, KindSignature, KindCustom}

// signerGroups are the keys of the signers mapping: a kind, or "build" for
// all the build kinds.
var signerGroups = map[string][]EvidenceKind{
	"build":                BuildKinds,
	string(KindProvenance): {KindProvenance},
	string(KindSBOM):       {KindSBOM},
	string(KindVuln):       {KindVuln},
	string(KindTest):       {KindTest},
	string(KindSignature):  {KindSignature},
	string(KindCustom):     {KindCustom},
	string(KindApproval):   {KindApproval},
	string(KindDecision):   {KindDecision},
	string(KindDeployment): {KindDeployment},
	string(KindVSA):        {KindVSA},
}

// signerGroupNames are signerGroups' keys in the order messages list them.
var signerGroupNames = []string{"build", "provenance", "sbom", "vuln", "test", "signature", "custom", "approval", "decision", "deployment", "vsa"}

// Signer is one identity that may sign some kinds of evidence: keyless
// (Issuer with Identity, IdentityRegexp or SignerWorkflow, narrowed by the
// certificate's GitHub claims) or a key (Key).
type Signer struct {
	Issuer         string `json:"issuer,omitempty"`
	Identity       string `json:"identity,omitempty"`
	IdentityRegexp string `json:"identityRegexp,omitempty"`
	// SignerWorkflow is a glob over the workflow that signed — the
	// certificate's Build Signer URI, [HOST/]OWNER/REPO/.github/workflows/F@REF
	// (a reusable workflow names itself, not its caller).
	SignerWorkflow string `json:"signerWorkflow,omitempty"`
	// SourceRepository is a glob over HOST/OWNER/REPO of the repository whose
	// run signed (the certificate's Source Repository URI: for a reusable
	// workflow, the caller). SourceRepositoryID pins its numeric id, which
	// survives a rename and is not reused by a new repository of the same name.
	SourceRepository   string `json:"sourceRepository,omitempty"`
	SourceRepositoryID string `json:"sourceRepositoryId,omitempty"`
	// SourceRef is a glob over the ref the run was for (refs/tags/v*).
	SourceRef string `json:"sourceRef,omitempty"`
	// RunnerEnvironment, when set, must be the certificate's.
	RunnerEnvironment RunnerEnvironment `json:"runnerEnvironment,omitempty"`
	Key               string            `json:"key,omitempty"` // the key file, as the policy names it

	PublicKey crypto.PublicKey `json:"-"`                   // the key file's key
	KeyDigest string           `json:"keyDigest,omitempty"` // "sha256:HEX" of its DER SubjectPublicKeyInfo
	// Kinds are the kinds of evidence it may sign.
	Kinds []EvidenceKind `json:"kinds"`
}

// Keyless reports whether the signer is a certificate identity.
func (sg Signer) Keyless() bool { return sg.Key == "" }

// May reports whether the signer may sign evidence of kind k.
func (sg Signer) May(k EvidenceKind) bool { return slices.Contains(sg.Kinds, k) }

// SignersFor returns the signers that may sign evidence of kind k.
func (e *Environment) SignersFor(k EvidenceKind) []Signer {
	var out []Signer
	for _, sg := range e.Signers {
		if sg.May(k) {
			out = append(out, sg)
		}
	}
	return out
}

// VulnerabilityPolicy says which findings block.
type VulnerabilityPolicy struct {
	// MaxSeverity is the highest severity that does not block.
	MaxSeverity Severity
	// UnknownAs is the severity a finding of unknown severity counts as.
	UnknownAs Severity
	// ExceptionsFile is the exceptions file as the policy names it.
	ExceptionsFile string
	Exceptions     []Exception
}

// ApprovalPolicy says which approvals a deployment needs.
type ApprovalPolicy struct {
	// Minimum is the number of distinct approving reviewers; 0 needs none.
	Minimum int
	// PreventSelfReview does not count an approval by an author of the change.
	PreventSelfReview bool
	// TiedToEvidence counts only approvals given after the check run that
	// showed reviewers the digest and its evidence checklist was posted.
	TiedToEvidence bool
}

// RollbackPolicy says whether a deployment must name its rollback digest.
type RollbackPolicy struct {
	// Required denies a deployment without a rollback digest that has
	// passing provenance.
	Required bool
	// AllowFirstRelease lets the first release to the environment (GitHub
	// has no earlier successful deployment of a digest to it, so there is
	// nothing to roll back to) through a required rollback, with a warning.
	AllowFirstRelease bool
}

// BreakGlassPolicy says whether an emergency deployment may bypass failing
// checks.
type BreakGlassPolicy struct {
	Allowed              bool
	RequireJustification bool
}

// Exception excuses a vulnerability finding until it expires.
type Exception struct {
	ID       string    `json:"id"`                // CVE-… or GHSA-…
	Digest   string    `json:"digest,omitempty"`  // only for this subject digest, when set
	Package  string    `json:"package,omitempty"` // only for this package, when set
	Reason   string    `json:"reason"`
	Approver string    `json:"approver"`
	Expires  time.Time `json:"expires"`
	// File and Line locate the exception.
	File string `json:"file"`
	Line int    `json:"line"`
}

// Load reads and parses the policy file at path. Files it names are read
// relative to its directory.
func Load(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot read the policy: " + errText(err), Err: err}
	}
	return Parse(path, data, os.ReadFile)
}

// Parse parses a policy. name identifies it in errors and locates the files
// it names (exceptions, keys), which readFile reads; with a nil readFile, a
// policy that names a file is an error.
func Parse(name string, data []byte, readFile func(string) ([]byte, error)) (*Policy, error) {
	p := newParser(name, readFile)
	pol := &Policy{
		Name:   name,
		Digest: digestOf(data),
		envs:   map[string]*Environment{},
	}
	pol.Files = append(pol.Files, File{Name: name, Digest: pol.Digest})
	p.policy(data, pol)
	if err := p.err(); err != nil {
		return nil, err
	}
	pol.Files = append(pol.Files, p.files...)
	return pol, nil
}

// EnvironmentNames returns the policy's environments, in file order.
func (p *Policy) EnvironmentNames() []string { return slices.Clone(p.names) }

// EffectiveEnvironment returns the environment called name (in any case),
// with its level's presets applied. The result is the caller's to keep or
// change. An unknown name is an *UnknownEnvironmentError.
func (p *Policy) EffectiveEnvironment(name string) (*Environment, error) {
	e, ok := p.envs[strings.ToLower(name)]
	if !ok {
		return nil, &UnknownEnvironmentError{Name: name, Policy: p.Name, Known: p.EnvironmentNames()}
	}
	return e.clone(), nil
}

func (e *Environment) clone() *Environment {
	c := *e
	c.Subject.AllowedRepositories = slices.Clone(e.Subject.AllowedRepositories)
	c.Source.Repositories = slices.Clone(e.Source.Repositories)
	c.Source.Refs = slices.Clone(e.Source.Refs)
	c.Builder.IDs = slices.Clone(e.Builder.IDs)
	c.Signers = slices.Clone(e.Signers)
	c.Require = slices.Clone(e.Require)
	c.Vulnerabilities.Exceptions = slices.Clone(e.Vulnerabilities.Exceptions)
	c.Rules = slices.Clone(e.Rules)
	c.Defaults = slices.Clone(e.Defaults)
	return &c
}

// Requires reports whether the environment requires evidence of type t.
func (e *Environment) Requires(t AttestationType) bool { return slices.Contains(e.Require, t) }

func digestOf(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}
