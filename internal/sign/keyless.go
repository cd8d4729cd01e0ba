package sign

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/sethvargo/go-githubactions"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	sgsign "github.com/sigstore/sigstore-go/pkg/sign"
)

// Sigstore instances for keyless signing.
const (
	// Public-good Sigstore: for public repositories.
	PublicGoodFulcio = "https://fulcio.sigstore.dev"
	PublicGoodRekor  = "https://rekor.sigstore.dev"
	// GitHub's Sigstore instance, used by GitHub artifact attestations in
	// private repositories: Fulcio and a timestamp authority, no public log.
	GitHubFulcio = "https://fulcio.githubapp.com"
	GitHubTSA    = "https://timestamp.githubapp.com/api/v1/timestamp"
)

// TokenEnv holds an OIDC identity token for keyless signing outside
// GitHub Actions.
const TokenEnv = "SIGSTORE_ID_TOKEN"

// KeylessOptions configures keyless signing.
type KeylessOptions struct {
	FulcioURL string
	// RekorURL is the transparency log; empty records no log entry (then
	// TSAURL must be set, so the signature has a trusted time).
	RekorURL string
	// RekorVersion is the log's API version: RekorV1 (also when 0) or
	// RekorV2, which needs TSAURL (a Rekor v2 entry has no time).
	RekorVersion uint32
	// TSAURL is an RFC 3161 timestamp authority; empty asks none.
	TSAURL string
	// Getenv reads the environment: SIGSTORE_ID_TOKEN, or the GitHub
	// Actions OIDC request variables.
	Getenv func(string) string
	// Timeout bounds each request to Fulcio, Rekor and the TSA.
	Timeout time.Duration
}

// KeylessSigner signs with a short-lived key certified by Fulcio for the
// workflow's OIDC identity, records the signature in Rekor and/or has it
// timestamped, and throws the key away.
type KeylessSigner struct {
	o        KeylessOptions
	identity string
}

// NewKeylessSigner checks the options; the token is fetched when signing.
func NewKeylessSigner(o KeylessOptions) (*KeylessSigner, error) {
	if o.FulcioURL == "" {
		return nil, errors.New("keyless signing needs a Fulcio URL")
	}
	if o.RekorURL == "" && o.TSAURL == "" {
		return nil, fmt.Errorf("%w: keyless signing needs a transparency log (--rekor-url) or a timestamp authority (--tsa-url): without either the certificate's ten minutes cannot be proven later", ErrNoTrustedTime)
	}
	if err := o.transparency().check(); err != nil {
		return nil, fmt.Errorf("keyless signing: %w", err)
	}
	if o.Getenv == nil {
		return nil, errors.New("keyless signing: no environment")
	}
	if o.Timeout == 0 {
		o.Timeout = defaultTimeout
	}
	return &KeylessSigner{o: o}, nil
}

// defaultTimeout bounds each request to a Sigstore service.
const defaultTimeout = 30 * time.Second

func (o KeylessOptions) transparency() Transparency {
	return Transparency{RekorURL: o.RekorURL, RekorVersion: o.RekorVersion, TSAURL: o.TSAURL}
}

// Identity implements Signer: the certificate identity once signed.
func (k *KeylessSigner) Identity() string {
	if k.identity != "" {
		return k.identity
	}
	return "keyless via " + k.o.FulcioURL
}

// token returns the OIDC identity token: SIGSTORE_ID_TOKEN, or the GitHub
// Actions job's token for audience "sigstore".
func (k *KeylessSigner) token(ctx context.Context) (string, error) {
	if t := k.o.Getenv(TokenEnv); t != "" {
		return t, nil
	}
	if k.o.Getenv("ACTIONS_ID_TOKEN_REQUEST_URL") == "" {
		return "", fmt.Errorf("keyless signing needs an OIDC token: run in GitHub Actions with `permissions: id-token: write`, or set %s; or sign with --key", TokenEnv)
	}
	t, err := githubactions.New(githubactions.WithGetenv(k.o.Getenv)).GetIDToken(ctx, "sigstore")
	if err != nil {
		return "", fmt.Errorf("getting the GitHub Actions OIDC token (does the job have `permissions: id-token: write`?): %s", Redact(err.Error(), k.o.Getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")))
	}
	return t, nil
}

// SignStatement implements Signer.
func (k *KeylessSigner) SignStatement(ctx context.Context, statement []byte) (*protobundle.Bundle, error) {
	return k.sign(ctx, &sgsign.DSSEData{Data: statement, PayloadType: InTotoPayloadType})
}

// SignBlob implements Signer.
func (k *KeylessSigner) SignBlob(ctx context.Context, data []byte) (*protobundle.Bundle, error) {
	return k.sign(ctx, &sgsign.PlainData{Data: data})
}

func (k *KeylessSigner) sign(ctx context.Context, content sgsign.Content) (*protobundle.Bundle, error) {
	tok, err := k.token(ctx)
	if err != nil {
		return nil, err
	}
	kp, err := sgsign.NewEphemeralKeypair(nil)
	if err != nil {
		return nil, err
	}
	opts := sgsign.BundleOptions{
		Context:                    ctx,
		CertificateProvider:        sgsign.NewFulcio(&sgsign.FulcioOptions{BaseURL: k.o.FulcioURL, Timeout: k.o.Timeout, Retries: 2}),
		CertificateProviderOptions: &sgsign.CertificateProviderOptions{IDToken: tok},
	}
	t := k.o.transparency()
	if err := t.apply(&opts, k.o.Timeout); err != nil {
		return nil, fmt.Errorf("keyless signing: %w", err)
	}
	b, err := sgsign.Bundle(content, kp, opts)
	if err != nil {
		return nil, fmt.Errorf("keyless signing (Fulcio %s, Rekor %s, TSA %s): %s", k.o.FulcioURL, t.rekor(), orNone(k.o.TSAURL),
			Redact(err.Error(), tok, k.o.Getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")))
	}
	if raw := b.GetVerificationMaterial().GetCertificate().GetRawBytes(); raw != nil {
		if cert, err := x509.ParseCertificate(raw); err == nil {
			if sum, err := certificate.SummarizeCertificate(cert); err == nil {
				k.identity = sum.SubjectAlternativeName
			}
		}
	}
	return b, nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
