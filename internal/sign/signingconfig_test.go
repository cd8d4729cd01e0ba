package sign

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	prototrustroot "github.com/sigstore/protobuf-specs/gen/pb-go/trustroot/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
)

func TestServicesFromSigningConfig(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	since := now.Add(-365 * 24 * time.Hour)
	svc := func(url string, v uint32, start, end time.Time) root.Service {
		return root.Service{URL: url, MajorAPIVersion: v, ValidityPeriodStart: start, ValidityPeriodEnd: end, Operator: "op"}
	}
	config := func(t *testing.T, ca, rekor, tsa []root.Service) []byte {
		t.Helper()
		anyOne := root.ServiceConfiguration{Selector: prototrustroot.ServiceSelector_ANY}
		sc, err := root.NewSigningConfig(root.SigningConfigMediaType02, ca, nil, rekor, anyOne, tsa, anyOne)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(sc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	fulcio := []root.Service{svc("https://fulcio", 1, since, time.Time{})}
	tsa := []root.Service{svc("https://tsa/api/v1/timestamp", 1, since, time.Time{})}
	for _, tc := range []struct {
		name    string
		rekor   []root.Service
		want    Services
		wantErr string
	}{
		{name: "v2 before v1", rekor: []root.Service{svc("https://rekor", 1, since, time.Time{}), svc("https://log2026", 2, since, time.Time{})},
			want: Services{FulcioURL: "https://fulcio", Transparency: Transparency{RekorURL: "https://log2026", RekorVersion: 2, TSAURL: "https://tsa/api/v1/timestamp"}}},
		{name: "the newest v2 log", rekor: []root.Service{
			svc("https://log2025", 2, since, now.Add(time.Hour)), svc("https://log2026", 2, now.Add(-time.Hour), time.Time{}), svc("https://log2027", 2, now.Add(time.Hour), time.Time{}),
		}, want: Services{FulcioURL: "https://fulcio", Transparency: Transparency{RekorURL: "https://log2026", RekorVersion: 2, TSAURL: "https://tsa/api/v1/timestamp"}}},
		{name: "v1 only", rekor: []root.Service{svc("https://rekor", 1, since, time.Time{})},
			want: Services{FulcioURL: "https://fulcio", Transparency: Transparency{RekorURL: "https://rekor", RekorVersion: 1, TSAURL: "https://tsa/api/v1/timestamp"}}},
		{name: "no log", want: Services{FulcioURL: "https://fulcio", Transparency: Transparency{TSAURL: "https://tsa/api/v1/timestamp"}}},
		{name: "only an unknown API version", rekor: []root.Service{svc("https://rekor3", 3, since, time.Time{})},
			wantErr: `no Rekor log (rekorTlogUrls) with API version [1 2] valid at 2026-11-26T12:00:00Z; the config lists ["https://rekor3" v3 from`},
		{name: "only expired logs", rekor: []root.Service{svc("https://old", 2, since, now.Add(-time.Hour))},
			wantErr: `"https://old" v2 from 2025-11-26T12:00:00Z to 2026-11-26T11:00:00Z`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ServicesFromSigningConfig(config(t, fulcio, tc.rekor, tsa), now)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one saying %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("services (-want +got):\n%s", diff)
			}
		})
	}

	for name, doc := range map[string]string{
		"not JSON":           "rekor: https://rekor",
		"a trusted root":     `{"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`,
		"signing config 0.1": `{"mediaType": "application/vnd.dev.sigstore.signingconfig.v0.1+json"}`,
	} {
		if _, err := ServicesFromSigningConfig([]byte(doc), now); err == nil || !strings.Contains(err.Error(), "expected a Sigstore signing config") {
			t.Errorf("%s: err = %v, want one saying what was expected", name, err)
		}
	}
}
