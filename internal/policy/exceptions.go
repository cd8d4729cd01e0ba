package policy

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

var (
	cveID    = regexp.MustCompile(`^(?i)CVE-\d{4}-\d{4,}$`)
	ghsaID   = regexp.MustCompile(`^(?i)GHSA(-[23456789cfghjmpqrvwx]{4}){3}$`)
	sha256ID = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
)

// exceptions reads the exceptions file the policy names at n.
func (p *parser) exceptions(n *yaml.Node, path, name string) []Exception {
	cacheKey := "exceptions:" + p.resolve(name)
	if v, ok := p.loaded[cacheKey]; ok {
		xs, _ := v.([]Exception)
		return xs
	}
	p.loaded[cacheKey] = nil
	resolved, data, ok := p.read(n, path, "exceptions file", name)
	if !ok {
		return nil
	}
	r := reporter{file: resolved, errs: &p.errs}
	before := r.count()
	xs := parseExceptions(r, data)
	if r.count() > before {
		return nil
	}
	p.loaded[cacheKey] = xs
	return xs
}

// parseExceptions parses an exceptions file: a YAML list, or nothing.
func parseExceptions(r reporter, data []byte) []Exception {
	root, empty := r.document(data)
	if root == nil || empty {
		return []Exception{}
	}
	xs := []Exception{}
	first := map[string]int{}
	r.list(root, "", func(path string, item *yaml.Node) {
		path = strings.TrimPrefix(path, ".")
		x := Exception{File: r.file, Line: item.Line}
		before := r.count()
		seen := r.fields(item, path, []field{
			{"id", func(v *yaml.Node) {
				if s, ok := r.text(v, path+".id"); ok {
					if !cveID.MatchString(s) && !ghsaID.MatchString(s) {
						r.errorf(v, path+".id", "expected a CVE or GHSA id (CVE-2024-45337, GHSA-v778-237x-gjrc), found %q", s)
					}
					x.ID = s
				}
			}},
			{"digest", func(v *yaml.Node) {
				if s, ok := r.text(v, path+".digest"); ok {
					if !sha256ID.MatchString(s) {
						r.errorf(v, path+".digest", "expected a subject digest sha256:<64 lower-case hex digits>, found %q", s)
					}
					x.Digest = s
				}
			}},
			{"package", func(v *yaml.Node) { x.Package, _ = r.text(v, path+".package") }},
			{"reason", func(v *yaml.Node) { x.Reason, _ = r.text(v, path+".reason") }},
			{"approver", func(v *yaml.Node) { x.Approver, _ = r.text(v, path+".approver") }},
			{"expires", func(v *yaml.Node) {
				if s, ok := r.text(v, path+".expires"); ok {
					t, err := parseExpiry(s)
					if err != nil {
						r.errorf(v, path+".expires", "expected an RFC 3339 time (2026-03-31T00:00:00Z) or a date (2026-03-31), found %q", s)
					}
					x.Expires = t
				}
			}},
		})
		if seen == nil {
			return
		}
		for _, f := range []string{"id", "reason", "approver", "expires"} {
			if !seen[f] {
				r.errorf(item, path, "missing field %s: an exception needs id, reason, approver and expires", f)
			}
		}
		if r.count() > before {
			return
		}
		key := strings.ToUpper(x.ID) + " " + x.Digest + " " + x.Package
		if line, dup := first[key]; dup {
			r.errorf(item, path, "the same exception (id, digest, package) as at line %d", line)
			return
		}
		first[key] = x.Line
		xs = append(xs, x)
	})
	return xs
}

// parseExpiry reads an RFC 3339 time, or a date, which means 00:00 UTC that
// day.
func parseExpiry(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, s)
}

// loadedKey is a signer key file, read.
type loadedKey struct {
	key    any
	digest string
}

// key reads a PEM public key file the policy names at n.
func (p *parser) key(n *yaml.Node, path, name string) (loadedKey, bool) {
	cacheKey := "key:" + p.resolve(name)
	if v, ok := p.loaded[cacheKey]; ok {
		k, ok := v.(loadedKey)
		return k, ok
	}
	p.loaded[cacheKey] = nil
	resolved, data, ok := p.read(n, path, "key file", name)
	if !ok {
		return loadedKey{}, false
	}
	key, err := parsePublicKey(data)
	if err != nil {
		p.r.errorf(n, path, "key file %s: %v", resolved, err)
		return loadedKey{}, false
	}
	k := loadedKey{key: key, digest: keyDigest(key)}
	p.loaded[cacheKey] = k
	return k, true
}

// parsePublicKey reads the first PEM block of data, a PKIX public key.
func parsePublicKey(data []byte) (any, error) {
	block, _ := pem.Decode(data)
	switch {
	case block == nil:
		return nil, fmt.Errorf("expected a PEM public key (-----BEGIN PUBLIC KEY-----), found no PEM block")
	case strings.Contains(block.Type, "PRIVATE"):
		return nil, fmt.Errorf("expected a PEM public key, found a %s: never put private keys in the policy", block.Type)
	case block.Type != "PUBLIC KEY":
		return nil, fmt.Errorf("expected a PEM block of type PUBLIC KEY, found %q", block.Type)
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("expected a PKIX public key, found one that does not parse: %v", err)
	}
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			return key, nil
		}
		return nil, fmt.Errorf("expected an ECDSA key on P-256, P-384 or P-521, found one on %s", k.Curve.Params().Name)
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < 2048 {
			return nil, fmt.Errorf("expected an RSA key of at least 2048 bits, found %d bits", n)
		}
		return key, nil
	case ed25519.PublicKey:
		return key, nil
	}
	return nil, fmt.Errorf("expected an ECDSA, RSA or Ed25519 public key (what Sigstore verifies), found %T", key)
}
