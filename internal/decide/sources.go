package decide

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/relproof/relproof/internal/oci"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

// A Source finds the signed evidence for a subject.
type Source interface {
	Entries(ctx context.Context, s *subject.Subject) ([]verify.Entry, error)
}

// SourceFunc adapts a function to Source (the GitHub attestations API, for
// one).
type SourceFunc func(ctx context.Context, s *subject.Subject) ([]verify.Entry, error)

// Entries implements Source.
func (f SourceFunc) Entries(ctx context.Context, s *subject.Subject) ([]verify.Entry, error) {
	return f(ctx, s)
}

// Read is evidence already read (bundle files): the same entries for every
// subject, each bound to its digest by verification, not by where it lies.
func Read(entries []verify.Entry) Source { return read(entries) }

type read []verify.Entry

func (r read) Entries(context.Context, *subject.Subject) ([]verify.Entry, error) {
	return append([]verify.Entry(nil), r...), nil
}

// Registry reads the evidence attached to an oci:// subject in its registry:
// its OCI 1.1 referrers and cosign's .att layout, one attestation stored
// both ways counted once. Other subjects have none.
func Registry(opts ...remote.Option) Source { return registry(opts) }

type registry []remote.Option

func (opts registry) Entries(ctx context.Context, subj *subject.Subject) ([]verify.Entry, error) {
	ref, ok := subj.OCIReference()
	if !ok {
		return nil, nil
	}
	refs, err := oci.FetchBundles(ctx, ref, opts...)
	if err != nil {
		return nil, err
	}
	var entries []verify.Entry
	seen := map[string]bool{}
	for _, r := range refs {
		e, err := verify.ReadBundles(r.Ref.String(), r.Bundle)
		if err != nil {
			entries = append(entries, verify.Entry{Source: r.Ref.String(), Err: err})
			continue
		}
		for _, x := range e {
			seen[x.SameSignature()] = true
		}
		entries = append(entries, e...)
	}
	layers, err := oci.FetchCosignAttestations(ctx, ref, opts...)
	if err != nil {
		return nil, err
	}
	tag := oci.CosignAttestationTag(ref)
	for i, l := range layers {
		e := verify.CosignEntry(fmt.Sprintf("%s#%d", tag, i), l.Envelope, l.Certificate, l.RekorBundle)
		if k := e.SameSignature(); k != "" && seen[k] {
			continue // the referrer above holds the same attestation
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// Gather reads every source for the subject, concurrently, and returns
// their entries in the order of the sources. The first error wins: a
// source that fails is never read as "no evidence".
func Gather(ctx context.Context, s *subject.Subject, sources ...Source) ([]verify.Entry, error) {
	got := make([][]verify.Entry, len(sources))
	errs := make([]error, len(sources))
	var wg sync.WaitGroup
	for i, src := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = src.Entries(ctx, s)
		}()
	}
	wg.Wait()
	var all []verify.Entry
	for i := range sources {
		if errs[i] != nil {
			return nil, errs[i]
		}
		all = append(all, got[i]...)
	}
	return all, nil
}

// Attestations reads a store of Sigstore bundles by digest — a repository's
// GitHub artifact attestations — through list, which returns the bundles
// stored for a digest; where names the store in each entry's source. A
// bundle that cannot be read is an entry that fails, as a file would.
func Attestations(where string, list func(ctx context.Context, digest string) ([]json.RawMessage, error)) Source {
	return SourceFunc(func(ctx context.Context, s *subject.Subject) ([]verify.Entry, error) {
		digest := s.Digest.String()
		bundles, err := list(ctx, digest)
		if err != nil {
			return nil, err
		}
		var entries []verify.Entry
		for i, b := range bundles {
			source := fmt.Sprintf("%s/attestations/%s#%d", where, digest, i+1)
			e, err := verify.ReadBundles(source, b)
			if err != nil {
				entries = append(entries, verify.Entry{Source: source, Err: err})
				continue
			}
			entries = append(entries, e...)
		}
		return entries, nil
	})
}
