package verify

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
)

// Entry is one piece of signed evidence and where it came from.
type Entry struct {
	// Source names the entry for reports: "FILE", "FILE:LINE" for JSONL, or
	// the OCI reference of a referrer.
	Source string
	// Format is "sigstore bundle v0.N" or "dsse envelope".
	Format string
	Bundle *bundle.Bundle
	// Digest is the SHA-256 of the entry's bytes as read, for reports and
	// the verification summary's input attestations.
	Digest string
	// Err, when set, says why the entry could not be read; the entry is then
	// rejected with it.
	Err error
}

// maxEntryLine bounds one JSONL line; real bundles are a few KiB.
const maxEntryLine = 16 << 20

// ReadBundles parses data as signed evidence: one Sigstore bundle (v0.1 to
// v0.3 JSON), one DSSE envelope, or JSON Lines of either. source names the
// data in entries and errors. Data that holds no evidence at all (empty,
// or no document or line in it readable as a bundle or an envelope) is an
// error wrapping ErrMalformedBundle. A JSONL line that cannot be read
// becomes an entry with Err set, so the other lines are still tried; so
// does a statement of a _type other than in-toto Statement v1 or v0.1,
// which keeps its Bundle, so reports can still say what it claims to be.
func ReadBundles(source string, data []byte) ([]Entry, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%w: %s: empty, expected a Sigstore bundle, a DSSE envelope, or JSON Lines of them", ErrMalformedBundle, source)
	}
	var entries []Entry
	if json.Valid(trimmed) {
		entries = readDocument(source, trimmed)
	} else {
		sc := bufio.NewScanner(bytes.NewReader(trimmed))
		sc.Buffer(make([]byte, 0, 64<<10), maxEntryLine)
		for line := 1; sc.Scan(); line++ {
			text := bytes.TrimSpace(sc.Bytes())
			if len(text) == 0 {
				continue
			}
			entries = append(entries, readDocument(fmt.Sprintf("%s:%d", source, line), text)...)
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrMalformedBundle, source, err)
		}
	}
	if err := noneRead(source, entries); err != nil {
		return nil, err
	}
	for i := range entries {
		checkStatementType(&entries[i])
	}
	return entries, nil
}

// noneRead is the error for entries none of which could be read: the one
// entry's error, or the first few lines' errors.
func noneRead(source string, entries []Entry) error {
	for _, e := range entries {
		if e.Err == nil {
			return nil
		}
	}
	switch len(entries) {
	case 0:
		return fmt.Errorf("%w: %s: expected a Sigstore bundle, a DSSE envelope, or JSON Lines of them, found none", ErrMalformedBundle, source)
	case 1:
		return entries[0].Err
	}
	const shown = 3
	var why []string
	for _, e := range entries[:min(len(entries), shown)] {
		why = append(why, e.Err.Error())
	}
	if len(entries) > shown {
		why = append(why, fmt.Sprintf("and %d more", len(entries)-shown))
	}
	return fmt.Errorf("%w: %s: expected a Sigstore bundle or a DSSE envelope on at least one of its %d lines, found none: %s", ErrMalformedBundle, source, len(entries), strings.Join(why, "; "))
}

// The in-toto Statement types relproof reads: v1, and v0.1, which real
// bundles still carry.
const (
	StatementV1  = "https://in-toto.io/Statement/v1"
	StatementV01 = "https://in-toto.io/Statement/v0.1"
)

// maxQuotedType bounds how much of an unverified _type a message quotes.
const maxQuotedType = 100

// checkStatementType rejects an in-toto statement whose _type is neither
// StatementV1 nor StatementV01: the entry keeps its Bundle and carries Err.
// A payload that is not an in-toto JSON object is left to the signature
// check, which says what is wrong with it.
func checkStatementType(e *Entry) {
	if e.Err != nil || e.Bundle == nil {
		return
	}
	env := e.Bundle.GetDsseEnvelope()
	if env == nil || env.GetPayloadType() != bundle.IntotoMediaType {
		return
	}
	var st map[string]json.RawMessage
	if json.Unmarshal(env.GetPayload(), &st) != nil {
		return
	}
	raw, ok := st["_type"]
	var found string
	switch {
	case !ok:
		found = "found no _type"
	default:
		var typ string
		if json.Unmarshal(raw, &typ) != nil {
			found = "found a _type that is not a string"
		} else if typ == StatementV1 || typ == StatementV01 {
			return
		} else {
			found = "found _type " + quoteUnverified(typ, maxQuotedType)
		}
	}
	e.Err = fmt.Errorf("%w: %s: expected an in-toto statement of _type %s or %s, %s", ErrMalformedBundle, e.Source, StatementV1, StatementV01, found)
}

// quoteUnverified quotes text read from unverified content for a message:
// control and format characters (newlines, escapes, bidi overrides)
// removed, cut to max runes with "…" after the quote when cut.
func quoteUnverified(s string, max int) string {
	clean := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	if r := []rune(clean); len(r) > max {
		return strconv.Quote(string(r[:max])) + "…"
	}
	return strconv.Quote(clean)
}

// probe is just enough of a document to tell what it is.
type probe struct {
	MediaType    *string         `json:"mediaType"`
	PayloadType  *string         `json:"payloadType"`
	Signatures   json.RawMessage `json:"signatures"`
	Attestations []struct {
		PredicateType string          `json:"predicateType"`
		Bundle        json.RawMessage `json:"bundle"`
	} `json:"attestations"`
}

// readDocument reads one JSON document: a bundle, an envelope, or the npm
// registry's attestations response ({"attestations":[{"bundle":…}]}), whose
// bundles become one entry each.
func readDocument(source string, doc []byte) []Entry {
	var p probe
	if err := json.Unmarshal(doc, &p); err == nil && p.MediaType == nil && p.PayloadType == nil && len(p.Attestations) > 0 {
		entries := make([]Entry, 0, len(p.Attestations))
		for i, a := range p.Attestations {
			entries = append(entries, readEntry(fmt.Sprintf("%s#attestations[%d]", source, i), a.Bundle))
		}
		return entries
	}
	return []Entry{readEntry(source, doc)}
}

func readEntry(source string, doc []byte) Entry {
	sum := sha256.Sum256(doc)
	e := Entry{Source: source, Digest: "sha256:" + hex.EncodeToString(sum[:])}
	var p probe
	if err := json.Unmarshal(doc, &p); err != nil {
		e.Err = fmt.Errorf("%w: %s: not JSON: %w", ErrMalformedBundle, source, err)
		return e
	}
	switch {
	case p.MediaType != nil:
		var b bundle.Bundle
		if err := b.UnmarshalJSON(doc); err != nil {
			e.Err = fmt.Errorf("%w: %s: %w", ErrMalformedBundle, source, err)
			return e
		}
		e.Bundle, e.Format = &b, bundleFormat(*p.MediaType)
	case p.PayloadType != nil && p.Signatures != nil:
		b, err := envelopeBundle(doc)
		if err != nil {
			e.Err = fmt.Errorf("%w: %s: DSSE envelope: %w", ErrMalformedBundle, source, err)
			return e
		}
		e.Bundle, e.Format = b, "dsse envelope"
	default:
		e.Err = fmt.Errorf("%w: %s: expected a Sigstore bundle (with mediaType) or a DSSE envelope (with payloadType and signatures), found neither", ErrMalformedBundle, source)
	}
	return e
}

func bundleFormat(mediaType string) string {
	for _, v := range []string{"0.3", "0.2", "0.1"} {
		if mt, _ := bundle.MediaTypeString(v); mt == mediaType {
			return "sigstore bundle v" + v
		}
	}
	return "sigstore bundle"
}

// envelope is a bare DSSE envelope as slsa-github-generator and in-toto
// tooling write it; a signature may carry its signing certificate (PEM).
type envelope struct {
	PayloadType string `json:"payloadType"`
	Payload     string `json:"payload"`
	Signatures  []struct {
		KeyID string `json:"keyid"`
		Sig   string `json:"sig"`
		Cert  string `json:"cert"`
	} `json:"signatures"`
}

// envelopeBundle wraps a bare DSSE envelope in a v0.3 bundle with no
// transparency-log entry and no timestamp: exactly the evidence it carries.
// A certificate-signed envelope therefore has no trusted signing time and
// fails offline verification, as it must; a key-signed one verifies with
// the key.
func envelopeBundle(doc []byte) (*bundle.Bundle, error) {
	var env envelope
	if err := json.Unmarshal(doc, &env); err != nil {
		return nil, err
	}
	if len(env.Signatures) != 1 {
		return nil, fmt.Errorf("expected exactly one signature, found %d", len(env.Signatures))
	}
	s := env.Signatures[0]
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, fmt.Errorf("payload is not base64: %w", err)
	}
	sig, err := base64.StdEncoding.DecodeString(s.Sig)
	if err != nil {
		return nil, fmt.Errorf("signature is not base64: %w", err)
	}
	vm := &protobundle.VerificationMaterial{}
	if s.Cert != "" {
		block, _ := pem.Decode([]byte(s.Cert))
		if block == nil || block.Type != "CERTIFICATE" {
			return nil, errors.New("signature cert is not a PEM certificate")
		}
		vm.Content = &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: block.Bytes}}
	} else {
		vm.Content = &protobundle.VerificationMaterial_PublicKey{PublicKey: &protocommon.PublicKeyIdentifier{Hint: s.KeyID}}
	}
	mt, _ := bundle.MediaTypeString("0.3")
	pb := &protobundle.Bundle{
		MediaType:            mt,
		VerificationMaterial: vm,
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload:     payload,
			PayloadType: env.PayloadType,
			// The keyid is a hint (it picks the key); it must not
			// make the DSSE verifier skip the signature when the key's
			// own id is computed another way.
			Signatures: []*protodsse.Signature{{Sig: sig}},
		}},
	}
	return bundle.NewBundle(pb)
}

// CosignEntry reads one attestation of cosign's .att layout: a DSSE
// envelope and, for keyless signatures, the certificate and the Rekor
// bundle (its signed entry timestamp and entry) that cosign keeps in
// annotations. The entry verifies like a v0.1 Sigstore bundle: the Rekor
// promise is its trusted time.
func CosignEntry(source string, envelope []byte, certPEM, rekorBundle string) Entry {
	sum := sha256.Sum256(envelope)
	e := Entry{Source: source, Format: "cosign attestation", Digest: "sha256:" + hex.EncodeToString(sum[:])}
	if certPEM == "" {
		b, err := envelopeBundle(envelope)
		if err != nil {
			e.Err = fmt.Errorf("%w: %s: DSSE envelope: %w", ErrMalformedBundle, source, err)
			return e
		}
		e.Bundle = b
		checkStatementType(&e)
		return e
	}
	b, err := cosignKeylessBundle(envelope, certPEM, rekorBundle)
	if err != nil {
		e.Err = fmt.Errorf("%w: %s: cosign attestation: %w", ErrMalformedBundle, source, err)
		return e
	}
	e.Bundle = b
	checkStatementType(&e)
	return e
}

// cosignRekorBundle is cosign's dev.sigstore.cosign/bundle annotation.
type cosignRekorBundle struct {
	SignedEntryTimestamp []byte
	Payload              struct {
		Body           string `json:"body"`
		IntegratedTime int64  `json:"integratedTime"`
		LogIndex       int64  `json:"logIndex"`
		LogID          string `json:"logID"`
	}
}

func cosignKeylessBundle(envelope []byte, certPEM, rekorBundle string) (*bundle.Bundle, error) {
	b, err := envelopeBundle(envelope)
	if err != nil {
		return nil, err
	}
	pb := b.Bundle
	var chain []*protocommon.X509Certificate
	rest := []byte(certPEM)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		chain = append(chain, &protocommon.X509Certificate{RawBytes: block.Bytes})
	}
	if len(chain) == 0 {
		return nil, errors.New("certificate annotation holds no PEM certificate")
	}
	pb.VerificationMaterial.Content = &protobundle.VerificationMaterial_X509CertificateChain{
		X509CertificateChain: &protocommon.X509CertificateChain{Certificates: chain},
	}
	if rekorBundle != "" {
		var rb cosignRekorBundle
		if err := json.Unmarshal([]byte(rekorBundle), &rb); err != nil {
			return nil, fmt.Errorf("rekor bundle annotation: %w", err)
		}
		body, err := base64.StdEncoding.DecodeString(rb.Payload.Body)
		if err != nil {
			return nil, fmt.Errorf("rekor bundle body: %w", err)
		}
		logID, err := hex.DecodeString(rb.Payload.LogID)
		if err != nil {
			return nil, fmt.Errorf("rekor bundle log id: %w", err)
		}
		var kind struct {
			Kind       string `json:"kind"`
			APIVersion string `json:"apiVersion"`
		}
		if err := json.Unmarshal(body, &kind); err != nil {
			return nil, fmt.Errorf("rekor entry body: %w", err)
		}
		pb.VerificationMaterial.TlogEntries = []*protorekor.TransparencyLogEntry{{
			LogIndex:          rb.Payload.LogIndex,
			LogId:             &protocommon.LogId{KeyId: logID},
			KindVersion:       &protorekor.KindVersion{Kind: kind.Kind, Version: kind.APIVersion},
			IntegratedTime:    rb.Payload.IntegratedTime,
			InclusionPromise:  &protorekor.InclusionPromise{SignedEntryTimestamp: rb.SignedEntryTimestamp},
			CanonicalizedBody: body,
		}}
	}
	// v0.1: the version whose log entries prove inclusion by promise.
	pb.MediaType, _ = bundle.MediaTypeString("0.1")
	return bundle.NewBundle(pb)
}

// SignedWith says what an entry claims to be signed with, before anything
// is verified: a certificate, or a key named by its hint. A hint that is not
// the base64 key id relproof and cosign write is not repeated ("").
func (e Entry) SignedWith() (certificate bool, keyHint string) {
	if e.Bundle == nil {
		return false, ""
	}
	vc, err := e.Bundle.VerificationContent()
	if err != nil {
		return false, ""
	}
	if vc.Certificate() != nil {
		return true, ""
	}
	if pk := vc.PublicKey(); pk != nil && wellFormedHint(pk.Hint()) {
		return false, pk.Hint()
	}
	return false, ""
}

func wellFormedHint(h string) bool {
	if h == "" || len(h) > 100 {
		return false
	}
	for _, c := range h {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// SameSignature reports a key that two entries share when they carry the
// same DSSE payload and signatures (one attestation stored two ways, say
// as a referrer and in cosign's layout); "" when there is none.
func (e Entry) SameSignature() string {
	if e.Bundle == nil {
		return ""
	}
	env := e.Bundle.GetDsseEnvelope()
	if env == nil {
		return ""
	}
	h := sha256.New()
	h.Write(env.GetPayload())
	for _, s := range env.GetSignatures() {
		h.Write([]byte{0})
		h.Write(s.GetSig())
	}
	return hex.EncodeToString(h.Sum(nil))
}
