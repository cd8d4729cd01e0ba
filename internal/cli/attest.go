package cli

import (
	"context"
	"fmt"
	intoto "github.com/in-toto/attestation/go/v1"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/relproof/relproof/internal/attest"
	"github.com/relproof/relproof/internal/attest/predicate"
	"github.com/relproof/relproof/internal/evidence"
	"github.com/relproof/relproof/internal/fsutil"
	"github.com/relproof/relproof/internal/gate"
	"github.com/relproof/relproof/internal/oci"
	"github.com/relproof/relproof/internal/sign"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

type attestOptions struct {
	signing       signingOptions
	store         storeOptions
	typ           string
	predicate     string
	predicateType string
	unsignedOut   string
	builderID     string
}

// storeOptions say where a signed bundle goes.
type storeOptions struct {
	bundleOut    string
	push         bool
	githubUpload bool
	gh           githubFlags
}

func (so *storeOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&so.bundleOut, "bundle-out", "", "write the Sigstore bundle to this file")
	f.BoolVar(&so.push, "push", false, "attach the bundle to an oci:// subject: as an OCI 1.1 referrer and in cosign's .att layout")
	f.BoolVar(&so.githubUpload, "github-upload", false, "store the bundle with the repository's GitHub artifact attestations")
	setFlagGroup(f, groupOutput, "bundle-out", "push", "github-upload")
	addGitHubFlags(f, &so.gh)
}

// attestReport is what `attest` reports: the evidence and where it went.
type attestReport struct {
	Subject       string              `json:"subject"`
	Digest        string              `json:"digest"`
	Resolution    *subject.Resolution `json:"resolution,omitempty"`
	Type          string              `json:"type"`
	PredicateType string              `json:"predicateType"`
	Signer        string              `json:"signer,omitempty"`
	BundleFile    string              `json:"bundleFile,omitempty"`
	StatementFile string              `json:"statementFile,omitempty"`
	Referrer      string              `json:"referrer,omitempty"`
	CosignTag     string              `json:"cosignTag,omitempty"`
	GitHubID      int64               `json:"githubAttestationId,omitempty"`
}

func newAttestCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &attestOptions{}
	cmd := &cobra.Command{
		Use:   "attest SUBJECT --type TYPE (--bundle-out FILE | --push | --github-upload | --unsigned-out FILE)",
		Short: "Sign an in-toto statement about a subject's digest",
		Long: `Build an in-toto Statement v1 for the subject's digest, sign it into a
Sigstore bundle (v0.3), and write it to a file and/or push it to the registry
as an OCI 1.1 referrer of the subject.

SUBJECT is a file path (or file:PATH), sha256:HEX, sha512:HEX,
oci://HOST/REPO@sha256:HEX, oci://HOST/REPO:TAG (resolved once to a digest,
and the resolution reported), or oci-layout:DIR@sha256:HEX.

Types:
  provenance  SLSA v1 provenance from the GitHub Actions environment, or from
              the local git repository outside Actions (builder id: local)
  test        in-toto test-result v0.1 from --predicate: go test -json or JUnit XML
  vuln        cosign vuln v1 from --predicate: grype JSON, trivy JSON or SARIF;
              a report that names the digest it scanned must name this one
  custom      --predicate FILE (a JSON object) with --predicate-type URI

To keep signing apart from building, --unsigned-out writes the statement
only; a signing job with its own narrow identity (or HSM) then signs it with
` + "`relproof sign`" + `.

` + signingHelp,
		Example: `  relproof attest ./dist/app --type provenance --bundle-out app.provenance.json   # keyless, in Actions
  relproof attest ./dist/app --type provenance --key release.key --bundle-out app.provenance.json
  relproof attest ./dist/app --type provenance --unsigned-out app.statement.json
  go test -json ./... > tests.json
  relproof attest oci://ghcr.io/acme/app@sha256:… --type test --predicate tests.json --key release.key --push`,
		Args: exactArgs(1, "one SUBJECT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAttest(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), env, g, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.typ, "type", "", "evidence type: provenance, test, vuln or custom")
	f.StringVar(&o.predicate, "predicate", "", "input file: test report, scan report, or custom predicate JSON")
	f.StringVar(&o.predicateType, "predicate-type", "", "predicate type URI (with --type custom)")
	f.StringVar(&o.unsignedOut, "unsigned-out", "", "write the unsigned in-toto statement to `FILE`, for relproof sign to sign")
	f.StringVar(&o.builderID, "builder-id", "", "provenance builder id (default: in GitHub Actions the workflow the job runs in, from its OIDC token's job_workflow_ref when the job has id-token: write, so a reusable workflow names itself; else GITHUB_WORKFLOW_REF; outside Actions local)")
	o.signing.addFlags(cmd)
	o.store.addFlags(cmd)
	_ = cmd.MarkFlagRequired("type")
	cmd.MarkFlagsOneRequired("bundle-out", "push", "github-upload", "unsigned-out")
	cmd.MarkFlagsMutuallyExclusive("unsigned-out", "bundle-out")
	cmd.MarkFlagsMutuallyExclusive("unsigned-out", "push")
	cmd.MarkFlagsMutuallyExclusive("unsigned-out", "github-upload")
	return cmd
}

// ownPredicates are relproof's own predicate types, and what makes each.
// attest --type custom refuses them, so that no signer of custom evidence
// can write one by hand (the gate would not count it, but nobody should be
// led to think it could).
var ownPredicates = map[string]string{
	predicate.ApprovalType:   "`relproof approval record`",
	predicate.DeploymentType: "`relproof deploy record`",
	gate.DecisionType:        "`relproof gate --decision-out`",
	verify.VSAType:           "`relproof verify --vsa-out`",
	evidence.PackType:        "`relproof pack build`",
}

func runAttest(ctx context.Context, w, stderr io.Writer, env *Env, g *globalOptions, o *attestOptions, input string) error {
	typ := attest.Type(o.typ)
	if !slices.Contains(attest.Types, typ) {
		return usageErrorf("--type %q: expected one of provenance, test, vuln, custom", o.typ)
	}
	if made, ok := ownPredicates[strings.TrimSpace(o.predicateType)]; ok && typ == attest.TypeCustom {
		return usageErrorf("--predicate-type %s is relproof's own, which only %s makes: a custom attestation cannot stand in for it", o.predicateType, made)
	}
	var signer sign.Signer
	if o.unsignedOut == "" {
		sg, closeSigner, err := o.signing.signer(ctx, env)
		if err != nil {
			return err
		}
		defer closeSigner()
		signer = sg
	}
	var pred []byte
	if o.predicate != "" {
		var err error
		if pred, err = readInput(o.predicate, "predicate"); err != nil {
			return err
		}
	}
	subj, err := subject.Resolve(ctx, input, subject.WithRemoteOptions(env.Remote...), subject.WithClock(env.Now))
	if err != nil {
		return err
	}
	if _, isOCI := subj.OCIReference(); o.store.push && !isOCI {
		return usageErrorf("--push needs an oci:// subject, found %s subject %q; use --bundle-out", subj.Kind, input)
	}
	if typ == attest.TypeProvenance && o.builderID == "" {
		if o.builderID, err = jobWorkflowBuilder(ctx, env, stderr); err != nil {
			return err
		}
	}
	st, err := attest.Build(attest.Request{
		Subject:       subj,
		Type:          typ,
		Predicate:     pred,
		PredicateName: o.predicate,
		PredicateType: o.predicateType,
		Provenance:    attest.ProvenanceInput{Getenv: env.Getenv, Dir: env.Dir, BuilderID: o.builderID},
	})
	if err != nil {
		return err
	}
	r := attestReport{
		Subject:       subj.String(),
		Digest:        subj.Digest.String(),
		Resolution:    subj.Resolution,
		Type:          string(typ),
		PredicateType: st.GetPredicateType(),
	}
	if o.unsignedOut != "" {
		stmt, err := attest.Marshal(st)
		if err != nil {
			return err
		}
		if err := fsutil.WriteFileAtomic(o.unsignedOut, append(stmt, '\n'), 0o644); err != nil {
			return err
		}
		r.StatementFile = o.unsignedOut
		return g.report(w, r, func(w io.Writer) { r.text(w) })
	}
	return signAndStore(ctx, w, env, g, signer, st, subj, &o.store, r)
}

// signAndStore signs the statement and writes and/or pushes the bundle.
func signAndStore(ctx context.Context, w io.Writer, env *Env, g *globalOptions, signer sign.Signer, st *intoto.Statement, subj *subject.Subject, so *storeOptions, r attestReport) error {
	ref, isOCI := subj.OCIReference()
	if so.push && !isOCI {
		return usageErrorf("--push needs an oci:// subject, found %s subject %q; use --bundle-out", subj.Kind, subj.Input)
	}
	bundleJSON, err := attest.Sign(ctx, signer, st)
	if err != nil {
		return err
	}
	r.Signer = signer.Identity()
	if so.bundleOut != "" {
		if err := fsutil.WriteFileAtomic(so.bundleOut, append(bundleJSON, '\n'), 0o644); err != nil {
			return err
		}
		r.BundleFile = so.bundleOut
	}
	if so.githubUpload {
		id, err := githubUpload(ctx, env, &so.gh, bundleJSON)
		if err != nil {
			return err
		}
		r.GitHubID = id
	}
	if so.push {
		created := env.Now().UTC().Format(time.RFC3339)
		pushed, err := oci.PushBundle(ctx, ref, bundleJSON, st.GetPredicateType(), created, env.Remote...)
		if err != nil {
			return err
		}
		r.Referrer = pushed.String()
		layer, err := oci.CosignLayerFromBundle(bundleJSON, st.GetPredicateType())
		if err != nil {
			return err
		}
		tag, err := oci.PushCosignAttestation(ctx, ref, layer, env.Remote...)
		if err != nil {
			return err
		}
		r.CosignTag = tag.String()
	}
	return g.report(w, r, func(w io.Writer) { r.text(w) })
}

func (r attestReport) text(w io.Writer) {
	if r.Resolution != nil {
		fmt.Fprintf(w, "resolved %s to %s at %s\n", r.Resolution.Tag, r.Resolution.Digest, r.Resolution.At.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(w, "attested %s\n  type:      %s (%s)\n", r.Subject, r.Type, r.PredicateType)
	if r.Signer != "" {
		fmt.Fprintf(w, "  signer:    %s\n", r.Signer)
	}
	var where []string
	if r.StatementFile != "" {
		where = append(where, "statement: "+r.StatementFile+" (unsigned: sign it with `relproof sign`)")
	}
	if r.BundleFile != "" {
		where = append(where, "bundle:    "+r.BundleFile)
	}
	if r.Referrer != "" {
		where = append(where, "referrer:  "+r.Referrer)
	}
	if r.CosignTag != "" {
		where = append(where, "cosign:    "+r.CosignTag+" (cosign's attestation layout)")
	}
	if r.GitHubID != 0 {
		where = append(where, fmt.Sprintf("github:    artifact attestation %d", r.GitHubID))
	}
	for _, s := range where {
		fmt.Fprintf(w, "  %s\n", s)
	}
}

// jobWorkflowBuilder is the default builder id in GitHub Actions when the
// job can ask for an OIDC token: SERVER/job_workflow_ref, the workflow the
// job runs in (a reusable workflow, not its caller). "" elsewhere, so the
// provenance falls back to GITHUB_WORKFLOW_REF or the local builder.
func jobWorkflowBuilder(ctx context.Context, env *Env, stderr io.Writer) (string, error) {
	if env.Getenv("GITHUB_ACTIONS") != "true" || env.Getenv("ACTIONS_ID_TOKEN_REQUEST_URL") == "" {
		return "", nil
	}
	ref, err := actions(env, stderr).JobWorkflowRef(ctx)
	if err != nil {
		return "", fmt.Errorf("provenance builder id: reading the job's workflow from its OIDC token: %w; pass --builder-id", err)
	}
	server := strings.TrimSuffix(env.Getenv("GITHUB_SERVER_URL"), "/")
	if server == "" {
		server = "https://github.com"
	}
	return server + "/" + ref, nil
}
