package fakesigstore

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	rekortilespb "github.com/sigstore/rekor-tiles/v2/pkg/generated/protobuf"
	"github.com/sigstore/rekor-tiles/v2/pkg/note"
	"github.com/sigstore/rekor-tiles/v2/pkg/types/dsse"
	"github.com/sigstore/rekor-tiles/v2/pkg/types/hashedrekord"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/rfc6962"
	sumdbnote "golang.org/x/mod/sumdb/note"
	"google.golang.org/protobuf/encoding/protojson"
)

const rekorV2EntriesPath = "/api/v2/log/entries"

// tileClientAlgorithms is rekor-tiles' default --client-signing-algorithms
// (its internal algorithmregistry.AllowedClientSigningAlgorithms).
var tileClientAlgorithms = []protocommon.PublicKeyDetails{
	protocommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_2048_SHA256,
	protocommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_3072_SHA256,
	protocommon.PublicKeyDetails_PKIX_RSA_PKCS1V15_4096_SHA256,
	protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256,
	protocommon.PublicKeyDetails_PKIX_ECDSA_P384_SHA_384,
	protocommon.PublicKeyDetails_PKIX_ECDSA_P521_SHA_512,
	protocommon.PublicKeyDetails_PKIX_ED25519,
	protocommon.PublicKeyDetails_PKIX_ED25519_PH,
}

// tileLog is an in-memory Rekor v2 (rekor-tiles) log: entries are checked
// and turned into log entries by rekor-tiles' own types, and every answer
// carries an inclusion proof against a checkpoint signed as a C2SP signed
// note. Like Rekor v2 it gives no integrated time and no signed entry
// timestamp.
type tileLog struct {
	signer     signature.Signer
	pub        ed25519.PublicKey
	algorithms *signature.AlgorithmRegistryConfig
	mux        *http.ServeMux

	// Set before the server starts.
	origin     string // the hostname of the log's URL, as verifiers check it
	noteSigner sumdbnote.Signer
	logID      []byte // the checkpoint key's full key hash

	mu     sync.Mutex
	leaves [][]byte        // RFC 6962 leaf hashes, one per entry
	seen   map[string]bool // hex leaf hashes: a resubmitted entry is refused
}

func newTileLog(key ed25519.PrivateKey) (*tileLog, error) {
	signer, err := signature.LoadED25519SignerVerifier(key)
	if err != nil {
		return nil, err
	}
	algorithms, err := signature.NewAlgorithmRegistryConfig(tileClientAlgorithms)
	if err != nil {
		return nil, err
	}
	l := &tileLog{
		signer:     signer,
		pub:        key.Public().(ed25519.PublicKey),
		algorithms: algorithms,
		mux:        http.NewServeMux(),
		seen:       map[string]bool{},
	}
	l.mux.HandleFunc("POST "+rekorV2EntriesPath, l.create)
	l.mux.HandleFunc("GET /checkpoint", l.latestCheckpoint)
	return l, nil
}

// setURL names the log after its URL's hostname, as rekor-tiles is named
// after its --hostname: the checkpoint origin, and with the key the key ID.
func (l *tileLog) setURL(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	l.origin = u.Hostname()
	if l.noteSigner, err = note.NewNoteSigner(context.Background(), l.origin, l.signer); err != nil {
		return fmt.Errorf("rekor v2 checkpoint signer: %w", err)
	}
	if _, l.logID, err = note.KeyHash(l.origin, l.pub); err != nil {
		return fmt.Errorf("rekor v2 log ID: %w", err)
	}
	return nil
}

func (l *tileLog) ServeHTTP(w http.ResponseWriter, r *http.Request) { l.mux.ServeHTTP(w, r) }

// gRPC status codes rekor-tiles answers with, and the HTTP status its gateway
// maps each to.
const (
	codeInvalidArgument = 3
	codeAlreadyExists   = 6
	codeInternal        = 13
)

var httpStatusOf = map[int]int{
	codeInvalidArgument: http.StatusBadRequest,
	codeAlreadyExists:   http.StatusConflict,
	codeInternal:        http.StatusInternalServerError,
}

// tileError answers like rekor-tiles' gRPC gateway. rekor-tiles says only
// "invalid dsse request" and logs why; the fake says why too.
func tileError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, httpStatusOf[code], map[string]any{"code": code, "message": msg, "details": []any{}})
}

// create is rekor-tiles' CreateEntry: validate the request and convert it
// with rekor-tiles' types, canonicalize it, append it, and answer with the
// TransparencyLogEntry.
func (l *tileLog) create(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	if err != nil {
		tileError(w, codeInvalidArgument, err.Error())
		return
	}
	var req rekortilespb.CreateEntryRequest
	if err := protojson.Unmarshal(body, &req); err != nil { // unknown fields are refused, as by rekor-tiles
		tileError(w, codeInvalidArgument, "invalid request: "+err.Error())
		return
	}
	var entry *rekortilespb.Entry
	switch spec := req.GetSpec().(type) {
	case *rekortilespb.CreateEntryRequest_HashedRekordRequestV002:
		if entry, err = hashedrekord.ToLogEntry(spec.HashedRekordRequestV002, l.algorithms); err != nil {
			tileError(w, codeInvalidArgument, "invalid hashedrekord request: "+err.Error())
			return
		}
	case *rekortilespb.CreateEntryRequest_DsseRequestV002:
		if entry, err = dsse.ToLogEntry(spec.DsseRequestV002, l.algorithms); err != nil {
			tileError(w, codeInvalidArgument, "invalid dsse request: "+err.Error())
			return
		}
	default:
		tileError(w, codeInvalidArgument, "invalid type, must be either hashedrekord or dsse")
		return
	}
	serialized, err := protojson.Marshal(entry)
	if err != nil {
		tileError(w, codeInternal, err.Error())
		return
	}
	canonical, err := jsoncanonicalizer.Transform(serialized)
	if err != nil {
		tileError(w, codeInvalidArgument, "invalid entry")
		return
	}
	leaf := rfc6962.DefaultHasher.HashLeaf(canonical)

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen[hex.EncodeToString(leaf)] {
		tileError(w, codeAlreadyExists, "an equivalent entry already exists in the log")
		return
	}
	idx := len(l.leaves)
	l.leaves = append(l.leaves, leaf)
	l.seen[hex.EncodeToString(leaf)] = true

	size := len(l.leaves)
	rootHash := treeHash(l.leaves)
	checkpoint, err := l.checkpoint(uint64(size), rootHash)
	if err != nil {
		tileError(w, codeInternal, err.Error())
		return
	}
	tle := &protorekor.TransparencyLogEntry{
		LogIndex:          int64(idx),
		LogId:             &protocommon.LogId{KeyId: l.logID},
		KindVersion:       &protorekor.KindVersion{Kind: entry.GetKind(), Version: entry.GetApiVersion()},
		CanonicalizedBody: canonical,
		InclusionProof: &protorekor.InclusionProof{
			LogIndex:   int64(idx),
			RootHash:   rootHash,
			TreeSize:   int64(size),
			Hashes:     inclusionPath(idx, l.leaves),
			Checkpoint: &protorekor.Checkpoint{Envelope: string(checkpoint)},
		},
	}
	// rekor-tiles' gateway marshals with EmitUnpopulated: integratedTime
	// "0" and inclusionPromise null are on the wire.
	out, err := protojson.MarshalOptions{EmitUnpopulated: true}.Marshal(tle)
	if err != nil {
		tileError(w, codeInternal, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(out)
}

// latestCheckpoint serves the tlog-tiles checkpoint: the current tree,
// signed.
func (l *tileLog) latestCheckpoint(w http.ResponseWriter, _ *http.Request) {
	l.mu.Lock()
	cp, err := l.checkpoint(uint64(len(l.leaves)), treeHash(l.leaves))
	l.mu.Unlock()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write(cp)
}

// checkpoint is the tlog-checkpoint for the tree, signed as a note by the
// log's key under its origin, as Tessera publishes it.
func (l *tileLog) checkpoint(size uint64, rootHash []byte) ([]byte, error) {
	text := log.Checkpoint{Origin: l.origin, Size: size, Hash: rootHash}.Marshal()
	signed, err := sumdbnote.Sign(&sumdbnote.Note{Text: string(text)}, l.noteSigner)
	if err != nil {
		return nil, fmt.Errorf("signing checkpoint: %w", err)
	}
	return signed, nil
}
