package gate

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	sgsign "github.com/sigstore/sigstore-go/pkg/sign"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/relproof/relproof/internal/policy"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

// signBlob signs data as cosign sign-blob --bundle does: a Sigstore bundle
// holding a message signature over its SHA-256, no statement. It returns the
// bundle JSON and the signer's public key (PEM).
func signBlob(t *testing.T, data []byte) ([]byte, []byte) {
	t.Helper()
	kp, err := sgsign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := kp.GetPublicKeyPem()
	if err != nil {
		t.Fatal(err)
	}
	b, err := sgsign.Bundle(&sgsign.PlainData{Data: data}, kp, sgsign.BundleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	js, err := protojson.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return js, []byte(pub)
}

// A policy that requires a signature over the release binary counts a
// message-signature bundle by a listed key for that digest, and nothing
// else: not a signature by another key, not one over another artifact.
func TestRequiredSignature(t *testing.T) {
	t.Parallel()
	binary := []byte("release binary")
	sum := sha256.Sum256(binary)
	subj := &subject.Subject{Kind: subject.KindFile, Name: "relproof_linux_amd64", Digest: subject.Digest{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}}

	genuine, releaseKey := signBlob(t, binary)
	otherKey, _ := signBlob(t, binary)
	// A signature over another artifact (by another key: the digest check
	// alone is the last case, the genuine signature shown for another digest).
	otherBinary, _ := signBlob(t, []byte("another binary"))

	const doc = `apiVersion: relproof.dev/v1
kind: Policy
environments:
  production:
    level: minimum
    signers: [{key: release.pub}]
    require: [signature]
`
	pol, err := policy.Parse("policy.yaml", []byte(doc), func(name string) ([]byte, error) { return releaseKey, nil })
	if err != nil {
		t.Fatal(err)
	}
	env, err := pol.EffectiveEnvironment("production")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		subject *subject.Subject
		bundle  []byte
		status  Status
		says    string
	}{
		{"signed by the release key", subj, genuine, Pass, "signature over " + subj.Digest.String() + " verified, signed by key "},
		{"signed by another key", subj, otherKey, Fail, "no verified signature over " + subj.Digest.String()},
		{"another artifact's signature", subj, otherBinary, Fail, "no verified signature"},
		{"the genuine signature for another digest", &subject.Subject{Kind: subject.KindFile, Name: "x", Digest: subject.Digest{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}}, genuine, Fail, "the signature is over " + subj.Digest.String()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			entries, err := verify.ReadBundles("release.sigstore.json", tc.bundle)
			if err != nil {
				t.Fatal(err)
			}
			verified, unlisted, rejected := SortEvidence(tc.subject, entries, Signers(env, nil), nil)
			d := Evaluate(Input{Subject: tc.subject, Environment: env, Verified: verified, Unlisted: unlisted, Rejected: rejected, Now: time.Unix(0, 0)})
			var got *Check
			for i := range d.Checks {
				if d.Checks[i].ID == "required-signature" {
					got = &d.Checks[i]
				}
			}
			if got == nil {
				t.Fatalf("no required-signature check in %+v", d.Checks)
			}
			if got.Status != tc.status || !strings.Contains(got.Message, tc.says) {
				t.Errorf("required-signature: %s %q; want %s saying %q", got.Status, got.Message, tc.status, tc.says)
			}
			if tc.status == Fail && d.Allowed() {
				t.Error("the decision allows without the required signature")
			}
			if tc.status == Pass && (len(d.Evidence) != 1 || d.Evidence[0].Type != "signature") {
				t.Errorf("evidence %+v; want one signature", d.Evidence)
			}
		})
	}
}

// A policy whose only build signer is an Ed25519 key (or an RSA one):
// evidence that key signed counts, evidence signed by another does not,
// and nothing panics for want of an ECDSA key.
func TestNonECDSAPolicyKeys(t *testing.T) {
	t.Parallel()
	for _, alg := range []protocommon.PublicKeyDetails{protocommon.PublicKeyDetails_PKIX_ED25519, protocommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_2048_SHA256} {
		t.Run(alg.String(), func(t *testing.T) {
			t.Parallel()
			kp, err := sgsign.NewEphemeralKeypair(&sgsign.EphemeralKeypairOptions{Algorithm: alg})
			if err != nil {
				t.Fatal(err)
			}
			pub, err := kp.GetPublicKeyPem()
			if err != nil {
				t.Fatal(err)
			}
			digest := subject.Digest{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}
			statement := `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app","digest":{"sha256":"` + digest.Hex + `"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{"runDetails":{"builder":{"id":"https://example.com/b"}}}}`
			b, err := sgsign.Bundle(&sgsign.DSSEData{Data: []byte(statement), PayloadType: "application/vnd.in-toto+json"}, kp, sgsign.BundleOptions{})
			if err != nil {
				t.Fatal(err)
			}
			js, err := protojson.Marshal(b)
			if err != nil {
				t.Fatal(err)
			}
			pol, err := policy.Parse("policy.yaml", []byte("apiVersion: relproof.dev/v1\nkind: Policy\nenvironments:\n  production:\n    signers: [{key: k.pub}]\n    approvals: {minimum: 0}\n"),
				func(string) ([]byte, error) { return []byte(pub), nil })
			if err != nil {
				t.Fatal(err)
			}
			env, err := pol.EffectiveEnvironment("production")
			if err != nil {
				t.Fatal(err)
			}
			entries, err := verify.ReadBundles("provenance.json", js)
			if err != nil {
				t.Fatal(err)
			}
			subj := &subject.Subject{Kind: subject.KindDigest, Digest: digest}
			verified, _, rejected := SortEvidence(subj, entries, Signers(env, nil), nil)
			if len(verified) != 1 {
				t.Fatalf("the policy's %s key: verified %d, rejected %+v", alg, len(verified), rejected)
			}
			other, _ := signBlob(t, []byte("x"))
			otherEntries, _ := verify.ReadBundles("other.json", other)
			if v, _, _ := SortEvidence(subj, otherEntries, Signers(env, nil), nil); len(v) != 0 {
				t.Errorf("evidence signed by another key counted: %+v", v)
			}
		})
	}
}
