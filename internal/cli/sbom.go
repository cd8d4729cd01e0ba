package cli

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/relproof/relproof/internal/attest"
	"github.com/relproof/relproof/internal/fsutil"
	"github.com/relproof/relproof/internal/oci"
	"github.com/relproof/relproof/internal/sbom"
	"github.com/relproof/relproof/internal/sign"
	"github.com/relproof/relproof/internal/subject"
)

type sbomOptions struct {
	format   string
	out      string
	attest   bool
	signing  signingOptions
	store    storeOptions
	cacheDir string
	noCache  bool
	verbose  bool
}

// sbomReport is what `sbom` reports: the SBOM, whether it was cached, and
// where it and its attestation went.
type sbomReport struct {
	Subject     string              `json:"subject"`
	Digest      string              `json:"digest"`
	Kind        string              `json:"kind"`
	Resolution  *subject.Resolution `json:"resolution,omitempty"`
	Format      string              `json:"format"`
	Tool        string              `json:"tool"`
	Document    string              `json:"document"` // the file, or "-" for stdout
	Cached      *sbom.CacheHit      `json:"cached,omitempty"`
	Packages    []sbom.Package      `json:"packages"`
	Attestation *sbomAttestation    `json:"attestation,omitempty"`
}

type sbomAttestation struct {
	PredicateType string `json:"predicateType"`
	Signer        string `json:"signer"`
	BundleFile    string `json:"bundleFile,omitempty"`
	Referrer      string `json:"referrer,omitempty"`
	CosignTag     string `json:"cosignTag,omitempty"`
	GitHubID      int64  `json:"githubAttestationId,omitempty"`
	// Existing is set when the attestation was already among the subject's
	// referrers (a registry cache hit) and was not made or pushed again.
	Existing bool `json:"existing,omitempty"`
}

func newSBOMCmd(env *Env, g *globalOptions) *cobra.Command {
	o := &sbomOptions{}
	cmd := &cobra.Command{
		Use:   "sbom SUBJECT [--format spdx-json|cyclonedx-json] [--out FILE] [--attest [--key KEY] (--bundle-out FILE | --push | --github-upload)]",
		Short: "Make the SBOM of exactly one artifact digest, with syft",
		Long: `Catalog the packages in SUBJECT with syft (as a library, with its default
catalogers) and write an SPDX 2.3 JSON or CycloneDX 1.6 JSON document, encoded
by syft, that names the subject's digest: SPDX's described package carries it
as a checksum, CycloneDX's metadata.component as a hash.

SUBJECT is one of:
  oci://HOST/REPO@sha256:HEX   an image in a registry, pulled by digest. A tag
                               (oci://HOST/REPO:TAG) is resolved once to its
                               digest, the resolution reported, and only the
                               digest is used after that
  oci-layout:DIR@sha256:HEX    an image in an OCI layout (DIR alone when it
                               holds one image)
  docker-archive:FILE          a docker save archive; its digest is the image
                               ID (the config digest), since the archive does
                               not carry a registry's manifest digest
  dir:PATH                     a directory; its digest is SHA-256 over the
                               sorted lines "SHA256-OF-CONTENT  PATH" of its
                               files (what sha256sum prints), links counted by
                               their target text, modes and times not counted;
                               a tree that changes while it is cataloged fails
  file:PATH                    a file; its SHA-256
  PATH                         dir: or file:, whichever PATH is
An image index (multi-platform) is refused with each platform's digest.

The document goes to --out FILE (written whole or not at all), or to stdout;
the report goes to stdout when the document is in a file, else to stderr.

--attest signs an in-toto statement (predicate type https://spdx.dev/Document
or https://cyclonedx.org/bom) whose predicate is the document, for the digest,
as relproof attest does: written to --bundle-out, pushed with --push (an
oci:// subject: an OCI 1.1 referrer and cosign's .att layout), and/or stored
with --github-upload.

Cache: an SBOM already made for the same digest, format and syft version is
returned instead of cataloging again, and the report says "cached": from the
local cache directory, or, with --attest by a key and an oci:// subject, from
a signed SBOM attestation among the subject's referrers that verifies with
that key (then nothing is signed or pushed again). A cached document is used
only if it names the subject's digest. --no-cache catalogs anyway.

Progress (hashing, pulling, cataloging) goes to stderr when it is a terminal,
or with --verbose.

` + signingHelp,
		Example: `  relproof sbom dir:. --out sbom.spdx.json
  relproof sbom oci://ghcr.io/acme/app@sha256:… --format cyclonedx-json --out sbom.cdx.json \
      --attest --key release.key --push
  relproof sbom oci-layout:./image@sha256:… --attest --key release.key --bundle-out sbom.sigstore.json`,
		Args: exactArgs(1, "one SUBJECT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSBOM(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), env, g, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", string(sbom.SPDXJSON), "document format: spdx-json (SPDX 2.3) or cyclonedx-json (CycloneDX 1.6)")
	f.StringVar(&o.out, "out", "", "write the document to this file (default: stdout)")
	f.BoolVar(&o.attest, "attest", false, "sign an in-toto statement of the SBOM for the subject's digest")
	f.StringVar(&o.cacheDir, "cache-dir", "", "local SBOM cache (default: relproof/sbom in the user's cache directory)")
	f.BoolVar(&o.noCache, "no-cache", false, "catalog even if a cached SBOM exists, and cache nothing")
	f.BoolVar(&o.verbose, "verbose", false, "report progress on stderr even when it is not a terminal")
	o.signing.addFlags(cmd)
	o.store.addFlags(cmd)
	cmd.MarkFlagsMutuallyExclusive("no-cache", "cache-dir")
	return cmd
}

func runSBOM(ctx context.Context, stdout, stderr io.Writer, env *Env, g *globalOptions, o *sbomOptions, input string) error {
	format, err := sbom.ParseFormat(o.format)
	if err != nil {
		return usageError(err)
	}
	so := &o.store
	if !o.attest {
		for _, name := range []string{"bundle-out", "push", "github-upload", "key", "keyless", "sigstore", "fulcio-url", "rekor-url", "tsa-url"} {
			if o.signing.flags.Changed(name) {
				return usageErrorf("--%s is for the signed attestation: add --attest", name)
			}
		}
	}
	if o.attest && !so.push && so.bundleOut == "" && !so.githubUpload {
		return usageErrorf("--attest needs somewhere to put the attestation: --bundle-out FILE, --push and/or --github-upload")
	}
	src, err := sbom.ParseSource(input)
	if err != nil {
		return err
	}
	if so.push && src.Kind != subject.KindOCI {
		return usageErrorf("--push needs an oci:// subject, found %s subject %q; use --bundle-out", src.Kind, input)
	}
	var signer sign.Signer
	if o.attest {
		sg, closeSigner, err := o.signing.signer(ctx, env)
		if err != nil {
			return err
		}
		defer closeSigner()
		signer = sg
	}

	opts := []sbom.Option{sbom.WithFormat(format), sbom.WithRemoteOptions(env.Remote...), sbom.WithClock(env.Now)}
	if !o.noCache {
		dir := o.cacheDir
		if dir == "" {
			dir = sbom.DefaultCacheDir(userCacheDir(env))
		}
		if dir != "" {
			opts = append(opts, sbom.WithCacheDir(dir))
		}
		// Attestations signed by a key can be checked here; keyless ones
		// would need a trusted root and an identity, which sbom does not take.
		if k, ok := signer.(interface{ Public() *ecdsa.PublicKey }); ok {
			opts = append(opts, sbom.WithRegistryCache(k.Public()))
		}
	}
	switch live := isTerminal(stderr); {
	case live:
		opts = append(opts, sbom.WithProgress(stderr, true))
	case o.verbose:
		opts = append(opts, sbom.WithProgress(stderr, false))
	}
	res, err := sbom.Generate(ctx, src, opts...)
	if err != nil {
		return err
	}

	r := sbomReport{
		Subject:    res.Subject.String(),
		Digest:     res.Subject.Digest.String(),
		Kind:       string(res.Subject.Kind),
		Resolution: res.Subject.Resolution,
		Format:     format.String(),
		Tool:       "syft " + sbom.SyftVersion(),
		Document:   "-",
		Cached:     res.Cached,
		Packages:   res.Packages,
	}
	var bundle []byte
	if signer != nil {
		a := &sbomAttestation{PredicateType: format.PredicateType(), Signer: signer.Identity()}
		if res.Cached != nil && res.Cached.Source == sbom.CacheRegistry && res.Cached.Bundle != nil {
			bundle, a.Referrer, a.Existing, a.Signer = res.Cached.Bundle, res.Cached.Where, true, res.Cached.Signer
		} else {
			st, err := res.Statement()
			if err != nil {
				return err
			}
			if bundle, err = attest.Sign(ctx, signer, st); err != nil {
				return err
			}
			a.Signer = signer.Identity() // a keyless signer knows its identity once it has signed
		}
		r.Attestation = a
	}
	// Files are written only once everything they depend on has succeeded,
	// each whole or not at all.
	if o.out != "" && o.out != "-" {
		if err := fsutil.WriteFileAtomic(o.out, res.Document, 0o644); err != nil {
			return err
		}
		r.Document = o.out
	}
	if a := r.Attestation; a != nil {
		if err := storeSBOMAttestation(ctx, env, so, res, bundle, a); err != nil {
			return err
		}
	}
	reportTo := stdout
	if r.Document == "-" {
		if _, err := stdout.Write(res.Document); err != nil {
			return fmt.Errorf("writing the SBOM: %w", err)
		}
		reportTo = stderr
	}
	return g.report(reportTo, r, func(w io.Writer) { r.text(w) })
}

// storeSBOMAttestation writes, uploads and pushes the bundle as the store
// flags say, as attest does; an attestation found among the referrers is not
// pushed again.
func storeSBOMAttestation(ctx context.Context, env *Env, so *storeOptions, res *sbom.Result, bundle []byte, a *sbomAttestation) error {
	if so.bundleOut != "" {
		if err := fsutil.WriteFileAtomic(so.bundleOut, append(bundle, '\n'), 0o644); err != nil {
			return err
		}
		a.BundleFile = so.bundleOut
	}
	if so.githubUpload {
		id, err := githubUpload(ctx, env, &so.gh, bundle)
		if err != nil {
			return err
		}
		a.GitHubID = id
	}
	if !so.push || a.Existing {
		return nil
	}
	ref, _ := res.Subject.OCIReference()
	pushed, err := oci.PushBundle(ctx, ref, bundle, a.PredicateType, env.Now().UTC().Format(time.RFC3339), env.Remote...)
	if err != nil {
		return err
	}
	a.Referrer = pushed.String()
	layer, err := oci.CosignLayerFromBundle(bundle, a.PredicateType)
	if err != nil {
		return err
	}
	tag, err := oci.PushCosignAttestation(ctx, ref, layer, env.Remote...)
	if err != nil {
		return err
	}
	a.CosignTag = tag.String()
	return nil
}

// maxListed is how many packages the text report lists.
const maxListed = 20

func (r sbomReport) text(w io.Writer) {
	if r.Resolution != nil {
		fmt.Fprintf(w, "resolved %s to %s at %s\n", r.Resolution.Tag, r.Resolution.Digest, r.Resolution.At.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(w, "SBOM of %s\n  format:    %s, by %s\n", r.Subject, r.Format, r.Tool)
	switch {
	case r.Cached == nil:
		fmt.Fprintf(w, "  cataloged: now\n")
	case r.Cached.Source == sbom.CacheRegistry:
		fmt.Fprintf(w, "  cached:    signed attestation %s\n", r.Cached.Where)
	default:
		fmt.Fprintf(w, "  cached:    %s\n", r.Cached.Where)
	}
	if r.Document == "-" {
		fmt.Fprintf(w, "  document:  stdout\n")
	} else {
		fmt.Fprintf(w, "  document:  %s\n", r.Document)
	}
	fmt.Fprintf(w, "  packages:  %d\n", len(r.Packages))
	for i, p := range r.Packages {
		if i == maxListed {
			fmt.Fprintf(w, "    … and %d more (--output json lists them all)\n", len(r.Packages)-maxListed)
			break
		}
		fmt.Fprintf(w, "    %s %s\n", p.Name, p.Version)
	}
	if a := r.Attestation; a != nil {
		fmt.Fprintf(w, "  attested:  %s, signed by %s\n", a.PredicateType, a.Signer)
		if a.BundleFile != "" {
			fmt.Fprintf(w, "  bundle:    %s\n", a.BundleFile)
		}
		if a.Referrer != "" {
			note := ""
			if a.Existing {
				note = " (already there; not pushed again)"
			}
			fmt.Fprintf(w, "  referrer:  %s%s\n", a.Referrer, note)
		}
		if a.CosignTag != "" {
			fmt.Fprintf(w, "  cosign:    %s\n", a.CosignTag)
		}
		if a.GitHubID != 0 {
			fmt.Fprintf(w, "  github:    attestation %d\n", a.GitHubID)
		}
	}
}

// userCacheDir is os.UserCacheDir read from the command's environment, so
// that tests (whose environment has no HOME) never touch a real cache.
func userCacheDir(env *Env) string {
	switch runtime.GOOS {
	case "windows":
		return env.Getenv("LocalAppData")
	case "darwin", "ios":
		if h := env.Getenv("HOME"); h != "" {
			return filepath.Join(h, "Library", "Caches")
		}
		return ""
	}
	if d := env.Getenv("XDG_CACHE_HOME"); filepath.IsAbs(d) {
		return d
	}
	if h := env.Getenv("HOME"); h != "" {
		return filepath.Join(h, ".cache")
	}
	return ""
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
