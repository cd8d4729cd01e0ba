package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/relproof/relproof/internal/decide"
	"github.com/relproof/relproof/internal/evidence"
	"github.com/relproof/relproof/internal/fsutil"
	"github.com/relproof/relproof/internal/gate"
	"github.com/relproof/relproof/internal/oci"
	"github.com/relproof/relproof/internal/policy"
	"github.com/relproof/relproof/internal/sign"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

type packBuildOptions struct {
	decisionFlags
	out             string
	bundles         []string
	bundlesDir      string
	approvals       string
	approvalsBundle string
	sourceEvidence  string
	buildLog        string
	deployRecord    string
	rollbackDigest  string
	signing         signingOptions
}

func newPackCmd(env *Env, g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pack",
		Short: "Build, verify and show the release evidence pack",
		Long: `The release evidence pack is one signed, reproducible directory that records a
release — source, build, artifacts, attestations, approvals, deployment — so an
auditor can defend it years later, offline:

  01-source/       pull-request-summary.md  commit-range.txt
  02-build/        build-log.txt  runner-metadata.json
  03-artifacts/    image-digests.txt  sbom.spdx.json
  04-attestations/ provenance.jsonl  sbom-attestation.jsonl  vuln-scan-attestation.jsonl
                   test-attestation.jsonl  signatures.jsonl  approval-attestation.jsonl
  05-approvals/    environment-approval.md  security-signoff.md
                   decision.json  decision.sigstore.json  policy/policy.yaml (+ its exceptions)
  06-deployment/   deploy-record.json  rollback-plan.md
  MANIFEST.json  MANIFEST.sigstore.json  index.html

A piece that is not available is never omitted: its file says what is missing
and why, and MANIFEST.json marks it missing.`,
	}
	cmd.AddCommand(newPackBuildCmd(env, g), newPackVerifyCmd(env, g), newPackShowCmd(env, g), newPackPushCmd(env, g), newPackPullCmd(env, g))
	return cmd
}

func newPackBuildCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &packBuildOptions{}
	cmd := &cobra.Command{
		Use:   "build SUBJECT --environment ENV --decision FILE --policy FILE --out DIR",
		Short: "Build the release evidence pack for a digest",
		Long: `Build the pack for SUBJECT from the gate decision (relproof gate --decision-out)
and the evidence: every bundle the decision lists as verified goes into
04-attestations, grouped by type (the SBOM's and the approval's too: the signed
approval attestation is read from --approvals-bundle, or from beside the
--approvals record). The decision as signed, its signed bundle, the policy it
was made under and the exceptions file the policy names for --environment go
into 05-approvals. An attestation the decision used that no file given holds
is recorded missing, and pack verify fails on it.

The decision is trusted only as signed: its bundle (--decision-bundle, default
DECISION.sigstore.json) must verify for the subject's digest under a signer
the policy (--policy) lists for decisions (signers.decision), the decision file
must be exactly what was signed, for --environment, with checks. An unsigned
or hand-written decision is refused (exit 1). Deterministic: the same evidence gives the
same files, timestamps taken from the decision. Atomic: built beside --out and
renamed into place. MANIFEST.sigstore.json is signed with --key or keyless.

` + signingHelp + `

Exit 0 built, 1 the decision is not signed as the policy requires, 2 bad input.`,
		Example: `  relproof pack build app.bin --environment production --decision decision.json \
    --policy .github/relproof/policy.yaml --bundles-dir evidence --approvals approval.json \
    --key release.key --out release-evidence`,
		Args: exactArgs(1, "one SUBJECT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPackBuild(cmd.Context(), cmd.OutOrStdout(), env, g, o, args[0])
		},
	}
	f := cmd.Flags()
	o.decisionFlags.add(f)
	f.StringVar(&o.out, "out", "", "the pack directory to create (new or empty), or FILE.tar.gz for a reproducible archive")
	f.StringArrayVar(&o.bundles, "bundle", nil, "an evidence file: bundle, DSSE envelope or JSON Lines (repeatable)")
	f.StringVar(&o.bundlesDir, "bundles-dir", "", "a directory of evidence files (*.json, *.jsonl)")
	f.StringVar(&o.approvals, "approvals", "", "the approval record (JSON from relproof approval record)")
	f.StringVar(&o.approvalsBundle, "approvals-bundle", "", "the signed approval attestation the decision used (default: the --approvals record's name with .sigstore.json for .json, when there)")
	f.StringVar(&o.sourceEvidence, "source-evidence", "", "a directory with pull-request-summary.md and commit-range.txt")
	f.StringVar(&o.buildLog, "build-log", "", "the build log")
	f.StringVar(&o.deployRecord, "deploy-record", "", "the deployment record (JSON)")
	f.StringVar(&o.rollbackDigest, "rollback-digest", "", "the digest to roll back to (default: the decision's)")
	o.signing.addFlags(cmd)
	o.decisionFlags.require(cmd)
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func runPackBuild(ctx context.Context, w io.Writer, env *Env, g *globalOptions, o *packBuildOptions, input string) error {
	if o.rollbackDigest != "" {
		if _, err := subject.ParseDigest(o.rollbackDigest); err != nil {
			return usageErrorf("--rollback-digest %q: %w", o.rollbackDigest, err)
		}
	}
	signed, err := o.signedDecision(func() (*subject.Subject, error) {
		return subject.Resolve(ctx, input, subject.WithRemoteOptions(env.Remote...), subject.WithClock(env.Now))
	})
	if err != nil {
		return err
	}
	d, subj, decJSON := signed.decision, signed.subject, signed.json
	files, err := evidenceFiles(o.bundles, o.bundlesDir)
	if err != nil {
		return err
	}
	if ab := o.approvalsBundlePath(); ab != "" {
		files = append(files, ab)
	}
	var platforms []evidence.Platform
	if ref, ok := subj.OCIReference(); ok {
		pms, err := oci.Platforms(ctx, ref, env.Remote...)
		if err != nil {
			return usageErrorf("subject %s: listing its platform manifests for image-digests.txt: %w", input, err)
		}
		for _, pm := range pms {
			platforms = append(platforms, evidence.Platform{Platform: pm.Platform, Digest: pm.Digest})
		}
	}
	in := evidence.Input{Platforms: platforms, Subject: subj, Decision: d, DecisionJSON: decJSON, SourceDir: o.sourceEvidence, RollbackDigest: o.rollbackDigest, Out: o.out}
	if err := o.decidedUnder(subj, decJSON, &in); err != nil {
		return err
	}
	for _, f := range files {
		data, err := readInput(f, "bundle")
		if err != nil {
			return err
		}
		in.Bundles = append(in.Bundles, evidence.File{Name: f, Data: data})
	}
	for _, opt := range []struct {
		path, what string
		dst        **evidence.File
	}{{o.approvals, "approvals", &in.Approvals}, {o.buildLog, "build log", &in.BuildLog}, {o.deployRecord, "deploy record", &in.DeployRecord}} {
		if opt.path == "" {
			continue
		}
		data, err := readInput(opt.path, opt.what)
		if err != nil {
			return err
		}
		*opt.dst = &evidence.File{Name: opt.path, Data: data}
	}
	if o.sourceEvidence != "" {
		if st, err := os.Stat(o.sourceEvidence); err != nil || !st.IsDir() {
			return usageErrorf("--source-evidence %s: expected a directory, found: %v", o.sourceEvidence, errOrText(err, "not a directory"))
		}
	}
	signer, closeSigner, err := o.signing.signer(ctx, env)
	if err != nil {
		return err
	}
	defer closeSigner()
	in.Signer = signer
	archive := ""
	if evidence.IsArchive(o.out) {
		// Build the directory beside the archive, then pack it up.
		if _, err := os.Stat(o.out); err == nil {
			return usageErrorf("--out %s: expected a new file, found one already there", o.out)
		}
		tmp, err := os.MkdirTemp(filepath.Dir(o.out), ".relproof-pack-*")
		if err != nil {
			return usageErrorf("--out %s: %w", o.out, err)
		}
		defer os.RemoveAll(tmp)
		archive, in.Out = o.out, filepath.Join(tmp, "release-evidence")
	}
	pack, err := evidence.Build(ctx, in)
	if err != nil {
		return usageError(err)
	}
	if archive != "" {
		data, err := evidence.Archive(pack.Dir, pack.Manifest.Time)
		if err != nil {
			return err
		}
		if err := fsutil.WriteFileAtomic(archive, data, 0o644); err != nil {
			return err
		}
		pack.Dir = archive
	}
	return g.report(w, pack.Manifest, func(w io.Writer) {
		fmt.Fprintf(w, "built %s: %d files for %s (%s to %s)\n", pack.Dir, len(pack.Manifest.Files), pack.Manifest.Digest, pack.Manifest.Decision, pack.Manifest.Environment)
		for _, e := range pack.Manifest.Missing() {
			fmt.Fprintf(w, "  missing %s: %s\n", e.Path, e.Missing)
		}
		if archive == "" {
			fmt.Fprintf(w, "open %s/%s\n", pack.Dir, evidence.IndexFile)
		}
	})
}

// approvalsBundlePath is the signed approval attestation to read: the one
// --approvals-bundle names, or the one beside the --approvals record when
// there is one ("" when neither).
func (o *packBuildOptions) approvalsBundlePath() string {
	if o.approvalsBundle != "" || o.approvals == "" {
		return o.approvalsBundle
	}
	p := strings.TrimSuffix(o.approvals, ".json") + ".sigstore.json"
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// decidedUnder reads what the pack keeps beside the decision — the policy
// it was made under with the exceptions file its environment names, and
// the decision's signed bundle — and verifies the bundle again, as
// signedDecision did, to record who signed it. The files are read anew, so
// what goes into the pack is what is verified here; a policy that is not
// the decision's goes in recorded missing (evidence.Build says why).
func (o *packBuildOptions) decidedUnder(subj *subject.Subject, decJSON []byte, in *evidence.Input) error {
	data, err := readInput(o.policy, "policy")
	if err != nil {
		return err
	}
	read := map[string][]byte{}
	pol, err := policy.Parse(o.policy, data, func(p string) ([]byte, error) {
		b, err := os.ReadFile(p)
		read[p] = b
		return b, err
	})
	if err != nil {
		return err
	}
	env, err := pol.EffectiveEnvironment(o.environment)
	if err != nil {
		return usageError(err)
	}
	in.Policy = &evidence.File{Name: o.policy, Data: data}
	if name := env.Vulnerabilities.ExceptionsFile; name != "" {
		resolved := name
		if !filepath.IsAbs(name) {
			resolved = filepath.Join(filepath.Dir(o.policy), name)
		}
		in.Exceptions = append(in.Exceptions, evidence.File{Name: name, Data: read[resolved]})
	}

	bundlePath := o.decisionBundle
	if bundlePath == "" {
		bundlePath = o.decision + ".sigstore.json"
	}
	bundle, err := readInput(bundlePath, "decision bundle")
	if err != nil {
		return err
	}
	tr, err := (&verifyOptions{trustedRoot: o.trustedRoot}).trustedRootMaterial()
	if err != nil {
		return err
	}
	_, a, err := decide.SignedDecision(subj, pol, o.environment, decJSON, bundle, bundlePath, tr)
	if err != nil {
		return fmt.Errorf("decision %s: %w", o.decision, err)
	}
	in.DecisionBundle = &evidence.File{Name: bundlePath, Data: bundle}
	in.DecisionSignature = &gate.Evidence{Type: "decision", PredicateType: a.PredicateType, Digest: a.Digest, Source: a.Source, Signer: a.Signer}
	return nil
}

func newPackVerifyCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &verifyOptions{}
	var attestationKeys []string
	cmd := &cobra.Command{
		Use:   "verify DIR|FILE.tar.gz|oci://HOST/REPO@sha256:… (--key PUB | --cert-identity SAN | --cert-identity-regexp RE | --signer-workflow WORKFLOW) [--trusted-root FILE]",
		Short: "Verify a release evidence pack offline",
		Long: `Verify a pack offline: every file against MANIFEST.json (no changed, missing or
extra file); the signature of MANIFEST.sigstore.json, by the pack signer's key
(--key) or keyless (a certificate identity under --trusted-root, public-good
when not given); that it signs exactly the manifest's files and the release
digest; and that every attestation in 04-attestations verifies for the
release digest and was signed by the signer MANIFEST.json records for it.

The gate decision in 05-approvals is checked too: it is the one MANIFEST.json
names; its signature verifies for the release digest, by the signer MANIFEST.json
records, over exactly this decision; the policy beside it is the one it was
made under; and the pack holds every attestation the decision used (by the
digest it lists), recorded with the signer the decision names, and no other.
A pack built before packs held their decision is checked without it, and
says so.

Attestations are checked against --key, --attestation-key and the trusted
root, so a key-signed pack may hold keyless GitHub attestations and a keyless
pack key-signed ones; each must then be signed by the signer MANIFEST.json
records for it. Give every key the attestations and the decision were signed
with (the approval key too, when approvals are signed with their own).

oci://HOST/REPO@sha256:… is a release digest whose pack was stored with
relproof pack push (give --environment when it has several), or the pack
artifact's own digest; it is fetched, then verified the same way.

An archive is read through once before anything is unpacked, and is bad input
unless it is a pack as relproof writes one: MANIFEST.json present; only regular
files and directories under release-evidence/; each once; only the files
MANIFEST.json lists, itself and MANIFEST.sigstore.json; at most 1024 entries,
256 MiB a file, 1 GiB in all. A file larger than MANIFEST.json lists is not
unpacked, and is reported changed.

With --output json the report is printed whether or not the pack verifies: the
verdict and every problem, and the manifest and attestations once verified.

Exit 0 verified, 1 not verified (each failing file named), 2 bad input (not a
pack: a directory or archive without MANIFEST.json, or a crafted archive).`,
		Example: `  relproof pack verify release-evidence --key release.pub
  relproof pack verify release-evidence.tar.gz \
    --cert-identity-regexp '^https://github\.com/acme/app/\.github/workflows/deploy\.yml@refs/tags/v.*$' \
    --trusted-root trusted_root.json --attestation-key release.pub
  relproof pack verify oci://ghcr.io/acme/app@sha256:… --environment production --key release.pub`,
		Args: exactArgs(1, "one pack DIR, archive or oci:// reference"),
		RunE: func(cmd *cobra.Command, args []string) error {
			warnUnanchored(cmd.ErrOrStderr(), "cert-identity-regexp", o.certIdentityRegexp)
			return runPackVerify(cmd.Context(), cmd.OutOrStdout(), env, g, o, attestationKeys, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.key, "key", "", "the public key the pack was signed with (PEM)")
	f.StringVar(&o.trustedRoot, "trusted-root", "", "trusted_root.json for keyless signatures (default: Sigstore public-good, embedded)")
	f.StringVar(&o.certIdentity, "cert-identity", "", "the pack signer's certificate subject alternative name, exactly")
	f.StringVar(&o.certIdentityRegexp, "cert-identity-regexp", "", "the pack signer's certificate subject alternative name, as a regular expression (it matches anywhere in the name unless anchored: ^…$)")
	f.StringVar(&o.signerWorkflow, "signer-workflow", "", "the workflow that signed the pack: [HOST/]OWNER/REPO/.github/workflows/FILE.yml[@REF]")
	f.StringVar(&o.certOIDCIssuer, "cert-oidc-issuer", verify.GitHubActionsIssuer, "the pack signer's OIDC issuer")
	f.StringArrayVar(&attestationKeys, "attestation-key", nil, "another public key the pack's attestations may be signed with (repeatable; --key counts too)")
	f.StringVar(&o.environment, "environment", "", "with an oci:// release digest: the environment whose pack to verify")
	cmd.MarkFlagsMutuallyExclusive("key", "cert-identity", "cert-identity-regexp", "signer-workflow")
	setFlagGroup(f, groupTrust, "key", "trusted-root", "cert-identity", "cert-identity-regexp", "signer-workflow", "cert-oidc-issuer", "attestation-key")
	return cmd
}

func runPackVerify(ctx context.Context, w io.Writer, env *Env, g *globalOptions, o *verifyOptions, attestationKeys []string, input string) error {
	if o.key == "" && o.certIdentity == "" && o.certIdentityRegexp == "" && o.signerWorkflow == "" {
		return usageErrorf("pack verify: expected the pack signer: --key PUB, or --cert-identity, --cert-identity-regexp or --signer-workflow for a keyless pack; found none")
	}
	p, err := o.policy()
	if err != nil {
		return err
	}
	opts := evidence.Options{Manifest: *p}
	// Attestations: by the key, and by the trusted root (public-good when
	// none is given), each then held to the signer the manifest records.
	if p.Key != nil {
		opts.Attestations = append(opts.Attestations, verify.Policy{Key: p.Key})
	}
	for _, k := range attestationKeys {
		pemBytes, err := readKey(k, "attestation key")
		if err != nil {
			return err
		}
		pub, err := sign.ParsePublicKey(k, pemBytes)
		if err != nil {
			return usageError(err)
		}
		opts.Attestations = append(opts.Attestations, verify.Policy{Key: pub})
	}
	tr := p.TrustedRoot
	if tr == nil {
		if tr, err = o.trustedRootMaterial(); err != nil {
			return err
		}
	}
	opts.Attestations = append(opts.Attestations, verify.Policy{TrustedRoot: tr, IgnoreIdentityUnsafe: true})

	pack, err := verifyPackInput(ctx, env, input, o.environment, opts)
	var pe *evidence.Error
	switch {
	case errors.As(err, &pe):
		pe.Dir = input
		// The report, as verify gives it; in text the error lists every
		// problem, so there is nothing to add on stdout.
		if rerr := g.report(w, packReport(input, pack, pe.Problems), func(io.Writer) {}); rerr != nil {
			return rerr
		}
		return err
	case err != nil:
		return err
	}
	m := pack.Manifest
	return g.report(w, packReport(input, pack, nil), func(w io.Writer) {
		fmt.Fprintf(w, "verified %s: %d files, %d attestation(s), signed manifest for %s (%s to %s), %d piece(s) recorded missing\n",
			input, len(m.Files), len(pack.Verified), m.Digest, m.Decision, m.Environment, len(m.Missing()))
		for _, a := range pack.Verified {
			what := a.PredicateType
			if a.Kind == verify.KindSignature {
				what = "signature over " + m.Digest
			}
			fmt.Fprintf(w, "  %s: %s, signed by %s\n", a.Source, what, a.Signer)
		}
		switch d := pack.Decision; {
		case d == nil:
			fmt.Fprintf(w, "  the pack holds no %s (built before packs held the gate decision): its attestations were not checked against the decision's\n", evidence.DecisionFile)
		default:
			if s := pack.DecisionSignature; s != nil {
				fmt.Fprintf(w, "  %s: the gate decision (%s), signed by %s\n", evidence.DecisionBundleFile, d.Decision, s.Signer)
			} else {
				fmt.Fprintf(w, "  %s: recorded missing, so who signed the decision is not checked\n", evidence.DecisionBundleFile)
			}
			fmt.Fprintf(w, "  all %d attestation(s) the decision used are in the pack and verify\n", len(d.Evidence))
		}
	})
}

// packReport is pack verify's JSON report: the verdict and every problem;
// and, only when the pack verified, its manifest and attestations (the
// same keys, null and empty, when it did not: nothing unverified is
// reported as if it were).
func packReport(input string, pack *evidence.Pack, problems []string) map[string]any {
	out := map[string]any{"verdict": "not verified", "pack": input, "problems": append([]string{}, problems...), "manifest": nil, "attestations": []verify.Attestation{}, "decisionSignature": nil}
	if len(problems) == 0 && pack != nil {
		out["verdict"], out["manifest"] = "verified", pack.Manifest
		if pack.Verified != nil {
			out["attestations"] = pack.Verified
		}
		if pack.DecisionSignature != nil {
			out["decisionSignature"] = pack.DecisionSignature
		}
	}
	return out
}

// verifyPackInput verifies a pack given as a directory, an archive, or an
// oci:// reference (fetched, then verified as an archive). An archive is
// unpacked by evidence.VerifyArchive, which refuses one that is not a pack
// before writing anything. Errors other than an *evidence.Error are bad
// input, or say already what they are.
func verifyPackInput(ctx context.Context, env *Env, input, environment string, opts evidence.Options) (*evidence.Pack, error) {
	var pack *evidence.Pack
	var err error
	switch {
	case strings.HasPrefix(input, "oci://"):
		ref, archive, ferr := fetchPack(ctx, env, input, environment)
		if ferr != nil {
			return nil, ferr
		}
		pack, err = evidence.VerifyArchive(ref.String(), bytes.NewReader(archive), opts)
	case environment != "":
		return nil, usageErrorf("--environment picks a pack among a release digest's referrers: expected an oci:// reference, found %s", input)
	case evidence.IsArchive(input):
		f, oerr := os.Open(input)
		if oerr != nil {
			return nil, usageErrorf("pack archive %s: %w", input, oerr)
		}
		defer f.Close()
		pack, err = evidence.VerifyArchive(input, f, opts)
	default:
		pack, err = evidence.Verify(input, opts)
	}
	if pe := (*evidence.Error)(nil); err != nil && !errors.As(err, &pe) {
		return nil, usageError(err)
	}
	return pack, err
}

func newPackShowCmd(env *Env, g *globalOptions) *cobra.Command {
	var environment string
	cmd := &cobra.Command{
		Use:   "show DIR|FILE.tar.gz|oci://HOST/REPO@sha256:…",
		Short: "Print a release evidence pack's summary (without verifying it)",
		Example: `  relproof pack show release-evidence
  relproof pack show oci://ghcr.io/acme/app@sha256:… --environment production`,
		Args: exactArgs(1, "one pack DIR, archive or oci:// reference"),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, done, err := openPackInput(cmd.Context(), env, args[0], environment)
			if err != nil {
				return err
			}
			defer done()
			pack, err := evidence.Read(dir)
			if err != nil {
				return usageError(err)
			}
			m := pack.Manifest
			return g.report(cmd.OutOrStdout(), m, func(w io.Writer) {
				fmt.Fprintf(w, "%s %s -> %s\nsubject %s, decided %s, decision %s\n", strings.ToUpper(m.Decision), m.Digest, m.Environment, m.Subject, m.Time.Format("2006-01-02 15:04:05Z"), m.DecisionDigest)
				for _, e := range m.Files {
					status := "sha256:" + e.SHA256
					if e.Missing != "" {
						status = "MISSING: " + e.Missing
					}
					fmt.Fprintf(w, "  %-45s %-18s %s\n", e.Path, e.Class, status)
				}
				fmt.Fprintln(w, "(not verified: run relproof pack verify)")
			})
		},
	}
	cmd.Flags().StringVar(&environment, "environment", "", "with an oci:// release digest: the environment whose pack to show")
	return cmd
}

func errOrText(err error, s string) string {
	if err != nil {
		return err.Error()
	}
	return s
}

// openPack returns the pack directory for a path: the directory itself, or
// a pack archive (.tar.gz) unpacked into a temporary directory that done
// removes.
func openPack(p string) (dir string, done func(), err error) {
	if !evidence.IsArchive(p) {
		return p, func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "relproof-pack-")
	if err != nil {
		return "", nil, err
	}
	if err := evidence.Extract(p, tmp); err != nil {
		os.RemoveAll(tmp)
		return "", nil, usageError(err)
	}
	return tmp, func() { os.RemoveAll(tmp) }, nil
}
