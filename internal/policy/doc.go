// Package policy reads a relproof policy and answers the questions the gate
// asks of it: is this registry, source repository, ref, builder, runner or
// signer allowed; does this finding block, or is it excepted; do the custom
// rules pass.
//
// The package is data in, decision parts out. It reads only the files it is
// given (the policy, the exceptions file and the signer key files the policy
// names, relative to the policy file); it has no clock (callers pass now) and
// no network. The gate assembles the decision from its answers.
//
// # The file
//
//	apiVersion: relproof.dev/v1
//	kind: Policy
//	environments:
//	  production:
//	    level: strong
//	    subject:    {requireDigest: true, allowedRepositories: ["ghcr.io/acme/*"]}
//	    source:     {repositories: ["github.com/acme/app"], refs: ["refs/heads/main", "refs/tags/v*"]}
//	    builder:    {ids: ["https://github.com/acme/ci/.github/workflows/build.yml@refs/tags/v1*"], runnerEnvironment: github-hosted}
//	    signers:    [{issuer: "https://token.actions.githubusercontent.com", identityRegexp: "^https://github.com/acme/.*"}, {key: keys/release.pub}]
//	    require:    [provenance, sbom, vuln, test]
//	    vulnerabilities: {maxSeverity: high, unknownAs: critical, exceptions: exceptions.yaml}
//	    approvals:  {minimum: 1, preventSelfReview: true, tiedToEvidence: true}
//	    rollback:   {required: true}
//	    breakGlass: {allowed: true, requireJustification: true}
//	    rules:      [{name: no-gpl3, expr: "...", message: "..."}]
//
// Parsing is strict: an unknown or repeated field, a value of the wrong kind,
// a bad enum value, glob, regular expression or CEL expression, a missing
// exceptions or key file, or YAML anchors and aliases are errors that name
// the file, line and column, the field, what was expected and what was
// found. Parse reports every problem it finds (up to 50), not only the
// first, joined one per line. Every such error matches ErrInvalidPolicy,
// and errors.As finds the first *Error. Environment names are matched without
// regard to case, as GitHub does.
//
// Policy.Digest is the sha256 of the policy file's bytes; Policy.Files lists
// every file read (policy, exceptions, keys) with its digest, for the
// decision record.
//
// # Levels
//
// level (minimum, better or strong; minimum when omitted) fills every field
// the environment does not set, following the control matrix in DESIGN.md.
// A field set in the file always wins, even when it is weaker than the
// preset (require: [provenance] under strong requires only provenance).
// Environment.Defaults lists the fields a preset filled.
//
//	field                            minimum       better             strong
//	subject.requireDigest            true          true               true
//	require                          [provenance]  [provenance, sbom] [provenance, sbom, vuln, test]
//	builder.runnerEnvironment        any           any                github-hosted
//	vulnerabilities.maxSeverity      critical      high               medium
//	vulnerabilities.unknownAs        critical      critical           critical
//	approvals.minimum                1             1                  1 (at most 1: see below)
//	approvals.preventSelfReview      false         true               true
//	approvals.tiedToEvidence         false         true               true
//	rollback.required                false         false              true
//	rollback.allowFirstRelease       true          true               false
//	breakGlass.allowed               false         false              false
//	breakGlass.requireJustification  true          true               true
//
// approvals.minimum is 0 or 1: GitHub lets a job into an environment when
// one of its required reviewers approves, so one run records one approval
// for an environment; a larger number could never be met and is refused.
// rollback.allowFirstRelease lets the first release to an environment (no
// earlier successful deployment to roll back to, as GitHub's deployments
// say) through a required rollback, with a warning.
//
// strong has no defaults for what only the owner can know, so it requires
// them to be listed: builder.ids, signers and source.repositories must not
// be empty. Lists not filled by a preset (allowed repositories, refs,
// builder ids, signers) mean "no restriction" when empty; the matchers then
// report Match.Unrestricted so the gate can say the check does not apply.
//
// # Patterns
//
// subject.allowedRepositories, source.repositories, source.refs and
// builder.ids are globs matched against the whole value: * matches any run
// of characters except /, ** any run including /, ? one character except /,
// [a-z] and [!a-z] a class, and \ escapes the next character.
//
//   - Subject repositories are HOST/REPOSITORY ("ghcr.io/acme/*"); a found
//     value loses its oci:// scheme, @digest and :tag before matching.
//   - Source repositories are HOST/OWNER/REPO. Patterns and found values are
//     normalized the same way (ParseSourceURI): "github.com/o/r",
//     "https://github.com/o/r.git" and "git+https://github.com/o/r@refs/heads/main"
//     all become "github.com/o/r", lower-cased, as GitHub names are.
//   - Refs are full ref names ("refs/heads/main", "refs/tags/v*").
//   - Builder ids are URIs including the @ref of the reusable workflow.
//
// A keyless signer is an issuer (exact) and an identity (exact) or
// identityRegexp (RE2, matched against the whole identity: it is anchored
// at both ends whether or not it says ^ and $). A key signer is a PEM public
// key file (PKIX "PUBLIC KEY"), loaded at Load time and compared with the
// key that signed.
//
// # Vulnerabilities
//
// Severities are ordered critical > high > medium > low > negligible. A
// finding blocks when its severity is above maxSeverity (none blocks every
// finding; critical blocks none). A finding the scanner did not rate (no
// severity, "unknown", or a word this package does not know, such as
// "CRIT") is unrated: it counts as unknownAs (critical, high, medium, low or
// negligible; critical by default), so a scanner that cannot rate a finding
// does not let it through, and its message says it was unrated and what it
// counted as. unknownAs: ignore makes unrated findings block nothing, even
// under maxSeverity none. A blocking finding is
// excused by an Exception with its id (CVE or GHSA), matching digest and
// package when the exception names them, that has not expired at the now
// the caller gives. An expiry given as a date (2026-03-31) means 00:00 UTC
// that day: the exception no longer holds on that date. An expired
// exception excuses nothing, and the result says when it expired.
//
// The exceptions file is a YAML list:
//
//	# exceptions.yaml
//	- id: CVE-2024-45337
//	  package: golang.org/x/crypto      # optional: only this package
//	  digest: sha256:…                  # optional: only this subject digest
//	  reason: not reachable; fixed upstream in the next base image
//	  approver: security@acme.example
//	  expires: 2026-03-31               # RFC 3339 or a date
//
// # Rules
//
// rules are CEL expressions compiled at Load time; each must give a bool. An
// expression that fails at run time, gives anything but a bool, or exceeds
// RuleCostLimit fails the rule: rules fail closed. Evidence the gate does
// not have is an empty map, so a rule that reads it fails — "not
// evaluated: needs a verified SBOM (see required-sbom)", naming what is
// missing — rather than passing by accident; use has() to make such a rule
// lenient on purpose. The standard CEL library and the strings extension
// (lowerAscii, split, …) are available. The variables:
//
//	subject      map     {name: "ghcr.io/acme/app", digest: "sha256:…"}
//	             subject.name.startsWith("ghcr.io/acme/")
//	provenance   map     the SLSA v1 provenance predicate, as JSON decodes it
//	             provenance.buildDefinition.externalParameters.workflow.ref == "refs/heads/main"
//	sbom         map     {packages: [{name, version, license, purl}]}
//	             !sbom.packages.exists(p, p.license == 'GPL-3.0-only')
//	vuln         map     {findings: [{id, package, version, severity, fixedVersion}]}, severity normalized
//	                     (critical, high, medium, low, negligible, unknown)
//	             vuln.findings.all(f, f.severity != 'critical' || f.fixedVersion == '')
//	tests        map     {result: "PASSED"|"WARNED"|"FAILED", passed, failed, warned: [names]}
//	             tests.result == 'PASSED' && size(tests.warned) == 0
//	approvals    list    [{reviewer, state, time (timestamp), comment}]
//	             approvals.exists(a, a.state == 'approved' && a.reviewer in ['alice', 'bob'])
//	environment  string  the environment's name, as the policy spells it
//	             environment != 'production' || size(approvals) >= 2
package policy
