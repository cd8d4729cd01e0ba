package sbom

import (
	"fmt"

	"github.com/anchore/syft/syft/format/cyclonedxjson"
	"github.com/anchore/syft/syft/format/spdxjson"
	syftsbom "github.com/anchore/syft/syft/sbom"
)

// Format is an SBOM document format.
type Format string

// Formats relproof writes, each encoded by syft's own encoder.
const (
	SPDXJSON      Format = "spdx-json"      // SPDX 2.3 JSON
	CycloneDXJSON Format = "cyclonedx-json" // CycloneDX 1.6 JSON
)

// Formats lists the formats, the default first.
var Formats = []Format{SPDXJSON, CycloneDXJSON}

// In-toto predicate types of SBOM attestations.
const (
	SPDXPredicateType      = "https://spdx.dev/Document"
	CycloneDXPredicateType = "https://cyclonedx.org/bom"
)

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("%w: --format %q: expected spdx-json or cyclonedx-json", ErrInvalidSource, s)
}

// Version is the version of the format's specification that is written.
func (f Format) Version() string {
	if f == CycloneDXJSON {
		return "1.6"
	}
	return "2.3"
}

// PredicateType is the in-toto predicate type of an attestation whose
// predicate is a document in this format.
func (f Format) PredicateType() string {
	if f == CycloneDXJSON {
		return CycloneDXPredicateType
	}
	return SPDXPredicateType
}

// String returns "spdx-json@2.3" or "cyclonedx-json@1.6", as syft's -o flag
// names them.
func (f Format) String() string { return string(f) + "@" + f.Version() }

func (f Format) encoder() (syftsbom.FormatEncoder, error) {
	switch f {
	case SPDXJSON:
		cfg := spdxjson.DefaultEncoderConfig()
		cfg.Version = f.Version()
		return spdxjson.NewFormatEncoderWithConfig(cfg)
	case CycloneDXJSON:
		cfg := cyclonedxjson.DefaultEncoderConfig()
		cfg.Version = f.Version()
		return cyclonedxjson.NewFormatEncoderWithConfig(cfg)
	}
	return nil, fmt.Errorf("%w: format %q: expected spdx-json or cyclonedx-json", ErrInvalidSource, f)
}
