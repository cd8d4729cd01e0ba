package verify

import (
	"crypto/elliptic"
	"errors"
	"strings"
	"testing"
)

// Data with nothing readable as evidence in it is an error, however many
// lines it has; data with one readable entry is a set of entries, the
// unreadable lines among them rejected on their own.
func TestReadBundlesHoldsNoEvidence(t *testing.T) {
	t.Parallel()
	_, good, _ := fixture(t, elliptic.P256(), "artifact")
	_, wrongType, _ := signStatement(t, statementOfType("https://in-toto.io/Statement/v2"))
	for _, tc := range []struct {
		name, data string
		err        []string // what the error says; nil means entries
		entries    int
	}{
		{name: "lines of text", data: "hello\nworld\n", err: []string{"b.jsonl: expected a Sigstore bundle or a DSSE envelope on at least one of its 2 lines, found none", "b.jsonl:1: not JSON", "b.jsonl:2: not JSON"}},
		{name: "JSON lines of something else", data: "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n{\"d\":4}\n", err: []string{"at least one of its 4 lines", "b.jsonl:3", "and 1 more"}},
		{name: "one good line", data: "hello\n" + string(good) + "\n", entries: 2},
		{name: "a statement of another _type is read, and rejected later", data: string(wrongType), entries: 1},
		{name: "two of them", data: string(wrongType) + "\n" + string(wrongType) + "\n", entries: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ReadBundles("b.jsonl", []byte(tc.data))
			if tc.err == nil {
				if err != nil || len(got) != tc.entries {
					t.Fatalf("ReadBundles = %d entries, %v; want %d entries", len(got), err, tc.entries)
				}
				return
			}
			if !errors.Is(err, ErrMalformedBundle) {
				t.Fatalf("ReadBundles = %+v, %v; want ErrMalformedBundle", got, err)
			}
			for _, want := range tc.err {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("err = %q, want it to say %q", err, want)
				}
			}
		})
	}
}
