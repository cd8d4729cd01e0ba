package oci

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// The cosign attestation layout: an image tagged sha256-HEX.att whose
// layers are DSSE envelopes, one per attestation, as `cosign attest` writes
// them and `cosign verify-attestation` reads them.
const (
	DSSEMediaType             = "application/vnd.dsse.envelope.v1+json"
	cosignSignatureAnnotation = "dev.cosignproject.cosign/signature"
	// CosignCertificateAnnotation and the others carry keyless material.
	CosignCertificateAnnotation = "dev.sigstore.cosign/certificate"
	CosignChainAnnotation       = "dev.sigstore.cosign/chain"
	CosignBundleAnnotation      = "dev.sigstore.cosign/bundle"
	cosignPredicateAnnotation   = "predicateType"
)

// CosignAttestationTag is the tag cosign keeps a digest's attestations under.
func CosignAttestationTag(subjectRef name.Digest) name.Tag {
	return subjectRef.Context().Tag(strings.Replace(subjectRef.DigestStr(), ":", "-", 1) + ".att")
}

// CosignLayer is one DSSE envelope in the cosign layout, with the keyless
// material cosign keeps in annotations (empty for key signatures).
type CosignLayer struct {
	Envelope      []byte
	PredicateType string
	Certificate   string // PEM
	Chain         string // PEM
	RekorBundle   string // cosign's JSON {SignedEntryTimestamp, Payload}
}

// PushCosignAttestation adds the envelope to the subject's .att image,
// keeping the attestations already there (an identical one is not added
// twice), so cosign verify-attestation finds it.
func PushCosignAttestation(ctx context.Context, subjectRef name.Digest, l CosignLayer, opts ...remote.Option) (name.Tag, error) {
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	tag := CosignAttestationTag(subjectRef)
	base, err := remote.Image(tag, opts...)
	switch {
	case isNotFound(err):
		base = mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	case err != nil:
		return name.Tag{}, fmt.Errorf("reading %s: %w", tag, err)
	}
	layer := static.NewLayer(l.Envelope, DSSEMediaType)
	if has, err := hasLayer(base, layer); err != nil {
		return name.Tag{}, err
	} else if has {
		return tag, nil
	}
	ann := map[string]string{cosignSignatureAnnotation: "", cosignPredicateAnnotation: l.PredicateType}
	if l.Certificate != "" {
		ann[CosignCertificateAnnotation] = l.Certificate
		ann[CosignChainAnnotation] = l.Chain
	}
	if l.RekorBundle != "" {
		ann[CosignBundleAnnotation] = l.RekorBundle
	}
	img, err := mutate.Append(base, mutate.Addendum{Layer: layer, Annotations: ann})
	if err != nil {
		return name.Tag{}, err
	}
	if err := remote.Write(tag, img, opts...); err != nil {
		return name.Tag{}, fmt.Errorf("pushing %s: %w", tag, err)
	}
	return tag, nil
}

// FetchCosignAttestations reads the envelopes of the subject's .att image;
// none when there is no such image.
func FetchCosignAttestations(ctx context.Context, subjectRef name.Digest, opts ...remote.Option) ([]CosignLayer, error) {
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	tag := CosignAttestationTag(subjectRef)
	img, err := remote.Image(tag, opts...)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", tag, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", tag, err)
	}
	var out []CosignLayer
	for _, d := range m.Layers {
		if d.MediaType != DSSEMediaType {
			continue
		}
		l, err := img.LayerByDigest(d.Digest)
		if err != nil {
			return nil, fmt.Errorf("reading %s layer %s: %w", tag, d.Digest, err)
		}
		rc, err := l.Compressed()
		if err != nil {
			return nil, fmt.Errorf("reading %s layer %s: %w", tag, d.Digest, err)
		}
		b, err := io.ReadAll(io.LimitReader(rc, maxBundleBytes+1))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("reading %s layer %s: %w", tag, d.Digest, err)
		}
		if len(b) > maxBundleBytes {
			return nil, fmt.Errorf("%s layer %s is larger than %d bytes", tag, d.Digest, maxBundleBytes)
		}
		out = append(out, CosignLayer{
			Envelope:      b,
			PredicateType: d.Annotations[cosignPredicateAnnotation],
			Certificate:   d.Annotations[CosignCertificateAnnotation],
			Chain:         d.Annotations[CosignChainAnnotation],
			RekorBundle:   d.Annotations[CosignBundleAnnotation],
		})
	}
	return out, nil
}

func hasLayer(img v1.Image, l v1.Layer) (bool, error) {
	want, err := l.Digest()
	if err != nil {
		return false, err
	}
	m, err := img.Manifest()
	if err != nil {
		return false, err
	}
	for _, d := range m.Layers {
		if d.Digest == want {
			return true, nil
		}
	}
	return false, nil
}

func isNotFound(err error) bool {
	var terr *transport.Error
	return errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound
}

// CosignLayerFromBundle turns a Sigstore bundle (JSON) into cosign's
// layout: the DSSE envelope as the layer, and for keyless bundles the
// certificate and the Rekor entry (as cosign's bundle annotation) beside it.
func CosignLayerFromBundle(bundleJSON []byte, predicateType string) (CosignLayer, error) {
	var b protobundle.Bundle
	if err := protojson.Unmarshal(bundleJSON, &b); err != nil {
		return CosignLayer{}, fmt.Errorf("reading bundle: %w", err)
	}
	env := b.GetDsseEnvelope()
	if env == nil {
		return CosignLayer{}, errors.New("bundle holds no DSSE envelope")
	}
	type sig struct {
		KeyID string `json:"keyid"`
		Sig   string `json:"sig"`
	}
	e := struct {
		PayloadType string `json:"payloadType"`
		Payload     string `json:"payload"`
		Signatures  []sig  `json:"signatures"`
	}{PayloadType: env.GetPayloadType(), Payload: base64.StdEncoding.EncodeToString(env.GetPayload())}
	for _, s := range env.GetSignatures() {
		e.Signatures = append(e.Signatures, sig{KeyID: s.GetKeyid(), Sig: base64.StdEncoding.EncodeToString(s.GetSig())})
	}
	envJSON, err := json.Marshal(e)
	if err != nil {
		return CosignLayer{}, err
	}
	l := CosignLayer{Envelope: envJSON, PredicateType: predicateType}
	vm := b.GetVerificationMaterial()
	if c := vm.GetCertificate().GetRawBytes(); c != nil {
		l.Certificate = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c}))
	}
	if entries := vm.GetTlogEntries(); len(entries) > 0 && entries[0].GetInclusionPromise() != nil {
		t := entries[0]
		rb, err := json.Marshal(map[string]any{
			"SignedEntryTimestamp": t.GetInclusionPromise().GetSignedEntryTimestamp(),
			"Payload": map[string]any{
				"body":           base64.StdEncoding.EncodeToString(t.GetCanonicalizedBody()),
				"integratedTime": t.GetIntegratedTime(),
				"logIndex":       t.GetLogIndex(),
				"logID":          hex.EncodeToString(t.GetLogId().GetKeyId()),
			},
		})
		if err != nil {
			return CosignLayer{}, err
		}
		l.RekorBundle = string(rb)
	}
	return l, nil
}
