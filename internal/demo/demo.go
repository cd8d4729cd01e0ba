// Package demo runs relproof's whole chain offline on one machine: an
// in-process OCI registry on loopback, a throwaway git repository, a small
// real OCI image built from it, provenance, an SBOM (syft), test and scan
// evidence signed with an ephemeral key and pushed as referrers of the
// image digest, verified back from the registry, a gate decision for
// production, and the release evidence pack. Each step is one function.
package demo

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/relproof/relproof/internal/evidence"
	"github.com/relproof/relproof/internal/gate"
	"github.com/relproof/relproof/internal/sign"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

// Options configures a demo run.
type Options struct {
	// Dir receives the key, the bundles, the reports and an OCI layout copy
	// of the image, so the evidence can be verified after the demo ends.
	Dir string
	// Log receives one line per step as it happens.
	Log io.Writer
}

// Evidence is one signed statement the demo made.
type Evidence struct {
	Type          string `json:"type"`
	PredicateType string `json:"predicateType"`
	Input         string `json:"input,omitempty"`
	BundleFile    string `json:"bundleFile"`
	Referrer      string `json:"referrer"`
}

// Result is what the demo made and where it is.
type Result struct {
	Dir        string              `json:"dir"`
	Registry   string              `json:"registry"`
	Commit     string              `json:"commit"`
	Tag        string              `json:"tag"`
	Image      string              `json:"image"`
	Digest     string              `json:"digest"`
	Resolution *subject.Resolution `json:"resolution"`
	Layout     string              `json:"layout"`
	PublicKey  string              `json:"publicKey"`
	Signer     string              `json:"signer"`
	Evidence   []Evidence          `json:"evidence"`
	Verified   int                 `json:"verified"`
	Policy     string              `json:"policy"`
	Verdict    string              `json:"verdict"`
	Decision   string              `json:"decision"`
	Summary    string              `json:"summary"`
	Pack       string              `json:"pack"`
	PackRef    string              `json:"packReference"`
}

// run carries the state between steps.
type run struct {
	opts     Options
	res      *Result
	host     string
	repoDir  string
	subject  *subject.Subject
	ref      name.Digest
	signer   *sign.KeySigner
	pub      *ecdsa.PublicKey
	imgFiles map[string][]byte
	user     string
	labels   map[string]string

	bundles      []evidence.File // the signed bundles, as published
	entries      []verify.Entry  // the evidence read back from the registry
	pinned       *subject.Subject
	decision     *gate.Decision
	decisionJSON []byte
	// decisionBundle signs the decision; decisionSig is the attestation in
	// it that does, as verified; policyData is the policy it was made under.
	decisionBundle []byte
	decisionSig    *verify.Attestation
	policyData     []byte
	packManifest   *evidence.Manifest
}

// Run runs the chain and returns where each piece of evidence is.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if opts.Dir == "" {
		return nil, errors.New("demo: no output directory")
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	stop, host, err := startRegistry()
	if err != nil {
		return nil, err
	}
	defer stop()
	r := &run{opts: opts, host: host, res: &Result{Dir: opts.Dir, Registry: host}}
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"make a git repository with one commit", r.makeRepository},
		{"build an OCI image from it and push it by tag", r.buildAndPushImage},
		{"resolve the tag once to the digest", r.resolveDigest},
		{"make an ephemeral signing key", r.makeKey},
		{"attest provenance", r.attestProvenance},
		{"generate the image's SBOM and attest it", r.attestSBOM},
		{"test the image and attest the results", r.attestTests},
		{"scan the image and attest the report", r.attestScan},
		{"verify the evidence back from the registry", r.verifyBack},
		{"gate the digest for production under the demo's policy", r.gateProduction},
		{"pack the release evidence and verify the pack", r.packEvidence},
		{"store the pack in the registry beside the image, fetch it back and verify it", r.storePack},
	}
	for i, s := range steps {
		fmt.Fprintf(opts.Log, "[%d/%d] %s\n", i+1, len(steps), s.name)
		if err := s.fn(ctx); err != nil {
			return nil, fmt.Errorf("demo step %q: %w", s.name, err)
		}
	}
	return r.res, nil
}

// startRegistry serves go-containerregistry's registry (with the OCI 1.1
// referrers API) on a loopback port.
func startRegistry() (stop func(), host string, err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("starting registry: %w", err)
	}
	srv := &http.Server{
		Handler:           registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(true)),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = srv.Serve(l) }()
	return func() { _ = srv.Close() }, l.Addr().String(), nil
}

func (r *run) path(elem ...string) string {
	return filepath.Join(append([]string{r.opts.Dir}, elem...)...)
}
