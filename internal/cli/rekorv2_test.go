package cli

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/relproof/relproof/internal/testing/fakesigstore"
	"github.com/relproof/relproof/internal/verify"
)

// bundleEntry is what these tests read of a bundle's log entry (protojson).
type bundleEntry struct {
	LogIndex    string `json:"logIndex"`
	KindVersion struct {
		Kind    string `json:"kind"`
		Version string `json:"version"`
	} `json:"kindVersion"`
	IntegratedTime   string          `json:"integratedTime"`
	InclusionPromise json.RawMessage `json:"inclusionPromise"`
	InclusionProof   struct {
		Checkpoint struct {
			Envelope string `json:"envelope"`
		} `json:"checkpoint"`
	} `json:"inclusionProof"`
}

// readBundle returns the bundle's log entries and how many RFC 3161
// timestamps it carries.
func readBundle(t *testing.T, path string) ([]bundleEntry, int) {
	t.Helper()
	var b struct {
		VerificationMaterial struct {
			TlogEntries               []bundleEntry `json:"tlogEntries"`
			TimestampVerificationData struct {
				RFC3161Timestamps []json.RawMessage `json:"rfc3161Timestamps"`
			} `json:"timestampVerificationData"`
		} `json:"verificationMaterial"`
	}
	if err := json.Unmarshal([]byte(readFile(t, path)), &b); err != nil {
		t.Fatal(err)
	}
	vm := b.VerificationMaterial
	return vm.TlogEntries, len(vm.TimestampVerificationData.RFC3161Timestamps)
}

// expectRekorV2Entry checks that the bundle at path has one Rekor v2 entry
// (dsse 0.0.2, a checkpoint, no time) and one timestamp.
func expectRekorV2Entry(t *testing.T, path string) {
	t.Helper()
	entries, timestamps := readBundle(t, path)
	if len(entries) != 1 || timestamps != 1 {
		t.Fatalf("%d log entries and %d timestamps, want 1 and 1", len(entries), timestamps)
	}
	e := entries[0]
	if e.KindVersion.Kind != "dsse" || e.KindVersion.Version != "0.0.2" {
		t.Errorf("log entry is %s %s, want dsse 0.0.2 (Rekor v2)", e.KindVersion.Kind, e.KindVersion.Version)
	}
	if e.InclusionProof.Checkpoint.Envelope == "" {
		t.Error("log entry has no checkpoint")
	}
	if (e.IntegratedTime != "" && e.IntegratedTime != "0") || len(e.InclusionPromise) != 0 {
		t.Errorf("log entry has integrated time %q and promise %s; Rekor v2 gives neither", e.IntegratedTime, e.InclusionPromise)
	}
}

// verifiedTimeSources runs verify --output json and returns where the
// verified times of its one attestation came from.
func verifiedTimeSources(t *testing.T, env *Env, args ...string) []string {
	t.Helper()
	r := run(t, env, append(args, "--output", "json")...)
	expect(t, r, 0)
	var vr verify.Result
	if err := json.Unmarshal([]byte(r.stdout), &vr); err != nil {
		t.Fatal(err)
	}
	if len(vr.Verified) != 1 {
		t.Fatalf("%d verified, want 1:\n%s", len(vr.Verified), r.stdout)
	}
	var sources []string
	for _, ts := range vr.Verified[0].Times {
		if !slices.Contains(sources, ts.Source) {
			sources = append(sources, ts.Source)
		}
	}
	return sources
}

// rootWithoutRekorV2 is the stack's trusted root without its Rekor v2 log.
func rootWithoutRekorV2(t *testing.T, stack *fakesigstore.Stack) string {
	t.Helper()
	var tr map[string]any
	if err := json.Unmarshal(stack.TrustedRootJSON, &tr); err != nil {
		t.Fatal(err)
	}
	var logs []any
	for _, l := range tr["tlogs"].([]any) {
		if l.(map[string]any)["baseUrl"] != stack.RekorV2URL {
			logs = append(logs, l)
		}
	}
	if len(logs) != 1 {
		t.Fatalf("%d logs left, want the Rekor v1 log", len(logs))
	}
	tr["tlogs"] = logs
	out, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, t.TempDir(), "no-v2.trusted_root.json", string(out))
}

// Keyless against the stack's signing config: its Rekor v2 log and TSA are
// chosen, the bundle's entry is a Rekor v2 entry, and verify accepts it on
// the timestamp, under the stack's root and only under a root naming the log.
func TestKeylessRekorV2(t *testing.T) {
	t.Parallel()
	stack := fakesigstore.New(t)
	dir := t.TempDir()
	root := stack.WriteTrustedRoot(t)
	artifact := writeFile(t, dir, "app.bin", "release artifact")
	env := testEnv(t, stack.ActionsEnv(releaseClaims))
	san := releaseClaims.SAN()

	for _, tc := range []struct {
		name string
		args []string
	}{
		{"signing config", []string{"--keyless", "--signing-config", stack.WriteSigningConfig(t)}},
		{"flags", []string{"--fulcio-url", stack.FulcioURL, "--rekor-url", stack.RekorV2URL, "--rekor-version", "2", "--tsa-url", stack.TSAURL}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bundle := filepath.Join(t.TempDir(), "provenance.sigstore.json")
			r := run(t, env, append([]string{"attest", artifact, "--type", "provenance", "--bundle-out", bundle, "--output", "json"}, tc.args...)...)
			expect(t, r, 0)
			var rep attestReport
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Signer != san {
				t.Errorf("signer = %q, want %q", rep.Signer, san)
			}
			expectRekorV2Entry(t, bundle)

			verifyArgs := []string{"verify", artifact, "--bundle", bundle, "--cert-identity", san, "--cert-oidc-issuer", stack.IssuerURL}
			if got := verifiedTimeSources(t, env, append(verifyArgs, "--trusted-root", root)...); !slices.Equal(got, []string{"TimestampAuthority"}) {
				t.Errorf("verified times from %v, want the timestamp authority only", got)
			}
			for name, other := range map[string]string{
				"another stack's root":  fakesigstore.New(t).WriteTrustedRoot(t),
				"a root without the v2": rootWithoutRekorV2(t, stack),
			} {
				r := run(t, env, append(verifyArgs, "--trusted-root", other)...)
				expect(t, r, 1)
				if !errors.Is(r.err, verify.ErrNotVerified) {
					t.Errorf("%s: error is not ErrNotVerified: %v", name, r.err)
				}
			}
		})
	}
}

// A key logs in the Rekor v2 log with a timestamp, from flags or from the
// signing config; verify with the public key and the stack's root checks
// the entry.
func TestKeyRekorV2(t *testing.T) {
	t.Parallel()
	stack := fakesigstore.New(t)
	dir := t.TempDir()
	env := testEnv(t, nil)
	key, pub := keys(t, env, dir, "k")
	artifact := writeFile(t, dir, "app.bin", "x")
	root := stack.WriteTrustedRoot(t)

	for _, tc := range []struct {
		name string
		args []string
	}{
		{"flags", []string{"--rekor-url", stack.RekorV2URL, "--rekor-version", "2", "--tsa-url", stack.TSAURL}},
		{"signing config", []string{"--signing-config", stack.WriteSigningConfig(t)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bundle := filepath.Join(t.TempDir(), "b.json")
			// A predicate of its own per case: the key signs deterministically,
			// and the log refuses an entry it already holds.
			p := writeFile(t, t.TempDir(), "p.json", `{"case":"`+tc.name+`"}`)
			expect(t, run(t, env, append([]string{"attest", artifact, "--type", "custom", "--predicate", p, "--predicate-type", "https://x.example/p",
				"--key", key, "--bundle-out", bundle}, tc.args...)...), 0)
			expectRekorV2Entry(t, bundle)
			if got := verifiedTimeSources(t, env, "verify", artifact, "--bundle", bundle, "--key", pub, "--trusted-root", root); !slices.Equal(got, []string{"TimestampAuthority"}) {
				t.Errorf("verified times from %v, want the timestamp authority only", got)
			}
			r := run(t, env, "verify", artifact, "--bundle", bundle, "--key", pub, "--trusted-root", rootWithoutRekorV2(t, stack))
			expect(t, r, 1, "transparency log")
		})
	}
}

// --rekor-url and --tsa-url replace only their own service of the signing
// config; "none" drops the log.
func TestSigningConfigOverrides(t *testing.T) {
	t.Parallel()
	stack := fakesigstore.New(t)
	dir := t.TempDir()
	artifact := writeFile(t, dir, "app.bin", "x")
	env := testEnv(t, stack.ActionsEnv(releaseClaims))
	config := stack.WriteSigningConfig(t)

	v1 := filepath.Join(dir, "v1.json")
	expect(t, run(t, env, "attest", artifact, "--type", "provenance", "--bundle-out", v1, "--signing-config", config, "--rekor-url", stack.RekorURL), 0)
	entries, timestamps := readBundle(t, v1)
	if len(entries) != 1 || entries[0].KindVersion.Version != "0.0.1" || entries[0].IntegratedTime == "" || timestamps != 1 {
		t.Errorf("with --rekor-url the v1 log: %+v and %d timestamps; want a dsse 0.0.1 entry with a time, and the config's TSA", entries, timestamps)
	}

	tsaOnly := filepath.Join(dir, "tsa.json")
	expect(t, run(t, env, "attest", artifact, "--type", "provenance", "--bundle-out", tsaOnly, "--signing-config", config, "--rekor-url", "none"), 0)
	if entries, timestamps := readBundle(t, tsaOnly); len(entries) != 0 || timestamps != 1 {
		t.Errorf("--rekor-url none: %d log entries and %d timestamps, want 0 and 1", len(entries), timestamps)
	}
	root := stack.WriteTrustedRoot(t)
	for _, b := range []string{v1, tsaOnly} {
		expect(t, run(t, env, "verify", artifact, "--bundle", b, "--trusted-root", root, "--cert-identity", releaseClaims.SAN(), "--cert-oidc-issuer", stack.IssuerURL), 0)
	}
}

// Refusals are exit 2, before anything is signed or sent, and say why.
func TestRekorV2AndSigningConfigRefusals(t *testing.T) {
	t.Parallel()
	stack := fakesigstore.New(t)
	dir := t.TempDir()
	artifact := writeFile(t, dir, "app.bin", "x")
	env := testEnv(t, stack.ActionsEnv(releaseClaims))
	key, _ := keys(t, env, dir, "k")
	config := stack.WriteSigningConfig(t)
	configWith := func(name string, edit func(map[string]any)) string {
		var sc map[string]any
		if err := json.Unmarshal(stack.SigningConfigJSON, &sc); err != nil {
			t.Fatal(err)
		}
		edit(sc)
		b, err := json.Marshal(sc)
		if err != nil {
			t.Fatal(err)
		}
		return writeFile(t, dir, name, string(b))
	}
	onlyV3 := configWith("v3.json", func(sc map[string]any) {
		sc["rekorTlogUrls"] = []any{map[string]any{"url": "https://rekor3.example", "majorApiVersion": 3, "validFor": map[string]any{"start": "2020-01-01T00:00:00Z"}}}
	})
	noFulcio := configWith("no-fulcio.json", func(sc map[string]any) { delete(sc, "caUrls") })
	v2NoTSA := configWith("no-tsa.json", func(sc map[string]any) { delete(sc, "tsaUrls") })

	keyless := []string{"attest", artifact, "--type", "provenance", "--bundle-out", filepath.Join(dir, "b.json")}
	withKey := append(slices.Clone(keyless), "--key", key)
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"keyless v2 without a TSA", append(slices.Clone(keyless), "--fulcio-url", stack.FulcioURL, "--rekor-url", stack.RekorV2URL, "--rekor-version", "2"),
			[]string{"Rekor v2 log " + stack.RekorV2URL, "needs a timestamp authority"}},
		{"key v2 without a TSA", append(slices.Clone(withKey), "--rekor-url", stack.RekorV2URL, "--rekor-version", "2"),
			[]string{"needs a timestamp authority"}},
		{"signing config v2 without a TSA", append(slices.Clone(keyless), "--signing-config", v2NoTSA), []string{"needs a timestamp authority"}},
		{"version without a URL", append(slices.Clone(withKey), "--rekor-version", "2", "--tsa-url", stack.TSAURL), []string{"give --rekor-url too"}},
		{"version 3", append(slices.Clone(withKey), "--rekor-url", stack.RekorV2URL, "--rekor-version", "3"), []string{"--rekor-version 3: expected 1 or 2"}},
		{"no such config", append(slices.Clone(keyless), "--signing-config", filepath.Join(dir, "missing.json")),
			[]string{"signing config " + filepath.Join(dir, "missing.json"), "no such file"}},
		{"a trusted root as config", append(slices.Clone(keyless), "--signing-config", stack.WriteTrustedRoot(t)),
			[]string{"trusted_root.json", "expected a Sigstore signing config"}},
		{"only an unknown log version", append(slices.Clone(withKey), "--signing-config", onlyV3),
			[]string{"signing config " + onlyV3, "no Rekor log (rekorTlogUrls) with API version [1 2]", "rekor3.example"}},
		{"keyless with no Fulcio", append(slices.Clone(keyless), "--signing-config", noFulcio), []string{noFulcio, "names no Fulcio"}},
		{"config and instance", append(slices.Clone(keyless), "--signing-config", config, "--sigstore", "github"), []string{"signing-config", "sigstore"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, env, tc.args...)
			expect(t, r, 2, tc.want...)
		})
	}
	// No refusal reached the log.
	expect(t, run(t, env, "attest", artifact, "--type", "provenance", "--bundle-out", filepath.Join(dir, "ok.json"), "--signing-config", config), 0)
	if entries, _ := readBundle(t, filepath.Join(dir, "ok.json")); len(entries) != 1 || entries[0].LogIndex != "" && entries[0].LogIndex != "0" {
		t.Errorf("the first entry signed is %+v; want log index 0, nothing logged before it", entries)
	}
}
