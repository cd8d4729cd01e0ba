package demo

import (
	"context"
	"fmt"
	"os"
	"time"

	intoto "github.com/in-toto/attestation/go/v1"

	"github.com/relproof/relproof/internal/attest"
	"github.com/relproof/relproof/internal/fsutil"
	"github.com/relproof/relproof/internal/oci"
	"github.com/relproof/relproof/internal/sbom"
)

// attestSBOM makes the SBOM of the pushed image, pulled by its digest, with
// syft, and attests it for that digest: the inventory is evidence about
// exactly the image the other evidence is about, and the document itself
// names the digest.
func (r *run) attestSBOM(ctx context.Context) error {
	src, err := sbom.ParseSource("oci://" + r.ref.String())
	if err != nil {
		return err
	}
	res, err := sbom.Generate(ctx, src, sbom.WithFormat(sbom.SPDXJSON))
	if err != nil {
		return err
	}
	if res.Subject.Digest != r.subject.Digest {
		return fmt.Errorf("SBOM of %s, expected one of %s", res.Subject.Digest, r.subject.Digest)
	}
	file, err := r.writeReport("sbom.spdx.json", res.Document)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.opts.Log, "      %s (%s, by syft %s): %d packages, the document names %s\n",
		file, sbom.SPDXJSON, sbom.SyftVersion(), len(res.Packages), res.Subject.Digest)
	st, err := res.Statement()
	if err != nil {
		return err
	}
	return r.publish(ctx, "sbom", st, file)
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
