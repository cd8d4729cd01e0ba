// Package report renders decisions for people: the Markdown summary that
// GitHub shows in check runs and step summaries (the verdict and digest
// first, then where the release came from, the six approval questions,
// every check with what it found, the evidence, and the chain drawn as a
// Mermaid flowchart), kept under GitHub's 65,535-character limit.
//
// ChainOf is the one model of the release chain — source, build, artifact,
// evidence, approval, deployment, rollback — that both the summary and the
// evidence pack's index.html draw. Text that came from outside goes through
// package safe, the one escaper, for the format it lands in.
package report
