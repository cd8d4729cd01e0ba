package demo

import (
	"context"
	"fmt"

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
