package fakesigstore

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/rekor/pkg/generated/models"
	rekorverify "github.com/sigstore/rekor/pkg/verify"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

func rfc6962Leaf(s string) []byte { return rfc6962.DefaultHasher.HashLeaf([]byte(s)) }

func verifyInclusion(m, n int, leaf []byte, path [][]byte, root []byte) error {
	return proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(m), uint64(n), leaf, path, root)
}

// TestLogEntriesEachVerify puts two DSSE entries and a hashedrekord in one
// log: each bundle verifies, each carries its own proof, and the log serves
// them back with proofs against the grown tree.
func TestLogEntriesEachVerify(t *testing.T) {
	t.Parallel()
	s := New(t)
	c := releaseClaims()
	token := s.Token(c, "sigstore")

	var bodies [][]byte // canonicalized Rekor entries, in log order
	for i := range 2 {
		stmt, digest := statement(t, fmt.Sprintf("artifact %d", i))
		pb := signBundle(t, s, &sign.DSSEData{Data: stmt, PayloadType: inTotoPayloadType}, token)
		tle := pb.VerificationMaterial.TlogEntries[0]
		checkEntry(t, tle, i, "dsse")
		bodies = append(bodies, tle.CanonicalizedBody)
		if _, err := verifyBundle(t, s, pb, verify.WithArtifactDigest("sha256", digest), c.SAN(), s.IssuerURL); err != nil {
			t.Errorf("bundle %d: %v", i, err)
		}
	}
	artifact := []byte("a plain blob")
	pb := signBundle(t, s, &sign.PlainData{Data: artifact}, token)
	tle := pb.VerificationMaterial.TlogEntries[0]
	checkEntry(t, tle, 2, "hashedrekord")
	bodies = append(bodies, tle.CanonicalizedBody)
	if _, err := verifyBundle(t, s, pb, verify.WithArtifact(bytes.NewReader(artifact)), c.SAN(), s.IssuerURL); err != nil {
		t.Errorf("hashedrekord bundle: %v", err)
	}

	// Served back: by index and by UUID, each with a proof against the tree of three.
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(s.rekor.pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	for i, body := range bodies {
		leaf := sha256.Sum256(append([]byte{0}, body...))
		for _, path := range []string{
			fmt.Sprintf("/api/v1/log/entries?logIndex=%d", ShardOffset+i),
			"/api/v1/log/entries/" + hex.EncodeToString(leaf[:]),
		} {
			got := getEntry(t, s.RekorURL+path)
			if *got.Verification.InclusionProof.TreeSize != 3 {
				t.Errorf("GET %s: tree size %d, want 3", path, *got.Verification.InclusionProof.TreeSize)
			}
			if err := rekorverify.VerifyLogEntry(context.Background(), &got, verifier); err != nil {
				t.Errorf("GET %s: %v", path, err)
			}
		}
	}

	// A resubmitted entry is a conflict that points at the existing one. A
	// canonical hashedrekord is itself a proposed entry (a canonical dsse
	// entry is not: it keeps only the envelope's hash).
	resp, err := http.Post(s.RekorURL+entriesPath, "application/json", bytes.NewReader(bodies[2]))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict || resp.Header.Get("Location") == "" {
		t.Errorf("resubmitted entry: %s, Location %q; want 409 with a Location", resp.Status, resp.Header.Get("Location"))
	}

	resp, err = http.Get(s.RekorURL + "/api/v1/log")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info models.LogInfo
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		t.Fatal(err)
	}
	if info.TreeSize == nil || *info.TreeSize != 3 {
		t.Errorf("log info tree size = %v, want 3", info.TreeSize)
	}
}

// checkEntry checks that tle is entry i of the log, of the given kind, with
// a proof against the tree as it was just after it.
func checkEntry(t *testing.T, tle *protorekor.TransparencyLogEntry, i int, kind string) {
	t.Helper()
	if tle.LogIndex != int64(ShardOffset+i) || tle.InclusionProof.LogIndex != int64(i) || tle.InclusionProof.TreeSize != int64(i+1) {
		t.Errorf("entry %d: logIndex %d, proof logIndex %d, tree size %d; want %d, %d, %d",
			i, tle.LogIndex, tle.InclusionProof.LogIndex, tle.InclusionProof.TreeSize, ShardOffset+i, i, i+1)
	}
	if tle.KindVersion.Kind != kind {
		t.Errorf("entry %d is a %s entry, want %s", i, tle.KindVersion.Kind, kind)
	}
}

func getEntry(t *testing.T, url string) models.LogEntryAnon {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	var le models.LogEntry
	if err := json.NewDecoder(resp.Body).Decode(&le); err != nil {
		t.Fatal(err)
	}
	for _, e := range le {
		return e
	}
	t.Fatalf("GET %s: no entry", url)
	return models.LogEntryAnon{}
}

func TestInclusionPathVerifiesEveryLeaf(t *testing.T) {
	t.Parallel()
	var leaves [][]byte
	for n := 1; n <= 17; n++ {
		leaves = append(leaves, rfc6962Leaf(fmt.Sprintf("leaf %d", n)))
		root := treeHash(leaves)
		for m := range n {
			if err := verifyInclusion(m, n, leaves[m], inclusionPath(m, leaves), root); err != nil {
				t.Errorf("leaf %d of %d: %v", m, n, err)
			}
		}
	}
}
