// Package attest builds in-toto Statement v1 attestations bound to a subject
// digest: SLSA v1 build provenance from the GitHub Actions environment (or the
// local git repository), test results, vulnerability scans and custom
// predicates. It builds statements; package sign signs them.
package attest
