package slsagen_test

import (
	"errors"
	"fmt"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	serrors "github.com/slsa-framework/slsa-verifier/v2/errors"

	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify/slsagen"
)

func ExampleVerify() {
	// What the caller got from a verified bundle: the certificate summary
	// (from sigstore-go) and the DSSE payload.
	const builder = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0"
	cert := certificate.Summary{
		SubjectAlternativeName: builder,
		Extensions: certificate.Extensions{
			Issuer:                 "https://token.actions.githubusercontent.com",
			BuildSignerURI:         builder,
			BuildTrigger:           "push",
			SourceRepositoryURI:    "https://github.com/acme/app",
			SourceRepositoryDigest: "0123456789abcdef0123456789abcdef01234567",
			SourceRepositoryRef:    "refs/tags/v1.4.2",
		},
	}
	statement := []byte(`{
	  "_type": "https://in-toto.io/Statement/v0.1",
	  "predicateType": "https://slsa.dev/provenance/v0.2",
	  "subject": [{"name": "app", "digest": {"sha256": "a4e9ae0d2e1de4bb07e8afa5ec77ab0a2bd2e7b8a46ffce1a96ab5ad3dae4b0f"}}],
	  "predicate": {
	    "builder": {"id": "` + builder + `"},
	    "buildType": "https://github.com/slsa-framework/slsa-github-generator/generic@v1",
	    "invocation": {
	      "configSource": {"uri": "git+https://github.com/acme/app@refs/tags/v1.4.2"},
	      "environment": {"github_ref_type": "tag", "github_ref": "refs/tags/v1.4.2"}
	    },
	    "materials": [{"uri": "git+https://github.com/acme/app@refs/tags/v1.4.2", "digest": {"sha1": "0123456789abcdef0123456789abcdef01234567"}}]
	  }
	}`)
	d, _ := subject.ParseDigest("sha256:a4e9ae0d2e1de4bb07e8afa5ec77ab0a2bd2e7b8a46ffce1a96ab5ad3dae4b0f")

	r, err := slsagen.Verify(cert, statement, d, slsagen.Options{
		SourceURI:          "github.com/acme/app",
		SourceVersionedTag: "v1.4",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.BuilderID)
	fmt.Println(r.SourceRef, r.SourceCommit, r.Trigger)

	_, err = slsagen.Verify(cert, statement, d, slsagen.Options{
		SourceURI:          "github.com/acme/app",
		SourceVersionedTag: "v2",
	})
	fmt.Println(errors.Is(err, serrors.ErrorMismatchVersionedTag))
	// Output:
	// https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0
	// refs/tags/v1.4.2 0123456789abcdef0123456789abcdef01234567 push
	// true
}
