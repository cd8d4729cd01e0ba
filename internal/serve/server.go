package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"time"

	jwt "github.com/golang-jwt/jwt/v4"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	gh "github.com/google/go-github/v62/github"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/relproof/relproof/internal/github"
)

// Config is what the server runs with.
type Config struct {
	// AppID and AppKey (PEM, RSA) are the GitHub App's; the server acts as
	// each installation with tokens minted from them. AppSign, instead of
	// AppKey, signs the App's JWTs with a key held elsewhere (a KMS).
	AppID   int64
	AppKey  []byte
	AppSign func(ctx context.Context, message []byte) ([]byte, error)
	// WebhookSecret checks X-Hub-Signature-256.
	WebhookSecret []byte
	// APIURL is GitHub's REST API (default https://api.github.com).
	APIURL string
	// PolicyPath is where the policy is in each repository's default
	// branch (default .github/relproof/policy.yaml), or in PolicyRepo.
	PolicyPath string
	// PolicyRepo and PolicyRef, when set, name an organization's policy
	// repository and the ref (a tag, a commit) to read the policy at,
	// instead of each repository's default branch; the App's installation
	// must cover it.
	PolicyRepo github.Repo
	PolicyRef  string
	// TrustedRoot verifies keyless evidence (nil: Sigstore public-good).
	TrustedRoot root.TrustedMaterial
	// Remote configures registry access for the evidence among referrers.
	Remote []remote.Option
	// Workers decide at once; Queue more may wait (defaults 8 and 1024).
	Workers, Queue int
	// Deadline bounds one decision, GitHub's retries included (default
	// 2m): past it the request is rejected, saying so.
	Deadline time.Duration
	// Retry is the GitHub client's retry policy (default the client's).
	Retry github.RetryPolicy
	// Transport carries the GitHub requests (default: the client's).
	Transport http.RoundTripper
	Logger    *slog.Logger
	Registry  *prometheus.Registry
	Now       func() time.Time
}

// maxBody caps a webhook delivery; GitHub caps its own at 25 MB, and a
// deployment_protection_rule payload is a few kilobytes.
const maxBody = 1 << 20

// Server is the App's webhook server.
type Server struct {
	cfg      Config
	log      *slog.Logger
	m        *metrics
	reg      *prometheus.Registry
	queue    chan *request
	dedupe   *seen // delivery ids
	answered *seen // (run, environment, attempt) answered
	cache    *decisionCache

	mu       sync.Mutex
	clients  map[int64]*github.Client
	inflight map[string]bool // (repository, run, environment) queued or deciding
	ctx      context.Context
	wg       sync.WaitGroup
	ready    chan struct{}
	stop     context.CancelFunc
}

// New checks cfg and returns a server that has not started its workers.
func New(cfg Config) (*Server, error) {
	if cfg.AppID <= 0 || (len(cfg.AppKey) == 0 && cfg.AppSign == nil) {
		return nil, errors.New("serve: an App id and private key are required")
	}
	if cfg.AppSign == nil {
		if _, err := jwt.ParseRSAPrivateKeyFromPEM(cfg.AppKey); err != nil {
			return nil, fmt.Errorf("serve: the App's private key: expected an RSA private key in PEM, as GitHub issues it: %v", err)
		}
	}
	if len(cfg.WebhookSecret) == 0 {
		return nil, errors.New("serve: a webhook secret is required: an unsigned delivery could be anyone's")
	}
	if cfg.PolicyPath == "" {
		cfg.PolicyPath = ".github/relproof/policy.yaml"
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 1024
	}
	if cfg.Deadline <= 0 {
		cfg.Deadline = 2 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	s := &Server{
		cfg: cfg, log: cfg.Logger, reg: cfg.Registry, m: newMetrics(cfg.Registry),
		queue:  make(chan *request, cfg.Queue),
		dedupe: newSeen(100_000, 24*time.Hour), answered: newSeen(100_000, 24*time.Hour),
		cache: newDecisionCache(4096, 5*time.Minute), clients: map[int64]*github.Client{}, inflight: map[string]bool{}, ready: make(chan struct{}),
	}
	return s, nil
}

// Start runs the workers until ctx ends or Close.
func (s *Server) Start(ctx context.Context) {
	ctx, s.stop = context.WithCancel(ctx)
	s.ctx = ctx
	for range s.cfg.Workers {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case r := <-s.queue:
					s.handle(ctx, r)
				}
			}
		}()
	}
	close(s.ready)
}

// Close stops the workers and the reconciler; a worker deciding stops
// deciding, and still posts an answer it has.
func (s *Server) Close() {
	if s.stop != nil {
		s.stop()
	}
	s.wg.Wait()
}

// Handler serves POST /webhook, /healthz, /readyz and /metrics.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhook", s.webhook)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		select {
		case <-s.ready:
			w.WriteHeader(http.StatusOK)
		default:
			http.Error(w, "not started", http.StatusServiceUnavailable)
		}
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	return mux
}

// request is one deployment protection rule to answer.
type request struct {
	Delivery     string
	Repo         github.Repo
	Environment  string
	SHA, Ref     string
	RunID        int64
	Installation int64
	Received     time.Time
	// reconciled: found waiting by the reconciler, not delivered.
	reconciled bool
}

// payload is the part of a deployment_protection_rule delivery read.
type payload struct {
	Action                string `json:"action"`
	Environment           string `json:"environment"`
	DeploymentCallbackURL string `json:"deployment_callback_url"`
	SHA                   string `json:"sha"`
	Ref                   string `json:"ref"`
	Repository            struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
	Installation struct {
		ID int64 `json:"id"`
	} `json:"installation"`
}

// callbackPath reads the run from a deployment_callback_url: the payload
// names no run id field.
var callbackPath = regexp.MustCompile(`/repos/([^/]+)/([^/]+)/actions/runs/([0-9]+)/deployment_protection_rule$`)

func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	var body []byte
	err := errors.New("no X-Hub-Signature-256 header")
	// Only the SHA-256 signature: ValidatePayload would take the SHA-1 one.
	if r.Header.Get(gh.SHA256SignatureHeader) != "" {
		body, err = gh.ValidatePayload(r, s.cfg.WebhookSecret)
	}
	if err != nil {
		// Nothing of an unverified delivery names a metric.
		s.m.deliveries.WithLabelValues("unverified", "bad-signature").Inc()
		s.log.Warn("refused a delivery", "why", err.Error())
		http.Error(w, "signature does not verify", http.StatusUnauthorized)
		return
	}
	event := gh.WebHookType(r)
	delivery := gh.DeliveryID(r)
	if event != "deployment_protection_rule" {
		s.m.deliveries.WithLabelValues(event, "ignored").Inc()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if delivery == "" || !s.dedupe.add(delivery, s.cfg.Now()) {
		s.m.deliveries.WithLabelValues(event, "replayed").Inc()
		s.log.Warn("refused a replayed delivery", "delivery", delivery)
		w.WriteHeader(http.StatusAccepted) // answered once already
		return
	}
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		s.m.deliveries.WithLabelValues(event, "bad-request").Inc()
		http.Error(w, "payload: expected a deployment_protection_rule event", http.StatusBadRequest)
		return
	}
	if p.Action != "requested" {
		s.m.deliveries.WithLabelValues(event, "ignored").Inc()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	req, err := parseRequest(p, delivery, s.cfg.Now())
	if err != nil {
		s.m.deliveries.WithLabelValues(event, "bad-request").Inc()
		s.log.Warn("refused a request", "delivery", delivery, "why", err.Error())
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if !s.claim(req) {
		// The reconciler queued it already.
		s.m.deliveries.WithLabelValues(event, "accepted").Inc()
		w.WriteHeader(http.StatusAccepted)
		return
	}
	select {
	case s.queue <- req:
		s.m.deliveries.WithLabelValues(event, "accepted").Inc()
		w.WriteHeader(http.StatusAccepted)
	default:
		// Full: GitHub does not redeliver, the reconciler finds it later.
		s.release(req)
		s.m.deliveries.WithLabelValues(event, "overloaded").Inc()
		s.dedupe.forget(delivery)
		s.log.Error("queue full; the reconciler will answer", "delivery", delivery, "repository", req.Repo.String(), "run", req.RunID)
		w.WriteHeader(http.StatusAccepted)
	}
}

func parseRequest(p payload, delivery string, now time.Time) (*request, error) {
	m := callbackPath.FindStringSubmatch(p.DeploymentCallbackURL)
	if m == nil {
		return nil, fmt.Errorf("deployment_callback_url %q: expected …/repos/OWNER/REPO/actions/runs/ID/deployment_protection_rule", p.DeploymentCallbackURL)
	}
	repo, err := github.ParseRepo(m[1] + "/" + m[2])
	if err != nil {
		return nil, err
	}
	if p.Repository.FullName != repo.String() {
		return nil, fmt.Errorf("deployment_callback_url names %s, the payload's repository is %q", repo, p.Repository.FullName)
	}
	runID, err := strconv.ParseInt(m[3], 10, 64)
	if err != nil || runID <= 0 {
		return nil, fmt.Errorf("deployment_callback_url: run %q", m[3])
	}
	if p.Environment == "" || p.Installation.ID <= 0 || p.SHA == "" {
		return nil, errors.New("payload: expected an environment, an installation and a sha")
	}
	return &request{Delivery: delivery, Repo: repo, Environment: p.Environment, SHA: p.SHA, Ref: p.Ref, RunID: runID,
		Installation: p.Installation.ID, Received: now}, nil
}

// client is the GitHub client acting as an installation.
func (s *Server) client(ctx context.Context, installation int64, repo github.Repo) (*github.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[installation]; ok {
		return c, nil
	}
	c, err := github.New(ctx, github.Options{APIURL: s.cfg.APIURL, Retry: s.cfg.Retry, Transport: s.cfg.Transport, Now: s.cfg.Now,
		App: &github.AppCredentials{AppID: s.cfg.AppID, PrivateKey: s.cfg.AppKey, Sign: s.cfg.AppSign, InstallationID: installation, Repo: repo}})
	if err != nil {
		return nil, err
	}
	s.clients[installation] = c
	return c, nil
}
