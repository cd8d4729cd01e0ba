package sign

import "strings"

// Redact replaces every secret (a password, a PIN, a token) in s.
func Redact(s string, secrets ...string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "REDACTED")
		}
	}
	return s
}

// InlineKey is what errors say instead of key material given where a
// reference (a file path, a KMS or PKCS#11 URI) was expected.
const InlineKey = "(inline key material, not shown)"

// RedactKeyRef returns a key reference (--key, --vsa-key, …) fit for a
// message: key material pasted in place of a path (a PEM block, easy to do
// with `key: ${{ secrets.X }}`) is not shown at all, and a URI keeps its
// scheme, host and path but loses its user information, the values of its
// query (a vault ?token=, a PKCS#11 ?pin-value=) and any pin-value
// attribute. A plain file path is returned as it is.
func RedactKeyRef(ref string) string {
	if strings.Contains(ref, "-----BEGIN") || strings.ContainsAny(ref, "\n\r") || len(ref) > 1024 {
		return InlineKey
	}
	scheme, rest, ok := strings.Cut(ref, "://")
	if !ok {
		if !strings.HasPrefix(ref, "pkcs11:") {
			return ref
		}
		scheme, rest = "pkcs11", strings.TrimPrefix(ref, "pkcs11:")
	}
	path, query, hasQuery := strings.Cut(rest, "?")
	if at := strings.LastIndex(path, "@"); at >= 0 && (strings.IndexByte(path, '/') < 0 || at < strings.IndexByte(path, '/')) {
		path = "REDACTED@" + path[at+1:]
	}
	var attrs []string
	for _, a := range strings.Split(path, ";") {
		if strings.HasPrefix(a, "pin-value=") {
			a = "pin-value=REDACTED"
		}
		attrs = append(attrs, a)
	}
	path = strings.Join(attrs, ";")
	if hasQuery {
		var kept []string
		for _, kv := range strings.Split(query, "&") {
			name, _, _ := strings.Cut(kv, "=")
			if name == "module-path" {
				kept = append(kept, kv) // where the HSM's library is: no secret
				continue
			}
			kept = append(kept, name+"=REDACTED")
		}
		path += "?" + strings.Join(kept, "&")
	}
	if scheme == "pkcs11" && !strings.Contains(ref, "://") {
		return "pkcs11:" + path
	}
	return scheme + "://" + path
}
