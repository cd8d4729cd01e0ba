// Package github is relproof's GitHub layer: one REST client over go-github
// v62 that gathers the evidence GitHub holds about a release and records
// what relproof decides back into it.
//
// It reads the source record of a commit (its pull requests, their reviews
// and at which commit each was given, who merged, branch protection and the
// rulesets that apply, whether CODEOWNERS covers the workflow files, the
// commits since the environment's last deployment), the build record of a
// workflow run (jobs, runners, logs digested), a run's environment reviews,
// deployments (created with the digest in their payload, their statuses, the
// previous successful digest), check runs (one per environment, updated in
// place), the artifact attestations API and custom deployment protection
// rule reviews. Endpoints go-github v62 lacks, or decodes too strictly, go
// through its NewRequest/Do.
//
// Every call takes a context and is bounded in time. Transient failures (5xx,
// primary and secondary rate limits) are retried by go-retryablehttp with a
// policy that honours Retry-After and X-RateLimit-Reset, and gives up early
// when the wait GitHub asks for exceeds the time left. Error bodies are read
// to a cap, and errors never carry a token.
package github
