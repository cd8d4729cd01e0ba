package verify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/relproof/relproof/internal/attest"
	"github.com/relproof/relproof/internal/sign"
	"github.com/relproof/relproof/internal/subject"
)

const customType = "https://example.com/predicate/v1"

// fixture signs a custom statement for an artifact and returns its digest,
// the bundle JSON and the signer.
func fixture(t *testing.T, curve elliptic.Curve, content string) (subject.Digest, []byte, *sign.KeySigner) {
	t.Helper()
	key, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.NewKeySigner(key)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(content))
	d := subject.Digest{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
	st, err := attest.Build(attest.Request{
		Subject:       &subject.Subject{Kind: subject.KindFile, Name: "app", Digest: d},
		Type:          attest.TypeCustom,
		Predicate:     []byte(`{"ok":true}`),
		PredicateName: "p.json",
		PredicateType: customType,
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := attest.Sign(context.Background(), s, st)
	if err != nil {
		t.Fatal(err)
	}
	return d, b, s
}

func entries(t *testing.T, name string, data []byte) []Entry {
	t.Helper()
	e, err := ReadBundles(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	for _, curve := range []elliptic.Curve{elliptic.P256(), elliptic.P384()} {
		t.Run(curve.Params().Name, func(t *testing.T) {
			t.Parallel()
			d, b, s := fixture(t, curve, "artifact")
			res, err := Verify(&subject.Subject{Digest: d}, entries(t, "b.json", b), Policy{Key: s.Public(), PredicateType: customType})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Verified) != 1 || len(res.Rejected) != 0 {
				t.Fatalf("verified %d, rejected %v; want 1 verified", len(res.Verified), res.Rejected)
			}
			a := res.Verified[0]
			if a.PredicateType != customType || a.Signer != s.Identity() || a.Source != "b.json" {
				t.Errorf("attestation = %+v", a)
			}
			if got := a.Statement.GetSubject()[0].GetDigest()["sha256"]; got != d.Hex {
				t.Errorf("statement subject digest %s, want %s", got, d.Hex)
			}
		})
	}
}

// tamper decodes the bundle, lets f change it, and encodes it again.
func tamper(t *testing.T, b []byte, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	d, b, s := fixture(t, elliptic.P256(), "artifact")
	_, _, other := fixture(t, elliptic.P256(), "artifact")
	otherDigest, _, _ := fixture(t, elliptic.P256(), "another artifact")

	tamperedPayload := tamper(t, b, func(m map[string]any) {
		env := m["dsseEnvelope"].(map[string]any)
		raw, _ := base64.StdEncoding.DecodeString(env["payload"].(string))
		raw = []byte(strings.Replace(string(raw), `"ok":true`, `"ok":false`, 1))
		env["payload"] = base64.StdEncoding.EncodeToString(raw)
	})
	tamperedSig := tamper(t, b, func(m map[string]any) {
		env := m["dsseEnvelope"].(map[string]any)
		sig := env["signatures"].([]any)[0].(map[string]any)
		raw, _ := base64.StdEncoding.DecodeString(sig["sig"].(string))
		raw[len(raw)-1] ^= 1
		sig["sig"] = base64.StdEncoding.EncodeToString(raw)
	})
	noHint := tamper(t, b, func(m map[string]any) {
		m["verificationMaterial"].(map[string]any)["publicKey"] = map[string]any{}
	})

	for _, tc := range []struct {
		name   string
		digest subject.Digest
		bundle []byte
		policy Policy
		reason string
	}{
		{"tampered payload", d, tamperedPayload, Policy{Key: s.Public()}, "signature"},
		{"tampered signature", d, tamperedSig, Policy{Key: s.Public()}, "signature"},
		{"wrong key", d, b, Policy{Key: other.Public()}, "bundle was signed by key " + strings.TrimPrefix(s.Identity(), "key ")},
		{"wrong key without hint", d, noHint, Policy{Key: other.Public()}, "signature"},
		{"wrong subject digest", otherDigest, b, Policy{Key: s.Public()}, "subject mismatch: expected sha256:"},
		{"wrong predicate type", d, b, Policy{Key: s.Public(), PredicateType: attest.ProvenanceType}, `predicate type mismatch: expected "https://slsa.dev/provenance/v1", found "https://example.com/predicate/v1"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := Verify(&subject.Subject{Digest: tc.digest}, entries(t, "b.json", tc.bundle), tc.policy)
			if !errors.Is(err, ErrNotVerified) {
				t.Fatalf("err = %v, want ErrNotVerified", err)
			}
			if len(res.Verified) != 0 || len(res.Rejected) != 1 {
				t.Fatalf("verified %d rejected %d, want 0 and 1", len(res.Verified), len(res.Rejected))
			}
			if r := res.Rejected[0].Reason; !strings.Contains(r, tc.reason) {
				t.Errorf("reason = %q, want it to contain %q", r, tc.reason)
			}
			if !strings.Contains(err.Error(), "b.json") {
				t.Errorf("error %q does not name the bundle", err)
			}
		})
	}
}

func TestVerifyOneOfManyAndNone(t *testing.T) {
	t.Parallel()
	d, good, s := fixture(t, elliptic.P256(), "artifact")
	_, bad, _ := fixture(t, elliptic.P256(), "artifact")
	jsonl := append(append(append(bad, '\n'), good...), '\n')
	res, err := Verify(&subject.Subject{Digest: d}, entries(t, "all.jsonl", jsonl), Policy{Key: s.Public()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Verified) != 1 || res.Verified[0].Source != "all.jsonl:2" || len(res.Rejected) != 1 || res.Rejected[0].Source != "all.jsonl:1" {
		t.Errorf("result = %+v", res)
	}
	if _, err := Verify(&subject.Subject{Digest: d}, nil, Policy{Key: s.Public()}); !errors.Is(err, ErrNotVerified) || !strings.Contains(err.Error(), "no evidence found") {
		t.Errorf("no entries: err = %v", err)
	}
	if _, err := Verify(&subject.Subject{Digest: d}, []Entry{{Source: "x", Err: errors.New("boom")}}, Policy{Key: s.Public()}); !errors.Is(err, ErrNotVerified) || !strings.Contains(err.Error(), "x: boom") {
		t.Errorf("unreadable entry: err = %v", err)
	}
	if _, err := Verify(&subject.Subject{Digest: d}, nil, Policy{}); err == nil || errors.Is(err, ErrNotVerified) {
		t.Errorf("no key: err = %v, want a usage error", err)
	}
}

func TestReadBundlesMalformed(t *testing.T) {
	t.Parallel()
	_, good, _ := fixture(t, elliptic.P256(), "artifact")
	for _, tc := range []struct {
		name, data, want string
	}{
		{"empty", "  \n", "b.json: empty"},
		{"not JSON", "hello", "b.json"},
		{"JSON but not a bundle", `{"mediaType":"text/plain"}`, "b.json"},
		{"neither bundle nor envelope", `{"payload":"x"}`, "found neither"},
		{"truncated bundle", string(good[:len(good)/2]), "b.json"},
		{"envelope with bad base64", `{"payloadType":"application/vnd.in-toto+json","payload":"!!","signatures":[{"sig":"AA=="}]}`, "payload is not base64"},
		{"envelope with two signatures", `{"payloadType":"x","payload":"","signatures":[{"sig":""},{"sig":""}]}`, "expected exactly one signature, found 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ReadBundles("b.json", []byte(tc.data))
			if !errors.Is(err, ErrMalformedBundle) || !errors.Is(err, ErrNotVerified) {
				t.Fatalf("err = %v, want ErrMalformedBundle (an ErrNotVerified)", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to name %q", err, tc.want)
			}
		})
	}
}

// A JSONL line that cannot be read is rejected on its own; the others are
// still tried.
func TestReadBundlesBadLine(t *testing.T) {
	t.Parallel()
	d, good, s := fixture(t, elliptic.P256(), "artifact")
	got, err := ReadBundles("b.jsonl", []byte(string(good)+"\n{oops\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Err != nil || !errors.Is(got[1].Err, ErrMalformedBundle) || got[1].Source != "b.jsonl:2" {
		t.Fatalf("entries = %+v", got)
	}
	res, err := Verify(&subject.Subject{Digest: d}, got, Policy{Key: s.Public()})
	if err != nil || len(res.Verified) != 1 || len(res.Rejected) != 1 {
		t.Errorf("Verify = %+v, %v; want one verified and the bad line rejected", res, err)
	}
}

// A keyless bundle from the real world is rejected under --key with advice.
func TestVerifyKeylessBundleWithKey(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../testdata/corpus/sigstore_bundles/github-attestations/cli-cli/reusable-workflow-attestation.sigstore.json")
	if err != nil {
		t.Fatal(err)
	}
	digestLine, err := os.ReadFile("../../testdata/corpus/sigstore_bundles/github-attestations/cli-cli/reusable-workflow-artifact.digest")
	if err != nil {
		t.Fatal(err)
	}
	d, err := subject.ParseDigest(strings.Fields(string(digestLine))[0])
	if err != nil {
		t.Fatal(err)
	}
	_, _, s := fixture(t, elliptic.P256(), "x")
	res, err := Verify(&subject.Subject{Digest: d}, entries(t, "gh.json", data), Policy{Key: s.Public()})
	if !errors.Is(err, ErrNotVerified) {
		t.Fatalf("err = %v, want ErrNotVerified", err)
	}
	if r := res.Rejected[0].Reason; !strings.Contains(r, "signed with a certificate (keyless)") {
		t.Errorf("reason = %q", r)
	}
}

// A plain message signature (cosign sign-blob --bundle) verifies for the
// digest it signed, says it is a signature, and counts for nothing that
// asks for an attestation.
func TestMessageSignature(t *testing.T) {
	t.Parallel()
	const dir = "../../testdata/sigstore-conformance/bundle-verify/"
	data, err := os.ReadFile(dir + "happy-path-v0.3/bundle.sigstore.json")
	if err != nil {
		t.Fatal(err)
	}
	artifact, err := os.ReadFile(dir + "a.txt")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := ReadBundles("sig.json", data)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := PublicGoodRoot()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(artifact)
	signed := subject.Digest{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
	id := &Identity{SAN: "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main", Issuer: GitHubActionsIssuer}

	res, err := Verify(&subject.Subject{Digest: signed}, entries, Policy{TrustedRoot: tr, Identity: id})
	if err != nil {
		t.Fatal(err)
	}
	if a := res.Verified[0]; a.Kind != KindSignature || a.PredicateType != "" || a.Statement != nil || a.Certificate == nil || len(a.Times) == 0 {
		t.Errorf("verified %+v; want a signature with its certificate and a verified time", a)
	}

	other := subject.Digest{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}
	_, err = Verify(&subject.Subject{Digest: other}, entries, Policy{TrustedRoot: tr, Identity: id})
	if !errors.Is(err, ErrSubjectMismatch) || !strings.Contains(err.Error(), "expected "+other.String()+", the signature is over "+signed.String()) {
		t.Errorf("another digest: %v; want a subject mismatch naming both digests", err)
	}
	_, err = Verify(&subject.Subject{Digest: signed}, entries, Policy{TrustedRoot: tr, Identity: id, PredicateType: "https://slsa.dev/provenance/v1"})
	if !errors.Is(err, ErrPredicateType) || !strings.Contains(err.Error(), "found a plain signature") {
		t.Errorf("a predicate type required: %v; want ErrPredicateType saying it is a plain signature", err)
	}
	sha512only := subject.Digest{Algorithm: "sha512", Hex: strings.Repeat("cd", 64)}
	_, err = Verify(&subject.Subject{Digest: sha512only}, entries, Policy{TrustedRoot: tr, Identity: id})
	if !errors.Is(err, ErrSubjectMismatch) || !strings.Contains(err.Error(), "the signature is over a sha256 digest") {
		t.Errorf("a sha512 subject: %v; want a mismatch naming the signed algorithm", err)
	}
}
