package serve

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are what /metrics serves.
type metrics struct {
	deliveries   *prometheus.CounterVec
	decisions    *prometheus.CounterVec
	latency      prometheus.Histogram
	githubErrors prometheus.Counter
	reconciled   prometheus.Counter
	dropped      prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "relproof_deliveries_total",
			Help: "Webhook deliveries by event and outcome (accepted, ignored, replayed, bad-signature, bad-request, overloaded)."}, []string{"event", "outcome"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "relproof_decisions_total",
			Help: "Deployment protection rule answers by verdict (approved, rejected) and cause (decided, error)."}, []string{"verdict", "cause"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "relproof_decision_seconds",
			Help: "Time from a request's arrival to its answer.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}),
		githubErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "relproof_github_errors_total",
			Help: "GitHub API calls that failed after their retries."}),
		reconciled: prometheus.NewCounter(prometheus.CounterOpts{Name: "relproof_reconciler_catches_total",
			Help: "Pending requests the reconciler found unanswered and answered."}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "relproof_requests_unanswered_total",
			Help: "Requests whose answer could not be posted (the reconciler answers them later)."}),
	}
	reg.MustRegister(m.deliveries, m.decisions, m.latency, m.githubErrors, m.reconciled, m.dropped)
	return m
}
