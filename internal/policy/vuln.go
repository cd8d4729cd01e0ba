package policy

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Severity is a vulnerability's severity, lower-case.
type Severity string

// Severities, highest first. SeverityNone is only a maxSeverity: every
// finding is above it.
const (
	SeverityCritical   Severity = "critical"
	SeverityHigh       Severity = "high"
	SeverityMedium     Severity = "medium"
	SeverityLow        Severity = "low"
	SeverityNegligible Severity = "negligible"
	SeverityUnknown    Severity = "unknown"
	SeverityNone       Severity = "none"
	// SeverityIgnore is only an unknownAs: unrated findings block nothing.
	SeverityIgnore Severity = "ignore"
)

var severityRank = map[Severity]int{
	SeverityNone: 0, SeverityNegligible: 1, SeverityLow: 2, SeverityMedium: 3, SeverityHigh: 4, SeverityCritical: 5,
}

// NormalizeSeverity maps a scanner's severity word to a Severity, without
// regard to case; "moderate" is medium, and any word it does not know is
// SeverityUnknown.
func NormalizeSeverity(s string) Severity {
	switch v := Severity(strings.ToLower(strings.TrimSpace(s))); v {
	case SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityNegligible:
		return v
	case "moderate":
		return SeverityMedium
	}
	return SeverityUnknown
}

// Finding is one vulnerability a scan reports for the subject. Its fields
// are those of predicate.Finding, in the same order, so one converts to the
// other.
type Finding struct {
	ID           string // CVE-…, GHSA-…
	Package      string
	Version      string
	FixedVersion string
	Severity     string // as the scanner says it; NormalizeSeverity reads it
}

// FindingResult is the policy's answer for one finding.
type FindingResult struct {
	Finding Finding
	// Severity is what the finding was compared as: its normalized
	// severity, or UnknownAs when that is unknown.
	Severity Severity
	// Unrated says the scanner gave the finding no severity this package
	// knows ("unknown", "CRIT", none at all).
	Unrated     bool
	MaxSeverity Severity
	// AboveThreshold says Severity is above MaxSeverity.
	AboveThreshold bool
	// Blocked says the finding denies the deployment: above the threshold
	// and not excepted.
	Blocked bool
	// Exception is the active exception that excuses it, if any.
	Exception *Exception
	// Expired is, when no exception is active, the matching exception that
	// expired last, if any.
	Expired *Exception

	Expected string // "severity at most high, or an active exception"
	Found    string // "critical, no exception"
}

// Message says what the policy makes of the finding, and on a block what
// would change that.
func (r FindingResult) Message() string {
	f := r.Finding
	what := f.ID
	if f.Package != "" {
		what += " in " + strings.TrimSpace(f.Package+" "+f.Version)
	}
	sev := string(r.Severity)
	if r.Unrated {
		said := "no severity given"
		if strings.TrimSpace(f.Severity) != "" {
			said = "severity " + quoteShort(f.Severity)
		}
		if r.Severity == SeverityUnknown {
			return fmt.Sprintf("%s is unrated (%s), ignored (unknownAs: ignore)", what, said)
		}
		sev = fmt.Sprintf("unrated (%s), counted as %s (unknownAs)", said, r.Severity)
	}
	if !r.AboveThreshold {
		return fmt.Sprintf("%s is %s, within maxSeverity %s", what, sev, r.MaxSeverity)
	}
	msg := fmt.Sprintf("%s is %s, above maxSeverity %s", what, sev, r.MaxSeverity)
	switch {
	case r.Exception != nil:
		x := r.Exception
		return fmt.Sprintf("%s; excepted until %s by %s (%s:%d): %s", msg, x.Expires.UTC().Format(time.RFC3339), x.Approver, x.File, x.Line, x.Reason)
	case r.Expired != nil:
		x := r.Expired
		msg = fmt.Sprintf("%s; its exception (%s:%d) expired at %s", msg, x.File, x.Line, x.Expires.UTC().Format(time.RFC3339))
	}
	if f.FixedVersion != "" {
		msg += "; fixed in " + f.FixedVersion
	}
	return msg
}

// maxQuoted bounds how much of a scanner's word a message quotes.
const maxQuoted = 64

// quoteShort quotes s (escaping control characters) after cutting it to
// maxQuoted runes, with "…" after it when cut.
func quoteShort(s string) string {
	if r := []rune(s); len(r) > maxQuoted {
		return strconv.Quote(string(r[:maxQuoted])) + "…"
	}
	return strconv.Quote(s)
}

// FindingBlocked says whether a finding in the scan of the subject digest
// blocks the deployment at time now: whether it is above
// vulnerabilities.maxSeverity and, if so, whether an exception excuses it.
// A finding the scanner did not rate counts as vulnerabilities.unknownAs
// (critical when the policy leaves it out), or blocks nothing when that is
// ignore.
func (e *Environment) FindingBlocked(f Finding, digest string, now time.Time) FindingResult {
	v := e.Vulnerabilities
	r := FindingResult{Finding: f, Severity: NormalizeSeverity(f.Severity), MaxSeverity: v.MaxSeverity}
	r.Expected = fmt.Sprintf("severity at most %s, or an active exception", r.MaxSeverity)
	if r.Severity == SeverityUnknown {
		r.Unrated = true
		if v.UnknownAs == SeverityIgnore {
			r.Found = "unrated, ignored"
			return r
		}
		r.Severity = v.unknownAs()
		r.Found = "unrated, counted as " + string(r.Severity)
	} else {
		r.Found = string(r.Severity)
	}
	r.AboveThreshold = v.above(r.Severity)
	if !r.AboveThreshold {
		return r
	}
	r.Exception, r.Expired = v.ExceptionFor(f, digest, now)
	switch {
	case r.Exception != nil:
		r.Found += fmt.Sprintf(", excepted until %s", r.Exception.Expires.UTC().Format(time.RFC3339))
	case r.Expired != nil:
		r.Found += fmt.Sprintf(", exception expired at %s", r.Expired.Expires.UTC().Format(time.RFC3339))
	default:
		r.Found += ", no exception"
	}
	r.Blocked = r.Exception == nil
	return r
}

// unknownAs is the severity an unrated finding is compared as: UnknownAs
// when it is a severity, critical otherwise (left out, or a value this
// package does not know), so an unrated finding is never let through by
// accident.
func (v VulnerabilityPolicy) unknownAs() Severity {
	if _, ok := severityRank[v.UnknownAs]; ok && v.UnknownAs != SeverityNone {
		return v.UnknownAs
	}
	return SeverityCritical
}

// above reports whether s is above MaxSeverity. A MaxSeverity the package
// does not know blocks everything.
func (v VulnerabilityPolicy) above(s Severity) bool {
	max, ok := severityRank[v.MaxSeverity]
	if !ok {
		return true
	}
	return severityRank[s] > max
}

// ExceptionFor returns the exception that excuses f in the scan of digest
// at now, or nil; and when there is none, the matching exception that
// expired last, or nil.
func (v VulnerabilityPolicy) ExceptionFor(f Finding, digest string, now time.Time) (active, expired *Exception) {
	for i := range v.Exceptions {
		x := &v.Exceptions[i]
		if !x.Applies(f, digest) {
			continue
		}
		if x.ActiveAt(now) {
			return x, nil
		}
		if expired == nil || x.Expires.After(expired.Expires) {
			expired = x
		}
	}
	return nil, expired
}

// Applies reports whether x is for finding f in the scan of digest: the same
// id (without regard to case), and the same digest and package when x names
// them.
func (x *Exception) Applies(f Finding, digest string) bool {
	return strings.EqualFold(x.ID, f.ID) &&
		(x.Digest == "" || x.Digest == digest) &&
		(x.Package == "" || x.Package == f.Package)
}

// ActiveAt reports whether x has not expired at now.
func (x *Exception) ActiveAt(now time.Time) bool { return now.Before(x.Expires) }
