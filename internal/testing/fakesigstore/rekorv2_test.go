package fakesigstore

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	prototrustroot "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"github.com/sigstore/rekor-tiles/v2/pkg/client/write"
	rekortilespb "github.com/sigstore/rekor-tiles/v2/pkg/generated/protobuf"
	"github.com/sigstore/rekor-tiles/v2/pkg/note"
	rekortilesverify "github.com/sigstore/rekor-tiles/v2/pkg/verify"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// v2Options signs against the Rekor v2 log, with the TSA for a trusted time.
func v2Options(s *Stack, token string) sign.BundleOptions {
	o := bundleOptions(s, token)
	o.TransparencyLogs = []sign.Transparency{sign.NewRekor(&sign.RekorOptions{BaseURL: s.RekorV2URL, Version: 2})}
	return o
}

func signV2(t *testing.T, s *Stack, content sign.Content, token string) *protobundle.Bundle {
	t.Helper()
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := sign.Bundle(content, kp, v2Options(s, token))
	if err != nil {
		t.Fatalf("sign.Bundle against Rekor v2: %v", err)
	}
	return b
}

// verifyUnder is verifyBundle under another trusted root.
func verifyUnder(t *testing.T, trustedRoot []byte, pb *protobundle.Bundle, artifact verify.ArtifactPolicyOption, san, issuer string) (*verify.VerificationResult, error) {
	t.Helper()
	return verifyBundle(t, &Stack{TrustedRootJSON: trustedRoot}, pb, artifact, san, issuer)
}

// TestRekorV2EntriesVerify signs a DSSE statement and a message against the
// Rekor v2 log with sigstore-go's own client: each entry is the kind
// rekor-tiles makes, with a checkpoint and no time, and each bundle
// verifies under the stack's trusted root on its timestamp alone.
func TestRekorV2EntriesVerify(t *testing.T) {
	t.Parallel()
	s := New(t)
	c := releaseClaims()
	token := s.Token(c, "sigstore")
	origin := mustHostname(t, s.RekorV2URL)

	stmt, digest := statement(t, "release 2.0.0")
	dsseBundle := signV2(t, s, &sign.DSSEData{Data: stmt, PayloadType: inTotoPayloadType}, token)
	message := []byte("a plain blob")
	msgBundle := signV2(t, s, &sign.PlainData{Data: message}, token)

	for i, tc := range []struct {
		name     string
		pb       *protobundle.Bundle
		kind     string
		artifact verify.ArtifactPolicyOption
	}{
		{"dsse", dsseBundle, "dsse", verify.WithArtifactDigest("sha256", digest)},
		{"hashedrekord", msgBundle, "hashedrekord", verify.WithArtifact(bytes.NewReader(message))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			entries := tc.pb.GetVerificationMaterial().GetTlogEntries()
			if len(entries) != 1 {
				t.Fatalf("%d log entries, want 1", len(entries))
			}
			tle := entries[0]
			if got, want := tle.GetKindVersion(), (&protorekor.KindVersion{Kind: tc.kind, Version: "0.0.2"}); !proto.Equal(got, want) {
				t.Errorf("kind %v, want %v", got, want)
			}
			if tle.GetLogIndex() != int64(i) || tle.GetInclusionProof().GetLogIndex() != int64(i) || tle.GetInclusionProof().GetTreeSize() != int64(i+1) {
				t.Errorf("logIndex %d, proof logIndex %d, tree size %d; want %d, %d, %d", tle.GetLogIndex(),
					tle.GetInclusionProof().GetLogIndex(), tle.GetInclusionProof().GetTreeSize(), i, i, i+1)
			}
			if !bytes.Equal(tle.GetLogId().GetKeyId(), s.rekorV2.logID) {
				t.Errorf("logId %x, want the checkpoint key's hash %x", tle.GetLogId().GetKeyId(), s.rekorV2.logID)
			}
			if tle.GetIntegratedTime() != 0 || tle.GetInclusionPromise() != nil {
				t.Errorf("integrated time %d, inclusion promise %v: Rekor v2 gives neither", tle.GetIntegratedTime(), tle.GetInclusionPromise())
			}
			if cp := tle.GetInclusionProof().GetCheckpoint().GetEnvelope(); !strings.HasPrefix(cp, origin+"\n") {
				t.Errorf("checkpoint origin is not %q:\n%s", origin, cp)
			}
			var body rekortilespb.Entry
			if err := protojson.Unmarshal(tle.GetCanonicalizedBody(), &body); err != nil || body.GetKind() != tc.kind || body.GetApiVersion() != "0.0.2" {
				t.Errorf("canonicalized body is not a %s 0.0.2 rekor-tiles entry (%v): %s", tc.kind, err, tle.GetCanonicalizedBody())
			}

			res, err := verifyBundle(t, s, tc.pb, tc.artifact, c.SAN(), s.IssuerURL)
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			kinds := map[string]bool{}
			for _, ts := range res.VerifiedTimestamps {
				kinds[ts.Type] = true
			}
			if diff := cmp.Diff(map[string]bool{"TimestampAuthority": true}, kinds); diff != "" {
				t.Errorf("kinds of verified timestamps (-want +got): the log gives none\n%s", diff)
			}
		})
	}

	// The published checkpoint verifies with rekor-tiles' own note
	// verifier for the log's origin and key.
	verifier, err := signature.LoadVerifier(s.rekorV2.pub, crypto.Hash(0))
	if err != nil {
		t.Fatal(err)
	}
	noteVerifier, err := note.NewNoteVerifier(origin, verifier)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(s.RekorV2URL + "/checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	published, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := rekortilesverify.VerifyCheckpoint(string(published), noteVerifier)
	if err != nil {
		t.Fatalf("published checkpoint: %v", err)
	}
	if want := s.rekorV2.rootHash(); cp.Size != 2 || !bytes.Equal(cp.Hash, want) {
		t.Errorf("checkpoint size %d, hash %x; want 2, %x", cp.Size, cp.Hash, want)
	}
}

// Without a timestamp a Rekor v2 entry gives no trusted time:
// sigstore-go's own check of what it signed, under the stack's root, fails.
func TestRekorV2WithoutTSAHasNoTime(t *testing.T) {
	t.Parallel()
	s := New(t)
	o := v2Options(s, s.Token(releaseClaims(), "sigstore"))
	o.TimestampAuthorities = nil
	tr, err := root.NewTrustedRootFromJSON(s.TrustedRootJSON)
	if err != nil {
		t.Fatal(err)
	}
	o.TrustedRoot = tr
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	stmt, _ := statement(t, "no time")
	_, err = sign.Bundle(&sign.DSSEData{Data: stmt, PayloadType: inTotoPayloadType}, kp, o)
	if err == nil || !strings.Contains(err.Error(), "integrated timestamps") {
		t.Fatalf("signing keyless against Rekor v2 without a timestamp: err = %v, want no integrated timestamp", err)
	}
	// With the TSA the same options verify.
	o.TimestampAuthorities = v2Options(s, "").TimestampAuthorities
	if _, err := sign.Bundle(&sign.DSSEData{Data: stmt, PayloadType: inTotoPayloadType}, kp, o); err != nil {
		t.Fatalf("with the TSA: %v", err)
	}
}

// TestRekorV2TamperingFails: the bundle verifies as signed; a changed
// checkpoint or proof, or a trusted root with another key or origin for the
// log, does not.
func TestRekorV2TamperingFails(t *testing.T) {
	t.Parallel()
	s := New(t)
	c := releaseClaims()
	stmt, digest := statement(t, "tamper")
	pb := signV2(t, s, &sign.DSSEData{Data: stmt, PayloadType: inTotoPayloadType}, s.Token(c, "sigstore"))
	artifact := verify.WithArtifactDigest("sha256", digest)
	if _, err := verifyBundle(t, s, pb, artifact, c.SAN(), s.IssuerURL); err != nil {
		t.Fatalf("untampered bundle: %v", err)
	}
	// A second entry, so the proof has a hash to tamper with.
	signV2(t, s, &sign.DSSEData{Data: stmt, PayloadType: inTotoPayloadType}, s.Token(c, "sigstore"))
	pb = signV2(t, s, &sign.DSSEData{Data: stmt, PayloadType: inTotoPayloadType}, s.Token(c, "sigstore"))
	if _, err := verifyBundle(t, s, pb, artifact, c.SAN(), s.IssuerURL); err != nil {
		t.Fatalf("untampered third entry: %v", err)
	}

	otherKey, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherDER, err := x509.MarshalPKIXPublicKey(otherKey)
	if err != nil {
		t.Fatal(err)
	}
	host := mustHostname(t, s.RekorV2URL)
	tests := []struct {
		name   string
		bundle func(*protorekor.TransparencyLogEntry)
		root   func(*prototrustroot.TransparencyLogInstance)
	}{
		{name: "checkpoint tree size", bundle: func(e *protorekor.TransparencyLogEntry) {
			cp := e.InclusionProof.Checkpoint
			cp.Envelope = strings.Replace(cp.Envelope, "\n3\n", "\n4\n", 1)
		}},
		{name: "checkpoint signature", bundle: func(e *protorekor.TransparencyLogEntry) {
			cp := e.InclusionProof.Checkpoint
			i := strings.LastIndex(cp.Envelope, " ") + 8 // inside the signature, past the key hash
			b := []byte(cp.Envelope)
			b[i] ^= 'A' ^ 'B'
			cp.Envelope = string(b)
		}},
		{name: "checkpoint origin", bundle: func(e *protorekor.TransparencyLogEntry) {
			cp := e.InclusionProof.Checkpoint
			cp.Envelope = strings.Replace(cp.Envelope, host+"\n", "localhost\n", 1)
		}},
		{name: "proof hash", bundle: func(e *protorekor.TransparencyLogEntry) {
			e.InclusionProof.Hashes[0][0] ^= 1
		}},
		{name: "log index", bundle: func(e *protorekor.TransparencyLogEntry) {
			e.LogIndex, e.InclusionProof.LogIndex = 1, 1
		}},
		{name: "another log key", root: func(l *prototrustroot.TransparencyLogInstance) {
			l.PublicKey.RawBytes = otherDER
		}},
		{name: "another origin", root: func(l *prototrustroot.TransparencyLogInstance) {
			l.BaseUrl = strings.Replace(l.BaseUrl, host, "localhost", 1)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := proto.Clone(pb).(*protobundle.Bundle)
			if tt.bundle != nil {
				tt.bundle(b.VerificationMaterial.TlogEntries[0])
			}
			trustedRoot := s.TrustedRootJSON
			if tt.root != nil {
				trustedRoot = editRekorV2Log(t, s, tt.root)
			}
			_, err := verifyUnder(t, trustedRoot, b, artifact, c.SAN(), s.IssuerURL)
			if err == nil || !strings.Contains(err.Error(), "failed to verify log inclusion") {
				t.Errorf("err = %v, want the log entry refused", err)
			}
		})
	}
}

// editRekorV2Log returns the stack's trusted root with its Rekor v2 log
// changed by edit.
func editRekorV2Log(t *testing.T, s *Stack, edit func(*prototrustroot.TransparencyLogInstance)) []byte {
	t.Helper()
	var tr prototrustroot.TrustedRoot
	if err := protojson.Unmarshal(s.TrustedRootJSON, &tr); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range tr.Tlogs {
		if l.BaseUrl == s.RekorV2URL {
			edit(l)
			found = true
		}
	}
	if !found {
		t.Fatalf("the trusted root names no log at %s", s.RekorV2URL)
	}
	out, err := protojson.Marshal(&tr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRekorV2Refusals: the log checks requests as rekor-tiles does.
func TestRekorV2Refusals(t *testing.T) {
	t.Parallel()
	s := New(t)
	stmt, _ := statement(t, "refused")
	pb := signV2(t, s, &sign.DSSEData{Data: stmt, PayloadType: inTotoPayloadType}, s.Token(releaseClaims(), "sigstore"))
	w, err := write.NewWriter(s.RekorV2URL)
	if err != nil {
		t.Fatal(err)
	}
	cert := pb.GetVerificationMaterial().GetCertificate()
	verifier := &rekortilespb.Verifier{
		Verifier:   &rekortilespb.Verifier_X509Certificate{X509Certificate: &protocommon.X509Certificate{RawBytes: cert.GetRawBytes()}},
		KeyDetails: protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256,
	}
	dsseRequest := func(edit func(*rekortilespb.DSSERequestV002)) *rekortilespb.DSSERequestV002 {
		r := &rekortilespb.DSSERequestV002{Envelope: pb.GetDsseEnvelope(), Verifiers: []*rekortilespb.Verifier{verifier}}
		r = proto.Clone(r).(*rekortilespb.DSSERequestV002)
		if edit != nil {
			edit(r)
		}
		return r
	}
	for _, tc := range []struct {
		name string
		req  any
		want string
	}{
		{"resubmitted", dsseRequest(nil), "409"},
		{"payload changed", dsseRequest(func(r *rekortilespb.DSSERequestV002) { r.Envelope.Payload = []byte("{}") }), "400"},
		{"no verifier", dsseRequest(func(r *rekortilespb.DSSERequestV002) { r.Verifiers = nil }), "400"},
		{"hashedrekord over another digest", &rekortilespb.HashedRekordRequestV002{
			Signature: &rekortilespb.Signature{Content: pb.GetDsseEnvelope().GetSignatures()[0].GetSig(), Verifier: verifier},
			Digest:    make([]byte, 32),
		}, "400"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.Add(context.Background(), tc.req)
			if err == nil || !strings.Contains(err.Error(), "unexpected response: "+tc.want) {
				t.Errorf("err = %v, want HTTP %s", err, tc.want)
			}
		})
	}

	// Unknown fields are refused, as by rekor-tiles' strict gateway.
	resp, err := http.Post(s.RekorV2URL+rekorV2EntriesPath, "application/json", strings.NewReader(`{"dsseRequestV002":{},"extra":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a request with an unknown field: %s, want 400", resp.Status)
	}
	if n := s.rekorV2.size(); n != 1 {
		t.Errorf("the log holds %d entries, want only the one signed", n)
	}
}

func TestSigningConfig(t *testing.T) {
	t.Parallel()
	s := New(t)
	sc, err := root.NewSigningConfigFromPath(s.WriteSigningConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) // any clock after ServicesSince
	pick := func(services []root.Service, versions ...uint32) string {
		t.Helper()
		svc, err := root.SelectService(services, versions, now)
		if err != nil {
			t.Fatalf("selecting from %v: %v", services, err)
		}
		return fmt.Sprintf("%s v%d", svc.URL, svc.MajorAPIVersion)
	}
	got := map[string]string{
		"fulcio":       pick(sc.FulcioCertificateAuthorityURLs(), 1),
		"oidc":         pick(sc.OIDCProviderURLs(), 1),
		"rekor [1 2]":  pick(sc.RekorLogURLs(), sign.RekorAPIVersions...),
		"rekor [1]":    pick(sc.RekorLogURLs(), 1),
		"tsa":          pick(sc.TimestampAuthorityURLs(), 1),
		"rekor config": sc.RekorLogURLsConfig().Selector.String(),
		"tsa config":   sc.TimestampAuthorityURLsConfig().Selector.String(),
		"media type":   string(mustJSONField(t, s.SigningConfigJSON, "mediaType")),
	}
	want := map[string]string{
		"fulcio":       s.FulcioURL + " v1",
		"oidc":         s.IssuerURL + " v1",
		"rekor [1 2]":  s.RekorV2URL + " v2",
		"rekor [1]":    s.RekorURL + " v1",
		"tsa":          s.TSAURL + " v1",
		"rekor config": "ANY",
		"tsa config":   "ANY",
		"media type":   `"application/vnd.dev.sigstore.signingconfig.v0.2+json"`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("signing config (-want +got):\n%s", diff)
	}
	if _, err := root.SelectService(sc.RekorLogURLs(), []uint32{1, 2}, ServicesSince.Add(-time.Second)); err == nil {
		t.Error("a service was selected before ServicesSince")
	}
}

func (l *tileLog) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.leaves)
}

func (l *tileLog) rootHash() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return treeHash(l.leaves)
}

func mustHostname(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Hostname()
}

func mustJSONField(t *testing.T, doc []byte, field string) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	return m[field]
}
