package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/relproof/relproof/internal/attest"
	"github.com/relproof/relproof/internal/decide"
	"github.com/relproof/relproof/internal/github"
	"github.com/relproof/relproof/internal/report/safe"
	"github.com/relproof/relproof/internal/sign"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
	"github.com/relproof/relproof/internal/verify/slsagen"
)

type verifyOptions struct {
	bundles            []string
	key                string
	trustedRoot        string
	certIdentity       string
	certIdentityRegexp string
	signerWorkflow     string
	certOIDCIssuer     string
	sourceURI          string
	sourceBranch       string
	sourceTag          string
	sourceVersionedTag string
	builderID          string
	typ                string
	predicateType      string
	denySelfHosted     bool
	ignoreIdentity     bool
	vsaOut             string
	vsaKey             string
	fromGitHub         bool
	checkRun           bool
	environment        string
	gh                 githubFlags
}

func newVerifyCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify SUBJECT [--bundle FILE ...] (IDENTITY | --source-uri URI | --key FILE)",
		Short: "Verify signed evidence for a subject's digest, offline",
		Long: `Verify signed evidence for the subject's digest: Sigstore bundles (v0.1 to
v0.3), DSSE envelopes, or JSON Lines of either, from --bundle files or,
without --bundle, from the OCI referrers of an oci:// subject. Verification
passes when at least one entry verifies under every constraint given.

A bundle holds either an in-toto attestation (a DSSE statement naming the
subject's digest) or a plain signature over the artifact's digest, as
` + "`cosign sign-blob --bundle`" + ` and sigstore-python make; the report says which kind
verified. Transparency-log entries from Rekor v1 and v2 (tile-based logs,
with cosigned checkpoints) and RFC 3161 timestamps are checked offline.

Trust, one of:
  certificate-signed (keyless) evidence, checked against --trusted-root (default:
  Sigstore's public-good root, embedded). The signing time must come from what
  the bundle carries — a transparency-log inclusion proof or promise, or an
  RFC 3161 timestamp — so nothing is fetched. The signer must match one of:
    --cert-identity SAN | --cert-identity-regexp RE | --signer-workflow WORKFLOW
    with --cert-oidc-issuer (default GitHub Actions); RE matches anywhere in
    the identity, as in cosign and gh, unless anchored: ^…$ (verify warns
    when it is not);
    --source-uri github.com/OWNER/REPO: slsa-github-generator semantics — the
    signer must be a trusted generator builder at a release tag, and the
    provenance must name the source (and --source-branch, --source-tag or
    --source-versioned-tag, --builder-id when given);
    --insecure-ignore-identity: signature, trust root and subject only.
  --key FILE: evidence signed with that public key; with --trusted-root, the
  log entries and timestamps the bundles carry are verified against it too.

SUBJECT must be pinned to a digest: a file path, sha256:HEX, sha512:HEX,
oci://HOST/REPO@sha256:HEX or oci-layout:DIR@sha256:HEX. A tag is refused
with the digest it resolves to now, so you can pin it.

With --vsa-out and --vsa-key, a verification writes a signed SLSA
Verification Summary Attestation for the subject.

Exit 0 verified; 1 not verified (including malformed or unsigned evidence);
2 usage error or unreadable input, including a --bundle file that holds no
evidence at all: empty, or neither a bundle, a DSSE envelope nor JSON Lines
of them (a JSON Lines file with some lines that read is evidence).`,
		Example: `  relproof verify ./app.tgz --bundle app.sigstore.json \
    --signer-workflow acme/app/.github/workflows/release.yml
  relproof verify ./binary --bundle binary.intoto.jsonl \
    --source-uri github.com/acme/app --source-versioned-tag v1.2
  relproof verify oci://ghcr.io/acme/app@sha256:… --key release.pub --type provenance`,
		Args: exactArgs(1, "one SUBJECT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerify(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), env, g, o, cmd.Flags(), args[0])
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.bundles, "bundle", nil, "Sigstore bundle, DSSE envelope, or JSON Lines of them (repeatable)")
	f.StringVar(&o.key, "key", "", "public key file (PEM) for key-signed evidence")
	f.StringVar(&o.trustedRoot, "trusted-root", "", "trusted_root.json (default: Sigstore public-good, embedded)")
	f.StringVar(&o.certIdentity, "cert-identity", "", "signer's certificate subject alternative name, exactly")
	f.StringVar(&o.certIdentityRegexp, "cert-identity-regexp", "", "signer's certificate subject alternative name, as a regular expression; it matches anywhere in the name unless anchored: ^…$")
	f.StringVar(&o.signerWorkflow, "signer-workflow", "", "signing workflow: [HOST/]OWNER/REPO/.github/workflows/FILE.yml[@REF]")
	f.StringVar(&o.certOIDCIssuer, "cert-oidc-issuer", verify.GitHubActionsIssuer, "signer's OIDC issuer")
	f.StringVar(&o.sourceURI, "source-uri", "", "source repository the provenance must name: github.com/OWNER/REPO")
	f.StringVar(&o.sourceBranch, "source-branch", "", "branch the build must have run on (with --source-uri)")
	f.StringVar(&o.sourceTag, "source-tag", "", "tag the build must have run on (with --source-uri)")
	f.StringVar(&o.sourceVersionedTag, "source-versioned-tag", "", "semver tag the build must match, e.g. v1 or v1.2 (with --source-uri)")
	f.StringVar(&o.builderID, "builder-id", "", "builder the provenance must name: ID or ID@REF")
	f.StringVar(&o.typ, "type", "", "require this evidence type: provenance, test or vuln")
	f.StringVar(&o.predicateType, "predicate-type", "", "require this predicate type URI")
	f.BoolVar(&o.denySelfHosted, "deny-self-hosted-runners", false, "require evidence signed on a GitHub-hosted runner")
	f.BoolVar(&o.ignoreIdentity, "insecure-ignore-identity", false, "check signature, trust root and subject only: anyone could have signed")
	f.StringVar(&o.vsaOut, "vsa-out", "", "on success, write a signed SLSA Verification Summary Attestation to this file")
	f.StringVar(&o.vsaKey, "vsa-key", "", "private key that signs the verification summary (with --vsa-out)")
	cmd.MarkFlagsMutuallyExclusive("type", "predicate-type")
	cmd.MarkFlagsMutuallyExclusive("cert-identity", "cert-identity-regexp", "signer-workflow", "insecure-ignore-identity")
	cmd.MarkFlagsMutuallyExclusive("source-branch", "source-tag", "source-versioned-tag")
	f.BoolVar(&o.fromGitHub, "from-github", false, "also read the digest's attestations from GitHub (GET /repos/{o}/{r}/attestations/{digest})")
	f.BoolVar(&o.checkRun, "check-run", false, "post the result as check run \"relproof / ENV\" on GITHUB_SHA (updated on re-runs)")
	f.StringVar(&o.environment, "environment", "", "the deployment environment the check run is for (with --check-run)")
	addGitHubFlags(f, &o.gh)
	setFlagGroup(f, groupTrust, "key", "trusted-root", "cert-identity", "cert-identity-regexp", "signer-workflow", "cert-oidc-issuer",
		"source-uri", "source-branch", "source-tag", "source-versioned-tag", "builder-id", "deny-self-hosted-runners", "insecure-ignore-identity")
	setFlagGroup(f, groupGitHub, "from-github", "check-run", "environment")
	setFlagGroup(f, groupOutput, "vsa-out")
	setFlagGroup(f, groupSigning, "vsa-key")
	cmd.MarkFlagsRequiredTogether("vsa-out", "vsa-key")
	cmd.MarkFlagsRequiredTogether("check-run", "environment")
	return cmd
}

var predicateTypes = map[string]string{
	string(attest.TypeProvenance): attest.ProvenanceType,
	string(attest.TypeTest):       attest.TestResultType,
	string(attest.TypeVuln):       attest.VulnType,
}

func runVerify(ctx context.Context, w, stderr io.Writer, env *Env, g *globalOptions, o *verifyOptions, flags *pflag.FlagSet, input string) error {
	warnUnanchored(stderr, "cert-identity-regexp", o.certIdentityRegexp)
	p, err := o.policy()
	if err != nil {
		return err
	}
	subj, err := subject.Resolve(ctx, input, subject.RequireDigest(), subject.WithSHA512(), subject.WithRemoteOptions(env.Remote...), subject.WithClock(env.Now))
	if err != nil {
		return err
	}
	entries, err := collectEntries(ctx, env, subj, o.bundles, o.fromGitHub)
	if err != nil {
		return err
	}
	if o.fromGitHub {
		gh, err := githubEntries(ctx, env, &o.gh, subj.Digest.String())
		if err != nil {
			return err
		}
		entries = append(entries, gh...)
	}
	res, verr := verify.Verify(subj, entries, *p)
	if res == nil {
		return usageError(verr)
	}
	if verr == nil && o.vsaOut != "" {
		if err := writeVSA(ctx, env, o, flags, subj, res); err != nil {
			return err
		}
	}
	if o.checkRun {
		conclusion := github.ConclusionSuccess
		if verr != nil {
			conclusion = github.ConclusionFailure
		}
		if _, err := postCheckRun(ctx, env, &o.gh, checkRunReport{
			Environment: o.environment,
			Digest:      subj.Digest.String(),
			Conclusion:  conclusion,
			Summary:     verifyMarkdown(subj, res),
		}); err != nil {
			return err
		}
	}
	if err := g.report(w, res, func(w io.Writer) { verifyText(w, subj, res) }); err != nil {
		return err
	}
	return verr
}

// policy turns the flags into a verification policy.
func (o *verifyOptions) policy() (*verify.Policy, error) {
	p := &verify.Policy{BuilderID: o.builderID, DenySelfHostedRunners: o.denySelfHosted, IgnoreIdentityUnsafe: o.ignoreIdentity}
	switch {
	case o.typ != "":
		t, ok := predicateTypes[o.typ]
		if !ok {
			return nil, usageErrorf("--type %q: expected provenance, test or vuln (or --predicate-type URI)", o.typ)
		}
		p.PredicateType = t
	case o.predicateType != "":
		p.PredicateType = o.predicateType
	}
	if o.key != "" {
		pemBytes, err := readKey(o.key, "public key")
		if err != nil {
			return nil, err
		}
		if p.Key, err = sign.ParsePublicKey(o.key, pemBytes); err != nil {
			return nil, err
		}
	}
	if o.key == "" || o.trustedRoot != "" {
		tr, err := o.trustedRootMaterial()
		if err != nil {
			return nil, err
		}
		p.TrustedRoot = tr
	}
	switch {
	case o.certIdentity != "" || o.certIdentityRegexp != "":
		p.Identity = &verify.Identity{SAN: o.certIdentity, SANRegexp: o.certIdentityRegexp, Issuer: o.certOIDCIssuer}
	case o.signerWorkflow != "":
		id, err := verify.SignerWorkflowIdentity(o.signerWorkflow, o.certOIDCIssuer)
		if err != nil {
			return nil, usageError(err)
		}
		p.Identity = id
	}
	if o.sourceBranch != "" || o.sourceTag != "" || o.sourceVersionedTag != "" {
		if o.sourceURI == "" {
			return nil, usageErrorf("--source-branch, --source-tag and --source-versioned-tag need --source-uri")
		}
	}
	if o.sourceURI != "" {
		p.SLSA = &slsagen.Options{
			SourceURI:          o.sourceURI,
			SourceBranch:       o.sourceBranch,
			SourceTag:          o.sourceTag,
			SourceVersionedTag: o.sourceVersionedTag,
			BuilderID:          o.builderID,
		}
	}
	if err := p.Validate(); err != nil {
		return nil, usageError(err)
	}
	return p, nil
}

func (o *verifyOptions) trustedRootMaterial() (root.TrustedMaterial, error) {
	if o.trustedRoot == "" {
		return verify.PublicGoodRoot()
	}
	data, err := readInput(o.trustedRoot, "trusted root")
	if err != nil {
		return nil, err
	}
	tr, err := verify.ParseTrustedRoot(o.trustedRoot, data)
	if err != nil {
		return nil, usageError(err)
	}
	return tr, nil
}

// collectEntries reads the evidence verify checks: the files given, or
// else the subject's referrers in its registry.
func collectEntries(ctx context.Context, env *Env, subj *subject.Subject, files []string, fromGitHub bool) ([]verify.Entry, error) {
	if len(files) > 0 {
		return bundleFileEntries(files)
	}
	if _, ok := subj.OCIReference(); !ok {
		if fromGitHub {
			return nil, nil
		}
		return nil, usageErrorf("no --bundle given and %s subject %q has no registry to read referrers from: give --bundle FILE or --from-github", subj.Kind, subj.Input)
	}
	return registryEntries(ctx, env, subj)
}

// bundleFileEntries reads verify's --bundle files. A file that holds no
// evidence at all — empty, or no document or line in it shaped like a
// bundle or an envelope — is bad input: the wrong file was given. A file of
// bundles none of which reads (a bundle with no certificate, an envelope
// with no signature) is entries that fail, like fileEntries.
func bundleFileEntries(files []string) ([]verify.Entry, error) {
	var entries []verify.Entry
	for _, f := range files {
		data, err := readInput(f, "bundle")
		if err != nil {
			return nil, err
		}
		e, err := verify.ReadBundles(f, data)
		switch {
		case err == nil:
			entries = append(entries, e...)
		case !evidenceShaped(data):
			// %v: the error is ErrMalformedBundle, which would exit 1.
			return nil, usageErrorf("--bundle %s holds no evidence: %v", f, err)
		default:
			entries = append(entries, verify.Entry{Source: f, Err: err})
		}
	}
	return entries, nil
}

// evidenceShaped reports whether data, read as verify.ReadBundles reads it
// (one JSON document, or JSON Lines), has a document that is a JSON object
// with a field of a bundle (mediaType), of a DSSE envelope (payloadType,
// signatures) or of npm's attestations response (attestations).
func evidenceShaped(data []byte) bool {
	trimmed := bytes.TrimSpace(data)
	docs := [][]byte{trimmed}
	if !json.Valid(trimmed) {
		docs = bytes.Split(trimmed, []byte("\n"))
	}
	for _, doc := range docs {
		var fields map[string]json.RawMessage
		if json.Unmarshal(bytes.TrimSpace(doc), &fields) != nil {
			continue
		}
		for _, k := range []string{"mediaType", "payloadType", "signatures", "attestations"} {
			if _, ok := fields[k]; ok {
				return true
			}
		}
	}
	return false
}

// fileEntries reads the gate's evidence files. A file that holds no
// readable evidence is an entry that fails (the gate fails closed), not bad
// usage; a file that cannot be read is.
func fileEntries(files []string) ([]verify.Entry, error) {
	var entries []verify.Entry
	for _, f := range files {
		data, err := readInput(f, "bundle")
		if err != nil {
			return nil, err
		}
		e, err := verify.ReadBundles(f, data)
		if err != nil {
			entries = append(entries, verify.Entry{Source: f, Err: err})
			continue
		}
		entries = append(entries, e...)
	}
	return entries, nil
}

// registryEntries reads the evidence attached to an oci:// subject in its
// registry (decide.Registry: referrers and cosign's .att layout).
func registryEntries(ctx context.Context, env *Env, subj *subject.Subject) ([]verify.Entry, error) {
	return decide.Registry(env.Remote...).Entries(ctx, subj)
}

// timeSource names where a verified time came from.
func timeSource(s string) string {
	switch s {
	case "Tlog":
		return "transparency log"
	case "TimestampAuthority":
		return "RFC 3161 timestamp"
	case "LeafCert.NotBefore":
		return "certificate issued"
	}
	return strings.ToLower(s)
}

// verifyMarkdown is the check run summary: the verdict and digest first,
// then each entry.
func verifyMarkdown(subj *subject.Subject, res *verify.Result) string {
	var b strings.Builder
	icon := "✅"
	if len(res.Verified) == 0 {
		icon = "❌"
	}
	fmt.Fprintf(&b, "%s **%s** `%s`\n\n| | evidence | predicate | signer |\n|---|---|---|---|\n", icon, res.Verdict, subj.Digest)
	for i, a := range res.Verified {
		if i == 50 {
			fmt.Fprintf(&b, "| | … and %d more verified | | |\n", len(res.Verified)-50)
			break
		}
		what := "`" + safe.Code(a.PredicateType) + "`"
		if a.Kind == verify.KindSignature {
			what = "signature"
		}
		fmt.Fprintf(&b, "| ✅ | `%s` | %s | `%s` |\n", safe.Code(a.Source), what, safe.Code(a.Signer))
	}
	for i, r := range res.Rejected {
		if i == 50 {
			fmt.Fprintf(&b, "| | … and %d more rejected | | |\n", len(res.Rejected)-50)
			break
		}
		fmt.Fprintf(&b, "| ❌ | `%s` | %s | |\n", safe.Code(r.Source), safe.Markdown(r.Reason))
	}
	return b.String()
}

func verifyText(w io.Writer, subj *subject.Subject, res *verify.Result) {
	total := len(res.Verified) + len(res.Rejected)
	fmt.Fprintf(w, "%s\n", subj)
	for _, a := range res.Verified {
		what := a.PredicateType
		if a.Kind == verify.KindSignature {
			what = "signature over " + subj.Digest.String()
		}
		fmt.Fprintf(w, "  ✓ %s\n      %s, signed by %s\n", a.Source, what, a.Signer)
		if c := a.Certificate; c != nil {
			if c.SourceRepositoryURI != "" {
				fmt.Fprintf(w, "      source %s %s %s\n", c.SourceRepositoryURI, c.SourceRepositoryRef, c.SourceRepositoryDigest)
			}
			if c.RunnerEnvironment != "" {
				fmt.Fprintf(w, "      runner %s, trigger %s, run %s\n", c.RunnerEnvironment, c.BuildTrigger, c.RunInvocationURI)
			}
		}
		if s := a.SLSA; s != nil {
			fmt.Fprintf(w, "      builder %s\n      provenance source %s (%s)\n", s.BuilderID, s.SourceURI, s.SourceCommit)
		} else if p := a.Provenance; p != nil && p.BuilderID != "" {
			fmt.Fprintf(w, "      builder %s\n", p.BuilderID)
			if p.SourceURI != "" {
				fmt.Fprintf(w, "      provenance source %s (%s)\n", p.SourceURI, p.SourceCommit)
			}
		}
		for _, t := range a.Times {
			fmt.Fprintf(w, "      signature existed at %s (%s)\n", t.Time.Format("2006-01-02T15:04:05Z"), timeSource(t.Source))
		}
	}
	for _, r := range res.Rejected {
		fmt.Fprintf(w, "  ✗ %s\n      %s\n", r.Source, r.Reason)
	}
	fmt.Fprintf(w, "%d of %d bundles verified\n", len(res.Verified), total)
}
