// Command serve-bench drives relproof's protection-rule server on loopback
// with sustained, signed deployment_protection_rule deliveries against the
// fake GitHub, every run deploying a digest whose evidence the server has
// decided on before (the cached case), and reports throughput, decision
// latency (delivery sent → answer received by GitHub) and whether any
// request was lost or answered twice.
//
//	go run ./bench/serve -rate 250 -duration 60s
package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/relproof/relproof/internal/attest"
	"github.com/relproof/relproof/internal/github"
	"github.com/relproof/relproof/internal/serve"
	"github.com/relproof/relproof/internal/sign"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/testing/fakegithub"
)

const (
	appID  = 31337
	secret = "bench-secret"
	env    = "production"
	policy = `apiVersion: relproof.dev/v1
kind: Policy
environments:
  production:
    signers:
      build: [{key: build.pub}]
    require: [provenance]
`
)

func main() {
	rate := flag.Int("rate", 250, "deliveries per second")
	duration := flag.Duration("duration", 60*time.Second, "how long to deliver")
	workers := flag.Int("workers", 16, "the server's workers")
	flag.Parse()
	if err := run(*rate, *duration, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "serve-bench:", err)
		os.Exit(1)
	}
}

func run(rate int, duration time.Duration, workers int) error {
	t := &testing.T{} // fakegithub.Start wants a testing.TB for its cleanup
	appKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	f, api := fakegithub.Start(t, fakegithub.WithApp(appID, &appKey.PublicKey))
	defer api.Close()
	kp, err := sign.GenerateKeyPair(nil)
	if err != nil {
		return err
	}
	key, err := sign.ParsePrivateKey("build.key", kp.PrivatePEM, nil)
	if err != nil {
		return err
	}
	signer, err := sign.NewKeySigner(key)
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte("the release"))
	digest := subject.Digest{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
	prov := map[string]any{
		"buildDefinition": map[string]any{"buildType": "https://actions.github.io/buildtypes/workflow/v1", "externalParameters": map[string]any{}},
		"runDetails":      map[string]any{"builder": map[string]any{"id": "https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/tags/v1.0.0"}},
	}
	bundle, err := attest.SignPredicate(context.Background(), signer, &subject.Subject{Name: "app", Digest: digest}, attest.ProvenanceType, prov)
	if err != nil {
		return err
	}
	n := rate * int(duration/time.Second)
	const firstRun = 50_000_000
	var base *fakegithub.Run
	f.Update(func(s *fakegithub.State) {
		rel := fakegithub.Scenario(s, time.Now())
		base = rel.Run
		r := s.Repo("octo-org/octo-repo")
		r.Files[".github/relproof/policy.yaml"] = policy
		r.Files[".github/relproof/build.pub"] = string(kp.PublicPEM)
		r.Attestations = append(r.Attestations, &fakegithub.Attestation{ID: s.ID(), Bundle: bundle, Digests: []string{digest.String()}})
		// One run per delivery, each on its own commit with the check run
		// its prepare job posted.
		for i := range n {
			id := int64(firstRun + i)
			sha := fmt.Sprintf("%040x", id)
			r.AddCommit(&fakegithub.Commit{SHA: sha, Message: "release", AuthorLogin: "mona", Parents: []string{rel.Commit}})
			cp := *base
			cp.ID, cp.HeadSHA = id, sha
			r.Runs[id] = &cp
			r.CheckRuns = append(r.CheckRuns, &fakegithub.CheckRun{ID: s.ID(), Name: github.CheckRunName(env), HeadSHA: sha, Status: "in_progress",
				Title: github.CheckRunTitle(env, digest.String()), Summary: "awaiting approval", StartedAt: time.Now(), Writes: 1,
				App: github.ActionsApp, ExternalID: github.CheckRunExternalID(id, 1, env)})
		}
	})
	srv, err := serve.New(serve.Config{AppID: appID, AppKey: pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(appKey)}),
		WebhookSecret: []byte(secret), APIURL: api.URL, Workers: workers, Queue: 4 * rate, Deadline: 30 * time.Second})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv.Start(ctx)
	defer srv.Close()
	hook := httptest.NewServer(srv.Handler())
	defer hook.Close()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	sent := make([]time.Time, n)
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	start := time.Now()
	failed := 0
	var mu sync.Mutex
	for i := range n {
		<-tick.C
		sent[i] = time.Now()
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code := deliver(client, hook.URL, api.URL, int64(firstRun+i), fmt.Sprintf("%040x", firstRun+i)); code != http.StatusAccepted {
				mu.Lock()
				failed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sentFor := time.Since(start)
	// Every request answered, once: wait for the stragglers.
	var reviews []fakegithub.ProtectionRuleReview
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		f.View(func(s *fakegithub.State) { reviews = slices.Clone(s.Repo("octo-org/octo-repo").ProtectionRuleReviews) })
		if len(reviews) >= n {
			break
		}
	}
	per := map[int64]int{}
	var lat []time.Duration
	var last time.Time
	approved := 0
	for _, rv := range reviews {
		per[rv.RunID]++
		if i := rv.RunID - firstRun; i >= 0 && int(i) < n && per[rv.RunID] == 1 {
			lat = append(lat, rv.At.Sub(sent[i]))
		}
		if rv.State == "approved" {
			approved++
		}
		if rv.At.After(last) {
			last = rv.At
		}
	}
	twice, lost := 0, 0
	for i := range n {
		switch per[int64(firstRun+i)] {
		case 0:
			lost++
		case 1:
		default:
			twice++
		}
	}
	slices.Sort(lat)
	q := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	span := last.Sub(start)
	fmt.Printf("deliveries: %d over %s (%d/s offered), %d not accepted\n", n, sentFor.Round(time.Millisecond), rate, failed)
	fmt.Printf("answers:    %d (%d approved), %d lost, %d answered twice\n", len(reviews), approved, lost, twice)
	fmt.Printf("throughput: %.1f decisions/s (first delivery to last answer)\n", float64(len(per))/span.Seconds())
	fmt.Printf("latency:    p50 %s  p99 %s  max %s (delivery sent → answer received)\n", q(0.50).Round(time.Millisecond), q(0.99).Round(time.Millisecond), q(1).Round(time.Millisecond))
	if lost > 0 || twice > 0 || failed > 0 || approved != n {
		return fmt.Errorf("%d lost, %d answered twice, %d not accepted, %d of %d approved", lost, twice, failed, approved, n)
	}
	// The goals on this 2-core machine: ≥ 200 decisions/s, p99 < 250 ms.
	if tp := float64(len(per)) / span.Seconds(); rate >= 200 && (tp < 200 || q(0.99) >= 250*time.Millisecond) {
		return fmt.Errorf("below the goal: %.1f decisions/s, p99 %s (want ≥ 200/s, p99 < 250ms)", tp, q(0.99))
	}
	return nil
}

// deliver posts one signed delivery for a run, as GitHub does.
func deliver(c *http.Client, hook, api string, run int64, sha string) int {
	p := map[string]any{
		"action": "requested", "environment": env, "event": "push",
		"deployment_callback_url": fmt.Sprintf("%s/repos/octo-org/octo-repo/actions/runs/%d/deployment_protection_rule", api, run),
		"sha":                     sha, "ref": "main",
		"repository":   map[string]any{"full_name": "octo-org/octo-repo"},
		"installation": map[string]any{"id": 4242},
	}
	body, _ := json.Marshal(p)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	req, _ := http.NewRequest(http.MethodPost, hook+"/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "deployment_protection_rule")
	req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("bench-%d", run))
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := c.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "delivery:", err)
		return 0
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		fmt.Fprintln(os.Stderr, "delivery:", resp.Status)
	}
	return resp.StatusCode
}
