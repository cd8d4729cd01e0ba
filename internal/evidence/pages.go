package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/relproof/relproof/internal/attest/predicate"
	"github.com/relproof/relproof/internal/report"
	"github.com/relproof/relproof/internal/report/safe"
)

// imageDigests lists the release by digest and, for a multi-platform
// index, each platform manifest: "NAME@DIGEST ROLE", one a line.
func imageDigests(in Input) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s release\n", in.Subject)
	for _, pl := range in.Platforms {
		ref := pl.Digest
		if in.Subject.Name != "" {
			ref = in.Subject.Name + "@" + pl.Digest
		}
		fmt.Fprintf(&b, "%s %s\n", ref, pl.Platform)
	}
	return []byte(b.String())
}

// approvalFile is the environment approval page.
const approvalFile = "05-approvals/environment-approval.md"

// approvalPage is the environment approval for people: the record as the
// signed approval attestation the decision used says it, when the pack
// holds that attestation; else the approval record given, which the page
// says is not signed.
func approvalPage(in Input, signed []doc) (piece, error) {
	var given *predicate.Approval
	if in.Approvals != nil {
		dec := json.NewDecoder(bytes.NewReader(in.Approvals.Data))
		dec.DisallowUnknownFields()
		given = new(predicate.Approval)
		if err := dec.Decode(given); err != nil {
			return piece{}, fmt.Errorf("approvals %s: expected the approval record relproof approval record writes: %w", in.Approvals.Name, err)
		}
	}
	for _, a := range signed {
		st, err := statementOf(a.data)
		if err != nil {
			continue
		}
		raw, err := json.Marshal(st["predicate"])
		if err != nil {
			continue
		}
		var rec predicate.Approval
		if err := json.Unmarshal(raw, &rec); err != nil {
			continue
		}
		from := fmt.Sprintf("From the signed approval attestation `%s` (in %s), which the gate verified.", a.digest, attestationFiles["approval"])
		if given != nil && !sameJSON(given, &rec) {
			from += " The approval record given beside it is not the one signed; this page shows the signed one."
		}
		return have(approvalMarkdown(&rec, from)), nil
	}
	if given != nil {
		return have(approvalMarkdown(given, fmt.Sprintf("From the approval record given, digest `%s`. It is not signed: the pack holds no approval attestation the decision used.", digestOf(in.Approvals.Data)))), nil
	}
	return missing("no environment approval record was given (--approvals), and no approval attestation the decision used"), nil
}

func approvalMarkdown(a *predicate.Approval, from string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# Environment approval\n\nEnvironment **%s**, digest `%s`, run %d.\n\n%s\n\n", safe.Markdown(a.Environment), safe.Code(a.Digest), a.RunID, from)
	verdict := "not approved"
	if a.Approved {
		verdict = "approved"
	}
	fmt.Fprintf(&b, "Verdict: **%s** (minimum %d, prevent self-review %t). %s\n\n", verdict, a.Minimum, a.PreventSelfReview, safe.Markdown(a.Reason))
	fmt.Fprintf(&b, "Recorded %s.\n\n", a.RecordedAt.UTC().Format(time.RFC3339))
	b.WriteString("| reviewer | state | time | counts | reason |\n|---|---|---|---|---|\n")
	for _, r := range a.Reviews {
		fmt.Fprintf(&b, "| %s | %s | %s | %t | %s |\n", safe.Markdown(r.Reviewer), safe.Markdown(r.State), r.Time.UTC().Format(time.RFC3339), r.Counts, safe.Markdown(r.Reason))
	}
	return []byte(b.String())
}

func rollbackPlan(in Input) piece {
	d := in.Decision
	rb := in.RollbackDigest
	if rb == "" {
		rb = d.RollbackDigest
	}
	if rb == "" {
		return missing("no rollback digest was given (--rollback-digest) and the gate decision names none")
	}
	status, msg := "not checked", "the gate decision has no rollback check"
	for _, c := range d.Checks {
		if c.ID == "rollback" {
			status, msg = string(c.Status), c.Message
		}
	}
	target := rb
	if in.Subject.Name != "" {
		target = in.Subject.Name + "@" + rb
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Rollback plan\n\nRelease `%s` to **%s**. Roll back to exactly:\n\n    %s\n\n", d.Digest, safe.Markdown(d.Environment), target)
	fmt.Fprintf(&b, "Rollback provenance, as the gate checked it: **%s** — %s\n\n", status, safe.Markdown(msg))
	b.WriteString("## Commands\n\n```sh\n")
	fmt.Fprintf(&b, "# 1. check the rollback digest's provenance still verifies\nrelproof verify %s --type provenance --key release.pub\n", target)
	fmt.Fprintf(&b, "# 2. gate the rollback like any deployment\nrelproof gate %s --environment %s --policy policy.yaml --decision-out rollback-decision.json\n", target, d.Environment)
	fmt.Fprintf(&b, "# 3. deploy %s by digest (never by tag) and record it\nrelproof deploy record %s --environment %s\n", rb, target, d.Environment)
	b.WriteString("```\n")
	return have([]byte(b.String()))
}

// signoffPage is the gate decision for people: its verdict, the digest of the
// decision JSON, and the summary the check run showed.
func signoffPage(in Input) []byte {
	d := in.Decision
	decSum := sha256.Sum256(in.DecisionJSON)
	return []byte(fmt.Sprintf("# Security sign-off\n\nGate decision for `%s` to **%s**: **%s**.\n\nDecision JSON digest: `sha256:%s`\n\n",
		d.Digest, d.Environment, d.Decision, hex.EncodeToString(decSum[:])) + report.Markdown(d))
}
