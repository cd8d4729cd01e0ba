// Package adopt reads a repository's GitHub Actions workflows to say, for
// each environment of a relproof policy, which job or step produces each
// piece of evidence the policy requires, and what the policy requires that
// no workflow produces — before a release is denied for it. It is what
// `relproof policy check` prints.
//
// It reads the workflows as YAML, by the shape GitHub gives them, and
// knows relproof's reusable workflows and actions, GitHub's attest actions
// and the common scanners' official actions. It never runs anything.
package adopt
