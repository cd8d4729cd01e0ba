package slsagen_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	serrors "github.com/slsa-framework/slsa-verifier/v2/errors"

	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify/slsagen"
)

const corpusDir = "../../../testdata/corpus"

// corpusCase is an entry of testdata/corpus/cases.json.
type corpusCase struct {
	Name        string         `json:"name"`
	Kind        string         `json:"kind"`
	Bundle      string         `json:"bundle"`
	Subject     string         `json:"subject"`
	TrustedRoot string         `json:"trusted_root"`
	Flags       map[string]any `json:"flags"`
	Expect      string         `json:"expect"`
	Why         string         `json:"why"`
}

func (c corpusCase) options() slsagen.Options {
	flag := func(name string) string {
		s, _ := c.Flags[name].(string)
		return s
	}
	return slsagen.Options{
		SourceURI:          flag("source-uri"),
		SourceBranch:       flag("source-branch"),
		SourceTag:          flag("source-tag"),
		SourceVersionedTag: flag("source-versioned-tag"),
		BuilderID:          flag("builder-id"),
	}
}

// Where an entry stopped.
const (
	stageBundle   = "bundle"   // not a Sigstore bundle
	stageSigstore = "sigstore" // sigstore-go rejected it
	stageSlsagen  = "slsagen"  // slsagen.Verify rejected it
	stagePass     = "pass"
)

// outcome is what happened to one entry of a bundle file.
type outcome struct {
	stage  string
	err    error
	result *slsagen.Result
}

// sentinels are the slsa-verifier errors named in cases.json.
var sentinels = map[string]error{
	"ErrorMismatchBranch":            serrors.ErrorMismatchBranch,
	"ErrorMismatchSource":            serrors.ErrorMismatchSource,
	"ErrorInvalidRef":                serrors.ErrorInvalidRef,
	"ErrorMismatchVersionedTag":      serrors.ErrorMismatchVersionedTag,
	"ErrorMismatchTag":               serrors.ErrorMismatchTag,
	"ErrorMismatchHash":              serrors.ErrorMismatchHash,
	"ErrorUntrustedReusableWorkflow": serrors.ErrorUntrustedReusableWorkflow,
	"ErrorMismatchBuilderID":         serrors.ErrorMismatchBuilderID,
	"ErrorInvalidBuilderID":          serrors.ErrorInvalidBuilderID,
}

const (
	generatorWorkflows = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"
	examplePackage     = "git+https://github.com/slsa-framework/example-package"
	commit210          = "4d329c75e7ec1725f7c9ce917a8799d408d06be3"
	trw                = "https://github.com/slsa-framework/example-trw/.github/workflows/builder_high-perms_slsa3.yml@refs/tags/v2.1.0"
)

// corpusWant says where each case stops when it is not at slsagen, and what
// a passing case verifies.
var corpusWant = map[string]struct {
	stage  string
	result *slsagen.Result
}{
	"slsa/generic-v2.1.0-wd-default": {stagePass, &slsagen.Result{
		BuilderID: generatorWorkflows + "generator_generic_slsa3.yml@refs/tags/v2.1.0",
		SourceURI: examplePackage + "@refs/heads/main", SourceRef: "refs/heads/main",
		SourceCommit: commit210, Trigger: "workflow_dispatch",
	}},
	"slsa/generic-v2.1.0-wd-branch-main": {stagePass, &slsagen.Result{
		BuilderID: generatorWorkflows + "generator_generic_slsa3.yml@refs/tags/v2.1.0",
		SourceURI: examplePackage + "@refs/heads/main", SourceRef: "refs/heads/main",
		SourceCommit: commit210, Trigger: "workflow_dispatch",
	}},
	"slsa/delegator-v2.1.0-push-v14": {stagePass, &slsagen.Result{
		BuilderID: trw,
		SourceURI: examplePackage + "@refs/tags/v14", SourceRef: "refs/tags/v14",
		SourceCommit: commit210, Trigger: "push", BYOB: true,
	}},
	"slsa/delegator-v2.1.0-wd-branch-main": {stagePass, &slsagen.Result{
		BuilderID: trw,
		SourceURI: examplePackage + "@refs/heads/main", SourceRef: "refs/heads/main",
		SourceCommit: commit210, Trigger: "workflow_dispatch", BYOB: true,
	}},
	"slsa/maven-v2.1.0-push-v14": {stagePass, &slsagen.Result{
		BuilderID: generatorWorkflows + "builder_maven_slsa3.yml@refs/tags/v2.1.0",
		SourceURI: examplePackage + "@refs/tags/v14", SourceRef: "refs/tags/v14",
		SourceCommit: commit210, Trigger: "push", BYOB: true,
	}},
	"slsa/maven-v2.1.0-wd-branch-main": {stagePass, &slsagen.Result{
		BuilderID: generatorWorkflows + "builder_maven_slsa3.yml@refs/tags/v2.1.0",
		SourceURI: examplePackage + "@refs/heads/main", SourceRef: "refs/heads/main",
		SourceCommit: commit210, Trigger: "workflow_dispatch", BYOB: true,
	}},
	"slsa/container-based-v2.1.0-wd-default": {stagePass, &slsagen.Result{
		BuilderID: generatorWorkflows + "builder_container-based_slsa3.yml@refs/tags/v2.1.0",
		SourceURI: examplePackage + "@refs/heads/main", SourceRef: "refs/heads/main",
		SourceCommit: commit210, Trigger: "workflow_dispatch",
	}},
	"slsa/container-based-v1.7.0-wd-branch-main": {stagePass, &slsagen.Result{
		BuilderID: generatorWorkflows + "builder_container-based_slsa3.yml@refs/tags/v1.7.0",
		SourceURI: examplePackage + "@refs/heads/main", SourceRef: "refs/heads/main",
		SourceCommit: "62cb1f1e485829bafe8bbec8b9900c0cb7624fe7", Trigger: "workflow_dispatch",
	}},
	// A DSSE envelope without a bundle has no transparency-log proof, so no
	// trusted time for its short-lived certificate.
	"slsa/generic-v2.0.0-push-v14-bare-dsse": {stage: stageBundle},
	// sigstore-go's artifact-digest policy already rejects the subject;
	// the test then checks that slsagen rejects it too, on its own.
	"slsa/generic-v2.1.0-push-v14-wrong-artifact": {stage: stageSigstore},
}

func TestVerifyCorpus(t *testing.T) {
	t.Parallel()
	var file struct {
		Cases []corpusCase `json:"cases"`
	}
	readJSON(t, filepath.Join(corpusDir, "cases.json"), &file)

	n := 0
	for _, c := range file.Cases {
		if c.Kind != "slsa-github-generator" {
			continue
		}
		n++
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			want, ok := corpusWant[c.Name]
			if !ok {
				want.stage = stageSlsagen
			}
			if (c.Expect == "pass") != (want.stage == stagePass) {
				t.Fatalf("corpusWant says stage %q for a case expected to %s", want.stage, c.Expect)
			}

			d := corpusDigest(t, c.Subject)
			var outcomes []outcome
			for _, entry := range bundleEntries(t, c.Bundle) {
				o := verifyEntry(t, entry, c.TrustedRoot, d, c.options(), false)
				outcomes = append(outcomes, o)
				t.Logf("entry %d: %s: %v", len(outcomes), o.stage, o.err)
			}
			passed := outcomeAt(outcomes, stagePass)
			if got, wantPass := passed != nil, c.Expect == "pass"; got != wantPass {
				t.Fatalf("verdict: passed = %v, want %v (%s)", got, wantPass, c.Why)
			}
			if passed != nil {
				if diff := cmp.Diff(want.result, passed.result); diff != "" {
					t.Errorf("result (-want +got):\n%s", diff)
				}
				return
			}

			stopped := outcomeAt(outcomes, want.stage)
			if stopped == nil {
				t.Fatalf("no entry stopped at %s", want.stage)
			}
			sentinel, named := sentinels[c.Why]
			if !named {
				return
			}
			if stopped.stage != stageSlsagen {
				// Check slsagen alone: sigstore-go without its artifact policy.
				if stopped = verifyEntryOutcome(t, bundleEntries(t, c.Bundle), c, d); stopped == nil {
					t.Fatalf("slsagen alone did not reject any entry")
				}
			}
			if !errors.Is(stopped.err, sentinel) {
				t.Errorf("error = %v, want errors.Is %s", stopped.err, c.Why)
			}
		})
	}
	if n != 17 {
		t.Errorf("found %d slsa-github-generator cases, want 17", n)
	}
}

// verifyEntryOutcome runs every entry through sigstore-go without an artifact
// policy and then slsagen, and returns the first slsagen rejection.
func verifyEntryOutcome(t *testing.T, entries [][]byte, c corpusCase, d subject.Digest) *outcome {
	t.Helper()
	for _, entry := range entries {
		o := verifyEntry(t, entry, c.TrustedRoot, d, c.options(), true)
		t.Logf("without artifact policy: %s: %v", o.stage, o.err)
		if o.stage == stageSlsagen {
			return &o
		}
	}
	return nil
}

func outcomeAt(outcomes []outcome, stage string) *outcome {
	for i := range outcomes {
		if outcomes[i].stage == stage {
			return &outcomes[i]
		}
	}
	return nil
}

// verifyEntry verifies one bundle with sigstore-go against the trusted root,
// offline, and then applies slsagen.Verify. withoutArtifact drops
// sigstore-go's subject check, leaving it to slsagen.
func verifyEntry(t *testing.T, entry []byte, trustedRoot string, d subject.Digest, opts slsagen.Options, withoutArtifact bool) outcome {
	t.Helper()
	var b bundle.Bundle
	if err := b.UnmarshalJSON(entry); err != nil {
		return outcome{stage: stageBundle, err: err}
	}
	v, err := verify.NewSignedEntityVerifier(loadRoot(t, trustedRoot), verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1))
	if err != nil {
		t.Fatal(err)
	}
	digest, err := hex.DecodeString(d.Hex)
	if err != nil {
		t.Fatal(err)
	}
	artifact := verify.WithArtifactDigest(d.Algorithm, digest)
	if withoutArtifact {
		artifact = verify.WithoutArtifactUnsafe()
	}
	res, err := v.Verify(&b, verify.NewPolicy(artifact, verify.WithoutIdentitiesUnsafe()))
	if err != nil {
		return outcome{stage: stageSigstore, err: err}
	}
	if res.Signature == nil || res.Signature.Certificate == nil {
		return outcome{stage: stageSigstore, err: errors.New("no signing certificate")}
	}
	env, err := b.Envelope()
	if err != nil {
		return outcome{stage: stageSigstore, err: err}
	}
	if env.PayloadType != "application/vnd.in-toto+json" {
		return outcome{stage: stageSigstore, err: errors.New("payload type " + env.PayloadType)}
	}
	payload, err := env.DecodeB64Payload()
	if err != nil {
		return outcome{stage: stageSigstore, err: err}
	}
	r, err := slsagen.Verify(*res.Signature.Certificate, payload, d, opts)
	if err != nil {
		return outcome{stage: stageSlsagen, err: err}
	}
	return outcome{stage: stagePass, result: r}
}

var roots sync.Map // path -> func() (*root.TrustedRoot, error)

func loadRoot(t *testing.T, path string) *root.TrustedRoot {
	t.Helper()
	load, _ := roots.LoadOrStore(path, sync.OnceValues(func() (*root.TrustedRoot, error) {
		return root.NewTrustedRootFromPath(filepath.Join(corpusDir, path))
	}))
	tr, err := load.(func() (*root.TrustedRoot, error))()
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// bundleEntries returns the documents of a JSON or JSONL file.
func bundleEntries(t *testing.T, path string) [][]byte {
	t.Helper()
	data := readFile(t, path)
	if json.Valid(data) {
		return [][]byte{data}
	}
	var entries [][]byte
	for line := range bytes.Lines(data) {
		if line = bytes.TrimSpace(line); len(line) > 0 {
			entries = append(entries, line)
		}
	}
	return entries
}

// corpusDigest resolves a case's subject: "sha256:HEX", a .digest file
// ("sha256:HEX SIZE NAME") or the artifact itself.
func corpusDigest(t *testing.T, s string) subject.Digest {
	t.Helper()
	if !strings.HasPrefix(s, "sha256:") {
		data := readFile(t, s)
		if !strings.HasSuffix(s, ".digest") {
			sum := sha256.Sum256(data)
			return subject.Digest{Algorithm: subject.SHA256, Hex: hex.EncodeToString(sum[:])}
		}
		s = strings.Fields(string(data))[0]
	}
	d, err := subject.ParseDigest(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// envelopeCert returns the payload and the summarized certificate of a bare
// DSSE envelope that carries its signing certificate (as old
// slsa-github-generator releases wrote them).
func envelopeCert(t *testing.T, path string) ([]byte, certificate.Summary) {
	t.Helper()
	var env struct {
		Payload    []byte `json:"payload"`
		Signatures []struct {
			Cert string `json:"cert"`
		} `json:"signatures"`
	}
	readJSON(t, filepath.Join(corpusDir, path), &env)
	if len(env.Signatures) == 0 {
		t.Fatal("no signature")
	}
	block, _ := pem.Decode([]byte(env.Signatures[0].Cert))
	if block == nil {
		t.Fatal("no PEM certificate")
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := certificate.SummarizeCertificate(c)
	if err != nil {
		t.Fatal(err)
	}
	return env.Payload, sum
}

// TestVerifyCorpusPolicyOnly applies slsagen to real evidence that no
// cases.json entry reaches it with: the Go builder's provenance (its artifact
// is not kept, only its digest), and the certificates embedded in bare DSSE
// envelopes, which sigstore-go cannot verify offline.
func TestVerifyCorpusPolicyOnly(t *testing.T) {
	t.Parallel()
	source := slsagen.Options{SourceURI: "github.com/slsa-framework/example-package"}

	t.Run("go builder through sigstore-go", func(t *testing.T) {
		t.Parallel()
		const path = "slsa_provenance/gha_go/v2.1.0/binary-linux-amd64-push-v14.intoto.jsonl"
		d := corpusDigest(t, "sha256:f6ab7ad0c7549b5a4942c3b0690519d791c28c4c0f8b286208cb40da3322a066")
		opts := source
		opts.SourceVersionedTag = "v14.0"
		o := verifyEntry(t, bundleEntries(t, path)[0], "trusted_roots/public-good.trusted_root.json", d, opts, false)
		want := &slsagen.Result{
			BuilderID: generatorWorkflows + "builder_go_slsa3.yml@refs/tags/v2.1.0",
			SourceURI: examplePackage + "@refs/tags/v14", SourceRef: "refs/tags/v14",
			SourceCommit: commit210, Trigger: "push",
		}
		if o.err != nil {
			t.Fatalf("%s: %v", o.stage, o.err)
		}
		if diff := cmp.Diff(want, o.result); diff != "" {
			t.Errorf("result (-want +got):\n%s", diff)
		}
	})

	tests := []struct {
		name    string
		path    string
		digest  string
		opts    slsagen.Options
		wantErr error
	}{{
		name:    "untrusted builder fork",
		path:    "slsa_provenance/binary-linux-amd64-untrusted-builder.intoto.jsonl",
		digest:  "sha256:b01c4f22b92c57fe1c94ba99b568e8d704bbf544882784b5b8c765fc32e627c4",
		opts:    slsagen.Options{SourceURI: "github.com/asraa/slsa-on-github-test"},
		wantErr: serrors.ErrorUntrustedReusableWorkflow,
	}, {
		name:   "bare DSSE v2.0.0 policy holds",
		path:   "slsa_provenance/gha_generic/v2.0.0/binary-linux-amd64-push-v14.intoto.jsonl",
		digest: "sha256:2892146b063a94cb4a4318c0e98d38af12dcf2b1e29237486b58463b59607bbd",
		opts:   slsagen.Options{SourceURI: "github.com/slsa-framework/example-package", SourceVersionedTag: "v14"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			payload, cert := envelopeCert(t, tt.path)
			_, err := slsagen.Verify(cert, payload, corpusDigest(t, tt.digest), tt.opts)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, path))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
