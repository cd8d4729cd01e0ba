package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	sgsign "github.com/sigstore/sigstore-go/pkg/sign"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/relproof/relproof/internal/gate"
	"github.com/relproof/relproof/internal/oci"
	"github.com/relproof/relproof/internal/testing/registrytest"
)

// An image signed with a plain signature over its manifest digest (what
// `cosign sign --new-bundle-format` stores as a referrer) verifies from the
// registry as a signature, and a policy that requires a signature by the
// release key allows it — and denies it when the key is another.
func TestSignatureFromRegistry(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := testEnv(t, nil)
	_, otherPub := keys(t, env, dir, "other")
	reg := registrytest.New(t)
	img := reg.PushRandomImage(t, "acme/app", "v1")

	desc, err := remote.Get(img)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := sgsign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := kp.GetPublicKeyPem()
	if err != nil {
		t.Fatal(err)
	}
	releasePub := writeFile(t, dir, "release.pub", pem)
	b, err := sgsign.Bundle(&sgsign.PlainData{Data: desc.Manifest}, kp, sgsign.BundleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := protojson.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := oci.PushBundle(context.Background(), img, bundle, "", ""); err != nil {
		t.Fatal(err)
	}
	subject := "oci://" + img.String()

	r := run(t, env, "verify", subject, "--key", releasePub, "--output", "json")
	expect(t, r, 0)
	if !strings.Contains(r.stdout, `"kind": "signature"`) {
		t.Errorf("the report does not say it verified a signature:\n%s", r.stdout)
	}
	expect(t, run(t, env, "verify", subject, "--key", otherPub), 1, "expected key")

	policy := func(key string) string {
		p := filepath.Join(dir, "policy-"+filepath.Base(key)+".yaml")
		doc := "apiVersion: relproof.dev/v1\nkind: Policy\nenvironments:\n  production:\n    level: minimum\n    signers: [{key: " + filepath.Base(key) + "}]\n    require: [signature]\n    approvals: {minimum: 0}\n"
		if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A signature alone says nothing of the source (no provenance), so
	// both decisions deny; what differs is the signature check.
	check := func(policyFile string) gate.Check {
		r := run(t, env, "gate", subject, "--environment", "production", "--policy", policyFile, "--output", "json")
		expect(t, r, 1)
		var d gate.Decision
		if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
			t.Fatalf("decision JSON: %v\n%s", err, r.stdout)
		}
		for _, c := range d.Checks {
			if c.ID == "required-signature" {
				return c
			}
		}
		t.Fatalf("no required-signature check:\n%s", r.stdout)
		return gate.Check{}
	}
	if c := check(policy(releasePub)); c.Status != gate.Pass || !strings.Contains(c.Message, "signature over "+img.DigestStr()+" verified") {
		t.Errorf("signed by the release key: %s %q; want pass", c.Status, c.Message)
	}
	if c := check(policy(otherPub)); c.Status != gate.Fail || !strings.Contains(c.Message, "no verified signature over "+img.DigestStr()) {
		t.Errorf("release key not listed: %s %q; want fail saying the signature is missing", c.Status, c.Message)
	}
}
