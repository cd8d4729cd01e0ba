//go:build interop

package cli

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/relproof/relproof/internal/testing/fakesigstore"
)

// Interoperability with `gh attestation verify` (github.com/cli/cli/v2
// v2.83.0, built by .ci/run from tools/gh), fully offline: --bundle reads the
// attestation from disk (no GitHub API) and --custom-trusted-root replaces
// TUF, so gh makes no request at all as long as the host is github.com (a
// *.ghe.com host, from --hostname or GH_HOST, makes it fetch the trust domain
// from the API first). ghEnv pins that and points any proxy at a dead port,
// so a request gh did make would fail the test.
//
// What gh v2.83.0 needs, from pkg/cmd/attestation/verification/sigstore.go:
//
//   - --custom-trusted-root is JSON Lines: one compact trusted_root.json per
//     line, each ending in '\n' (createCustomVerifiers, lines 110-118 and 183:
//     it reads with ReadBytes('\n') and parses only lines read without
//     error). A pretty-printed trusted_root.json fails on its first line "{"
//     ("proto: unexpected EOF"); one line without a final newline is skipped,
//     which leaves no verifier at all ("no custom verifier found", line 212).
//   - The verification policy comes from the Organization of the issuer of
//     the lowest Fulcio CA certificate in the trusted root (lines 122-181),
//     matched to the leaf certificate's issuer Organization (getBundleIssuer,
//     lines 188-204; exactly one Organization):
//     "sigstore.dev" → SCT + transparency log + observer timestamp (line 383);
//     "GitHub, Inc." → an RFC 3161 timestamp (line 360);
//     anything else → observer timestamp, plus a log entry if the root names
//     a Rekor log (lines 311-332).
//   - Whatever sigstore-go rejects is reported as only
//     `verifying with issuer "ORG"` (line 263 drops sigstore-go's error; even
//     GH_DEBUG=1 adds nothing). A SAN that does not match --owner/--repo/
//     --signer-workflow, a wrong artifact and a missing SCT all look alike.
//   - Then gh's own checks (pkg/cmd/attestation/verification/extensions.go):
//     SourceRepositoryOwnerURI = https://github.com/OWNER, the OIDC issuer =
//     --cert-oidc-issuer (default https://token.actions.githubusercontent.com),
//     and --repo, --source-ref, … if given. The default predicate type is
//     https://slsa.dev/provenance/v1.

const ghPublicGoodRoot = "trusted_roots/public-good.trusted_root.json"

// ghEnv makes gh run offline and quietly: github.com (no tenancy, so no trust
// domain lookup), no token, no TTY (gh then prints only its final error), and
// any request through the proxy variables fails.
func ghEnv(t *testing.T) {
	t.Helper()
	for k, v := range map[string]string{
		"GH_HOST": "github.com", "GH_TOKEN": "", "GITHUB_TOKEN": "", "GH_ENTERPRISE_TOKEN": "", "GITHUB_ENTERPRISE_TOKEN": "",
		"GH_FORCE_TTY": "", "GH_DEBUG": "", "DEBUG": "", "NO_COLOR": "1", "GH_NO_UPDATE_NOTIFIER": "1", "GH_PROMPT_DISABLED": "1",
		"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9",
		"NO_PROXY": "", "no_proxy": "",
	} {
		t.Setenv(k, v)
	}
}

func runGhVerify(t *testing.T, gh string, args ...string) (string, error) {
	t.Helper()
	return runTool(t, gh, append([]string{"attestation", "verify"}, args...)...)
}

// expectGhError runs gh and wants it to fail printing exactly want.
func expectGhError(t *testing.T, gh, want string, args ...string) {
	t.Helper()
	out, err := runGhVerify(t, gh, args...)
	if err == nil {
		t.Fatalf("gh attestation verify %s: succeeded, want %q\n%s", strings.Join(args, " "), want, out)
	}
	if got := strings.TrimSpace(out); got != want {
		t.Fatalf("gh attestation verify %s: %v\n got: %s\nwant: %s", strings.Join(args, " "), err, got, want)
	}
}

// ghTrustedRoot writes trusted roots as gh reads them: one compact JSON
// document a line, each line ending in '\n'.
func ghTrustedRoot(t *testing.T, roots ...[]byte) string {
	t.Helper()
	var b bytes.Buffer
	for _, r := range roots {
		if err := json.Compact(&b, r); err != nil {
			t.Fatal(err)
		}
		b.WriteByte('\n')
	}
	return writeFile(t, t.TempDir(), "trusted_root.jsonl", b.String())
}

// The harness itself: gh verifies a real GitHub attestation (public-good
// Fulcio, issuer Organization "sigstore.dev", with SCT and Rekor entry)
// offline with the corpus trusted root as JSON Lines, and fails precisely
// for the root as published (pretty-printed) and for an identity that does
// not match.
func TestInteropGhOfflineGitHubAttestation(t *testing.T) {
	gh := tool(t, "gh", "RELPROOF_GH")
	ghEnv(t)
	dir := filepath.Join(corpusDir, "sigstore_bundles/github-attestations/cli-cli")
	artifact := filepath.Join(dir, "custom-issuer-artifact")
	bundlePath := filepath.Join(dir, "custom-issuer.sigstore.json")
	const issuer = "https://token.actions.githubusercontent.com/hammer-time"
	pretty, err := os.ReadFile(filepath.Join(corpusDir, ghPublicGoodRoot))
	if err != nil {
		t.Fatal(err)
	}
	rootPath := ghTrustedRoot(t, pretty)

	args := []string{artifact, "--bundle", bundlePath, "--custom-trusted-root", rootPath, "--cert-oidc-issuer", issuer, "--format", "json"}
	out, err := runGhVerify(t, gh, append(args, "--owner", "too-legit", "--signer-workflow", "too-legit/attest/.github/workflows/integration.yml", "--source-ref", "refs/heads/main")...)
	if err != nil {
		t.Fatalf("gh rejected a real GitHub attestation offline: %v\n%s", err, out)
	}
	if !strings.Contains(out, `"subjectAlternativeName":"https://github.com/too-legit/attest/.github/workflows/integration.yml@refs/heads/main"`) {
		t.Errorf("gh's result does not name the signer workflow:\n%s", out)
	}

	expectGhError(t, gh, `error creating Sigstore verifier: error creating custom verifiers: failed to create custom verifier: failed to proto-json unmarshal trusted root: proto: unexpected EOF`,
		artifact, "--bundle", bundlePath, "--custom-trusted-root", filepath.Join(corpusDir, ghPublicGoodRoot), "--owner", "too-legit", "--cert-oidc-issuer", issuer)
	expectGhError(t, gh, `Error: verifying with issuer "sigstore.dev"`, append(args, "--owner", "someone-else")...)
	expectGhError(t, gh, `Error: verifying with issuer "sigstore.dev"`, append(args, "--owner", "too-legit", "--signer-workflow", "too-legit/attest/.github/workflows/other.yml")...)
	expectGhError(t, gh, `Error: expected Issuer to be https://token.actions.githubusercontent.com, got https://token.actions.githubusercontent.com/hammer-time -- if you have a custom OIDC issuer policy for your enterprise, use the --cert-oidc-issuer flag with your expected issuer`,
		artifact, "--bundle", bundlePath, "--custom-trusted-root", rootPath, "--owner", "too-legit")
}

// relproof's keyless bundle from the loopback Sigstore as it is: gh v2.83.0
// cannot verify it, and the test pins why. fakesigstore's Fulcio CA comes
// from sigstore-go's pkg/testing/ca, whose root and intermediate carry
// Organization "sigstore.dev"; gh therefore applies its public-good policy
// (sigstore.go:144-157 → 383), which requires an SCT, and fakesigstore runs
// no CT log. The bundle is otherwise complete: under the same trusted root
// sigstore-go accepts it with gh's other two policies (checked below).
//
// What would make gh accept it (and this test fail, to be replaced by a
// positive one): fakesigstore issuing its Fulcio CA under another
// Organization, e.g. "GitHub, Inc." to stand for GitHub's own instance (gh
// then needs only the RFC 3161 timestamp relproof already adds), or running a
// CT log that embeds an SCT and naming it in the trusted root's ctlogs.
// TestInteropGhKeylessReissued shows the first with a front on Fulcio.
// Nothing in relproof's bundle needs to change.
func TestInteropGhKeyless(t *testing.T) {
	gh := tool(t, "gh", "RELPROOF_GH")
	ghEnv(t)
	stack := fakesigstore.New(t)
	dir := t.TempDir()
	artifact := writeFile(t, dir, "app.bin", "release artifact")
	bundlePath := filepath.Join(dir, "b.json")
	env := testEnv(t, stack.ActionsEnv(releaseClaims))
	expect(t, run(t, env, "attest", artifact, "--type", "provenance", "--bundle-out", bundlePath,
		"--fulcio-url", stack.FulcioURL, "--rekor-url", stack.RekorURL, "--tsa-url", stack.TSAURL), 0)

	args := []string{artifact, "--bundle", bundlePath, "--owner", "acme", "--signer-workflow", "acme/app/.github/workflows/release.yml",
		"--cert-oidc-issuer", stack.IssuerURL}
	expectGhError(t, gh, `Error: verifying with issuer "sigstore.dev"`, append(args, "--custom-trusted-root", ghTrustedRoot(t, stack.TrustedRootJSON))...)
	// stack.WriteTrustedRoot writes one line with no final newline: gh reads no root from it.
	expectGhError(t, gh, `Error: failed to choose verifier based on provided bundle issuer: no custom verifier found for issuer "sigstore.dev"`,
		append(args, "--custom-trusted-root", stack.WriteTrustedRoot(t))...)

	// The cause, with sigstore-go and gh's policies: only the SCT is missing.
	tr, err := root.NewTrustedRootFromJSON(stack.TrustedRootJSON)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bundle.LoadJSONFromPath(bundlePath)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte("release artifact"))
	san, err := verify.NewSANMatcher("", `(?i)^https://github.com/acme/`)
	if err != nil {
		t.Fatal(err)
	}
	anyIssuer, err := verify.NewIssuerMatcher("", ".*")
	if err != nil {
		t.Fatal(err)
	}
	id, err := verify.NewCertificateIdentity(san, anyIssuer, certificate.Extensions{})
	if err != nil {
		t.Fatal(err)
	}
	policy := verify.NewPolicy(verify.WithArtifactDigest("sha256", digest[:]), verify.WithCertificateIdentity(id))
	for _, c := range []struct {
		name string
		opts []verify.VerifierOption
		want string
	}{
		{"public good", []verify.VerifierOption{verify.WithSignedCertificateTimestamps(1), verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1)},
			"only able to verify 0 SCT entries; unable to meet threshold of 1"},
		{"GitHub", []verify.VerifierOption{verify.WithSignedTimestamps(1)}, ""},
		{"custom", []verify.VerifierOption{verify.WithObserverTimestamps(1), verify.WithTransparencyLog(1)}, ""},
	} {
		v, err := verify.NewSignedEntityVerifier(tr, c.opts...)
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.Verify(b, policy)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("gh's %s policy: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("gh's %s policy: got %v, want %q", c.name, err, c.want)
		}
	}
}

// gh accepts relproof's keyless bundles once the Fulcio CA is not named
// "sigstore.dev". A front on the loopback Fulcio forwards each request
// unchanged (fakesigstore's Fulcio still checks the OIDC token and the proof
// of possession) and re-issues the leaf it returns, same key, SAN, validity
// and Fulcio extensions, under a CA of its own with the given Organization;
// the trusted root names that CA beside the stack's TSA (and Rekor). Each
// gh policy is exercised as relproof would meet it for real:
//   - "GitHub, Inc.": GitHub's own instance (private repositories; relproof
//     --sigstore github), Fulcio and a TSA, no Rekor: gh needs the RFC 3161
//     timestamp;
//   - "relproof test CA": gh's custom policy, a Rekor entry and a timestamp.
func TestInteropGhKeylessReissued(t *testing.T) {
	gh := tool(t, "gh", "RELPROOF_GH")
	ghEnv(t)
	stack := fakesigstore.New(t)
	for _, c := range []struct {
		org   string
		rekor bool
	}{{"GitHub, Inc.", false}, {"relproof test CA", true}} {
		t.Run(c.org, func(t *testing.T) {
			front := newFulcioFront(t, stack.FulcioURL, c.org)
			dir := t.TempDir()
			artifact := writeFile(t, dir, "app.bin", "release artifact")
			other := writeFile(t, dir, "other.bin", "another artifact")
			bundlePath := filepath.Join(dir, "b.json")
			args := []string{"attest", artifact, "--type", "provenance", "--bundle-out", bundlePath, "--fulcio-url", front.url, "--tsa-url", stack.TSAURL}
			if c.rekor {
				args = append(args, "--rekor-url", stack.RekorURL)
			} else {
				args = append(args, "--sigstore", "github") // Fulcio and TSA, no log
			}
			expect(t, run(t, testEnv(t, stack.ActionsEnv(releaseClaims)), args...), 0)
			b, err := bundle.LoadJSONFromPath(bundlePath)
			if err != nil {
				t.Fatal(err)
			}
			vm := b.GetVerificationMaterial()
			if logged := len(vm.GetTlogEntries()) > 0; logged != c.rekor || len(vm.GetTimestampVerificationData().GetRfc3161Timestamps()) != 1 {
				t.Fatalf("bundle: log entry %v (want %v), %d RFC 3161 timestamps (want 1)", logged, c.rekor, len(vm.GetTimestampVerificationData().GetRfc3161Timestamps()))
			}
			rootPath := ghTrustedRoot(t, front.trustedRoot(t, stack.TrustedRootJSON, c.rekor, true))

			base := []string{"--bundle", bundlePath, "--custom-trusted-root", rootPath, "--owner", "acme", "--format", "json"}
			good := append(base, "--cert-oidc-issuer", stack.IssuerURL, "--signer-workflow", "acme/app/.github/workflows/release.yml",
				"--source-ref", "refs/heads/main", "--deny-self-hosted-runners")
			out, err := runGhVerify(t, gh, append([]string{artifact}, good...)...)
			if err != nil {
				t.Fatalf("gh rejected relproof's keyless bundle: %v\n%s", err, out)
			}
			if !strings.Contains(out, `"subjectAlternativeName":"`+releaseClaims.SAN()+`"`) {
				t.Errorf("gh's result does not name the signer %s:\n%s", releaseClaims.SAN(), out)
			}

			sigstoreFailed := fmt.Sprintf("Error: verifying with issuer %q", c.org)
			expectGhError(t, gh, sigstoreFailed, append([]string{other}, good...)...)
			expectGhError(t, gh, sigstoreFailed, append([]string{artifact}, append(base, "--cert-oidc-issuer", stack.IssuerURL,
				"--signer-workflow", "acme/app/.github/workflows/other.yml")...)...)
			expectGhError(t, gh, "Error: expected Issuer to be https://token.actions.githubusercontent.com, got "+stack.IssuerURL,
				append([]string{artifact}, base...)...)
			expectGhError(t, gh, "Error: expected SourceRepositoryRef to be refs/tags/v1, got refs/heads/main",
				append([]string{artifact}, append(base, "--cert-oidc-issuer", stack.IssuerURL, "--source-ref", "refs/tags/v1")...)...)
			if !c.rekor { // GitHub's policy rests on the timestamp: without the TSA in the root it fails
				noTSA := ghTrustedRoot(t, front.trustedRoot(t, stack.TrustedRootJSON, false, false))
				expectGhError(t, gh, sigstoreFailed, artifact, "--bundle", bundlePath, "--custom-trusted-root", noTSA, "--owner", "acme", "--cert-oidc-issuer", stack.IssuerURL)
			}
		})
	}
}

// fulcioFront re-issues Fulcio's leaf certificates under its own CA.
type fulcioFront struct {
	url         string
	root, inter *x509.Certificate
}

// fulcioOID is the arc of Fulcio's certificate extensions (1.3.6.1.4.1.57264).
var fulcioOID = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264}

func newFulcioFront(t *testing.T, upstream, org string) *fulcioFront {
	t.Helper()
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	interKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ca := func(serial int64, cn string, parent *x509.Certificate, pub any, maxPathZero bool) *x509.Certificate {
		tmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(serial),
			Subject:               pkix.Name{CommonName: cn, Organization: []string{org}},
			NotBefore:             now.Add(-time.Hour),
			NotAfter:              now.Add(24 * time.Hour),
			KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
			BasicConstraintsValid: true,
			IsCA:                  true,
			MaxPathLenZero:        maxPathZero,
		}
		if parent == nil {
			parent = tmpl
		} else {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, rootKey)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	f := &fulcioFront{}
	f.root = ca(1, org+" root", nil, rootKey.Public(), false)
	f.inter = ca(2, org+" intermediate", f.root, interKey.Public(), true)

	up, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	pemOf := func(der []byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(up) },
		ModifyResponse: func(resp *http.Response) error {
			if resp.Request.URL.Path != "/api/v2/signingCert" || resp.StatusCode != http.StatusOK {
				return nil
			}
			var body struct {
				SCT struct {
					Chain struct {
						Certificates []string `json:"certificates"`
					} `json:"chain"`
				} `json:"signedCertificateEmbeddedSct"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				return err
			}
			resp.Body.Close()
			certs := body.SCT.Chain.Certificates
			if len(certs) == 0 {
				return fmt.Errorf("fulcio front: no certificate chain in Fulcio's answer")
			}
			blk, _ := pem.Decode([]byte(certs[0]))
			if blk == nil {
				return fmt.Errorf("fulcio front: leaf is not PEM")
			}
			leaf, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return err
			}
			tmpl := &x509.Certificate{
				SerialNumber: leaf.SerialNumber,
				NotBefore:    leaf.NotBefore,
				NotAfter:     leaf.NotAfter,
				KeyUsage:     leaf.KeyUsage,
				ExtKeyUsage:  leaf.ExtKeyUsage,
				SubjectKeyId: leaf.SubjectKeyId,
				URIs:         leaf.URIs,
			}
			for _, e := range leaf.Extensions {
				if len(e.Id) > len(fulcioOID) && e.Id[:len(fulcioOID)].Equal(fulcioOID) {
					tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, e)
				}
			}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, f.inter, leaf.PublicKey, interKey)
			if err != nil {
				return err
			}
			out, err := json.Marshal(map[string]any{"signedCertificateEmbeddedSct": map[string]any{
				"chain": map[string]any{"certificates": []string{pemOf(der), pemOf(f.inter.Raw), pemOf(f.root.Raw)}},
			}})
			if err != nil {
				return err
			}
			resp.Body = io.NopCloser(bytes.NewReader(out))
			resp.ContentLength = int64(len(out))
			resp.Header.Set("Content-Length", strconv.Itoa(len(out)))
			return nil
		},
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

// trustedRoot is stackRoot with the front's CA as the only Fulcio CA, and
// without the Rekor log or the TSA unless asked for.
func (f *fulcioFront) trustedRoot(t *testing.T, stackRoot []byte, withRekor, withTSA bool) []byte {
	t.Helper()
	var tr map[string]any
	if err := json.Unmarshal(stackRoot, &tr); err != nil {
		t.Fatal(err)
	}
	tr["certificateAuthorities"] = []any{map[string]any{
		"subject": map[string]any{"organization": f.root.Subject.Organization[0], "commonName": f.root.Subject.CommonName},
		"uri":     f.url,
		"certChain": map[string]any{"certificates": []any{
			map[string]any{"rawBytes": base64.StdEncoding.EncodeToString(f.inter.Raw)},
			map[string]any{"rawBytes": base64.StdEncoding.EncodeToString(f.root.Raw)},
		}},
		"validFor": map[string]any{"start": f.root.NotBefore.UTC().Format(time.RFC3339)},
	}}
	if !withRekor {
		delete(tr, "tlogs")
	}
	if !withTSA {
		delete(tr, "timestampAuthorities")
	}
	out, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := root.NewTrustedRootFromJSON(out); err != nil {
		t.Fatalf("trusted root for the Fulcio front: %v", err)
	}
	return out
}
