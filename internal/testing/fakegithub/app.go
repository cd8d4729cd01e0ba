package fakegithub

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// verifyJWT checks a GitHub App JWT: RS256, signed by the app's key, issued
// by the app, not expired, at most 10 minutes long.
func (f *Fake) verifyJWT(tok string) error {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return errors.New("not a JWT")
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	if err := decodeSegment(parts[0], &hdr); err != nil || hdr.Alg != "RS256" {
		return errors.New("not RS256")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return errors.New("bad signature encoding")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(f.app.key, crypto.SHA256, sum[:], sig); err != nil {
		return errors.New("signature does not verify")
	}
	var claims struct {
		Iss json.RawMessage `json:"iss"`
		Iat int64           `json:"iat"`
		Exp int64           `json:"exp"`
	}
	if err := decodeSegment(parts[1], &claims); err != nil {
		return err
	}
	iss := strings.Trim(string(claims.Iss), `"`)
	if iss != strconv.FormatInt(f.app.id, 10) {
		return errors.New("wrong issuer")
	}
	now := f.now().Unix()
	if claims.Exp < now || claims.Exp-claims.Iat > int64((10*time.Minute).Seconds()) {
		return errors.New("expired or too long-lived")
	}
	return nil
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// base64Std is standard base64.
func base64Std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
