// Package report renders decisions for people: the Markdown summary that
// GitHub shows in check runs and step summaries (the verdict and digest
// first, the six approval questions, the evidence, the chain drawn as a
// Mermaid flowchart), kept under GitHub's 65,535-character limit.
package report
