package verify

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	intoto "github.com/in-toto/attestation/go/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"

	"github.com/relproof/relproof/internal/report/safe"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify/slsagen"
)

// Attestation is an entry that verified, with what was verified about it.
type Attestation struct {
	Source string `json:"source"`
	Format string `json:"format"`
	// Kind is KindAttestation for a DSSE in-toto statement, or KindSignature
	// for a plain message signature over the artifact's digest (what
	// `cosign sign-blob --bundle` makes), which has no statement.
	Kind          string `json:"kind"`
	Digest        string `json:"digest"`
	PredicateType string `json:"predicateType,omitempty"`
	// Signer is "key KEYID" or the certificate's subject alternative name.
	Signer string `json:"signer"`
	// Certificate is the signing certificate's identity and GitHub OIDC
	// extensions, for certificate-signed evidence.
	Certificate *certificate.Summary `json:"certificate,omitempty"`
	Provenance  *Provenance          `json:"provenance,omitempty"`
	// SLSA holds what slsa-github-generator's policy verified.
	SLSA *slsagen.Result `json:"slsa,omitempty"`
	// Times are the verified signing times (log entry, timestamp authority).
	Times     []Time            `json:"verifiedTimes,omitempty"`
	Statement *intoto.Statement `json:"-"`
}

// The kinds of signed evidence.
const (
	KindAttestation = "attestation"
	KindSignature   = "signature"
)

// Time is one verified observation of when the signature existed.
type Time struct {
	Source string    `json:"source"`
	Time   time.Time `json:"time"`
}

// Rejection is an entry that did not verify, and why.
type Rejection struct {
	Source string `json:"source"`
	Reason string `json:"reason"`
	Err    error  `json:"-"`
}

// Result reports every entry checked for one subject.
type Result struct {
	Verdict  string        `json:"verdict"` // "verified" or "not verified"
	Subject  string        `json:"subject"`
	Verified []Attestation `json:"verified"`
	Rejected []Rejection   `json:"rejected"`
}

// Verify checks entries for the subject s under p: each entry's statement
// must name s.Digest, or one of s.Alternates when it names the artifact by
// another algorithm. It returns the result and, when no entry verified, an
// error wrapping ErrNotVerified that says why each was rejected. An invalid
// policy is an error that does not.
func Verify(s *subject.Subject, entries []Entry, p Policy) (*Result, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	d := s.Digest
	digests := append([]subject.Digest{d}, s.Alternates...)
	for _, dd := range digests {
		if _, err := hex.DecodeString(dd.Hex); err != nil || dd.Algorithm == "" {
			return nil, fmt.Errorf("subject digest %q is not ALGORITHM:HEX", dd)
		}
	}
	var check checkFunc
	var err error
	if p.Key != nil {
		check, err = keyChecker(p.Key, p.TrustedRoot)
	} else {
		check, err = certChecker(p)
	}
	if err != nil {
		return nil, err
	}
	res := &Result{Subject: d.String(), Verified: []Attestation{}, Rejected: []Rejection{}}
	for _, e := range entries {
		a, err := verifyEntry(e, digests, p, check)
		if err != nil {
			// One printable line: a reason may quote what a certificate or a
			// library said about evidence from outside.
			res.Rejected = append(res.Rejected, Rejection{Source: e.Source, Reason: safe.Text(err.Error()), Err: err})
			continue
		}
		res.Verified = append(res.Verified, *a)
	}
	if len(res.Verified) > 0 {
		res.Verdict = "verified"
		return res, nil
	}
	res.Verdict = "not verified"
	if len(entries) == 0 {
		return res, fmt.Errorf("%w for %s", ErrNoEvidence, d)
	}
	return res, &NotVerifiedError{Result: res}
}

// NotVerifiedError says why each entry was rejected. It matches
// ErrNotVerified and, through errors.Is, the class of every rejection.
type NotVerifiedError struct {
	Result *Result
}

func (e *NotVerifiedError) Error() string {
	reasons := make([]string, 0, len(e.Result.Rejected))
	for _, r := range e.Result.Rejected {
		reasons = append(reasons, fmt.Sprintf("%s: %s", r.Source, r.Reason))
	}
	return fmt.Sprintf("%s: none of %d bundles verified for %s:\n  %s", ErrNotVerified, len(e.Result.Rejected), e.Result.Subject, strings.Join(reasons, "\n  "))
}

func (e *NotVerifiedError) Unwrap() []error {
	errs := []error{ErrNotVerified}
	for _, r := range e.Result.Rejected {
		if r.Err != nil {
			errs = append(errs, r.Err)
		}
	}
	return errs
}

func verifyEntry(e Entry, digests []subject.Digest, p Policy, check checkFunc) (*Attestation, error) {
	switch {
	case e.Err != nil:
		return nil, e.Err
	case e.Bundle == nil:
		return nil, ErrMalformedBundle
	}
	d, err := digestFor(e, digests)
	if err != nil {
		return nil, err
	}
	want, _ := hex.DecodeString(d.Hex)
	r, signer, err := check(e, d.Algorithm, want)
	if err != nil {
		return nil, err
	}
	a := &Attestation{Source: e.Source, Format: e.Format, Kind: KindSignature, Digest: e.Digest, Signer: signer}
	if r.Statement != nil {
		a.Kind = KindAttestation
		a.PredicateType = r.Statement.GetPredicateType()
		a.Provenance = provenanceOf(r.Statement)
		a.Statement = r.Statement
	}
	if r.Signature != nil && r.Signature.Certificate != nil {
		a.Certificate = r.Signature.Certificate
	}
	for _, ts := range r.VerifiedTimestamps {
		if ts.Type == "CurrentTime" {
			continue // not evidence of anything
		}
		a.Times = append(a.Times, Time{Source: ts.Type, Time: ts.Timestamp.UTC()})
	}
	if a.Kind == KindSignature && (p.PredicateType != "" || p.SLSA != nil || p.BuilderID != "") {
		return nil, fmt.Errorf("%w: expected an in-toto attestation (a statement with a predicate), found a plain signature over %s", ErrPredicateType, d)
	}
	if p.PredicateType != "" && a.PredicateType != p.PredicateType {
		return nil, fmt.Errorf("%w: expected %q, found %q", ErrPredicateType, p.PredicateType, a.PredicateType)
	}
	if p.DenySelfHostedRunners {
		if env := a.Certificate.RunnerEnvironment; env != "github-hosted" {
			if env == "" {
				env = "no runner environment"
			}
			return nil, fmt.Errorf("%w: expected a GitHub-hosted runner (--deny-self-hosted-runners), certificate says %s", ErrRunnerEnvironment, env)
		}
	}
	if p.SLSA != nil {
		payload, err := envelopePayload(e)
		if err != nil {
			return nil, err
		}
		res, err := slsagen.Verify(*a.Certificate, payload, d, *p.SLSA)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrProvenancePolicy, err)
		}
		a.SLSA = res
	} else if p.BuilderID != "" {
		if err := matchBuilder(p.BuilderID, a.Provenance); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// digestFor picks the subject digest whose algorithm the entry's statement
// uses (npm names tarballs by sha512) and checks that the statement names
// it, so a mismatch says what was expected and what was found. (sigstore-go
// checks the binding again when it verifies the signature.)
func digestFor(e Entry, digests []subject.Digest) (subject.Digest, error) {
	if ms := e.Bundle.GetMessageSignature(); ms != nil {
		return signedDigestFor(ms.GetMessageDigest(), digests)
	}
	payload, err := envelopePayload(e)
	if err != nil {
		return digests[0], nil // let the signature check say what is wrong
	}
	var st struct {
		Subject []struct {
			Name   string            `json:"name"`
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
	}
	if json.Unmarshal(payload, &st) != nil {
		return digests[0], nil
	}
	// The statement is not verified yet: of what it says, only digests of a
	// well-formed shape are repeated in messages, never its names.
	var named []string
	algs := map[string]bool{}
	for _, s := range st.Subject {
		for alg, h := range s.Digest {
			if !wellFormedDigest(alg, h) {
				continue
			}
			algs[alg] = true
			named = append(named, alg+":"+h)
		}
	}
	sort.Strings(named)
	for _, d := range digests {
		if !algs[d.Algorithm] {
			continue
		}
		for _, s := range st.Subject {
			if s.Digest[d.Algorithm] == d.Hex {
				return d, nil
			}
		}
		if len(named) > 3 {
			named = append(named[:3], fmt.Sprintf("and %d more", len(named)-3))
		}
		return subject.Digest{}, subjectMismatchf("expected %s, the statement names %s", d, strings.Join(named, ", "))
	}
	names := make([]string, 0, len(algs))
	for alg := range algs {
		names = append(names, alg)
	}
	sort.Strings(names)
	known := make([]string, 0, len(digests))
	for _, d := range digests {
		known = append(known, d.Algorithm)
	}
	if len(names) == 0 {
		return subject.Digest{}, subjectMismatchf("the statement names no subject digests")
	}
	return subject.Digest{}, subjectMismatchf("the statement names its subjects by %s only; this subject is known by %s (verify the file itself so it can be hashed, or give the subject as %s:HEX)",
		strings.Join(names, ", "), strings.Join(known, ", "), names[0])
}

// wellFormedDigest reports whether alg:h looks like a digest: a short
// algorithm name of letters and digits (sha256, or in-toto's gitCommit)
// and lower-case hex.
func wellFormedDigest(alg, h string) bool {
	if alg == "" || len(alg) > 16 || h == "" || len(h) > 128 {
		return false
	}
	for _, c := range alg {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	_, err := hex.DecodeString(h)
	return err == nil && strings.ToLower(h) == h
}

// signedDigestFor picks the subject digest of the algorithm a message
// signature signed, and checks it is the one signed.
func signedDigestFor(md *protocommon.HashOutput, digests []subject.Digest) (subject.Digest, error) {
	alg, ok := hashAlgorithms[md.GetAlgorithm()]
	if !ok {
		return subject.Digest{}, fmt.Errorf("%w: the message signature's digest algorithm %s is not one relproof verifies (sha256, sha384, sha512)", ErrMalformedBundle, md.GetAlgorithm())
	}
	signed := subject.Digest{Algorithm: alg, Hex: hex.EncodeToString(md.GetDigest())}
	for _, d := range digests {
		if d.Algorithm != alg {
			continue
		}
		if d.Hex != signed.Hex {
			return subject.Digest{}, subjectMismatchf("expected %s, the signature is over %s", d, signed)
		}
		return d, nil
	}
	known := make([]string, 0, len(digests))
	for _, d := range digests {
		known = append(known, d.Algorithm)
	}
	return subject.Digest{}, subjectMismatchf("the signature is over a %s digest (%s); this subject is known by %s (verify the file itself so it can be hashed, or give the subject as %s)",
		alg, signed, strings.Join(known, ", "), signed)
}

var hashAlgorithms = map[protocommon.HashAlgorithm]string{
	protocommon.HashAlgorithm_SHA2_256: "sha256",
	protocommon.HashAlgorithm_SHA2_384: "sha384",
	protocommon.HashAlgorithm_SHA2_512: "sha512",
}

func envelopePayload(e Entry) ([]byte, error) {
	env, err := e.Bundle.Envelope()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedBundle, err)
	}
	payload, err := env.DecodeB64Payload()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedBundle, err)
	}
	return payload, nil
}

// matchBuilder checks ID or ID@REF against the provenance's builder id.
func matchBuilder(want string, prov *Provenance) error {
	if prov == nil || prov.BuilderID == "" {
		return fmt.Errorf("%w: expected builder %q, the statement is not provenance with a builder id", ErrBuilderMismatch, want)
	}
	got := prov.BuilderID
	if strings.Contains(want, "@") {
		if got != want {
			return fmt.Errorf("%w: expected %q, provenance says %q", ErrBuilderMismatch, want, got)
		}
		return nil
	}
	if name, _, _ := strings.Cut(got, "@"); name != want {
		return fmt.Errorf("%w: expected %q, provenance says %q", ErrBuilderMismatch, want, got)
	}
	return nil
}
