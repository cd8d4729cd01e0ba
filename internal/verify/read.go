package verify

import (
	"bufio"
	"bytes"
	"fmt"

	"github.com/sigstore/sigstore-go/pkg/bundle"
)

// Entry is one signed bundle and where it came from.
type Entry struct {
	// Source names the entry for reports: "FILE", "FILE:LINE" for JSONL, or
	// the OCI reference of a referrer.
	Source string
	Bundle *bundle.Bundle
	// Err, when set, says why the entry could not be read as a bundle; the
	// entry is then rejected with it.
	Err error
}

// maxBundleLine bounds one JSONL line; real bundles are a few KiB.
const maxBundleLine = 16 << 20

// ReadBundles parses data as one Sigstore bundle (v0.1 to v0.3 JSON) or as
// JSON Lines of bundles. source names the data in entries and errors. An
// unparseable bundle is an error wrapping ErrMalformedBundle that names the
// source and line.
func ReadBundles(source string, data []byte) ([]Entry, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%w: %s: empty, expected a Sigstore bundle (JSON) or JSON Lines of bundles", ErrMalformedBundle, source)
	}
	var b bundle.Bundle
	if err := b.UnmarshalJSON(trimmed); err == nil {
		return []Entry{{Source: source, Bundle: &b}}, nil
	} else if !bytes.Contains(trimmed, []byte("\n")) {
		return nil, fmt.Errorf("%w: %s: %w", ErrMalformedBundle, source, err)
	}
	var entries []Entry
	sc := bufio.NewScanner(bytes.NewReader(trimmed))
	sc.Buffer(make([]byte, 0, 64<<10), maxBundleLine)
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var b bundle.Bundle
		if err := b.UnmarshalJSON(text); err != nil {
			return nil, fmt.Errorf("%w: %s:%d: %w", ErrMalformedBundle, source, line, err)
		}
		entries = append(entries, Entry{Source: fmt.Sprintf("%s:%d", source, line), Bundle: &b})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrMalformedBundle, source, err)
	}
	return entries, nil
}
