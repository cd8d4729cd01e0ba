package policy

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// parser reads one policy and the files it names.
type parser struct {
	r        reporter // for the policy file
	readFile func(string) ([]byte, error)
	errs     []error
	files    []File
	// loaded caches what was read from each named file, by resolved path;
	// nil for a file that could not be read or parsed.
	loaded map[string]any
}

func newParser(name string, readFile func(string) ([]byte, error)) *parser {
	p := &parser{readFile: readFile, loaded: map[string]any{}}
	p.r = reporter{file: name, errs: &p.errs}
	return p
}

func (p *parser) err() error {
	switch len(p.errs) {
	case 0:
		return nil
	case 1:
		return p.errs[0]
	}
	return errors.Join(p.errs...)
}

func (p *parser) policy(data []byte, pol *Policy) {
	root, empty := p.r.document(data)
	if empty {
		p.r.add(&Error{Msg: fmt.Sprintf("expected a policy (apiVersion: %s, kind: %s, environments: …), found an empty file", APIVersion, Kind)})
	}
	if root == nil {
		return
	}
	seen := p.r.fields(root, "", []field{
		{"apiVersion", func(v *yaml.Node) { p.constant(v, "apiVersion", APIVersion) }},
		{"kind", func(v *yaml.Node) { p.constant(v, "kind", Kind) }},
		{"environments", func(v *yaml.Node) { p.environments(v, pol) }},
	})
	if seen == nil {
		return
	}
	for _, f := range []struct{ name, want string }{
		{"apiVersion", APIVersion}, {"kind", Kind}, {"environments", "a mapping of environment names to their rules"},
	} {
		if !seen[f.name] {
			p.r.errorf(root, "", "missing field %s: expected %s", f.name, f.want)
		}
	}
}

func (p *parser) constant(n *yaml.Node, path, want string) {
	if s, ok := p.r.str(n, path); ok && s != want {
		p.r.errorf(n, path, "expected %q, found %q", want, s)
	}
}

func (p *parser) environments(n *yaml.Node, pol *Policy) {
	if n.Kind != yaml.MappingNode {
		p.r.errorf(n, "environments", "expected a mapping of environment names to their rules, found %s", describe(n))
		return
	}
	if len(n.Content) == 0 {
		p.r.errorf(n, "environments", "expected at least one environment, found none")
		return
	}
	first := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name, ok := p.r.text(k, "environments")
		if !ok {
			continue
		}
		key := strings.ToLower(name)
		if f, dup := first[key]; dup {
			p.r.errorf(k, "environments", "duplicate environment %q: first at line %d as %q (names are not case sensitive)", name, f.Line, f.Value)
			continue
		}
		first[key] = k
		if e := p.environment(name, k, v); e != nil {
			pol.envs[key] = e
			pol.names = append(pol.names, name)
		}
	}
}

// environment parses one environment and applies its level's presets; nil
// when it has errors.
func (p *parser) environment(name string, k, n *yaml.Node) *Environment {
	e := &Environment{Name: name, File: p.r.file, Line: k.Line}
	path := "environments." + name
	set := map[string]bool{}
	before := p.r.count()
	r := p.r
	at := func(f string) string { return path + "." + f }
	var open []openSigner

	r.fields(n, path, []field{
		{"level", func(v *yaml.Node) {
			if s, ok := r.enum(v, at("level"), string(LevelMinimum), string(LevelBetter), string(LevelStrong)); ok {
				e.Level = Level(s)
				set["level"] = true
			}
		}},
		{"subject", func(v *yaml.Node) {
			r.fields(v, at("subject"), []field{
				{"requireDigest", p.setBool(&e.Subject.RequireDigest, at("subject.requireDigest"), set, "subject.requireDigest")},
				{"allowedRepositories", func(v *yaml.Node) {
					e.Subject.AllowedRepositories = r.strings(v, at("subject.allowedRepositories"), checkSubjectPattern)
				}},
			})
		}},
		{"source", func(v *yaml.Node) {
			r.fields(v, at("source"), []field{
				{"repositories", func(v *yaml.Node) {
					e.Source.Repositories = r.strings(v, at("source.repositories"), checkSourcePattern)
				}},
				{"refs", func(v *yaml.Node) { e.Source.Refs = r.strings(v, at("source.refs"), checkRefPattern) }},
			})
		}},
		{"builder", func(v *yaml.Node) {
			r.fields(v, at("builder"), []field{
				{"ids", func(v *yaml.Node) { e.Builder.IDs = r.strings(v, at("builder.ids"), checkBuilderPattern) }},
				{"runnerEnvironment", func(v *yaml.Node) {
					if s, ok := r.enum(v, at("builder.runnerEnvironment"), string(RunnerGitHubHosted), string(RunnerSelfHosted), string(RunnerAny)); ok {
						e.Builder.RunnerEnvironment = RunnerEnvironment(s)
						set["builder.runnerEnvironment"] = true
					}
				}},
			})
		}},
		{"signers", func(v *yaml.Node) { open = p.signers(v, at("signers"), e) }},
		{"require", func(v *yaml.Node) {
			types := r.strings(v, at("require"), checkAttestationType)
			if types != nil {
				e.Require = make([]AttestationType, len(types))
				for i, t := range types {
					e.Require[i] = AttestationType(t)
				}
				set["require"] = true
			}
		}},
		{"vulnerabilities", func(v *yaml.Node) {
			r.fields(v, at("vulnerabilities"), []field{
				{"maxSeverity", p.setSeverity(&e.Vulnerabilities.MaxSeverity, at("vulnerabilities.maxSeverity"), set, "vulnerabilities.maxSeverity", string(SeverityNone))},
				{"unknownAs", p.setSeverity(&e.Vulnerabilities.UnknownAs, at("vulnerabilities.unknownAs"), set, "vulnerabilities.unknownAs", string(SeverityIgnore))},
				{"exceptions", func(v *yaml.Node) {
					if s, ok := r.text(v, at("vulnerabilities.exceptions")); ok {
						e.Vulnerabilities.ExceptionsFile = s
						e.Vulnerabilities.Exceptions = p.exceptions(v, at("vulnerabilities.exceptions"), s)
					}
				}},
			})
		}},
		{"approvals", func(v *yaml.Node) {
			r.fields(v, at("approvals"), []field{
				{"minimum", func(v *yaml.Node) {
					if i, ok := r.integer(v, at("approvals.minimum"), 0, maxApprovals); ok {
						e.Approvals.Minimum = i
						set["approvals.minimum"] = true
						if i > reachableApprovals {
							r.errorf(v, at("approvals.minimum"), "%d approvals cannot be reached: GitHub lets a job into an environment as soon as one of its required reviewers approves, so a run records one approval for an environment, and relproof counts the approvals given for this environment only; use 1 (list several required reviewers for GitHub to choose from) or 0", i)
						}
					}
				}},
				{"preventSelfReview", p.setBool(&e.Approvals.PreventSelfReview, at("approvals.preventSelfReview"), set, "approvals.preventSelfReview")},
				{"tiedToEvidence", p.setBool(&e.Approvals.TiedToEvidence, at("approvals.tiedToEvidence"), set, "approvals.tiedToEvidence")},
			})
		}},
		{"rollback", func(v *yaml.Node) {
			r.fields(v, at("rollback"), []field{
				{"required", p.setBool(&e.Rollback.Required, at("rollback.required"), set, "rollback.required")},
				{"allowFirstRelease", p.setBool(&e.Rollback.AllowFirstRelease, at("rollback.allowFirstRelease"), set, "rollback.allowFirstRelease")},
			})
		}},
		{"breakGlass", func(v *yaml.Node) {
			r.fields(v, at("breakGlass"), []field{
				{"allowed", p.setBool(&e.BreakGlass.Allowed, at("breakGlass.allowed"), set, "breakGlass.allowed")},
				{"requireJustification", p.setBool(&e.BreakGlass.RequireJustification, at("breakGlass.requireJustification"), set, "breakGlass.requireJustification")},
			})
		}},
		{"rules", func(v *yaml.Node) {
			names := map[string]int{}
			r.list(v, at("rules"), func(path string, item *yaml.Node) {
				if rule, ok := p.rule(item, path, names); ok {
					e.Rules = append(e.Rules, rule)
				}
			})
		}},
	})
	if p.r.count() > before {
		return nil
	}
	applyPreset(e, set)
	for _, missing := range e.missingForLevel() {
		r.errorf(k, path, "level %s requires %s", e.Level, missing)
	}
	for _, o := range open {
		const why = "our reusable workflows are public, so without it a run of them called from any repository on earth would count"
		if e.Level == LevelMinimum {
			e.Warnings = append(e.Warnings, fmt.Sprintf("%s:%d: %s: a keyless signer should name the sourceRepository whose runs count: %s", p.r.file, o.node.Line, o.path, why))
			continue
		}
		r.errorf(o.node, o.path, "a keyless signer must name the sourceRepository whose runs count at level %s: %s", e.Level, why)
	}
	if p.r.count() > before {
		return nil
	}
	return e
}

// maxApprovals bounds approvals.minimum: GitHub allows six required reviewers
// per environment, each of which may be a team.
const maxApprovals = 100

// reachableApprovals is the most approvals one run can record for one
// environment: GitHub lets the job in at the first required reviewer's
// approval, and later reviewers are never asked.
const reachableApprovals = 1

func (p *parser) setBool(dst *bool, path string, set map[string]bool, name string) func(*yaml.Node) {
	return func(v *yaml.Node) {
		if b, ok := p.r.boolean(v, path); ok {
			*dst = b
			set[name] = true
		}
	}
}

// setSeverity sets a severity: one of the five, or one of extra (none for
// maxSeverity, ignore for unknownAs).
func (p *parser) setSeverity(dst *Severity, path string, set map[string]bool, name string, extra ...string) func(*yaml.Node) {
	return func(v *yaml.Node) {
		allowed := append([]string{"critical", "high", "medium", "low", "negligible"}, extra...)
		if s, ok := p.r.enum(v, path, allowed...); ok {
			*dst = Severity(s)
			set[name] = true
		}
	}
}

func checkAttestationType(s string) (string, error) {
	switch AttestationType(s) {
	case AttestationProvenance, AttestationSBOM, AttestationVuln, AttestationTest, AttestationSignature:
		return s, nil
	}
	return "", fmt.Errorf("expected one of provenance, sbom, vuln, test, signature, found %q", s)
}

// openSigner is a keyless signer that does not say which repository's runs
// count; whether that is an error depends on the level, known later.
type openSigner struct {
	path string
	node *yaml.Node
}

// signers parses an environment's signers: a mapping from a kind of
// evidence ("build" for all the build kinds, "approval", "decision", …) to
// the signers that may sign it, or — the short form — a list of signers
// that may sign the build kinds only. It returns the keyless signers that
// leave the source repository open.
func (p *parser) signers(n *yaml.Node, path string, e *Environment) []openSigner {
	e.Signers = []Signer{}
	var open []openSigner
	each := func(kinds []EvidenceKind) func(path string, item *yaml.Node) {
		return func(path string, item *yaml.Node) {
			s, ok := p.signer(item, path)
			if !ok {
				return
			}
			s.Kinds = kinds
			if s.Keyless() && s.SourceRepository == "" && s.SourceRepositoryID == "" {
				open = append(open, openSigner{path: path, node: item})
			}
			e.Signers = append(e.Signers, s)
		}
	}
	if n.Kind == yaml.SequenceNode {
		p.r.list(n, path, each(BuildKinds))
		return open
	}
	fields := make([]field, 0, len(signerGroupNames))
	for _, g := range signerGroupNames {
		kinds := signerGroups[g]
		fields = append(fields, field{g, func(v *yaml.Node) { p.r.list(v, join(path, g), each(kinds)) }})
	}
	if n.Kind != yaml.MappingNode {
		p.r.errorf(n, path, "expected a mapping from the kind of evidence (%s) to its signers, or a list of build signers, found %s", strings.Join(signerGroupNames, ", "), describe(n))
		return nil
	}
	p.r.fields(n, path, fields)
	return open
}

// signer parses one signers entry.
func (p *parser) signer(n *yaml.Node, path string) (Signer, bool) {
	var s Signer
	before := p.r.count()
	var keyNode *yaml.Node
	glob := func(dst *string, field string, check func(string) (string, error)) func(*yaml.Node) {
		return func(v *yaml.Node) {
			if text, ok := p.r.text(v, path+"."+field); ok {
				if g, err := check(text); err != nil {
					p.r.errorf(v, path+"."+field, "%v", err)
				} else {
					*dst = g
				}
			}
		}
	}
	seen := p.r.fields(n, path, []field{
		{"issuer", func(v *yaml.Node) { s.Issuer, _ = p.r.text(v, path+".issuer") }},
		{"identity", func(v *yaml.Node) { s.Identity, _ = p.r.text(v, path+".identity") }},
		{"identityRegexp", func(v *yaml.Node) {
			if expr, ok := p.r.text(v, path+".identityRegexp"); ok {
				if _, err := anchoredRegexp(expr); err != nil {
					p.r.errorf(v, path+".identityRegexp", "expected an RE2 regular expression, found %q: %v", expr, err)
					return
				}
				s.IdentityRegexp = expr
			}
		}},
		{"signerWorkflow", glob(&s.SignerWorkflow, "signerWorkflow", checkWorkflowPattern)},
		{"sourceRepository", glob(&s.SourceRepository, "sourceRepository", checkSignerRepository)},
		{"sourceRepositoryId", func(v *yaml.Node) {
			if id, ok := p.r.text(v, path+".sourceRepositoryId"); ok {
				if strings.Trim(id, "0123456789") != "" {
					p.r.errorf(v, path+".sourceRepositoryId", "expected the repository's numeric id (GET /repos/OWNER/REPO .id), found %q", id)
					return
				}
				s.SourceRepositoryID = id
			}
		}},
		{"sourceRef", glob(&s.SourceRef, "sourceRef", checkRefPattern)},
		{"runnerEnvironment", func(v *yaml.Node) {
			if env, ok := p.r.enum(v, path+".runnerEnvironment", string(RunnerGitHubHosted), string(RunnerSelfHosted)); ok {
				s.RunnerEnvironment = RunnerEnvironment(env)
			}
		}},
		{"key", func(v *yaml.Node) {
			if name, ok := p.r.text(v, path+".key"); ok {
				s.Key = name
				keyNode = v
			}
		}},
	})
	if seen == nil || p.r.count() > before {
		return s, false
	}
	identified := seen["identity"] || seen["identityRegexp"] || seen["signerWorkflow"]
	keyless := identified || seen["issuer"] || seen["sourceRepository"] || seen["sourceRepositoryId"] || seen["sourceRef"] || seen["runnerEnvironment"]
	switch {
	case seen["key"] && keyless:
		p.r.errorf(n, path, "expected either a key or a keyless signer (issuer with identity, identityRegexp or signerWorkflow), found both")
	case !seen["key"] && !keyless:
		p.r.errorf(n, path, "expected key, or issuer with identity, identityRegexp or signerWorkflow, found neither")
	case seen["key"]:
		k, ok := p.key(keyNode, path+".key", s.Key)
		if ok {
			s.PublicKey, s.KeyDigest = k.key, k.digest
		}
	case !seen["issuer"]:
		p.r.errorf(n, path, "expected an issuer with the identity, found none")
	case seen["identity"] && seen["identityRegexp"]:
		p.r.errorf(n, path, "expected identity or identityRegexp, found both")
	case !identified:
		p.r.errorf(n, path, "expected identity, identityRegexp or signerWorkflow with issuer %q, found none: any identity of the issuer would do", s.Issuer)
	}
	return s, p.r.count() == before
}

func (p *parser) resolve(name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(filepath.Dir(p.r.file), name)
}

// read reads a file the policy names, once, and records its digest.
func (p *parser) read(n *yaml.Node, path, what, name string) (string, []byte, bool) {
	resolved := p.resolve(name)
	if p.readFile == nil {
		p.r.errorf(n, path, "cannot read %s %s: this policy was parsed without file access", what, resolved)
		return resolved, nil, false
	}
	data, err := p.readFile(resolved)
	if err != nil {
		p.r.add(&Error{Line: n.Line, Column: n.Column, Field: path,
			Msg: fmt.Sprintf("cannot read %s %s: %s", what, resolved, errText(err)), Err: err})
		return resolved, nil, false
	}
	p.files = append(p.files, File{Name: resolved, Digest: digestOf(data)})
	return resolved, data, true
}

// errText is err's message without the operation and path that os errors
// carry: the caller names the file itself.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
