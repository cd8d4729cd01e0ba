package sbom

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/relproof/relproof/internal/subject"
)

// Package is one package an SBOM lists.
type Package struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	PURL    string `json:"purl,omitempty"`
}

// Document is what relproof reads from an SBOM document, whoever wrote it.
type Document struct {
	Format  Format `json:"format"`
	Version string `json:"version"` // of the specification: "2.3", "1.6"
	// Describes lists the digests of what the document says it describes:
	// the checksums of SPDX's described packages, the hashes of CycloneDX's
	// metadata.component.
	Describes []subject.Digest `json:"describes"`
	// Tools names the tools that made it, "NAME-VERSION" ("syft-v1.57.1").
	Tools    []string  `json:"tools,omitempty"`
	Packages []Package `json:"packages"`
}

// ErrNotSBOM is wrapped by ParseDocument's errors.
var ErrNotSBOM = errors.New("not an SPDX 2.x or CycloneDX JSON document")

// ParseDocument reads an SPDX 2.x JSON or CycloneDX JSON document: its
// format, what it describes, who made it and its packages (sorted; for
// SPDX every package but the described ones, for CycloneDX every component
// but files and operating systems).
func ParseDocument(doc []byte) (*Document, error) {
	var probe struct {
		SPDXVersion string `json:"spdxVersion"`
		BOMFormat   string `json:"bomFormat"`
	}
	if err := json.Unmarshal(doc, &probe); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotSBOM, err)
	}
	var d *Document
	var err error
	switch {
	case strings.HasPrefix(probe.SPDXVersion, "SPDX-2."):
		d, err = parseSPDX(doc)
	case probe.BOMFormat == "CycloneDX":
		d, err = parseCycloneDX(doc)
	case probe.SPDXVersion != "":
		return nil, fmt.Errorf("%w: found spdxVersion %q", ErrNotSBOM, probe.SPDXVersion)
	default:
		return nil, fmt.Errorf("%w: found neither spdxVersion nor bomFormat", ErrNotSBOM)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotSBOM, err)
	}
	sortPackages(d.Packages)
	return d, nil
}

func sortPackages(pkgs []Package) {
	slices.SortFunc(pkgs, func(a, b Package) int {
		return cmpStrings(a.Name, b.Name, a.Version, b.Version, a.PURL, b.PURL)
	})
}

// Names reports whether the document describes the artifact with digest d.
func (d *Document) Names(dg subject.Digest) bool { return slices.Contains(d.Describes, dg) }

func cmpStrings(pairs ...string) int {
	for i := 0; i+1 < len(pairs); i += 2 {
		if c := strings.Compare(pairs[i], pairs[i+1]); c != 0 {
			return c
		}
	}
	return 0
}

type spdxDocument struct {
	SPDXVersion       string   `json:"spdxVersion"`
	DocumentDescribes []string `json:"documentDescribes"`
	CreationInfo      struct {
		Creators []string `json:"creators"`
	} `json:"creationInfo"`
	Packages      []spdxPackage      `json:"packages"`
	Relationships []spdxRelationship `json:"relationships"`
}

type spdxPackage struct {
	SPDXID       string         `json:"SPDXID"`
	Name         string         `json:"name"`
	VersionInfo  string         `json:"versionInfo"`
	Checksums    []spdxChecksum `json:"checksums"`
	ExternalRefs []struct {
		ReferenceType    string `json:"referenceType"`
		ReferenceLocator string `json:"referenceLocator"`
	} `json:"externalRefs"`
}

type spdxChecksum struct {
	Algorithm     string `json:"algorithm"`
	ChecksumValue string `json:"checksumValue"`
}

type spdxRelationship struct {
	SPDXElementID      string `json:"spdxElementId"`
	RelationshipType   string `json:"relationshipType"`
	RelatedSPDXElement string `json:"relatedSpdxElement"`
}

// described returns the SPDX ids the document describes: documentDescribes
// and the DOCUMENT DESCRIBES relationships (SPDX 2.3 allows either).
func (s *spdxDocument) described() []string {
	ids := slices.Clone(s.DocumentDescribes)
	for _, r := range s.Relationships {
		if r.SPDXElementID == "SPDXRef-DOCUMENT" && r.RelationshipType == "DESCRIBES" && !slices.Contains(ids, r.RelatedSPDXElement) {
			ids = append(ids, r.RelatedSPDXElement)
		}
	}
	return ids
}

func parseSPDX(doc []byte) (*Document, error) {
	var s spdxDocument
	if err := json.Unmarshal(doc, &s); err != nil {
		return nil, err
	}
	d := &Document{Format: SPDXJSON, Version: strings.TrimPrefix(s.SPDXVersion, "SPDX-"), Packages: []Package{}}
	for _, c := range s.CreationInfo.Creators {
		if t, ok := strings.CutPrefix(c, "Tool:"); ok {
			d.Tools = append(d.Tools, strings.TrimSpace(t))
		}
	}
	roots := s.described()
	for _, p := range s.Packages {
		if slices.Contains(roots, p.SPDXID) {
			for _, c := range p.Checksums {
				if dg, ok := digestOf(c.Algorithm, c.ChecksumValue); ok {
					d.Describes = append(d.Describes, dg)
				}
			}
			continue
		}
		pkg := Package{Name: p.Name, Version: p.VersionInfo}
		for _, r := range p.ExternalRefs {
			if r.ReferenceType == "purl" {
				pkg.PURL = r.ReferenceLocator
				break
			}
		}
		d.Packages = append(d.Packages, pkg)
	}
	return d, nil
}

type cdxComponent struct {
	Type       string         `json:"type"`
	Name       string         `json:"name"`
	Version    string         `json:"version"`
	PURL       string         `json:"purl"`
	Hashes     []cdxHash      `json:"hashes"`
	Components []cdxComponent `json:"components"`
}

type cdxHash struct {
	Alg     string `json:"alg"`
	Content string `json:"content"`
}

type cdxTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

func parseCycloneDX(doc []byte) (*Document, error) {
	var c struct {
		SpecVersion string `json:"specVersion"`
		Metadata    struct {
			Component *cdxComponent   `json:"component"`
			Tools     json.RawMessage `json:"tools"`
		} `json:"metadata"`
		Components []cdxComponent `json:"components"`
	}
	if err := json.Unmarshal(doc, &c); err != nil {
		return nil, err
	}
	d := &Document{Format: CycloneDXJSON, Version: c.SpecVersion, Packages: []Package{}}
	if mc := c.Metadata.Component; mc != nil {
		for _, h := range mc.Hashes {
			if dg, ok := digestOf(h.Alg, h.Content); ok {
				d.Describes = append(d.Describes, dg)
			}
		}
	}
	// metadata.tools is an array of tools before CycloneDX 1.5 and an object
	// of components and services from 1.5 on.
	var tools []cdxTool
	var toolsObj struct {
		Components []cdxTool `json:"components"`
	}
	if t := bytes.TrimSpace(c.Metadata.Tools); len(t) > 0 && t[0] == '[' {
		_ = json.Unmarshal(t, &tools)
	} else if len(t) > 0 && json.Unmarshal(t, &toolsObj) == nil {
		tools = toolsObj.Components
	}
	for _, t := range tools {
		d.Tools = append(d.Tools, t.Name+"-"+t.Version)
	}
	var walk func([]cdxComponent)
	walk = func(cs []cdxComponent) {
		for _, comp := range cs {
			if comp.Type != "file" && comp.Type != "operating-system" {
				d.Packages = append(d.Packages, Package{Name: comp.Name, Version: comp.Version, PURL: comp.PURL})
			}
			walk(comp.Components)
		}
	}
	walk(c.Components)
	return d, nil
}

// digestOf reads an SPDX checksum or a CycloneDX hash as a digest; ok is
// false for algorithms subjects do not use.
func digestOf(alg, value string) (subject.Digest, bool) {
	var a string
	switch strings.ToUpper(strings.ReplaceAll(alg, "-", "")) {
	case "SHA256":
		a = subject.SHA256
	case "SHA512":
		a = subject.SHA512
	default:
		return subject.Digest{}, false
	}
	d, err := subject.ParseDigest(a + ":" + strings.ToLower(value))
	return d, err == nil
}

// nameDigest makes the document syft encoded name the subject digest where
// syft's encoder does not: SPDX gives the described package a checksum only
// for images (the manifest digest) and files, not for directories or for a
// docker archive (where relproof's digest is the image ID); CycloneDX never
// gives metadata.component hashes. Only that one object is decoded,
// completed and re-encoded (its keys come out sorted) and spliced back;
// every other byte of syft's output is kept. A checksum syft did write must
// be the subject's, or the artifact changed between hashing and cataloging.
func nameDigest(f Format, doc []byte, d subject.Digest) ([]byte, error) {
	var start, end int
	var err error
	switch f {
	case SPDXJSON:
		start, end, err = spdxRootSpan(doc)
	case CycloneDXJSON:
		var ms int
		if ms, _, err = member(doc, 0, "metadata"); err == nil {
			start, end, err = member(doc, ms, "component")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("finding what syft's %s document describes: %w", f, err)
	}
	obj, changed, err := addDigest(f, doc[start:end], d)
	if err != nil || !changed {
		return doc, err
	}
	return splice(doc, start, end, obj), nil
}

// spdxRootSpan finds the package an SPDX document DESCRIBES.
func spdxRootSpan(doc []byte) (start, end int, err error) {
	var s spdxDocument
	if ds, de, err := member(doc, 0, "documentDescribes"); err == nil {
		_ = json.Unmarshal(doc[ds:de], &s.DocumentDescribes)
	}
	rs, _, err := member(doc, 0, "relationships")
	if err != nil {
		return 0, 0, err
	}
	err = elements(doc, rs, func(s0, e0 int) bool {
		el := doc[s0:e0]
		if bytes.Contains(el, []byte(`"SPDXRef-DOCUMENT"`)) && bytes.Contains(el, []byte(`"DESCRIBES"`)) {
			var r spdxRelationship
			if json.Unmarshal(el, &r) == nil {
				s.Relationships = append(s.Relationships, r)
			}
		}
		return true
	})
	if err != nil {
		return 0, 0, err
	}
	roots := s.described()
	if len(roots) != 1 {
		return 0, 0, fmt.Errorf("it describes %d elements, expected 1", len(roots))
	}
	want := []byte(`"` + roots[0] + `"`)
	ps, _, err := member(doc, 0, "packages")
	if err != nil {
		return 0, 0, err
	}
	err = elements(doc, ps, func(s0, e0 int) bool {
		is, ie, err := member(doc, s0, "SPDXID")
		if err == nil && bytes.Equal(doc[is:ie], want) {
			start, end = s0, e0
			return false
		}
		return true
	})
	if err == nil && end == 0 {
		err = fmt.Errorf("it describes %s, which is not among its packages", roots[0])
	}
	return start, end, err
}

// addDigest adds d to the SPDX package's checksums or the CycloneDX
// component's hashes, unless it is there; changed is false then.
func addDigest(f Format, raw []byte, d subject.Digest) (obj []byte, changed bool, err error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, false, err
	}
	field := map[Format]string{SPDXJSON: "checksums", CycloneDXJSON: "hashes"}[f]
	var sums []map[string]string
	if r, ok := m[field]; ok {
		if err := json.Unmarshal(r, &sums); err != nil {
			return nil, false, fmt.Errorf("reading %s: %w", field, err)
		}
	}
	algKey, valKey, alg := "algorithm", "checksumValue", strings.ToUpper(d.Algorithm)
	if f == CycloneDXJSON {
		algKey, valKey, alg = "alg", "content", map[string]string{subject.SHA256: "SHA-256", subject.SHA512: "SHA-512"}[d.Algorithm]
	}
	for _, c := range sums {
		if c[algKey] != alg {
			continue
		}
		if !strings.EqualFold(c[valKey], d.Hex) {
			return nil, false, fmt.Errorf("%w: syft read %s:%s, the subject is %s", ErrChanged, d.Algorithm, strings.ToLower(c[valKey]), d)
		}
		return nil, false, nil
	}
	if m[field], err = encodeJSON(append(sums, map[string]string{algKey: alg, valKey: d.Hex})); err != nil {
		return nil, false, err
	}
	obj, err = encodeJSON(m)
	return obj, err == nil, err
}

// encodeJSON encodes v compactly, without escaping <, > and & (as syft's
// encoders write).
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
