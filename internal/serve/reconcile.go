package serve

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/relproof/relproof/internal/github"
)

// Reconcile finds the requests GitHub will not deliver again — runs of
// every installation's repositories waiting on an environment whose
// deployment the rule has not settled — and queues those not answered
// yet. GitHub does not redeliver, so a request lost to a restart, a full
// queue or a failed answer is found here. It returns how many it queued.
func (s *Server) Reconcile(ctx context.Context) (int, error) {
	app, err := github.New(ctx, github.Options{APIURL: s.cfg.APIURL, Retry: s.cfg.Retry, Transport: s.cfg.Transport, Now: s.cfg.Now,
		App: &github.AppCredentials{AppID: s.cfg.AppID, PrivateKey: s.cfg.AppKey, Sign: s.cfg.AppSign, AppOnly: true}})
	if err != nil {
		return 0, err
	}
	installations, err := app.Installations(ctx)
	if err != nil {
		s.m.githubErrors.Inc()
		return 0, err
	}
	queued := 0
	for _, id := range installations {
		c, err := s.client(ctx, id, github.Repo{})
		if err != nil {
			return queued, err
		}
		repos, err := c.InstallationRepos(ctx)
		if err != nil {
			s.m.githubErrors.Inc()
			return queued, err
		}
		for _, repo := range repos {
			runs, err := c.WaitingRuns(ctx, repo)
			if err != nil {
				s.m.githubErrors.Inc()
				return queued, err
			}
			for _, run := range runs {
				envs, err := c.PendingEnvironments(ctx, repo, run.ID)
				if err != nil {
					s.m.githubErrors.Inc()
					return queued, err
				}
				for _, env := range envs {
					r := &request{Delivery: "reconciler", Repo: repo, Environment: env, SHA: run.HeadSHA, RunID: run.ID,
						Installation: id, Received: s.cfg.Now(), reconciled: true}
					if !s.claim(r) {
						continue // queued or deciding already
					}
					select {
					case s.queue <- r:
						queued++
					case <-ctx.Done():
						s.release(r)
						return queued, ctx.Err()
					}
				}
			}
		}
	}
	return queued, nil
}

// StartReconciler reconciles at once and then every period, until the
// server is closed; each failure is logged and tried again at the next
// period. Call it after Start.
func (s *Server) StartReconciler(every time.Duration) {
	ctx := s.ctx
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			n, err := s.Reconcile(ctx)
			switch {
			case err != nil && ctx.Err() == nil:
				s.log.Error("reconciling", "error", err.Error(), "queued", n)
			case n > 0:
				s.log.Info("reconciled", "queued", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// inflightKey names a request queued or being decided.
func inflightKey(r *request) string {
	return fmt.Sprintf("%s#%d#%s", strings.ToLower(r.Repo.String()), r.RunID, strings.ToLower(r.Environment))
}

// claim marks r queued; false when it is queued or being decided already.
func (s *Server) claim(r *request) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := inflightKey(r)
	if s.inflight[k] {
		return false
	}
	s.inflight[k] = true
	return true
}

// release unmarks r once it is decided (or dropped).
func (s *Server) release(r *request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.inflight, inflightKey(r))
}
