// Package e2e checks relproof's GitHub Actions suite: the composite actions
// (action.yml, actions/*/action.yml) and the workflows (.github/workflows,
// examples/workflows).
//
// Without build tags it checks what actionlint does not: every composite
// action's inputs and outputs are described, and no `run:` script, in an
// action or a workflow, expands ${{ }} (inputs reach scripts through env:).
//
// With -tags act it runs the reusable workflows for real with nektos/act
// (bin/act, built from tools/act) on the host, against loopback fakes only:
// the GitHub API (internal/testing/fakegithub), an OCI registry
// (internal/testing/registrytest) and a Sigstore with its OIDC issuer
// (internal/testing/fakesigstore).
package e2e
