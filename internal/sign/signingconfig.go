package sign

import (
	"fmt"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	sgsign "github.com/sigstore/sigstore-go/pkg/sign"
)

// Services are the Sigstore services a signature goes to.
type Services struct {
	// FulcioURL is the certificate authority for keyless signing.
	FulcioURL string
	Transparency
}

// API versions of each kind of service that relproof's signers speak.
var (
	fulcioAPIVersions = []uint32{1}
	rekorAPIVersions  = sgsign.RekorAPIVersions // 1 and 2
	tsaAPIVersions    = []uint32{1}
)

// ServicesFromSigningConfig chooses the services to sign with from a
// Sigstore signing config (signing_config.json, media type v0.2), by
// sigstore-go's rule (root.SelectService): of each kind, the service valid
// at now with the highest API version relproof speaks (Fulcio 1, Rekor 1 or
// 2, TSA 1), the newest first. One log and one timestamp authority are
// chosen whatever the config's selectors ask. A kind the config does not
// list is left empty; one it lists with no service that fits is an error.
// The OIDC provider URLs are not read: the token comes from the
// environment.
func ServicesFromSigningConfig(data []byte, now time.Time) (Services, error) {
	sc, err := root.NewSigningConfigFromJSON(data)
	if err != nil {
		return Services{}, fmt.Errorf("expected a Sigstore signing config (mediaType %q): %w", root.SigningConfigMediaType02, err)
	}
	var s Services
	fulcio, err := selectService("Fulcio (caUrls)", sc.FulcioCertificateAuthorityURLs(), fulcioAPIVersions, now)
	if err != nil {
		return Services{}, err
	}
	rekor, err := selectService("Rekor log (rekorTlogUrls)", sc.RekorLogURLs(), rekorAPIVersions, now)
	if err != nil {
		return Services{}, err
	}
	tsa, err := selectService("timestamp authority (tsaUrls)", sc.TimestampAuthorityURLs(), tsaAPIVersions, now)
	if err != nil {
		return Services{}, err
	}
	s.FulcioURL = fulcio.URL
	s.RekorURL, s.RekorVersion = rekor.URL, rekor.MajorAPIVersion
	s.TSAURL = tsa.URL
	return s, nil
}

// selectService is root.SelectService, with an empty list choosing nothing
// and a refusal that says what was listed.
func selectService(what string, services []root.Service, versions []uint32, now time.Time) (root.Service, error) {
	if len(services) == 0 {
		return root.Service{}, nil
	}
	svc, err := root.SelectService(services, versions, now)
	if err != nil {
		var listed []string
		for _, s := range services {
			listed = append(listed, describeService(s))
		}
		return root.Service{}, fmt.Errorf("no %s with API version %v valid at %s; the config lists %v", what, versions, now.UTC().Format(time.RFC3339), listed)
	}
	if svc.URL == "" {
		return root.Service{}, fmt.Errorf("the %s chosen has no url", what)
	}
	return svc, nil
}

func describeService(s root.Service) string {
	valid := "from " + s.ValidityPeriodStart.UTC().Format(time.RFC3339)
	if s.ValidityPeriodStart.IsZero() {
		valid = "from any time"
	}
	if !s.ValidityPeriodEnd.IsZero() {
		valid += " to " + s.ValidityPeriodEnd.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("%q v%d %s", s.URL, s.MajorAPIVersion, valid)
}
