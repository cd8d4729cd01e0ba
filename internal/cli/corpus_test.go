package cli

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	serrors "github.com/slsa-framework/slsa-verifier/v2/errors"

	"github.com/relproof/relproof/internal/verify"
)

const corpusDir = "../../testdata/corpus"

// corpusCase is one verification case of testdata/corpus/cases.json.
type corpusCase struct {
	Name        string         `json:"name"`
	Kind        string         `json:"kind"`
	Bundle      string         `json:"bundle"`
	Subject     *string        `json:"subject"`
	TrustedRoot string         `json:"trusted_root"`
	Flags       map[string]any `json:"flags"`
	Expect      string         `json:"expect"`
	Why         string         `json:"why"`
}

func loadCases(t testing.TB) []corpusCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []corpusCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Cases
}

// args turns a case into the relproof verify command line.
func (c corpusCase) args(t testing.TB) []string {
	t.Helper()
	args := []string{"verify", c.subject(t), "--bundle", filepath.Join(corpusDir, c.Bundle)}
	if c.TrustedRoot != "" {
		args = append(args, "--trusted-root", filepath.Join(corpusDir, c.TrustedRoot))
	}
	names := make([]string, 0, len(c.Flags))
	for k := range c.Flags {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		switch v := c.Flags[k].(type) {
		case bool:
			if v {
				args = append(args, "--"+k)
			}
		case string:
			args = append(args, "--"+k, v)
		default:
			t.Fatalf("case %s: flag %s has type %T", c.Name, k, v)
		}
	}
	return args
}

// subject is the case's SUBJECT argument: a file, the digest in a .digest
// file, a literal digest, or — when the case names none — the first subject
// digest of the bundle's own statement (the case then tests the signature
// and trust, not the binding to an artifact).
func (c corpusCase) subject(t testing.TB) string {
	t.Helper()
	if c.Subject == nil {
		return statementDigest(t, filepath.Join(corpusDir, c.Bundle))
	}
	s := *c.Subject
	switch {
	case strings.HasPrefix(s, "sha256:"), strings.HasPrefix(s, "sha512:"):
		return s
	case strings.HasSuffix(s, ".digest"):
		data, err := os.ReadFile(filepath.Join(corpusDir, s))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Fields(string(data))[0]
	default:
		return filepath.Join(corpusDir, s)
	}
}

func statementDigest(t testing.TB, bundlePath string) string {
	t.Helper()
	data, err := os.ReadFile(bundlePath)
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		DSSE *struct {
			Payload string `json:"payload"`
		} `json:"dsseEnvelope"`
	}
	if json.Unmarshal(data, &b) != nil || b.DSSE == nil {
		return "sha256:" + strings.Repeat("0", 64) // unreadable: the case fails before the subject matters
	}
	payload, err := base64.StdEncoding.DecodeString(b.DSSE.Payload)
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Subject []struct {
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
	}
	if err := json.Unmarshal(payload, &st); err != nil || len(st.Subject) == 0 {
		t.Fatalf("%s: statement has no subject: %v", bundlePath, err)
	}
	for _, alg := range []string{"sha256", "sha512"} {
		if h, ok := st.Subject[0].Digest[alg]; ok {
			return alg + ":" + h
		}
	}
	t.Fatalf("%s: statement subject has no sha256 or sha512 digest", bundlePath)
	return ""
}

// otherAlgorithm returns the statement's own digest when the case gives a
// sha256 .digest line and the statement names no sha256 digest at all.
func (c corpusCase) otherAlgorithm(t testing.TB) string {
	t.Helper()
	if c.Subject == nil || !strings.HasSuffix(*c.Subject, ".digest") {
		return ""
	}
	data, err := os.ReadFile(filepath.Join(corpusDir, c.Bundle))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := verify.ReadBundles(c.Bundle, data)
	if err != nil {
		return ""
	}
	other := ""
	for _, e := range entries {
		if e.Bundle == nil {
			continue
		}
		env, err := e.Bundle.Envelope()
		if err != nil {
			continue
		}
		payload, err := env.DecodeB64Payload()
		if err != nil {
			continue
		}
		var st struct {
			Subject []struct {
				Digest map[string]string `json:"digest"`
			} `json:"subject"`
		}
		if json.Unmarshal(payload, &st) != nil {
			continue
		}
		for _, sub := range st.Subject {
			if _, ok := sub.Digest["sha256"]; ok {
				return ""
			}
			if h, ok := sub.Digest["sha512"]; ok && other == "" {
				other = "sha512:" + h
			}
		}
	}
	return other
}

// slsaErrors are slsa-verifier's error classes named in cases.json.
var slsaErrors = map[string]error{
	"ErrorMismatchBranch":       serrors.ErrorMismatchBranch,
	"ErrorMismatchSource":       serrors.ErrorMismatchSource,
	"ErrorInvalidRef":           serrors.ErrorInvalidRef,
	"ErrorMismatchVersionedTag": serrors.ErrorMismatchVersionedTag,
	"ErrorMismatchTag":          serrors.ErrorMismatchTag,
	"ErrorMismatchHash":         serrors.ErrorMismatchHash,
}

// Every case of the corpus gives its expected verdict through the verify
// command, offline.
func TestVerifyCorpusCases(t *testing.T) {
	t.Parallel()
	cases := loadCases(t)
	if len(cases) < 40 {
		t.Fatalf("cases.json has %d cases; expected the whole corpus", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			args := c.args(t)
			if alt := c.otherAlgorithm(t); alt != "" {
				// The corpus replaced this artifact by its sha256, but the
				// statement names it by another algorithm only (npm uses
				// sha512). Binding the sha256 must fail — never be skipped —
				// and the case's verdict on signature, trust and identity is
				// then checked with the statement's own digest.
				r := run(t, testEnv(t, nil), args...)
				if r.code != 1 || !errors.Is(r.err, verify.ErrSubjectMismatch) || !strings.Contains(r.errText(), "only; this subject is known by sha256") {
					t.Fatalf("a sha256 subject against a statement naming only %s: exit %d, %v; want a subject mismatch", strings.Split(alt, ":")[0], r.code, r.err)
				}
				args[1] = alt
			}
			r := run(t, testEnv(t, nil), args...)
			want := map[string]int{"pass": 0, "fail": 1}[c.Expect]
			if r.code != want {
				t.Fatalf("%s: exit %d, want %d (%s)\nerror: %v\nstdout:\n%s", c.Expect, r.code, want, c.Why, r.err, r.stdout)
			}
			if c.Expect == "fail" {
				if !errors.Is(r.err, verify.ErrNotVerified) {
					t.Errorf("error %v is not ErrNotVerified", r.err)
				}
				if sentinel, ok := slsaErrors[c.Why]; ok && !errors.Is(r.err, sentinel) {
					t.Errorf("error is not %s:\n%v", c.Why, r.err)
				}
			}
		})
	}
}
