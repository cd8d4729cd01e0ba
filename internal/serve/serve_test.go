package serve

import (
	"bytes"
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"github.com/sigstore/sigstore/pkg/signature"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relproof/relproof/internal/attest"
	"github.com/relproof/relproof/internal/decide"
	"github.com/relproof/relproof/internal/github"
	"github.com/relproof/relproof/internal/sign"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/testing/fakegithub"
)

const (
	appID  = 31337
	secret = "webhook-secret"
	env    = "production"
)

// world is a fake GitHub with the release scenario, the App installed,
// and the server in front of it on loopback.
type world struct {
	t      *testing.T
	f      *fakegithub.Fake
	api    string
	rel    *fakegithub.Release
	srv    *Server
	hook   *httptest.Server
	signer *sign.KeySigner
	pubPEM []byte
	digest subject.Digest
	cfg    Config
}

// policy is the repository's policy on its default branch: the build key
// signs provenance, which is all it requires.
const policyYAML = `apiVersion: relproof.dev/v1
kind: Policy
environments:
  production:
    signers:
      build: [{key: build.pub}]
    require: [provenance]
`

func newWorld(t *testing.T, opts ...func(*Config)) *world {
	t.Helper()
	appKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f, api := fakegithub.Start(t, fakegithub.WithApp(appID, &appKey.PublicKey))
	w := &world{t: t, f: f, api: api.URL}
	kp, err := sign.GenerateKeyPair(nil)
	if err != nil {
		t.Fatal(err)
	}
	key, err := sign.ParsePrivateKey("build.key", kp.PrivatePEM, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w.signer, err = sign.NewKeySigner(key); err != nil {
		t.Fatal(err)
	}
	w.pubPEM = kp.PublicPEM
	sum := sha256.Sum256([]byte("the release"))
	w.digest = subject.Digest{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
	f.Update(func(s *fakegithub.State) {
		w.rel = fakegithub.Scenario(s, time.Now())
		r := s.Repo("octo-org/octo-repo")
		r.Files[".github/relproof/policy.yaml"] = policyYAML
		r.Files[".github/relproof/build.pub"] = string(w.pubPEM)
	})
	w.evidence(w.digest)
	w.showDigest(w.digest)
	cfg := Config{AppID: appID, AppKey: pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(appKey)}),
		WebhookSecret: []byte(secret), APIURL: api.URL, Workers: 4, Deadline: 20 * time.Second,
		Retry: github.RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond, Timeout: 5 * time.Second}}
	for _, o := range opts {
		o(&cfg)
	}
	w.cfg = cfg
	if w.srv, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.srv.Start(ctx)
	w.hook = httptest.NewServer(w.srv.Handler())
	t.Cleanup(func() { w.hook.Close(); cancel(); w.srv.Close() })
	return w
}

// evidence uploads provenance for d, signed by the build key, to the
// repository's artifact attestations.
func (w *world) evidence(d subject.Digest) {
	w.t.Helper()
	prov := map[string]any{
		"buildDefinition": map[string]any{"buildType": "https://actions.github.io/buildtypes/workflow/v1",
			"externalParameters": map[string]any{"workflow": map[string]any{"ref": "refs/tags/v1.0.0", "repository": "https://github.com/octo-org/octo-repo", "path": ".github/workflows/release.yml"}}},
		"runDetails": map[string]any{"builder": map[string]any{"id": "https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/tags/v1.0.0"}},
	}
	bundle, err := attest.SignPredicate(context.Background(), w.signer, &subject.Subject{Name: "app", Digest: d}, attest.ProvenanceType, prov)
	if err != nil {
		w.t.Fatal(err)
	}
	w.f.Update(func(s *fakegithub.State) {
		r := s.Repo("octo-org/octo-repo")
		r.Attestations = append(r.Attestations, &fakegithub.Attestation{ID: s.ID(), Bundle: bundle, Digests: []string{d.String()}})
	})
}

// showDigest is what deploy-gate.yml's prepare job leaves: the check run
// that showed the reviewers d.
func (w *world) showDigest(d subject.Digest) {
	w.f.Update(func(s *fakegithub.State) {
		r := s.Repo("octo-org/octo-repo")
		r.CheckRuns = append(r.CheckRuns, &fakegithub.CheckRun{ID: s.ID(), Name: github.CheckRunName(env), HeadSHA: w.rel.Commit, Status: "in_progress",
			Title: github.CheckRunTitle(env, d.String()), Summary: "awaiting approval", StartedAt: time.Now(), Writes: 1,
			App: github.ActionsApp, ExternalID: github.CheckRunExternalID(w.rel.Run.ID, 1, env)})
	})
}

// payload is the real delivery's shape, for this world's run.
func (w *world) payload(mutate func(map[string]any)) []byte {
	w.t.Helper()
	b, err := os.ReadFile("../../testdata/corpus/github_webhooks/deployment_protection_rule.requested.ost-environment-gate.json")
	if err != nil {
		w.t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(b, &p); err != nil {
		w.t.Fatal(err)
	}
	p["environment"] = env
	p["deployment_callback_url"] = fmt.Sprintf("%s/repos/octo-org/octo-repo/actions/runs/%d/deployment_protection_rule", w.api, w.rel.Run.ID)
	p["sha"], p["ref"] = w.rel.Commit, "main"
	p["repository"] = map[string]any{"id": 1, "name": "octo-repo", "full_name": "octo-org/octo-repo", "owner": map[string]any{"login": "octo-org"}}
	p["installation"] = map[string]any{"id": 4242}
	if mutate != nil {
		mutate(p)
	}
	out, _ := json.Marshal(p)
	return out
}

var deliveries atomic.Int64

// deliver posts a delivery as GitHub does, signed with key.
func (w *world) deliver(event string, body []byte, key string, delivery string) *http.Response {
	w.t.Helper()
	if delivery == "" {
		delivery = fmt.Sprintf("delivery-%d", deliveries.Add(1))
	}
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write(body)
	req, _ := http.NewRequest(http.MethodPost, w.hook.URL+"/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", delivery)
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// answers waits for n answers and returns them.
func (w *world) answers(n int) []fakegithub.ProtectionRuleReview {
	w.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got []fakegithub.ProtectionRuleReview
		w.f.View(func(s *fakegithub.State) { got = append(got, s.Repo("octo-org/octo-repo").ProtectionRuleReviews...) })
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (w *world) statusReports() []fakegithub.ProtectionRuleReview {
	var got []fakegithub.ProtectionRuleReview
	w.f.View(func(s *fakegithub.State) { got = append(got, s.Repo("octo-org/octo-repo").StatusReports...) })
	return got
}

func TestServeDecides(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		setup   func(w *world)
		payload func(map[string]any)
		state   string
		says    string
	}{
		{"evidence for the digest shown: approved", nil, nil, "approved", "checks pass; the environment's reviewers decide the approvals"},
		{"no check run shows a digest", func(w *world) {
			w.f.Update(func(s *fakegithub.State) { s.Repo("octo-org/octo-repo").CheckRuns = nil })
		}, nil, "rejected", "Add relproof's deploy-gate.yml"},
		{"evidence for another digest", func(w *world) {
			sum := sha256.Sum256([]byte("another build"))
			other := subject.Digest{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
			w.f.Update(func(s *fakegithub.State) { s.Repo("octo-org/octo-repo").CheckRuns = nil })
			w.showDigest(other)
		}, nil, "rejected", "required-provenance"},
		{"the policy denies", func(w *world) {
			w.f.Update(func(s *fakegithub.State) {
				r := s.Repo("octo-org/octo-repo")
				r.Files[".github/relproof/policy.yaml"] = strings.Replace(policyYAML, "require: [provenance]", "require: [provenance, sbom]", 1)
			})
		}, nil, "rejected", "required-sbom"},
		{"a policy changed on the deployed ref is not read", func(w *world) {
			w.f.Update(func(s *fakegithub.State) {
				r := s.Repo("octo-org/octo-repo")
				r.Files[".github/relproof/policy.yaml"] = strings.Replace(policyYAML, "require: [provenance]", "require: [provenance, sbom]", 1)
				r.Branches["release"] = &fakegithub.Branch{Name: "release", HeadSHA: w.rel.Commit}
				weak := map[string]string{".github/relproof/policy.yaml": strings.Replace(policyYAML, "require: [provenance]", "require: []", 1)}
				r.RefFiles = map[string]map[string]string{"release": weak, "refs/heads/release": weak, w.rel.Commit: weak}
			})
		}, func(p map[string]any) { p["ref"] = "release" }, "rejected", "required-sbom"},
		{"no policy on the default branch", func(w *world) {
			w.f.Update(func(s *fakegithub.State) { delete(s.Repo("octo-org/octo-repo").Files, ".github/relproof/policy.yaml") })
		}, nil, "rejected", "the policy .github/relproof/policy.yaml on octo-org/octo-repo's default branch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			if tc.setup != nil {
				tc.setup(w)
			}
			if resp := w.deliver("deployment_protection_rule", w.payload(tc.payload), secret, ""); resp.StatusCode != http.StatusAccepted {
				t.Fatalf("delivery: %d, want 202", resp.StatusCode)
			}
			got := w.answers(1)
			for _, a := range got {
				t.Logf("%s: %s", a.State, a.Comment)
			}
			if len(got) != 1 || got[0].State != tc.state || got[0].Environment != env || got[0].RunID != w.rel.Run.ID || !strings.Contains(got[0].Comment, tc.says) {
				t.Fatalf("answers %+v; want one %s saying %q", got, tc.state, tc.says)
			}
			if tc.state == "approved" {
				if sr := w.statusReports(); len(sr) != 1 || !strings.Contains(sr[0].Comment, w.digest.String()) {
					t.Errorf("status reports %+v; want one showing %s", sr, w.digest)
				}
			}
		})
	}
}

func TestServeRefusesWhatGitHubDidNotSend(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	body := w.payload(nil)
	if resp := w.deliver("deployment_protection_rule", body, "not the secret", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a delivery signed with another secret: %d, want 401", resp.StatusCode)
	}
	if resp := w.deliver("push", []byte(`{}`), secret, ""); resp.StatusCode != http.StatusNoContent {
		t.Errorf("another event: %d, want 204", resp.StatusCode)
	}
	// A replay of a delivery is answered once.
	for range 3 {
		if resp := w.deliver("deployment_protection_rule", body, secret, "the-same-delivery"); resp.StatusCode != http.StatusAccepted {
			t.Errorf("delivery: %d, want 202", resp.StatusCode)
		}
	}
	resp, err := http.Get(w.hook.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var m bytes.Buffer
	_, _ = m.ReadFrom(resp.Body)
	resp.Body.Close()
	if !strings.Contains(m.String(), `relproof_deliveries_total{event="deployment_protection_rule",outcome="replayed"} 2`) {
		t.Errorf("the replays are not refused as replays:\n%s", m.String())
	}
	// And the same run and environment, delivered again under another id,
	// is answered once too.
	w.deliver("deployment_protection_rule", body, secret, "another-delivery")
	time.Sleep(500 * time.Millisecond)
	if got := w.answers(1); len(got) != 1 || got[0].State != "approved" {
		t.Errorf("answers %+v; want exactly one", got)
	}
	// A callback URL for another repository than the payload's.
	other := w.payload(func(p map[string]any) {
		p["deployment_callback_url"] = w.api + "/repos/evil/evil/actions/runs/1/deployment_protection_rule"
	})
	if resp := w.deliver("deployment_protection_rule", other, secret, ""); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a callback URL of another repository: %d, want 400", resp.StatusCode)
	}
}

// GitHub failing is retried within the deadline, then the request is
// rejected: never approved.
func TestServeRejectsWhenGitHubKeepsFailing(t *testing.T) {
	t.Parallel()
	const policyPath = "/repos/octo-org/octo-repo/contents/.github/relproof/policy.yaml"
	for _, tc := range []struct {
		name  string
		fault fakegithub.Fault
		state string
		says  string
	}{
		{"5xx, always", fakegithub.ServerErrors(policyPath, 0), "rejected", "the policy"},
		{"rate limited, always", fakegithub.SecondaryRateLimit(policyPath, 0, "1"), "rejected", "the policy"},
		// Within the retries: the decision is made.
		{"5xx, twice", fakegithub.ServerErrors(policyPath, 2), "approved", "checks pass"},
		{"rate limited, once", fakegithub.TooManyRequests(policyPath, 1, "0"), "approved", "checks pass"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.f.Inject(tc.fault)
			w.deliver("deployment_protection_rule", w.payload(nil), secret, "")
			got := w.answers(1)
			if len(got) != 1 || got[0].State != tc.state || !strings.Contains(got[0].Comment, tc.says) {
				t.Fatalf("answers %+v; want one %s saying %q", got, tc.state, tc.says)
			}
		})
	}
}

func TestServeOperations(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		resp, err := http.Get(w.hook.URL + p)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %v %v", p, resp.Status, err)
		}
		resp.Body.Close()
	}
	w.deliver("deployment_protection_rule", w.payload(nil), secret, "")
	w.answers(1)
	// The decision is counted once GitHub has taken the answer, which the
	// test may see first: read the metrics until they say so.
	wants := []string{`relproof_decisions_total{cause="decided",verdict="approved"} 1`, `relproof_deliveries_total{event="deployment_protection_rule",outcome="accepted"} 1`, "relproof_decision_seconds_bucket"}
	var missing []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		resp, err := http.Get(w.hook.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		resp.Body.Close()
		missing = missing[:0]
		for _, want := range wants {
			if !strings.Contains(b.String(), want) {
				missing = append(missing, want)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, m := range missing {
		t.Errorf("/metrics has no %q", m)
	}
}

// addRuns adds n runs of the release workflow, each on its own commit with
// the check run its prepare job posted, each waiting on the environment
// for the rule; it returns their ids.
func (w *world) addRuns(n int) []int64 {
	var ids []int64
	w.f.Update(func(s *fakegithub.State) {
		r := s.Repo("octo-org/octo-repo")
		for i := range n {
			id := int64(40_000_000 + i)
			sha := fmt.Sprintf("%040x", id)
			r.AddCommit(&fakegithub.Commit{SHA: sha, Message: "release", AuthorLogin: "mona", Parents: []string{w.rel.Commit}})
			cp := *w.rel.Run
			cp.ID, cp.HeadSHA, cp.Status, cp.PendingEnvironments = id, sha, "waiting", []string{env}
			r.Runs[id] = &cp
			r.CheckRuns = append(r.CheckRuns, &fakegithub.CheckRun{ID: s.ID(), Name: github.CheckRunName(env), HeadSHA: sha, Status: "in_progress",
				Title: github.CheckRunTitle(env, w.digest.String()), Summary: "awaiting approval", StartedAt: time.Now(), Writes: 1,
				App: github.ActionsApp, ExternalID: github.CheckRunExternalID(id, 1, env)})
			ids = append(ids, id)
		}
	})
	return ids
}

// The server is killed in the middle of a burst; after a restart the
// reconciler answers every request still pending, and each exactly once.
func TestServeRestartAnswersEachPendingRequestOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t, func(c *Config) { c.Workers = 1 })
	ids := w.addRuns(40)
	for _, id := range ids {
		body := w.payload(func(p map[string]any) {
			p["deployment_callback_url"] = fmt.Sprintf("%s/repos/octo-org/octo-repo/actions/runs/%d/deployment_protection_rule", w.api, id)
			p["sha"] = fmt.Sprintf("%040x", id)
		})
		if resp := w.deliver("deployment_protection_rule", body, secret, ""); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("delivery: %d", resp.StatusCode)
		}
	}
	w.answers(1)  // in the middle of the burst:
	w.srv.Close() // killed; what was queued is gone, and GitHub does not redeliver
	before := len(w.answers(0))
	if before == len(ids) {
		t.Fatalf("the first server answered all %d before it was killed: nothing to reconcile", before)
	}

	again, err := New(w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); again.Close() }()
	again.Start(ctx)
	again.StartReconciler(50 * time.Millisecond)
	got := w.answers(len(ids))
	time.Sleep(300 * time.Millisecond) // more reconciler rounds: nothing more is answered
	got = w.answers(len(ids))
	per := map[int64]int{}
	for _, a := range got {
		per[a.RunID]++
	}
	for _, id := range ids {
		if per[id] != 1 {
			t.Errorf("run %d answered %d times, want once", id, per[id])
		}
	}
	if len(got) != len(ids) {
		t.Errorf("%d answers for %d runs (%d before the restart)", len(got), len(ids), before)
	}
	t.Logf("%d answered before the kill, %d by the restarted server", before, len(got)-before)
}

// The App key can stay in a KMS: AppSign signs the App's JWTs (here a key
// behind sigstore's signer interface, as a KMS key is).
func TestServeWithAnAppKeyElsewhere(t *testing.T) {
	t.Parallel()
	w := newWorld(t, func(c *Config) {
		block, _ := pem.Decode(c.AppKey)
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		sv, err := signature.LoadRSAPKCS1v15SignerVerifier(k, crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		c.AppKey = nil
		c.AppSign = func(ctx context.Context, msg []byte) ([]byte, error) { return sv.SignMessage(bytes.NewReader(msg)) }
	})
	w.deliver("deployment_protection_rule", w.payload(nil), secret, "")
	if got := w.answers(1); len(got) != 1 || got[0].State != "approved" {
		t.Fatalf("answers %+v; want one approval", got)
	}
}

// An organization's policy repository, at its pinned ref, gates every
// repository the App is installed on: the deployed repository's own policy
// is not read.
func TestServeReadsTheOrganizationsPolicy(t *testing.T) {
	t.Parallel()
	w := newWorld(t, func(c *Config) {
		c.PolicyRepo, c.PolicyRef, c.PolicyPath = github.Repo{Owner: "octo-org", Name: "policies"}, "refs/heads/main", "release/policy.yaml"
	})
	w.f.Update(func(s *fakegithub.State) {
		// The repository's own policy would deny; the organization's allows.
		s.Repo("octo-org/octo-repo").Files[".github/relproof/policy.yaml"] = strings.Replace(policyYAML, "require: [provenance]", "require: [provenance, sbom]", 1)
		p := s.Repo("octo-org/policies")
		p.Installation = 4242
		p.AddCommit(&fakegithub.Commit{SHA: strings.Repeat("9", 40), Message: "policies", AuthorLogin: "octocat"})
		p.Branches["main"] = &fakegithub.Branch{Name: "main", HeadSHA: strings.Repeat("9", 40)}
		p.Files["release/policy.yaml"] = policyYAML
		p.Files["release/build.pub"] = string(w.pubPEM)
	})
	w.deliver("deployment_protection_rule", w.payload(nil), secret, "")
	got := w.answers(1)
	if len(got) != 1 || got[0].State != "approved" || !strings.Contains(got[0].Comment, "octo-org/policies@refs/heads/main:release/policy.yaml") {
		t.Fatalf("answers %+v; want an approval under octo-org/policies' policy", got)
	}
}

func TestCacheKeyKeepsDecisionsApart(t *testing.T) {
	t.Parallel()
	repo := github.Repo{Owner: "octo-org", Name: "octo-repo"}
	first := &decide.RollbackTarget{FirstRelease: true}
	base := cacheKey(repo, "oci://r/a@sha256:aa", "sha256:p", "production", first)
	for name, other := range map[string]string{
		"another repository":     cacheKey(github.Repo{Owner: "octo-org", Name: "other"}, "oci://r/a@sha256:aa", "sha256:p", "production", first),
		"another image":          cacheKey(repo, "oci://r/b@sha256:aa", "sha256:p", "production", first),
		"another policy":         cacheKey(repo, "oci://r/a@sha256:aa", "sha256:q", "production", first),
		"another environment":    cacheKey(repo, "oci://r/a@sha256:aa", "sha256:p", "staging", first),
		"a rollback digest":      cacheKey(repo, "oci://r/a@sha256:aa", "sha256:p", "production", &decide.RollbackTarget{Digest: "sha256:bb", Deployment: &decide.Deployment{ID: 7}, Record: "sha256:cc"}),
		"deployments unrecorded": cacheKey(repo, "oci://r/a@sha256:aa", "sha256:p", "production", &decide.RollbackTarget{Note: "none recorded"}),
	} {
		if other == base {
			t.Errorf("%s shares the cached decision", name)
		}
	}
}

// The check run's summary is the workflow's to write: the registry it
// names is read only when the policy names the registries it allows.
func TestServeReadsNoRegistryThePolicyDoesNotName(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	registry := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.NotFound(w, r)
	}))
	defer registry.Close()
	w := newWorld(t)
	host := strings.TrimPrefix(registry.URL, "http://")
	w.f.Update(func(s *fakegithub.State) {
		for _, cr := range s.Repo("octo-org/octo-repo").CheckRuns {
			cr.Summary = "deploying oci://" + host + "/evil/app@" + w.digest.String()
		}
	})
	w.deliver("deployment_protection_rule", w.payload(nil), secret, "")
	if got := w.answers(1); len(got) != 1 || got[0].State != "approved" {
		t.Fatalf("answers %+v; want the decision made from the attestations", got)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the server made %d requests to a registry the policy does not name", n)
	}
}
