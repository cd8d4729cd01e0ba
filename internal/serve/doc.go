// Package serve is relproof's custom deployment protection rule: a GitHub
// App's webhook server that GitHub calls before any job that targets a
// protected environment starts, whatever the workflow says.
//
// For a deployment_protection_rule "requested" delivery it answers 202 at
// once (GitHub wants a 2xx within 10 s and does not redeliver) and decides
// in a bounded worker pool: the digest the run will deploy is the one its
// relproof check run ("relproof / ENV", posted by deploy-gate.yml's prepare
// job with an external_id naming the run) showed the reviewers; the policy
// is read from the repository's default branch, never from the deployed
// ref; the evidence comes from the registry's referrers and the
// repository's artifact attestations, verified offline; and the decision is
// made by package decide, the same pipeline as relproof gate, with
// approvals left to the environment's own reviewers. Before the verdict it
// posts a status report (the digest, where it came from, the evidence);
// every error is a rejection that says why, never an approval and never
// silence.
package serve
