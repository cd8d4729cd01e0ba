package fakesigstore

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
	"github.com/go-openapi/runtime"
	"github.com/go-openapi/strfmt"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/rekor/pkg/types"
	rekorutil "github.com/sigstore/rekor/pkg/util"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/transparency-dev/merkle/rfc6962"

	// The entry types this log accepts.
	_ "github.com/sigstore/rekor/pkg/types/dsse/v0.0.1"
	_ "github.com/sigstore/rekor/pkg/types/hashedrekord/v0.0.1"
	_ "github.com/sigstore/rekor/pkg/types/intoto/v0.0.2"
)

// ShardOffset is the number of entries the log pretends its earlier, frozen
// shards hold: an entry's logIndex is ShardOffset plus its index in the tree.
// It also keeps logIndex off 0, which sigstore-go's bundle parser rejects.
const ShardOffset = 1000

const entriesPath = "/api/v1/log/entries"

// transparencyLog is an in-memory Rekor with a single active tree.
type transparencyLog struct {
	signer   signature.SignerVerifier
	pubPEM   []byte
	logID    string // hex SHA-256 of the PKIX public key
	logIDRaw []byte
	treeID   int64
	mux      *http.ServeMux

	// Set before the server starts.
	baseURL, hostname string

	mu      sync.Mutex
	entries []logEntry
	leaves  [][]byte       // RFC 6962 leaf hashes, one per entry
	byUUID  map[string]int // hex leaf hash → index in the tree
}

type logEntry struct {
	body           []byte // canonicalized entry
	integratedTime int64
	set            []byte // signed entry timestamp
}

func newTransparencyLog(key *ecdsa.PrivateKey) (*transparencyLog, error) {
	signer, err := signature.LoadECDSASignerVerifier(key, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, err
	}
	pubPEM, err := cryptoutils.MarshalPublicKeyToPEM(key.Public())
	if err != nil {
		return nil, err
	}
	id := sha256.Sum256(der)
	tid, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return nil, err
	}
	l := &transparencyLog{
		signer:   signer,
		pubPEM:   pubPEM,
		logID:    hex.EncodeToString(id[:]),
		logIDRaw: id[:],
		treeID:   tid.Int64() + 1,
		byUUID:   map[string]int{},
		mux:      http.NewServeMux(),
	}
	l.mux.HandleFunc("POST "+entriesPath, l.create)
	l.mux.HandleFunc("GET "+entriesPath, l.getByIndex)
	l.mux.HandleFunc("GET "+entriesPath+"/{id}", l.getByUUID)
	l.mux.HandleFunc("GET /api/v1/log", l.info)
	l.mux.HandleFunc("GET /api/v1/log/publicKey", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-pem-file")
		_, _ = w.Write(l.pubPEM)
	})
	return l, nil
}

func (l *transparencyLog) setURL(base string) {
	l.baseURL = base
	if u, err := url.Parse(base); err == nil {
		l.hostname = u.Host
	}
}

func (l *transparencyLog) ServeHTTP(w http.ResponseWriter, r *http.Request) { l.mux.ServeHTTP(w, r) }

func rekorError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, &models.Error{Code: int64(status), Message: msg})
}

// create is createLogEntry: validate and canonicalize the proposed entry with
// Rekor's types, append it, and answer with the entry, its SET and an
// inclusion proof with a signed checkpoint.
func (l *transparencyLog) create(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pe, err := models.UnmarshalProposedEntry(io.LimitReader(r.Body, maxRequestBody), runtime.JSONConsumer())
	if err != nil {
		rekorError(w, http.StatusBadRequest, "error parsing proposed entry: "+err.Error())
		return
	}
	entry, err := types.CreateVersionedEntry(pe)
	if err != nil {
		rekorError(w, http.StatusBadRequest, "error processing entry: "+err.Error())
		return
	}
	body, err := types.CanonicalizeEntry(ctx, entry)
	if err != nil {
		var ve *types.InputValidationError
		if errors.As(err, &ve) {
			rekorError(w, http.StatusBadRequest, "error processing entry: "+err.Error())
			return
		}
		rekorError(w, http.StatusInternalServerError, "error generating canonicalized entry: "+err.Error())
		return
	}
	leaf := rfc6962.DefaultHasher.HashLeaf(body)
	uuid := hex.EncodeToString(leaf)

	l.mu.Lock()
	defer l.mu.Unlock()
	if _, dup := l.byUUID[uuid]; dup {
		w.Header().Set("Location", l.entryURL(uuid))
		rekorError(w, http.StatusConflict, "an equivalent entry already exists in the transparency log with UUID "+l.entryID(uuid))
		return
	}
	idx := len(l.entries)
	e := logEntry{body: body, integratedTime: time.Now().Unix()}
	anon := models.LogEntryAnon{
		Body:           base64.StdEncoding.EncodeToString(body),
		IntegratedTime: new(e.integratedTime),
		LogID:          new(l.logID),
		LogIndex:       new(int64(ShardOffset + idx)),
	}
	if e.set, err = l.signEntry(ctx, anon); err != nil {
		rekorError(w, http.StatusInternalServerError, err.Error())
		return
	}
	l.entries = append(l.entries, e)
	l.leaves = append(l.leaves, leaf)
	l.byUUID[uuid] = idx

	out, err := l.logEntryLocked(ctx, idx)
	if err != nil {
		rekorError(w, http.StatusInternalServerError, err.Error())
		return
	}
	id := l.entryID(uuid)
	w.Header().Set("ETag", id)
	w.Header().Set("Location", l.entryURL(id))
	writeJSON(w, http.StatusCreated, models.LogEntry{id: out})
}

// signEntry is Rekor's signEntry: the SET is a signature over the canonical
// JSON of {body, integratedTime, logID, logIndex}.
func (l *transparencyLog) signEntry(ctx context.Context, anon models.LogEntryAnon) ([]byte, error) {
	payload, err := anon.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("marshalling entry: %w", err)
	}
	canonical, err := jsoncanonicalizer.Transform(payload)
	if err != nil {
		return nil, fmt.Errorf("canonicalizing entry: %w", err)
	}
	return l.signer.SignMessage(bytes.NewReader(canonical))
}

// logEntryLocked renders entry idx with an inclusion proof against the
// current tree. l.mu must be held.
func (l *transparencyLog) logEntryLocked(ctx context.Context, idx int) (models.LogEntryAnon, error) {
	e := l.entries[idx]
	size := len(l.leaves)
	rootHash := treeHash(l.leaves)
	checkpoint, err := rekorutil.CreateAndSignCheckpoint(ctx, l.hostname, l.treeID, uint64(size), rootHash, l.signer)
	if err != nil {
		return models.LogEntryAnon{}, fmt.Errorf("signing checkpoint: %w", err)
	}
	var hashes []string
	for _, h := range inclusionPath(idx, l.leaves) {
		hashes = append(hashes, hex.EncodeToString(h))
	}
	return models.LogEntryAnon{
		Body:           base64.StdEncoding.EncodeToString(e.body),
		IntegratedTime: new(e.integratedTime),
		LogID:          new(l.logID),
		LogIndex:       new(int64(ShardOffset + idx)),
		Verification: &models.LogEntryAnonVerification{
			SignedEntryTimestamp: strfmt.Base64(e.set),
			InclusionProof: &models.InclusionProof{
				LogIndex:   new(int64(idx)), // in this tree, as Rekor reports it
				TreeSize:   new(int64(size)),
				RootHash:   new(hex.EncodeToString(rootHash)),
				Hashes:     hashes,
				Checkpoint: new(string(checkpoint)),
			},
		},
	}, nil
}

// entryID is Rekor's EntryID: the tree ID in 16 hex digits, then the UUID
// (the hex leaf hash).
func (l *transparencyLog) entryID(uuid string) string {
	return fmt.Sprintf("%016x%s", l.treeID, uuid)
}

func (l *transparencyLog) entryURL(id string) string {
	return l.baseURL + entriesPath + "/" + id
}

func (l *transparencyLog) getByIndex(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.ParseInt(r.URL.Query().Get("logIndex"), 10, 64)
	if err != nil {
		rekorError(w, http.StatusBadRequest, "logIndex: "+err.Error())
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	idx := int(n - ShardOffset)
	if n < ShardOffset || idx >= len(l.entries) {
		rekorError(w, http.StatusNotFound, "")
		return
	}
	l.writeEntryLocked(w, r, idx)
}

// getByUUID accepts an EntryID (tree ID + UUID) or a bare UUID.
func (l *transparencyLog) getByUUID(w http.ResponseWriter, r *http.Request) {
	id := strings.ToLower(r.PathValue("id"))
	uuid := id
	if len(id) == 80 {
		if id[:16] != fmt.Sprintf("%016x", l.treeID) {
			rekorError(w, http.StatusNotFound, "")
			return
		}
		uuid = id[16:]
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	idx, ok := l.byUUID[uuid]
	if !ok {
		rekorError(w, http.StatusNotFound, "")
		return
	}
	l.writeEntryLocked(w, r, idx)
}

func (l *transparencyLog) writeEntryLocked(w http.ResponseWriter, r *http.Request, idx int) {
	out, err := l.logEntryLocked(r.Context(), idx)
	if err != nil {
		rekorError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, models.LogEntry{l.entryID(hex.EncodeToString(l.leaves[idx])): out})
}

func (l *transparencyLog) info(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	size := len(l.leaves)
	rootHash := treeHash(l.leaves)
	checkpoint, err := rekorutil.CreateAndSignCheckpoint(r.Context(), l.hostname, l.treeID, uint64(size), rootHash, l.signer)
	if err != nil {
		rekorError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, &models.LogInfo{
		RootHash:       new(hex.EncodeToString(rootHash)),
		TreeSize:       new(int64(size)),
		SignedTreeHead: new(string(checkpoint)),
		TreeID:         new(strconv.FormatInt(l.treeID, 10)),
	})
}
