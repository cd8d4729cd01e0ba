package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relproof/relproof/internal/gate"
	"github.com/relproof/relproof/internal/testing/registrytest"
)

func TestAttestPushVerifyReferrers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []registrytest.Option
	}{
		{"referrers API", nil},
		{"referrers tag schema", []registrytest.Option{registrytest.WithoutReferrersAPI()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			env := testEnv(t, nil)
			key, pub := keys(t, env, dir, "k")
			_, otherPub := keys(t, env, dir, "other")
			reg := registrytest.New(t, tc.opts...)
			img := reg.PushRandomImage(t, "acme/app", "v1")
			pinned := "oci://" + img.String()
			tagged := "oci://" + reg.Host + "/acme/app:v1"
			tests := writeFile(t, dir, "tests.json", `{"Action":"pass","Package":"example.com/app","Test":"TestOK"}`+"\n")

			// A tag is accepted when making evidence: resolved once, reported.
			r := run(t, env, "attest", tagged, "--type", "test", "--predicate", tests, "--key", key, "--push", "--output", "json")
			expect(t, r, 0)
			var rep attestReport
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Digest != img.DigestStr() || rep.Resolution == nil || rep.Resolution.Digest.String() != img.DigestStr() || !rep.Resolution.At.Equal(fixedNow) {
				t.Errorf("report = %+v, want the tag resolved to %s at %s", rep, img.DigestStr(), fixedNow)
			}
			if !strings.HasPrefix(rep.Referrer, reg.Host+"/acme/app@sha256:") {
				t.Errorf("referrer = %q", rep.Referrer)
			}
			bundle := filepath.Join(dir, "custom.json")
			expect(t, run(t, env, "attest", pinned, "--type", "custom", "--predicate", tests, "--predicate-type", "https://x.example/p", "--key", key, "--push", "--bundle-out", bundle), 0)

			r = run(t, env, "verify", pinned, "--key", pub)
			expect(t, r, 0)
			if !strings.Contains(r.stdout, "2 of 2 bundles verified") {
				t.Errorf("stdout = %s", r.stdout)
			}
			expect(t, run(t, env, "verify", pinned, "--key", pub, "--type", "test"), 0)
			expect(t, run(t, env, "verify", pinned, "--key", otherPub), 1, "none of 2 bundles verified")

			// Verifying refuses the tag and names the digest to pin.
			expect(t, run(t, env, "verify", tagged, "--key", pub), 2, img.DigestStr(), pinned)

			// Another image has no evidence.
			bare := reg.PushRandomImage(t, "acme/app", "")
			expect(t, run(t, env, "verify", "oci://"+bare.String(), "--key", pub), 1, "no evidence found")
		})
	}
}

func TestDemo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := testEnv(t, map[string]string{"GITHUB_ACTIONS": "true"})
	r := run(t, env, "demo", "--dir", dir, "--output", "json")
	expect(t, r, 0)
	var res struct {
		Digest    string
		Layout    string
		Evidence  []struct{ Type, PredicateType, BundleFile, Referrer string }
		Verified  int
		PublicKey string
		Verdict   string
		Policy    string
		Pack      string
		PackRef   string `json:"packReference"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("demo --output json: %v\n%s", err, r.stdout)
	}
	if res.Verified != 4 || len(res.Evidence) != 4 {
		t.Fatalf("demo verified %d of %d, want 4 of 4", res.Verified, len(res.Evidence))
	}
	if res.Verdict != "allow" {
		t.Errorf("demo gate verdict = %q, want allow", res.Verdict)
	}
	for i, want := range []string{"provenance", "sbom", "test", "vuln"} {
		if res.Evidence[i].Type != want {
			t.Errorf("evidence %d is %q, want %q", i, res.Evidence[i].Type, want)
		}
	}
	// The evidence outlives the demo: verify it again from the OCI layout.
	args := []string{"verify", "oci-layout:" + res.Layout + "@" + res.Digest, "--key", res.PublicKey}
	for _, e := range res.Evidence {
		args = append(args, "--bundle", e.BundleFile)
	}
	v := run(t, env, args...)
	expect(t, v, 0)
	if !strings.Contains(v.stdout, "4 of 4 bundles verified") {
		t.Errorf("stdout = %s", v.stdout)
	}
	// The gate over the copy finds every piece of evidence again, and
	// denies only what a copy cannot show: the registry repository the
	// policy restricts images to.
	g := run(t, env, "gate", "oci-layout:"+res.Layout+"@"+res.Digest, "--environment", "production", "--policy", res.Policy, "--bundles-dir", filepath.Dir(res.Evidence[0].BundleFile), "--output", "json")
	expect(t, g, 1)
	var d gate.Decision
	if err := json.Unmarshal([]byte(g.stdout), &d); err != nil {
		t.Fatal(err)
	}
	if failed := d.Failed(); len(failed) != 1 || failed[0].ID != "subject-repository" || !strings.Contains(failed[0].Message, "names no registry repository") {
		t.Errorf("gate over the OCI layout copy: failed %+v; want subject-repository alone", failed)
	}
	// And the release evidence pack verifies offline with the demo's key.
	expect(t, run(t, env, "pack", "verify", res.Pack, "--key", res.PublicKey), 0)
	if !strings.Contains(res.PackRef, "/demo/app@sha256:") {
		t.Errorf("demo stored its pack as %q, want a reference in the demo repository", res.PackRef)
	}
	// Provenance is local even inside GitHub Actions: the workflow did not build the demo image.
	var b struct {
		DSSEEnvelope struct{ Payload []byte } `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal([]byte(readFile(t, res.Evidence[0].BundleFile)), &b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b.DSSEEnvelope.Payload), `"builder":{"id":"https://relproof.dev/builders/local"}`) {
		t.Errorf("demo provenance does not name the local builder:\n%s", b.DSSEEnvelope.Payload)
	}
}
