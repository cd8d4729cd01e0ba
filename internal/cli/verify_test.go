package cli

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relproof/relproof/internal/verify"
)

// A real GitHub artifact attestation whose artifact is in the corpus.
var (
	ghDir      = filepath.Join(corpusDir, "sigstore_bundles/github-attestations/cli-cli")
	ghArtifact = filepath.Join(ghDir, "custom-issuer-artifact")
	ghBundle   = filepath.Join(ghDir, "custom-issuer.sigstore.json")
	ghRoot     = filepath.Join(corpusDir, "trusted_roots/public-good.trusted_root.json")
	ghIssuer   = "https://token.actions.githubusercontent.com/hammer-time"
	ghSAN      = "https://github.com/too-legit/attest/.github/workflows/integration.yml@refs/heads/main"
)

func ghVerify(extra ...string) []string {
	return append([]string{"verify", ghArtifact, "--bundle", ghBundle, "--trusted-root", ghRoot, "--cert-oidc-issuer", ghIssuer}, extra...)
}

func TestVerifyKeylessConstraints(t *testing.T) {
	t.Parallel()
	staging := []string{"verify", "sha512:76176ffa33808b54602c7c35de5c6e9a4deb96066dba6533f50ac234f4f1f4c6b3527515dc17c06fbe2860030f410eee69ea20079bd3a2c6f3dcf3b329b10751",
		"--bundle", filepath.Join(corpusDir, "sigstore_bundles/sigstore-go/github-staging/bundle-github-staging-sigstorejs1.3.0.json"),
		"--trusted-root", filepath.Join(corpusDir, "trusted_roots/github-staging.trusted_root.json"),
		"--cert-identity", "cody@soyland.com", "--cert-oidc-issuer", "https://github.com/login/oauth"}
	for _, tc := range []struct {
		name  string
		args  []string
		code  int
		class error
		want  string
	}{
		{"signer workflow", ghVerify("--signer-workflow", "too-legit/attest/.github/workflows/integration.yml"), 0, nil, ""},
		{"signer workflow at ref", ghVerify("--signer-workflow", "too-legit/attest/.github/workflows/integration.yml@refs/heads/main"), 0, nil, ""},
		{"signer workflow with host", ghVerify("--signer-workflow", "github.com/too-legit/attest/.github/workflows/integration.yml"), 0, nil, ""},
		{"signer workflow at other ref", ghVerify("--signer-workflow", "too-legit/attest/.github/workflows/integration.yml@refs/heads/dev"), 1, verify.ErrIdentityMismatch, "refs/heads/dev"},
		{"other signer workflow", ghVerify("--signer-workflow", "too-legit/attest/.github/workflows/release.yml"), 1, verify.ErrIdentityMismatch, "release"},
		{"cert identity regexp", ghVerify("--cert-identity-regexp", "^https://github.com/too-legit/"), 0, nil, ""},
		{"wrong issuer", []string{"verify", ghArtifact, "--bundle", ghBundle, "--trusted-root", ghRoot, "--cert-identity", ghSAN}, 1, verify.ErrIdentityMismatch, "issuer"},
		{"hosted runner required and present", ghVerify("--cert-identity", ghSAN, "--deny-self-hosted-runners"), 0, nil, ""},
		{"hosted runner required, certificate silent", append(staging, "--deny-self-hosted-runners"), 1, verify.ErrRunnerEnvironment, "certificate says no runner environment"},
		{"staging root with TSA only", staging, 0, nil, ""},
		{"builder id", ghVerify("--cert-identity", ghSAN, "--builder-id", "https://github.com/too-legit/attest/.github/workflows/integration.yml"), 0, nil, ""},
		{"builder id at ref", ghVerify("--cert-identity", ghSAN, "--builder-id", ghSAN), 0, nil, ""},
		{"other builder id", ghVerify("--cert-identity", ghSAN, "--builder-id", "https://github.com/acme/builder/.github/workflows/b.yml"), 1, verify.ErrBuilderMismatch, `expected "https://github.com/acme/builder/.github/workflows/b.yml", provenance says "` + ghSAN + `"`},
		{"keyless bundle with a key", []string{"verify", ghArtifact, "--bundle", ghBundle, "--key", mustPub(t)}, 1, verify.ErrSignature, "signed with a certificate (keyless)"},
		{"public-good root embedded", []string{"verify", ghArtifact, "--bundle", ghBundle, "--cert-identity", ghSAN, "--cert-oidc-issuer", ghIssuer}, 0, nil, ""},
		{"another root", []string{"verify", ghArtifact, "--bundle", ghBundle, "--cert-oidc-issuer", ghIssuer, "--cert-identity", ghSAN,
			"--trusted-root", filepath.Join(corpusDir, "trusted_roots/github-staging.trusted_root.json")}, 1, verify.ErrTransparencyLog, "transparency log entry does not verify"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, testEnv(t, nil), tc.args...)
			expect(t, r, tc.code, tc.want)
			if tc.class != nil && !errors.Is(r.err, tc.class) {
				t.Errorf("error is not %v: %v", tc.class, r.err)
			}
		})
	}
}

func mustPub(t *testing.T) string {
	t.Helper()
	_, pub := keys(t, testEnv(t, nil), t.TempDir(), "k")
	return pub
}

func TestVerifyJSONReport(t *testing.T) {
	t.Parallel()
	r := run(t, testEnv(t, nil), ghVerify("--cert-identity", ghSAN, "--output", "json")...)
	expect(t, r, 0)
	var rep struct {
		Verdict  string `json:"verdict"`
		Subject  string `json:"subject"`
		Verified []struct {
			Source, Format, Digest, PredicateType, Signer string
			Certificate                                   map[string]any
			Provenance                                    map[string]string
			VerifiedTimes                                 []struct{ Source, Time string }
		} `json:"verified"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	bundle, _ := os.ReadFile(ghBundle)
	sum := sha256.Sum256([]byte(strings.TrimSpace(string(bundle))))
	if rep.Verdict != "verified" || rep.Subject != "sha256:afa27b44d43b02a9fea41d13cedc2e4016cfcf87c5dbf990e593669aa8ce286d" || len(rep.Verified) != 1 {
		t.Fatalf("report = %+v", rep)
	}
	v := rep.Verified[0]
	for got, want := range map[string]string{
		v.Format:        "sigstore bundle v0.3",
		v.Digest:        "sha256:" + hex.EncodeToString(sum[:]),
		v.PredicateType: "https://slsa.dev/provenance/v1",
		v.Signer:        ghSAN,
		v.Certificate["sourceRepositoryURI"].(string):             "https://github.com/too-legit/attest",
		v.Certificate["sourceRepositoryRef"].(string):             "refs/heads/main",
		v.Certificate["sourceRepositoryDigest"].(string):          "283bf967fa3c591925dd25e6a6e8e781542117bf",
		v.Certificate["runnerEnvironment"].(string):               "github-hosted",
		v.Certificate["issuer"].(string):                          ghIssuer,
		v.Provenance["builderId"]:                                 ghSAN,
		v.Provenance["sourceCommit"]:                              "283bf967fa3c591925dd25e6a6e8e781542117bf",
		v.VerifiedTimes[0].Source + " " + v.VerifiedTimes[0].Time: "Tlog 2024-09-11T19:19:03Z",
	} {
		if got != want {
			t.Errorf("report field = %q, want %q", got, want)
		}
	}

	r = run(t, testEnv(t, nil), ghVerify("--cert-identity", "https://github.com/someone/else/.github/workflows/x.yml@refs/heads/main", "--output", "json")...)
	expect(t, r, 1)
	var fail struct {
		Verdict  string
		Rejected []struct{ Source, Reason string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &fail); err != nil {
		t.Fatal(err)
	}
	if fail.Verdict != "not verified" || len(fail.Rejected) != 1 || fail.Rejected[0].Source != ghBundle || !strings.Contains(fail.Rejected[0].Reason, "signer identity mismatch") {
		t.Errorf("failure report = %+v", fail)
	}
}

func TestVerifySummaryAttestation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := testEnv(t, nil)
	key, pub := keys(t, env, dir, "vsa")
	subject := filepath.Join(corpusDir, "slsa_provenance/gha_delegator/v2.1.0/binary-linux-amd64-push-v14")
	bundle := filepath.Join(corpusDir, "slsa_provenance/gha_delegator/v2.1.0/binary-linux-amd64-push-v14.build.slsa")
	vsaOut := filepath.Join(dir, "vsa.sigstore.json")
	args := []string{"verify", subject, "--bundle", bundle, "--source-uri", "github.com/slsa-framework/example-package",
		"--source-versioned-tag", "v14", "--builder-id", "https://github.com/slsa-framework/example-trw/.github/workflows/builder_high-perms_slsa3.yml",
		"--vsa-out", vsaOut, "--vsa-key", key}
	expect(t, run(t, env, args...), 0)

	// The summary is itself evidence for the same digest, signed with the key.
	expect(t, run(t, env, "verify", subject, "--bundle", vsaOut, "--key", pub, "--predicate-type", verify.VSAType), 0)
	var b struct {
		DSSEEnvelope struct{ Payload []byte } `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal([]byte(readFile(t, vsaOut)), &b); err != nil {
		t.Fatal(err)
	}
	var st struct {
		Subject []struct {
			Digest map[string]string
		}
		Predicate struct {
			Verifier          struct{ ID string }
			TimeVerified      string
			ResourceURI       string `json:"resourceUri"`
			Policy            struct{ URI string }
			InputAttestations []struct {
				URI    string
				Digest map[string]string
			}
			VerificationResult string
			VerifiedLevels     []string
		}
	}
	if err := json.Unmarshal(b.DSSEEnvelope.Payload, &st); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(bundle)
	sum := sha256.Sum256([]byte(strings.TrimSpace(string(raw))))
	p := st.Predicate
	if st.Subject[0].Digest["sha256"] != "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03" {
		t.Errorf("VSA subject = %v", st.Subject)
	}
	if p.Verifier.ID != verify.VerifierID || p.TimeVerified != "2026-11-26T12:00:00Z" || p.VerificationResult != "PASSED" ||
		len(p.VerifiedLevels) != 1 || p.VerifiedLevels[0] != "SLSA_BUILD_LEVEL_3" {
		t.Errorf("VSA predicate = %+v", p)
	}
	if len(p.InputAttestations) != 1 || p.InputAttestations[0].Digest["sha256"] != hex.EncodeToString(sum[:]) {
		t.Errorf("input attestations = %+v, want the bundle by its sha256", p.InputAttestations)
	}
	for _, want := range []string{"relproof:verify?", "source-uri=github.com%2Fslsa-framework%2Fexample-package", "source-versioned-tag=v14"} {
		if !strings.Contains(p.Policy.URI, want) {
			t.Errorf("policy uri %q does not record %q", p.Policy.URI, want)
		}
	}
	if strings.Contains(p.Policy.URI, "vsa-key") {
		t.Errorf("policy uri names the signing key file: %q", p.Policy.URI)
	}

	// A failed verification writes no summary.
	failed := filepath.Join(dir, "failed.json")
	args[len(args)-3] = failed
	args[7] = "v13"
	expect(t, run(t, env, args...), 1)
	if _, err := os.Stat(failed); !os.IsNotExist(err) {
		t.Error("a failed verification wrote a verification summary")
	}
}

// Evidence relproof signed with a key verifies as a bare DSSE envelope too,
// and a file is bound by sha512 when its statement names it that way (npm).
func TestVerifyKeyEnvelopeAndSHA512(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := testEnv(t, nil)
	key, pub := keys(t, env, dir, "k")
	artifact := writeFile(t, dir, "pkg.tgz", "an npm tarball")
	sum := sha512.Sum512([]byte("an npm tarball"))
	pred := writeFile(t, dir, "p.json", `{"n":1}`)
	bundle := filepath.Join(dir, "b.json")
	expect(t, run(t, env, "attest", "sha512:"+hex.EncodeToString(sum[:]), "--type", "custom", "--predicate", pred, "--predicate-type", "https://x.example/p", "--key", key, "--bundle-out", bundle), 0)
	expect(t, run(t, env, "verify", artifact, "--bundle", bundle, "--key", pub), 0)
	other := writeFile(t, dir, "other.tgz", "another tarball")
	expect(t, run(t, env, "verify", other, "--bundle", bundle, "--key", pub), 1, "subject mismatch: expected sha512:")

	var b struct {
		DSSEEnvelope struct {
			Payload     string `json:"payload"`
			PayloadType string `json:"payloadType"`
			Signatures  []struct {
				Sig string `json:"sig"`
			} `json:"signatures"`
		} `json:"dsseEnvelope"`
		VerificationMaterial struct {
			PublicKey struct{ Hint string } `json:"publicKey"`
		} `json:"verificationMaterial"`
	}
	if err := json.Unmarshal([]byte(readFile(t, bundle)), &b); err != nil {
		t.Fatal(err)
	}
	envelope := map[string]any{
		"payloadType": b.DSSEEnvelope.PayloadType,
		"payload":     b.DSSEEnvelope.Payload,
		"signatures":  []map[string]string{{"keyid": b.VerificationMaterial.PublicKey.Hint, "sig": b.DSSEEnvelope.Signatures[0].Sig}},
	}
	raw, _ := json.Marshal(envelope)
	dsse := writeFile(t, dir, "b.intoto.jsonl", string(raw)+"\n")
	r := run(t, env, "verify", artifact, "--bundle", dsse, "--key", pub, "--output", "json")
	expect(t, r, 0)
	if !strings.Contains(r.stdout, `"format": "dsse envelope"`) {
		t.Errorf("report does not say the entry was a DSSE envelope:\n%s", r.stdout)
	}
	payload, _ := base64.StdEncoding.DecodeString(b.DSSEEnvelope.Payload)
	tampered := strings.Replace(string(raw), b.DSSEEnvelope.Payload, base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"n":1`, `"n":2`, 1))), 1)
	expect(t, run(t, env, "verify", artifact, "--bundle", writeFile(t, dir, "t.jsonl", tampered), "--key", pub), 1, "signature")
}
