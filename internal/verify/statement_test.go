package verify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/relproof/relproof/internal/attest"
	"github.com/relproof/relproof/internal/sign"
	"github.com/relproof/relproof/internal/subject"
)

// signStatement signs a statement given as JSON, whatever it says, and
// returns the artifact's digest, the bundle JSON and the signer.
func signStatement(t *testing.T, statement func(hex string) string) (subject.Digest, []byte, *sign.KeySigner) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.NewKeySigner(key)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("artifact"))
	d := subject.Digest{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
	pb, err := s.SignStatement(context.Background(), []byte(statement(d.Hex)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := attest.Marshal(pb)
	if err != nil {
		t.Fatal(err)
	}
	return d, b, s
}

// statementOfType is a statement of _type typ (left out when typ is nil).
func statementOfType(typ any) func(string) string {
	return func(hex string) string {
		st := map[string]any{
			"subject":       []any{map[string]any{"name": "app", "digest": map[string]string{"sha256": hex}}},
			"predicateType": customType,
			"predicate":     map[string]any{"ok": true},
		}
		if typ != nil {
			st["_type"] = typ
		}
		b, _ := json.Marshal(st)
		return string(b)
	}
}

// Only in-toto Statement v1 and v0.1 are read as statements: any other
// _type is rejected, naming the type found (made safe to print) and the
// types expected, whether the bundle comes alone, in JSON Lines, or as a
// bare DSSE envelope.
func TestStatementType(t *testing.T) {
	t.Parallel()
	long := "https://example.com/" + strings.Repeat("x", 500)
	for _, tc := range []struct {
		name  string
		typ   any
		found string // what the rejection must say was found; "" means it verifies
	}{
		{name: "v1", typ: "https://in-toto.io/Statement/v1"},
		{name: "v0.1", typ: "https://in-toto.io/Statement/v0.1"},
		{name: "another version", typ: "https://in-toto.io/Statement/v2", found: `found _type "https://in-toto.io/Statement/v2"`},
		{name: "another scheme", typ: "http://in-toto.io/Statement/v1", found: `found _type "http://in-toto.io/Statement/v1"`},
		{name: "a trailing slash", typ: "https://in-toto.io/Statement/v1/", found: `found _type "https://in-toto.io/Statement/v1/"`},
		{name: "empty", typ: "", found: `found _type ""`},
		{name: "absent", typ: nil, found: "found no _type"},
		{name: "not a string", typ: 1, found: "found a _type that is not a string"},
		{name: "control characters", typ: "evil\n::error::\x1b[31mred\u202e", found: `found _type "evil::error::[31mred"`},
		{name: "long", typ: long, found: `found _type "` + long[:100] + `"…`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, b, s := signStatement(t, statementOfType(tc.typ))
			var env struct {
				DSSE struct {
					Payload    string `json:"payload"`
					Signatures []struct {
						Sig string `json:"sig"`
					} `json:"signatures"`
				} `json:"dsseEnvelope"`
			}
			if err := json.Unmarshal(b, &env); err != nil {
				t.Fatal(err)
			}
			envelope, _ := json.Marshal(map[string]any{
				"payloadType": "application/vnd.in-toto+json", "payload": env.DSSE.Payload,
				"signatures": []any{map[string]string{"sig": env.DSSE.Signatures[0].Sig}},
			})
			_, other, _ := fixture(t, elliptic.P256(), "other")
			for _, in := range []struct{ source, data string }{
				{"b.json", string(b)},
				{"b.jsonl", string(other) + "\n" + string(b) + "\n"},
				{"envelope.json", string(envelope)},
			} {
				got, err := ReadBundles(in.source, []byte(in.data))
				if err != nil {
					t.Fatalf("%s: ReadBundles: %v; want the statement read as an entry", in.source, err)
				}
				e := got[len(got)-1]
				if e.Bundle == nil {
					t.Fatalf("%s: the entry lost its bundle: %+v", in.source, e)
				}
				res, err := Verify(&subject.Subject{Digest: d}, []Entry{e}, Policy{Key: s.Public()})
				if tc.found == "" {
					if err != nil {
						t.Fatalf("%s: %v", in.source, err)
					}
					continue
				}
				if err == nil || res == nil || len(res.Rejected) != 1 {
					t.Fatalf("%s: _type %q verified (%+v, %v); want it rejected", in.source, tc.typ, res, err)
				}
				reason := res.Rejected[0].Reason
				if !errors.Is(err, ErrMalformedBundle) || !errors.Is(e.Err, ErrNotVerified) {
					t.Errorf("%s: err = %v; want ErrMalformedBundle", in.source, err)
				}
				for _, want := range []string{e.Source, "expected an in-toto statement of _type https://in-toto.io/Statement/v1 or https://in-toto.io/Statement/v0.1", tc.found} {
					if !strings.Contains(reason, want) {
						t.Errorf("%s: reason %q does not say %q", in.source, reason, want)
					}
				}
				for _, r := range reason {
					if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
						t.Errorf("%s: reason %q holds control character %U", in.source, reason, r)
					}
				}
				if len(reason) > 400 {
					t.Errorf("%s: reason is %d bytes; want the _type cut short", in.source, len(reason))
				}
			}
		})
	}
}

// The same check holds for cosign's .att layout.
func TestStatementTypeCosignEntry(t *testing.T) {
	t.Parallel()
	d, b, s := signStatement(t, statementOfType("https://example.com/Statement/v1"))
	var env struct {
		DSSE struct {
			Payload    string `json:"payload"`
			Signatures []struct {
				Sig string `json:"sig"`
			} `json:"signatures"`
		} `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	payload, _ := base64.StdEncoding.DecodeString(env.DSSE.Payload)
	envelope, _ := json.Marshal(map[string]any{
		"payloadType": "application/vnd.in-toto+json", "payload": base64.StdEncoding.EncodeToString(payload),
		"signatures": []any{map[string]string{"sig": env.DSSE.Signatures[0].Sig}},
	})
	e := CosignEntry("registry/app:sha256-x.att#0", envelope, "", "")
	res, err := Verify(&subject.Subject{Digest: d}, []Entry{e}, Policy{Key: s.Public()})
	if err == nil || len(res.Rejected) != 1 || !strings.Contains(res.Rejected[0].Reason, `found _type "https://example.com/Statement/v1"`) {
		t.Fatalf("Verify = %+v, %v; want the _type rejected", res, err)
	}
}

// What a bundle claims about its key is repeated only when it has the shape
// of a key id: a hint with a line break or markup is not.
func TestSignedWithHint(t *testing.T) {
	t.Parallel()
	bundle := func(hint string) Entry {
		doc := `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":` + strconv.Quote(hint) + `}},"messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"q83vEjRWeJA="},"signature":"AAAA"}}`
		e, err := ReadBundles("b.json", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		return e[0]
	}
	if cert, hint := bundle("TLMsSDfG3ajPsWge+z/vX5T/zluXnmvbkTkwLIV68Tk=").SignedWith(); cert || hint != "TLMsSDfG3ajPsWge+z/vX5T/zluXnmvbkTkwLIV68Tk=" {
		t.Errorf("a key id hint: %v %q", cert, hint)
	}
	for _, h := range []string{"k\n::error::x", "<!--x-->", strings.Repeat("A", 200)} {
		if _, hint := bundle(h).SignedWith(); hint != "" {
			t.Errorf("hint %q repeated as %q", h, hint)
		}
	}
}
