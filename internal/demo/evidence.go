package demo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	intoto "github.com/in-toto/attestation/go/v1"

	"github.com/relproof/relproof/internal/attest"
	"github.com/relproof/relproof/internal/evidence"
	"github.com/relproof/relproof/internal/fsutil"
	"github.com/relproof/relproof/internal/oci"
	"github.com/relproof/relproof/internal/sign"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

// resolveDigest resolves the pushed tag once, records the resolution, and
// shows that a verifying command refuses the tag and names the digest.
func (r *run) resolveDigest(ctx context.Context) error {
	input := "oci://" + r.res.Tag
	var tagOnly *subject.TagOnlyError
	if _, err := subject.Resolve(ctx, input, subject.RequireDigest()); !errors.As(err, &tagOnly) {
		return fmt.Errorf("expected %s to be refused as tag-only, got %v", input, err)
	}
	s, err := subject.Resolve(ctx, input)
	if err != nil {
		return err
	}
	ref, ok := s.OCIReference()
	if !ok {
		return fmt.Errorf("%s did not resolve to a registry reference", input)
	}
	r.subject, r.ref = s, ref
	r.res.Image, r.res.Digest, r.res.Resolution = ref.String(), s.Digest.String(), s.Resolution
	fmt.Fprintf(r.opts.Log, "      %s -> %s (from here on only the digest travels)\n", r.res.Tag, s.Digest)
	return nil
}

// makeKey generates a throwaway key pair and keeps it beside the evidence.
func (r *run) makeKey(context.Context) error {
	kp, err := sign.GenerateKeyPair(nil)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(r.path("keys"), 0o755); err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(r.path("keys", "demo.key"), kp.PrivatePEM, 0o600); err != nil {
		return err
	}
	r.res.PublicKey = r.path("keys", "demo.pub")
	if err := fsutil.WriteFileAtomic(r.res.PublicKey, kp.PublicPEM, 0o644); err != nil {
		return err
	}
	key, err := sign.ParsePrivateKey("demo.key", kp.PrivatePEM, nil)
	if err != nil {
		return err
	}
	if r.signer, err = sign.NewKeySigner(key); err != nil {
		return err
	}
	r.pub = r.signer.Public()
	r.res.Signer = r.signer.Identity()
	return nil
}

// attestProvenance describes the build from the demo's git repository. The
// environment is empty on purpose: even inside GitHub Actions the demo image
// was not built by the workflow, and its provenance must not say so.
func (r *run) attestProvenance(ctx context.Context) error {
	return r.attest(ctx, attest.Request{
		Type:       attest.TypeProvenance,
		Provenance: attest.ProvenanceInput{Getenv: func(string) string { return "" }, Dir: r.repoDir},
	}, "")
}

// attest builds one statement for the digest and publishes it.
func (r *run) attest(ctx context.Context, req attest.Request, inputFile string) error {
	req.Subject = r.subject
	st, err := attest.Build(req)
	if err != nil {
		return err
	}
	return r.publish(ctx, string(req.Type), st, inputFile)
}

// publish signs st, keeps the bundle beside the other evidence and pushes
// it as a referrer of the digest, as attest does for the statements it
// builds from an attest.Request.
func (r *run) publish(ctx context.Context, typ string, st *intoto.Statement, inputFile string) error {
	bundle, err := attest.Sign(ctx, r.signer, st)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(r.path("evidence"), 0o755); err != nil {
		return err
	}
	file := r.path("evidence", typ+".sigstore.json")
	if err := fsutil.WriteFileAtomic(file, append(bundle, '\n'), 0o644); err != nil {
		return err
	}
	ref, err := oci.PushBundle(ctx, r.ref, bundle, st.GetPredicateType(), sourceTime.Format(time.RFC3339))
	if err != nil {
		return err
	}
	r.bundles = append(r.bundles, evidence.File{Name: file, Data: bundle})
	r.res.Evidence = append(r.res.Evidence, Evidence{
		Type:          typ,
		PredicateType: st.GetPredicateType(),
		Input:         inputFile,
		BundleFile:    file,
		Referrer:      ref.String(),
	})
	fmt.Fprintf(r.opts.Log, "      %s -> referrer %s\n", st.GetPredicateType(), ref.DigestStr())
	return nil
}

// verifyBack reads the referrers of the digest from the registry and
// verifies every bundle with the public key; all must verify. The entries
// are kept for the gate.
func (r *run) verifyBack(ctx context.Context) error {
	refs, err := oci.FetchBundles(ctx, r.ref)
	if err != nil {
		return err
	}
	var entries []verify.Entry
	for _, ref := range refs {
		e, err := verify.ReadBundles(ref.Ref.String(), ref.Bundle)
		if err != nil {
			return err
		}
		entries = append(entries, e...)
	}
	res, err := verify.Verify(r.subject, entries, verify.Policy{Key: r.pub})
	if err != nil {
		return err
	}
	if len(res.Rejected) > 0 || len(res.Verified) != len(r.res.Evidence) {
		return fmt.Errorf("%w: %d of %d bundles verified, expected all %d the demo made", verify.ErrNotVerified, len(res.Verified), len(entries), len(r.res.Evidence))
	}
	r.res.Verified = len(res.Verified)
	r.entries = entries // the gate reads the same evidence
	fmt.Fprintf(r.opts.Log, "      %d of %d bundles verified for %s\n", len(res.Verified), len(entries), r.subject.Digest)
	return nil
}
