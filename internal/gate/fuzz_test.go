package gate

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/relproof/relproof/internal/policy"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

// FuzzGate runs the gate's whole input path — evidence read, sorted under
// ECDSA, RSA, Ed25519 and keyless signers of every kind, evaluated — on
// arbitrary evidence: it never panics, and it never allows what no signer
// vouched for. The seeds (real bundles and hostile shapes) run as a test.
func FuzzGate(f *testing.F) {
	for _, p := range []string{
		"../../testdata/sigstore-conformance/bundle-verify/happy-path-v0.3/bundle.sigstore.json",
		"../../testdata/sigstore-conformance/bundle-verify/rekor2-dsse-happy-path/bundle.sigstore.json",
		"../../testdata/corpus/sigstore_bundles/github-attestations/cli-cli/custom-issuer.sigstore.json",
	} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"sig":"AAAA"}]}`))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"x"}},"messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"q83vEjRWeJA="},"signature":"AAAA"}}`))
	f.Add([]byte("{}\n{\"mediaType\":\"x\"}\nnot json"))

	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	// The RSA key is fixed: generating one under the fuzzer's coverage
	// instrumentation takes minutes.
	keys := map[string][]byte{"rsa.pub": []byte(rsaPublicKey)}
	for name, k := range map[string]any{"ec.pub": &ecKey.PublicKey, "ed.pub": edPub} {
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			f.Fatal(err)
		}
		keys[name] = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}
	pol, err := policy.Parse("policy.yaml", []byte(`apiVersion: relproof.dev/v1
kind: Policy
environments:
  production:
    signers:
      build: [{key: ec.pub}, {key: rsa.pub}, {key: ed.pub}]
      approval: [{key: ed.pub}, {issuer: "https://token.actions.githubusercontent.com", signerWorkflow: "acme/app/.github/workflows/*@refs/*", sourceRepository: acme/app}]
      decision: [{key: rsa.pub}]
    approvals: {minimum: 1}
`), func(name string) ([]byte, error) { return keys[name], nil })
	if err != nil {
		f.Fatal(err)
	}
	env, err := pol.EffectiveEnvironment("production")
	if err != nil {
		f.Fatal(err)
	}
	tr, err := verify.PublicGoodRoot()
	if err != nil {
		f.Fatal(err)
	}
	subj := &subject.Subject{Kind: subject.KindDigest, Digest: subject.Digest{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}}
	signers := Signers(env, tr)
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := verify.ReadBundles("fuzz.json", data)
		if err != nil {
			return
		}
		verified, unlisted, rejected := SortEvidence(subj, entries, signers, tr)
		if len(verified) > 0 {
			t.Fatalf("evidence no listed signer signed counted: %+v", verified)
		}
		d := Evaluate(Input{Subject: subj, Environment: env, Verified: verified, Unlisted: unlisted, Rejected: rejected, Now: time.Unix(0, 0)})
		if d.Allowed() {
			t.Fatal("allowed on evidence nobody vouched for")
		}
	})
}

// rsaPublicKey is an RSA 2048 public key (its private half was thrown away).
const rsaPublicKey = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwPLwlYP1+SR2c3zNeepC
Ka1dxulQ26xe8v5XEuiku1WacdTrPlv/uMPnNP+bg5ky1XuOTs+2lUCmcTqKrl7C
hSJoE2czvJVJ5c/bBN+yiFLKrwOifBiHaul6TbabPX4XtY5WNsBc7s1ZH1ezXiA6
OjRhEf58CQJmnvL9TT+6rg2HTslkh7NCAd5fqBt5gjAtjzC/Oizchb3TFCcetAkL
P0eep/qx7k1fbnjG3LLf0i9ztcRGfNATnnapEo8T8Mss8cVomMsxIkm6/tfVIpIY
wCXNpJ84E2K/Q4dc4Tr3RS/BDpMXmB63O1n2yu3u7hfl9J2FiGB2cwnNZIFbguG8
2wIDAQAB
-----END PUBLIC KEY-----`
