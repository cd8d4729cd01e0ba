package sign

import (
	"errors"
	"fmt"
	"time"

	rekortiles "github.com/sigstore/rekor-tiles/v2/pkg/client"
	"github.com/sigstore/rekor-tiles/v2/pkg/client/write"
	sgsign "github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore-go/pkg/util"
)

// Rekor API versions (a signing config's majorApiVersion for a log).
const (
	// RekorV1 is Rekor: entries carry an integrated time and a signed
	// entry timestamp.
	RekorV1 uint32 = 1
	// RekorV2 is a tile-based Rekor v2 (rekor-tiles) log: entries carry an
	// inclusion proof with a signed checkpoint, and no time.
	RekorV2 uint32 = 2
)

// ErrNoTrustedTime is wrapped by the errors that refuse to sign when the
// signature could never be dated: keyless without a log or a timestamp
// authority, or against a Rekor v2 log without a timestamp authority.
var ErrNoTrustedTime = errors.New("no trusted time")

// Transparency says where a signature is logged and timestamped.
type Transparency struct {
	// RekorURL is the transparency log; empty logs nothing.
	RekorURL string
	// RekorVersion is the log's API version: RekorV1 (also when 0) or
	// RekorV2. A Rekor v2 entry has no time, so RekorV2 needs TSAURL.
	RekorVersion uint32
	// TSAURL is an RFC 3161 timestamp authority; empty asks none.
	TSAURL string
}

// check refuses an unknown API version and a Rekor v2 log without a
// timestamp authority.
func (t Transparency) check() error {
	switch t.RekorVersion {
	case 0, RekorV1, RekorV2:
	default:
		return fmt.Errorf("rekor API version %d: expected %d or %d", t.RekorVersion, RekorV1, RekorV2)
	}
	if t.RekorURL != "" && t.RekorVersion == RekorV2 && t.TSAURL == "" {
		return fmt.Errorf("%w: the Rekor v2 log %s gives its entries no time, so signing against it needs a timestamp authority too (--tsa-url)", ErrNoTrustedTime, t.RekorURL)
	}
	return nil
}

// rekor names the log for messages: its URL, with " (Rekor v2)" for v2.
func (t Transparency) rekor() string {
	switch {
	case t.RekorURL == "":
		return "none"
	case t.RekorVersion == RekorV2:
		return t.RekorURL + " (Rekor v2)"
	default:
		return t.RekorURL
	}
}

// apply adds the log and the timestamp authority to o; timeout bounds each
// request.
func (t Transparency) apply(o *sgsign.BundleOptions, timeout time.Duration) error {
	if err := t.check(); err != nil {
		return err
	}
	if t.RekorURL != "" {
		ro := &sgsign.RekorOptions{BaseURL: t.RekorURL, Timeout: timeout, Retries: 2, Version: RekorV1}
		if t.RekorVersion == RekorV2 {
			// sigstore-go's own Rekor v2 client has no timeout: give it one.
			// (It has no retries either; rekor-tiles' writer does not retry.)
			c, err := write.NewWriter(t.RekorURL, rekortiles.WithUserAgent(util.ConstructUserAgent()), rekortiles.WithTimeout(timeout))
			if err != nil {
				return fmt.Errorf("rekor v2 client for %s: %w", t.RekorURL, err)
			}
			ro.Version, ro.ClientV2 = RekorV2, c
		}
		o.TransparencyLogs = []sgsign.Transparency{sgsign.NewRekor(ro)}
	}
	if t.TSAURL != "" {
		o.TimestampAuthorities = []*sgsign.TimestampAuthority{sgsign.NewTimestampAuthority(&sgsign.TimestampAuthorityOptions{URL: t.TSAURL, Timeout: timeout, Retries: 2})}
	}
	return nil
}
