package demo

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"github.com/relproof/relproof/internal/attest"
	"os"
	"path/filepath"
	"text/template"
	"time"

	"github.com/relproof/relproof/internal/decide"
	"github.com/relproof/relproof/internal/fsutil"
	"github.com/relproof/relproof/internal/gate"
	"github.com/relproof/relproof/internal/policy"
	"github.com/relproof/relproof/internal/report"
	"github.com/relproof/relproof/internal/subject"
)

//go:embed policy.yaml.tmpl
var policyTemplate string

// gateProduction decides, for the digest, whether it may go to production
// under the demo's policy: the evidence read back from the registry in the
// step before is verified under the policy's signer, as `relproof gate` does.
func (r *run) gateProduction(ctx context.Context) error {
	path, err := r.writePolicy()
	if err != nil {
		return err
	}
	pol, err := policy.Load(path)
	if err != nil {
		return err
	}
	// Gate the digest itself: the tag was resolved once, in step 3.
	pinned, err := subject.Resolve(ctx, "oci://"+r.ref.String(), subject.RequireDigest())
	if err != nil {
		return err
	}
	d, err := decide.Decide(ctx, decide.Request{
		Subject: pinned, Policy: pol, Environment: "production",
		Sources: []decide.Source{decide.Read(r.entries)}, Now: time.Now(),
	})
	if err != nil {
		return err
	}
	dir := r.path("gate")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	r.res.Decision = filepath.Join(dir, "decision.json")
	r.res.Summary = filepath.Join(dir, "summary.md")
	r.res.Policy = path
	r.res.Verdict = d.Decision
	r.pinned, r.decision, r.decisionJSON = pinned, d, append(b, '\n')
	// The decision is signed by the policy's decision signer (the demo's
	// key), as relproof gate --key does: a pack is built only on a signed
	// decision, and checked against it again by pack verify.
	if r.decisionBundle, err = attest.SignPredicate(ctx, r.signer, pinned, gate.DecisionType, json.RawMessage(b)); err != nil {
		return err
	}
	if r.policyData, err = os.ReadFile(path); err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(r.res.Decision, r.decisionJSON, 0o644); err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(r.res.Decision+".sigstore.json", append(r.decisionBundle, '\n'), 0o644); err != nil {
		return err
	}
	if _, r.decisionSig, err = decide.SignedDecision(pinned, pol, "production", r.decisionJSON, r.decisionBundle, r.res.Decision+".sigstore.json", nil); err != nil {
		return fmt.Errorf("the demo's own decision does not verify: %w", err)
	}
	if err := fsutil.WriteFileAtomic(r.res.Summary, []byte(report.Markdown(d)), 0o644); err != nil {
		return err
	}
	for q := 1; q <= 6; q++ {
		fmt.Fprintf(r.opts.Log, "      %d. %-66s %s\n", q, gate.Questions[q], d.QuestionStatus(q))
	}
	fmt.Fprintf(r.opts.Log, "      production: %s (policy %s)\n", d.Decision, path)
	if !d.Allowed() {
		return fmt.Errorf("the demo's own evidence was denied for production: %+v", d.Failed())
	}
	return nil
}

// writePolicy writes the demo's production policy, naming its source
// repository, registry and key.
func (r *run) writePolicy() (string, error) {
	t, err := template.New("policy").Parse(policyTemplate)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, map[string]string{
		"Registry":         r.host,
		"SourceRepository": "file://" + r.repoDir,
		"KeyFile":          filepath.Join("..", "keys", "demo.pub"),
	}); err != nil {
		return "", err
	}
	dir := r.path("policy")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "policy.yaml")
	return path, fsutil.WriteFileAtomic(path, buf.Bytes(), 0o644)
}
