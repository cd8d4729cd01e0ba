// Package scaffold writes what `relproof init` puts into a repository: a
// release workflow and the policy it answers to, made as a matched pair.
// Every piece of evidence the policy requires is produced by a step of the
// workflow (tests, a vulnerability scan by the scanner's own action pinned
// by SHA, the SBOM and provenance of relproof's build-attest.yml), and the
// deploy job runs in the protected environment, behind relproof's final
// gate, so the environment's credentials are reachable only after relproof
// allowed that digest.
//
// The templates use [[ ]] delimiters: the workflows are full of GitHub's
// own ${{ }} expressions, which pass through untouched.
package scaffold
