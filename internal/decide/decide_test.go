package decide

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/relproof/relproof/internal/attest"
	"github.com/relproof/relproof/internal/gate"
	"github.com/relproof/relproof/internal/policy"
	"github.com/relproof/relproof/internal/sign"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/testing/keytest"
	"github.com/relproof/relproof/internal/verify"
)

func digest(b byte) subject.Digest {
	return subject.Digest{Algorithm: "sha256", Hex: strings.Repeat(string("0123456789abcdef"[b%16]), 64)}
}

// world is a key, a policy that lists it, and provenance it signed for
// two digests: the release and the one before it.
type world struct {
	pol      *policy.Policy
	release  *subject.Subject
	previous subject.Digest
	entries  []verify.Entry
	signer   sign.Signer
}

func newWorld(t *testing.T) world {
	t.Helper()
	signer, pub := keytest.Signer(t)
	pol, err := policy.Parse("policy.yaml", []byte(`apiVersion: relproof.dev/v1
kind: Policy
environments:
  staging:
    level: minimum
    signers: {build: [{key: build.pub}], deployment: [{key: build.pub}]}
    approvals: {minimum: 0}
`), func(string) ([]byte, error) { return pub, nil })
	if err != nil {
		t.Fatal(err)
	}
	w := world{pol: pol, release: &subject.Subject{Kind: subject.KindDigest, Digest: digest(1)}, previous: digest(2), signer: signer}
	for _, d := range []subject.Digest{w.release.Digest, w.previous} {
		pred, _ := structpb.NewStruct(map[string]any{"runDetails": map[string]any{"builder": map[string]any{"id": "https://example.com/builder"}}})
		st, err := attest.NewStatement(&subject.Subject{Kind: subject.KindDigest, Digest: d}, attest.ProvenanceType, pred)
		if err != nil {
			t.Fatal(err)
		}
		b, err := attest.Sign(context.Background(), signer, st)
		if err != nil {
			t.Fatal(err)
		}
		e, err := verify.ReadBundles("provenance-"+d.Hex[:4]+".json", b)
		if err != nil {
			t.Fatal(err)
		}
		w.entries = append(w.entries, e...)
	}
	return w
}

func check(d *gate.Decision, id string) *gate.Check {
	for i := range d.Checks {
		if d.Checks[i].ID == id {
			return &d.Checks[i]
		}
	}
	return nil
}

func TestDecide(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	req := func() Request {
		return Request{Subject: w.release, Policy: w.pol, Environment: "staging", Sources: []Source{Read(w.entries)}, Now: time.Unix(0, 0)}
	}

	d, err := Decide(ctx, req())
	if err != nil {
		t.Fatal(err)
	}
	if c := check(d, "required-provenance"); c == nil || c.Status != gate.Pass {
		t.Errorf("provenance: %+v; want pass", c)
	}
	if len(d.Evidence) != 1 {
		t.Errorf("evidence %+v; want only the release's provenance, not the previous digest's", d.Evidence)
	}

	// The rollback digest's provenance is found in the same sources and
	// verified under the same signers.
	r := req()
	r.Rollback = w.previous.String()
	if d, err = Decide(ctx, r); err != nil {
		t.Fatal(err)
	}
	if c := check(d, "rollback"); c == nil || c.Status != gate.Pass {
		t.Errorf("rollback: %+v; want pass for a digest with verified provenance", c)
	}
	r.Rollback = digest(3).String()
	if d, err = Decide(ctx, r); err != nil {
		t.Fatal(err)
	}
	if c := check(d, "rollback"); c == nil || c.Status == gate.Pass {
		t.Errorf("rollback: %+v; want no pass for a digest nobody attested", c)
	}
}

func TestDecideBadInput(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, tc := range []struct {
		name string
		edit func(*Request)
		want string
	}{
		{"unknown environment", func(r *Request) { r.Environment = "prod" }, "prod"},
		{"rollback is no digest", func(r *Request) { r.Rollback = "v1.2.3" }, `rollback digest "v1.2.3"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := Request{Subject: w.release, Policy: w.pol, Environment: "staging"}
			tc.edit(&r)
			_, err := Decide(context.Background(), r)
			if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v; want ErrInput saying %q", err, tc.want)
			}
		})
	}
}

// A source that fails fails the decision: it is never read as "no
// evidence", which a policy could take for an allow.
func TestGatherFailsClosed(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	boom := errors.New("registry answered 503")
	failing := SourceFunc(func(context.Context, *subject.Subject) ([]verify.Entry, error) { return nil, boom })
	_, err := Decide(context.Background(), Request{Subject: w.release, Policy: w.pol, Environment: "staging", Sources: []Source{Read(w.entries), failing}})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v; want the source's error", err)
	}
	got, err := Gather(context.Background(), w.release, Read(w.entries[1:]), Read(w.entries[:1]))
	if err != nil || len(got) != 2 || got[0].Source != w.entries[1].Source {
		t.Errorf("Gather = %v, %v; want both entries in the order of the sources", got, err)
	}
}
