package gate

import (
	"github.com/relproof/relproof/internal/report/safe"
	"github.com/relproof/relproof/internal/verify"
)

// Source is where the release came from — repository, ref, commit and
// builder — as the verified provenance the gate counted says it, and the
// digest of that provenance. For certificate-signed provenance each field
// is the signing certificate's claim (the statement must agree with it to
// count at all); for key-signed provenance, the statement's.
type Source struct {
	Repository string `json:"repository,omitempty"`
	Ref        string `json:"ref,omitempty"`
	Commit     string `json:"commit,omitempty"`
	Builder    string `json:"builder,omitempty"`
	// Provenance is the digest of the verified provenance bundle these
	// were read from, one of the decision's evidence.
	Provenance string `json:"provenance"`
}

// SourceOf reads the source of the release from the first provenance among
// counted, the evidence the gate counted for the digest (the one the source
// and provenance checks read). It is nil when none of it is provenance:
// nothing unverified is ever taken for the source.
func SourceOf(counted []verify.Attestation) *Source {
	for _, a := range counted {
		if TypeOf(a) != "provenance" {
			continue
		}
		s := &Source{
			Repository: safe.Text(sourceRepository(a)),
			Ref:        safe.Text(sourceRef(a)),
			Commit:     safe.Text(sourceCommit(a)),
			Builder:    safe.Text(builderID(a)),
			Provenance: a.Digest,
		}
		return s
	}
	return nil
}

// sourceCommit is the commit the artifact was built from: the signing
// certificate's claim for keyless evidence, else the provenance's.
func sourceCommit(a verify.Attestation) string {
	if a.Certificate != nil && a.Certificate.SourceRepositoryDigest != "" {
		return a.Certificate.SourceRepositoryDigest
	}
	if a.Provenance != nil {
		return a.Provenance.SourceCommit
	}
	return ""
}
