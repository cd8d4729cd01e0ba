package predicate

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestDeploymentValidate(t *testing.T) {
	t.Parallel()
	prev := "sha256:" + sha256Hex([]byte("previous"))
	ok := Deployment{Environment: "production", Digest: testDigest, DeploymentID: 7, DeploymentURL: "https://api.github.com/repos/acme/app/deployments/7", PreviousDigest: prev, RollbackDigest: prev, Time: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(ok)
	want := `{"environment":"production","digest":"` + testDigest + `","deploymentId":7,"deploymentUrl":"https://api.github.com/repos/acme/app/deployments/7","previousDigest":"` + prev + `","rollbackDigest":"` + prev + `","time":"2026-11-26T12:00:00Z"}`
	if string(b) != want {
		t.Errorf("json:\n got %s\nwant %s", b, want)
	}
	for name, f := range map[string]func(*Deployment){
		"no environment": func(p *Deployment) { p.Environment = "" },
		"no deployment":  func(p *Deployment) { p.DeploymentID = 0 },
		"no time":        func(p *Deployment) { p.Time = time.Time{} },
		"bad digest":     func(p *Deployment) { p.Digest = "latest" },
		"bad previous":   func(p *Deployment) { p.PreviousDigest = "sha256:zz" },
		"bad rollback":   func(p *Deployment) { p.RollbackDigest = "v1" },
		"bad state":      func(p *Deployment) { p.State = "success\nok" },
	} {
		p := ok
		f(&p)
		if err := p.Validate(); !errors.Is(err, ErrInvalidPredicate) {
			t.Errorf("%s: Validate() = %v, want ErrInvalidPredicate", name, err)
		}
	}
}
