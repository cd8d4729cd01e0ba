package gate

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/relproof/relproof/internal/attest"
	"github.com/relproof/relproof/internal/attest/predicate"
	"github.com/relproof/relproof/internal/policy"
	"github.com/relproof/relproof/internal/sign"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/testing/fakesigstore"
	"github.com/relproof/relproof/internal/testing/keytest"
	"github.com/relproof/relproof/internal/verify"
)

// The trust model, tried as an attacker would: evidence and approvals made
// through the fake Sigstore with the attacker's own GitHub certificate
// claims (or with the build key, or by hand), each denied naming the check
// and the reason, beside a genuine release that is allowed.

const (
	buildAttest = "relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1.2.0"
	deployGate  = "relproof/relproof/.github/workflows/deploy-gate.yml@refs/tags/v1.2.0"
	checkShown  = "2026-11-26T11:00:00Z"
)

// trustWorld signs evidence for one digest.
type trustWorld struct {
	t        *testing.T
	stack    *fakesigstore.Stack
	tr       root.TrustedMaterial
	subj     *subject.Subject
	buildKey *sign.KeySigner
	env      *policy.Environment
	runID    int64 // the run being gated, when set
}

func newTrustWorld(t *testing.T, policyYAML string) *trustWorld {
	t.Helper()
	stack := fakesigstore.New(t)
	tr, err := root.NewTrustedRootFromJSON(stack.TrustedRootJSON)
	if err != nil {
		t.Fatal(err)
	}
	buildKey, pub := keytest.Signer(t)
	doc := strings.ReplaceAll(policyYAML, "ISSUER", stack.IssuerURL)
	pol, err := policy.Parse("policy.yaml", []byte(doc), func(string) ([]byte, error) { return pub, nil })
	if err != nil {
		t.Fatal(err)
	}
	env, err := pol.EffectiveEnvironment("production")
	if err != nil {
		t.Fatal(err)
	}
	return &trustWorld{t: t, stack: stack, tr: tr, buildKey: buildKey, env: env,
		subj: &subject.Subject{Kind: subject.KindDigest, Digest: subject.Digest{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}}}
}

// keyless signs a predicate about the world's digest as the job the
// claims describe, through the fake Fulcio and Rekor.
func (w *trustWorld) keyless(c fakesigstore.Claims, predicateType string, pred any) verify.Entry {
	w.t.Helper()
	vars := w.stack.ActionsEnv(c)
	s, err := sign.NewKeylessSigner(sign.KeylessOptions{FulcioURL: w.stack.FulcioURL, RekorURL: w.stack.RekorURL, Getenv: func(k string) string { return vars[k] }})
	if err != nil {
		w.t.Fatal(err)
	}
	return w.signed(s, predicateType, pred)
}

func (w *trustWorld) signed(s sign.Signer, predicateType string, pred any) verify.Entry {
	w.t.Helper()
	b, err := attest.SignPredicate(context.Background(), s, w.subj, predicateType, pred)
	if err != nil {
		w.t.Fatal(err)
	}
	e, err := verify.ReadBundles(predicateType, b)
	if err != nil || len(e) != 1 {
		w.t.Fatalf("reading what was signed: %v", err)
	}
	return e[0]
}

func (w *trustWorld) decide(entries ...verify.Entry) *Decision {
	w.t.Helper()
	verified, unlisted, rejected := SortEvidence(w.subj, entries, Signers(w.env, w.tr), w.tr)
	return Evaluate(Input{Subject: w.subj, Environment: w.env, Verified: verified, Unlisted: unlisted, Rejected: rejected, RunID: w.runID, Now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)})
}

// jobClaims are the claims of a job of repo that runs workflow (a reusable
// one when it is not repo's own) for ref.
func jobClaims(repo, workflow, ref string) fakesigstore.Claims {
	return fakesigstore.Claims{
		Repository:     repo,
		Ref:            ref,
		SHA:            "0123456789abcdef0123456789abcdef01234567",
		WorkflowRef:    repo + "/.github/workflows/release.yml@" + ref,
		JobWorkflowRef: workflow,
		RunID:          "4242",
	}
}

// provenance is a SLSA v1 predicate that claims what the caller says.
func provenance(repo, ref, builder string) map[string]any {
	return map[string]any{
		"buildDefinition": map[string]any{
			"buildType": "https://actions.github.io/buildtypes/workflow/v1",
			"externalParameters": map[string]any{
				"workflow": map[string]any{"repository": "https://github.com/" + repo, "ref": ref, "path": ".github/workflows/release.yml"},
			},
			"internalParameters": map[string]any{"github": map[string]any{"runner_environment": "github-hosted"}},
			"resolvedDependencies": []any{map[string]any{
				"uri":    "git+https://github.com/" + repo + "@" + ref,
				"digest": map[string]any{"gitCommit": "0123456789abcdef0123456789abcdef01234567"},
			}},
		},
		"runDetails": map[string]any{"builder": map[string]any{"id": "https://github.com/" + builder}},
	}
}

// approvalRecord is what deploy-gate's approve job records for run 4242:
// alice approved after the digest was shown; bob pushed the tag; carol
// wrote the change.
func approvalRecord(digest string, edit func(*predicate.Approval)) *predicate.Approval {
	shown, _ := time.Parse(time.RFC3339, checkShown)
	p := &predicate.Approval{
		Environment: "production", Digest: digest, Repository: "acme/app", RunID: 4242, CheckRunPostedAt: shown,
		Approved: true, Minimum: 1, PreventSelfReview: true,
		Reviews: []predicate.ApprovalReview{{Reviewer: "alice", State: "approved", Time: shown.Add(time.Minute), Environments: []string{"production"}, Counts: true}},
		Actor:   "bob", TriggeringActor: "bob", ChangeAuthors: []string{"carol"}, ChangeAuthorsKnown: true,
	}
	if edit != nil {
		edit(p)
	}
	return p
}

const trustPolicy = `apiVersion: relproof.dev/v1
kind: Policy
environments:
  production:
    level: minimum
    source: {repositories: [github.com/acme/app], refs: ["refs/tags/v*"]}
    builder: {ids: ["https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1*"]}
    signers:
      build:
        - {issuer: ISSUER, signerWorkflow: "relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1*", sourceRepository: acme/app}
        - {key: build.pub}
      approval:
        - {issuer: ISSUER, signerWorkflow: "relproof/relproof/.github/workflows/deploy-gate.yml@refs/tags/v1*", sourceRepository: acme/app}
    approvals: {minimum: 1, preventSelfReview: true, tiedToEvidence: true}
`

// orgWidePolicy trusts any workflow of the org, as the old example did:
// the certificate still decides what the evidence says.
const orgWidePolicy = `apiVersion: relproof.dev/v1
kind: Policy
environments:
  production:
    level: minimum
    source: {repositories: [github.com/acme/app], refs: ["refs/tags/v*"]}
    builder: {ids: ["https://github.com/relproof/relproof/.github/workflows/build-attest.yml@refs/tags/v1*"]}
    signers:
      build:
        - {issuer: ISSUER, identityRegexp: "https://github.com/(acme|relproof)/.+/\\.github/workflows/.+@refs/.+", sourceRepository: "acme/*"}
    approvals: {minimum: 0}
`

func TestTrustModel(t *testing.T) {
	t.Parallel()
	genuineBuild := jobClaims("acme/app", buildAttest, "refs/tags/v1.0.0")
	genuineApprove := jobClaims("acme/app", deployGate, "refs/tags/v1.0.0")
	genuineProvenance := provenance("acme/app", "refs/tags/v1.0.0", buildAttest)

	tests := []struct {
		name     string
		policy   string
		evidence func(w *trustWorld) []verify.Entry
		check    string // the check that decides
		status   Status
		says     string
	}{
		{
			name:   "genuine release",
			policy: trustPolicy,
			evidence: func(w *trustWorld) []verify.Entry {
				return []verify.Entry{
					w.keyless(genuineBuild, attest.ProvenanceType, genuineProvenance),
					w.keyless(genuineApprove, predicate.ApprovalType, approvalRecord(w.subj.Digest.String(), nil)),
				}
			},
			check: "approvals", status: Pass, says: "approved for production by alice in run 4242",
		},
		{
			// 1. Content over certificate: a feature-branch workflow of another
			// repository of the org claims our builder and acme/app's tag.
			name:   "provenance claims a builder and source its certificate does not",
			policy: orgWidePolicy,
			evidence: func(w *trustWorld) []verify.Entry {
				return []verify.Entry{w.keyless(jobClaims("acme/other", "acme/other/.github/workflows/x.yml@refs/heads/feature", "refs/heads/feature"), attest.ProvenanceType, genuineProvenance)}
			},
			check: "required-provenance", status: Fail,
			says: `contradicts its signing certificate, so it does not count: source repository: the certificate says "github.com/acme/other", the statement says "github.com/acme/app"`,
		},
		{
			// 2. Our public build-attest.yml, called from the attacker's repository.
			name:   "our build workflow called from another repository",
			policy: trustPolicy,
			evidence: func(w *trustWorld) []verify.Entry {
				return []verify.Entry{w.keyless(jobClaims("evil/evil", buildAttest, "refs/tags/v1.0.0"), attest.ProvenanceType, provenance("evil/evil", "refs/tags/v1.0.0", buildAttest))}
			},
			check: "required-provenance", status: Fail,
			says: `called from github.com/evil/evil, for refs/tags/v1.0.0), which the policy's provenance signers do not admit: source repository (the repository whose run signed): expected "github.com/acme/app", found "github.com/evil/evil"`,
		},
		{
			// 2b. Our public deploy-gate.yml, called from the attacker's
			// repository, whose environment reviewers the attacker controls.
			name:   "our approval workflow called from another repository",
			policy: trustPolicy,
			evidence: func(w *trustWorld) []verify.Entry {
				return []verify.Entry{
					w.keyless(genuineBuild, attest.ProvenanceType, genuineProvenance),
					w.keyless(jobClaims("evil/evil", deployGate, "refs/tags/v1.0.0"), predicate.ApprovalType, approvalRecord(w.subj.Digest.String(), func(p *predicate.Approval) { p.Repository = "evil/evil" })),
				}
			},
			check: "approvals", status: Fail, says: "which the policy's approval signers do not admit",
		},
		{
			// 3. The build key signs an approval with reviewers who do not exist.
			name:   "the build key signs an approval",
			policy: trustPolicy,
			evidence: func(w *trustWorld) []verify.Entry {
				return []verify.Entry{
					w.keyless(genuineBuild, attest.ProvenanceType, genuineProvenance),
					w.signed(w.buildKey, predicate.ApprovalType, approvalRecord(w.subj.Digest.String(), nil)),
				}
			},
			check: "approvals", status: Fail, says: "which may sign provenance, sbom, vuln, test, signature, custom but not approval",
		},
		{
			// 4. A signed record whose reviews must not count, and its counts
			// fields say they do: the gate recomputes.
			name:   "reviews before the digest was shown, for another environment, one reviewer twice",
			policy: trustPolicy,
			evidence: func(w *trustWorld) []verify.Entry {
				rec := approvalRecord(w.subj.Digest.String(), func(p *predicate.Approval) {
					shown := p.CheckRunPostedAt
					p.Reviews = []predicate.ApprovalReview{
						{Reviewer: "dave", State: "approved", Time: shown.Add(-time.Hour), Environments: []string{"production"}, Counts: true},
						{Reviewer: "erin", State: "approved", Time: shown.Add(time.Minute), Environments: []string{"staging"}, Counts: true},
					}
				})
				return []verify.Entry{w.keyless(genuineBuild, attest.ProvenanceType, genuineProvenance), w.keyless(genuineApprove, predicate.ApprovalType, rec)}
			},
			check: "approvals", status: Fail, says: "0 approval(s) count for this digest, 1 required",
		},
		{
			name:   "the same reviewer in two cases is one reviewer",
			policy: trustPolicy,
			evidence: func(w *trustWorld) []verify.Entry {
				rec := approvalRecord(w.subj.Digest.String(), func(p *predicate.Approval) {
					r := p.Reviews[0]
					r.Reviewer = "ALICE"
					p.Reviews = append(p.Reviews, r)
				})
				return []verify.Entry{w.keyless(genuineBuild, attest.ProvenanceType, genuineProvenance), w.keyless(genuineApprove, predicate.ApprovalType, rec)}
			},
			// Counted once: the approval names one reviewer, not two.
			check: "approvals", status: Pass, says: "by alice in run",
		},
		{
			name:   "an approval record of another run than its certificate's",
			policy: trustPolicy,
			evidence: func(w *trustWorld) []verify.Entry {
				rec := approvalRecord(w.subj.Digest.String(), func(p *predicate.Approval) { p.RunID = 1 })
				return []verify.Entry{w.keyless(genuineBuild, attest.ProvenanceType, genuineProvenance), w.keyless(genuineApprove, predicate.ApprovalType, rec)}
			},
			check: "approvals", status: Fail, says: "the approval record says run 1, its signing certificate was issued to https://github.com/acme/app/actions/runs/4242/attempts/1",
		},
		{
			// A genuine approval of an earlier run, replayed in this one.
			name:   "an approval recorded in another run",
			policy: trustPolicy,
			evidence: func(w *trustWorld) []verify.Entry {
				w.runID = 4243
				return []verify.Entry{w.keyless(genuineBuild, attest.ProvenanceType, genuineProvenance), w.keyless(genuineApprove, predicate.ApprovalType, approvalRecord(w.subj.Digest.String(), nil))}
			},
			check: "approvals", status: Fail, says: "the approvals were recorded in run 4242, not this run 4243",
		},
		{
			// 8. Self-review: whoever pushed the tag or re-ran the workflow.
			name:   "the actor who pushed the tag approves",
			policy: trustPolicy,
			evidence: func(w *trustWorld) []verify.Entry {
				rec := approvalRecord(w.subj.Digest.String(), func(p *predicate.Approval) { p.Reviews[0].Reviewer = "Bob" })
				return []verify.Entry{w.keyless(genuineBuild, attest.ProvenanceType, genuineProvenance), w.keyless(genuineApprove, predicate.ApprovalType, rec)}
			},
			check: "approvals", status: Fail, says: "self-review is not allowed",
		},
		{
			name:   "a change author approves",
			policy: trustPolicy,
			evidence: func(w *trustWorld) []verify.Entry {
				rec := approvalRecord(w.subj.Digest.String(), func(p *predicate.Approval) { p.Reviews[0].Reviewer = "carol" })
				return []verify.Entry{w.keyless(genuineBuild, attest.ProvenanceType, genuineProvenance), w.keyless(genuineApprove, predicate.ApprovalType, rec)}
			},
			check: "approvals", status: Fail, says: "self-review is not allowed",
		},
		{
			name:   "the change's authors are unknown",
			policy: trustPolicy,
			evidence: func(w *trustWorld) []verify.Entry {
				rec := approvalRecord(w.subj.Digest.String(), func(p *predicate.Approval) {
					p.ChangeAuthors, p.ChangeAuthorsKnown, p.ChangeAuthorsNote = nil, false, "first deployment to production: no previous deployment to compare with"
				})
				return []verify.Entry{w.keyless(genuineBuild, attest.ProvenanceType, genuineProvenance), w.keyless(genuineApprove, predicate.ApprovalType, rec)}
			},
			check: "approvals", status: Fail, says: "the change's authors are not known, so no reviewer can be shown not to be one: first deployment",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newTrustWorld(t, tc.policy)
			d := w.decide(tc.evidence(w)...)
			var got *Check
			for i := range d.Checks {
				if d.Checks[i].ID == tc.check {
					got = &d.Checks[i]
				}
			}
			if got == nil {
				t.Fatalf("no %s check in %+v", tc.check, d.Checks)
			}
			if got.Status != tc.status || !strings.Contains(got.Message, tc.says) {
				t.Errorf("%s: %s %q\nwant %s saying %q", tc.check, got.Status, got.Message, tc.status, tc.says)
			}
			if wantAllow := tc.status == Pass; d.Allowed() != wantAllow {
				t.Errorf("decision %s; failed checks %+v", d.Decision, d.Failed())
			}
		})
	}
}
