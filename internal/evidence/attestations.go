package evidence

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/relproof/relproof/internal/gate"
)

// attestationFiles maps an evidence type (gate.Type) to its JSONL file.
// Every attestation the decision used goes into one: the other kinds
// (deployment records, verification summaries, custom predicates) into
// otherAttestations.
var attestationFiles = map[string]string{
	"provenance": "04-attestations/provenance.jsonl",
	"sbom":       "04-attestations/sbom-attestation.jsonl",
	"vuln":       "04-attestations/vuln-scan-attestation.jsonl",
	"test":       "04-attestations/test-attestation.jsonl",
	// Plain signatures over the release digest (cosign sign-blob --bundle).
	"signature": "04-attestations/signatures.jsonl",
	"approval":  "04-attestations/approval-attestation.jsonl",
}

// otherAttestations holds the attestations of kinds attestationFiles does
// not name; a pack has it only when the decision used some.
const otherAttestations = "04-attestations/other-attestations.jsonl"

// attestationFile is the file that holds evidence of type typ.
func attestationFile(typ string) string {
	if f, ok := attestationFiles[typ]; ok {
		return f
	}
	return otherAttestations
}

// usesOther reports whether the decision used evidence that goes into
// otherAttestations.
func usesOther(d *gate.Decision) bool {
	for _, e := range d.Evidence {
		if attestationFile(e.Type) == otherAttestations {
			return true
		}
	}
	return false
}

// commitFromProvenance records the built commit, from the verified
// provenance's resolved source, when no commit range was given: the end of
// the range is known, its start is not.
func commitFromProvenance(prov []doc) (piece, bool) {
	for _, pv := range prov {
		st, err := statementOf(pv.data)
		if err != nil {
			continue
		}
		pred, _ := st["predicate"].(map[string]any)
		bd, _ := pred["buildDefinition"].(map[string]any)
		deps, _ := bd["resolvedDependencies"].([]any)
		for _, dep := range deps {
			rd, _ := dep.(map[string]any)
			dg, _ := rd["digest"].(map[string]any)
			commit, _ := dg["gitCommit"].(string)
			if commit == "" {
				commit, _ = dg["sha1"].(string)
			}
			if commit == "" {
				continue
			}
			uri, _ := rd["uri"].(string)
			return have([]byte(fmt.Sprintf("# The built commit, from the verified provenance %s.\n"+
				"# The range's start is not recorded: no commit-range.txt was given (relproof source evidence writes one).\n"+
				"# source: %s\n%s\n", pv.digest, uri, commit))), true
		}
	}
	return piece{}, false
}

// absentReason says why file holds none of the attestations the decision
// used: it used none of its kind, or none of the bundle files given holds
// them (and pack verify then fails on it).
func absentReason(d *gate.Decision, file string, files int) string {
	n := 0
	kind := strings.TrimSuffix(strings.TrimPrefix(file, "04-attestations/"), ".jsonl")
	for _, e := range d.Evidence {
		if attestationFile(e.Type) == file {
			n++
			kind = e.Type
		}
	}
	switch {
	case n == 0 && file == attestationFiles["signature"]:
		return fmt.Sprintf("the gate decision lists no verified signature over %s", d.Digest)
	case n == 0:
		return fmt.Sprintf("the gate decision lists no verified %s attestation for %s", kind, d.Digest)
	}
	return fmt.Sprintf("the gate decision lists %d verified %s attestation(s) for %s, but none of the %d bundle file(s) given holds them: pack verify fails until the pack holds every attestation the decision used", n, kind, d.Digest, files)
}

// doc is one signed document from a bundle file.
type doc struct {
	digest string // as the gate decision lists it
	typ    string // as the gate decision lists it
	signer string // as the gate decision lists it
	data   []byte // compact JSON, one line
}

// selectBundles picks, from the given files, the documents the decision
// lists as verified evidence (by the digest of the document's bytes, as
// verify.ReadBundles computes it), grouped by evidence type and sorted.
func selectBundles(d *gate.Decision, files []File) (map[string][]doc, error) {
	want := map[string]gate.Evidence{}
	for _, e := range d.Evidence {
		want[e.Digest] = e
	}
	seen := map[string]bool{}
	out := map[string][]doc{}
	for _, f := range files {
		docs, err := splitDocs(f)
		if err != nil {
			return nil, err
		}
		for _, raw := range docs {
			sum := sha256.Sum256(raw)
			dg := "sha256:" + hex.EncodeToString(sum[:])
			ev, ok := want[dg]
			if !ok || seen[dg] {
				continue
			}
			seen[dg] = true
			var c bytes.Buffer
			if err := json.Compact(&c, raw); err != nil {
				return nil, fmt.Errorf("bundle %s: expected JSON, found: %w", f.Name, err)
			}
			out[ev.Type] = append(out[ev.Type], doc{digest: dg, typ: ev.Type, signer: ev.Signer, data: c.Bytes()})
		}
	}
	for _, docs := range out {
		sort.Slice(docs, func(i, j int) bool { return docs[i].digest < docs[j].digest })
	}
	return out, nil
}

// splitDocs splits a file as verify.ReadBundles does: one JSON document, or
// JSON Lines.
func splitDocs(f File) ([][]byte, error) {
	trimmed := bytes.TrimSpace(f.Data)
	if len(trimmed) == 0 {
		return nil, nil
	}
	if json.Valid(trimmed) {
		return [][]byte{trimmed}, nil
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(trimmed))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		if t := bytes.TrimSpace(sc.Bytes()); len(t) > 0 && json.Valid(t) {
			out = append(out, append([]byte(nil), t...))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("bundle %s: expected JSON Lines, found: %w", f.Name, err)
	}
	return out, nil
}

// statementOf decodes the in-toto statement a bundle or envelope carries.
func statementOf(data []byte) (map[string]any, error) {
	var b struct {
		DsseEnvelope *struct {
			Payload string `json:"payload"`
		} `json:"dsseEnvelope"`
		Payload *string `json:"payload"`
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, err
	}
	var payload string
	switch {
	case b.DsseEnvelope != nil:
		payload = b.DsseEnvelope.Payload
	case b.Payload != nil:
		payload = *b.Payload
	default:
		return nil, errors.New("no DSSE envelope")
	}
	raw, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return nil, err
	}
	var st map[string]any
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, err
	}
	return st, nil
}

func runnerMetadata(prov []doc) piece {
	if len(prov) == 0 {
		return missing("no verified provenance in the pack, and the runner metadata is read from it")
	}
	st, err := statementOf(prov[0].data)
	if err != nil {
		return missing("the provenance statement could not be decoded: %v", err)
	}
	pred, _ := st["predicate"].(map[string]any)
	rd, _ := pred["runDetails"].(map[string]any)
	bd, _ := pred["buildDefinition"].(map[string]any)
	if rd == nil {
		return missing("the provenance (%s) has no runDetails", prov[0].digest)
	}
	meta := map[string]any{"provenance": prov[0].digest, "runDetails": rd}
	if bd != nil && bd["internalParameters"] != nil {
		meta["internalParameters"] = bd["internalParameters"]
	}
	b, err := marshalJSON(meta)
	if err != nil {
		return missing("the runner metadata could not be encoded: %v", err)
	}
	return have(b)
}

func sbomPiece(sboms []doc) piece {
	if len(sboms) == 0 {
		return missing("the gate decision lists no verified SBOM attestation for this digest")
	}
	for _, s := range sboms {
		st, err := statementOf(s.data)
		if err != nil {
			continue
		}
		pt, _ := st["predicateType"].(string)
		if !strings.HasPrefix(pt, "https://spdx.dev/Document") {
			continue
		}
		b, err := marshalJSON(st["predicate"])
		if err != nil {
			continue
		}
		return have(b)
	}
	return missing("the verified SBOM attestations hold no SPDX document (%d found, none with predicate type https://spdx.dev/Document)", len(sboms))
}
