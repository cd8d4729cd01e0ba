// Package decide is the gate pipeline, the one place that decides whether a
// digest may go to an environment: it gathers the signed evidence for the
// digest from its sources (files, the registry's referrers, the GitHub
// attestations API), sorts it under the policy's signers, checks the
// rollback digest, and has package gate evaluate the six questions.
//
// `relproof gate`, the demo and the deployment protection rule server all
// call Decide; none of them verifies or sorts evidence itself. Decide is
// given its sources and approvals; it never reads flags, the environment or
// the clock.
package decide
