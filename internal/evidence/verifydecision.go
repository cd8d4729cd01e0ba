package evidence

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/relproof/relproof/internal/gate"
	"github.com/relproof/relproof/internal/report/safe"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

// checkDecision checks the gate decision the pack holds, when its file is
// intact (a changed one is already reported): it is the decision
// MANIFEST.json names; its signature verifies for the release digest, by
// the signer the manifest records, over exactly this decision (a pack that
// records the signature missing fails); the policy beside it is the one it
// was made under; and the pack holds every attestation it used, in the
// file for its kind, recorded with the signer the decision names, and no
// attestation it did not use. A pack that lists no decision.json was built
// before packs held one: there is nothing to check it against.
func checkDecision(m *Manifest, listed map[string]Entry, sums map[string]fileSum, release subject.Digest, policies []verify.Policy) (*gate.Decision, *verify.Attestation, []string) {
	e, ok := listed[DecisionFile]
	switch {
	case !ok:
		return nil, nil, nil
	case e.Missing != "":
		return nil, nil, []string{fmt.Sprintf("%s: expected the gate decision the pack was built on, found it recorded missing: %s", DecisionFile, safe.Text(e.Missing))}
	case !intact(e, sums):
		return nil, nil, nil
	}
	data := sums[DecisionFile].data
	var d gate.Decision
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, nil, []string{fmt.Sprintf("%s: expected the gate decision JSON, found: %s", DecisionFile, safe.Text(err.Error()))}
	}
	var problems []string
	if got := digestOf(data); got != m.DecisionDigest {
		problems = append(problems, fmt.Sprintf("%s: expected the decision %s names (decisionDigest %s), found %s", DecisionFile, ManifestFile, safe.Text(m.DecisionDigest), got))
	}
	if d.Digest != m.Digest || d.Environment != m.Environment || d.Decision != m.Decision {
		problems = append(problems, fmt.Sprintf("%s: expected the decision %s describes (%s for %s to %s), found %s for %s to %s", DecisionFile, ManifestFile,
			safe.Text(m.Decision), safe.Text(m.Digest), safe.Text(m.Environment), safe.Text(d.Decision), safe.Text(d.Digest), safe.Text(d.Environment)))
	}
	sig, ps := checkDecisionSignature(m, &d, listed, sums, release, policies)
	problems = append(problems, ps...)
	if pe, ok := listed[PolicyFile]; ok && pe.Missing == "" && "sha256:"+pe.SHA256 != d.PolicyDigest {
		problems = append(problems, fmt.Sprintf("%s: expected the policy the decision was made under, %s, found sha256:%s", PolicyFile, safe.Text(d.PolicyDigest), safe.Text(pe.SHA256)))
	}
	problems = append(problems, checkUsed(m, &d)...)
	return &d, sig, problems
}

// checkDecisionSignature verifies the decision's signed bundle; one the
// pack records missing is a failure.
func checkDecisionSignature(m *Manifest, d *gate.Decision, listed map[string]Entry, sums map[string]fileSum, release subject.Digest, policies []verify.Policy) (*verify.Attestation, []string) {
	const file = DecisionBundleFile
	e, ok := listed[file]
	switch {
	case !ok:
		return nil, []string{fmt.Sprintf("%s: expected the decision's signed bundle beside %s, found none listed in %s", file, DecisionFile, ManifestFile)}
	case e.Missing != "":
		// A decision nobody signed cannot be re-checked: whoever built the
		// pack could have written it.
		return nil, []string{fmt.Sprintf("%s: expected the decision's signed bundle, found it recorded missing: %s", file, safe.Text(e.Missing))}
	case !intact(e, sums):
		return nil, nil // the change is reported
	}
	entries, err := verify.ReadBundles(file, sums[file].data)
	if err != nil {
		return nil, []string{fmt.Sprintf("%s: %s", file, safe.Text(err.Error()))}
	}
	if len(entries) != 1 {
		return nil, []string{fmt.Sprintf("%s: expected the one signed document that signs the decision, found %d", file, len(entries))}
	}
	en := entries[0]
	var rec *Attested
	for i, a := range m.Attestations {
		if a.Path == file && a.Digest == en.Digest {
			rec = &m.Attestations[i]
		}
	}
	if rec == nil {
		return nil, []string{fmt.Sprintf("%s: expected the decision's signature %s records, found %s, which it does not", file, ManifestFile, en.Digest)}
	}
	a, why := verifyOne(release, en, policies)
	switch {
	case a == nil:
		return nil, []string{fmt.Sprintf("%s: the decision's signature does not verify for %s: %s", file, safe.Text(m.Digest), safe.Text(why))}
	case a.PredicateType != gate.DecisionType:
		return nil, []string{fmt.Sprintf("%s: expected a signed gate decision (%s), found a statement of %s", file, gate.DecisionType, safe.Text(a.PredicateType))}
	case a.Signer != rec.Signer:
		return nil, []string{fmt.Sprintf("%s: expected the signer %s records, %q, found %q", file, ManifestFile, safe.Text(rec.Signer), safe.Text(a.Signer))}
	}
	var signed gate.Decision
	raw, err := a.Statement.GetPredicate().MarshalJSON()
	if err == nil {
		err = json.Unmarshal(raw, &signed)
	}
	if err != nil || !sameJSON(&signed, d) {
		return nil, []string{fmt.Sprintf("%s: expected the signature over %s, found one over another decision", file, DecisionFile)}
	}
	return a, nil
}

// checkUsed checks that the pack holds every attestation the decision used
// (by the digest the decision lists), in the file for its kind, recorded
// with the signer the decision names, and none it did not use. Whether each
// one verifies is checkAttestations'.
func checkUsed(m *Manifest, d *gate.Decision) []string {
	held := map[string]Attested{}
	for _, a := range m.Attestations {
		if a.Path != DecisionBundleFile {
			held[a.Evidence] = a
		}
	}
	var problems []string
	used := map[string]bool{}
	for _, ev := range d.Evidence {
		used[ev.Digest] = true
		want := attestationFile(ev.Type)
		a, ok := held[ev.Digest]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s: expected the %s attestation the decision used, %s signed by %q, found none: the pack does not hold it",
				want, safe.Text(ev.Type), safe.Text(ev.Digest), safe.Text(ev.Signer)))
		case a.Path != want:
			problems = append(problems, fmt.Sprintf("%s:%d: expected the decision's %s attestation %s in %s, found it here", a.Path, a.Line, safe.Text(ev.Type), safe.Text(ev.Digest), want))
		case a.Signer != ev.Signer:
			problems = append(problems, fmt.Sprintf("%s:%d: expected the signer the decision names for %s, %q, found %q", a.Path, a.Line, safe.Text(ev.Digest), safe.Text(ev.Signer), safe.Text(a.Signer)))
		}
	}
	for _, a := range m.Attestations {
		if a.Path != DecisionBundleFile && !used[a.Evidence] {
			problems = append(problems, fmt.Sprintf("%s:%d: expected only attestations the decision used, found %s, which it did not", a.Path, a.Line, safe.Text(a.Evidence)))
		}
	}
	return problems
}

// intact reports whether a listed file is there as the manifest lists it.
func intact(e Entry, sums map[string]fileSum) bool {
	got, ok := sums[e.Path]
	return ok && got.err == nil && got.sha256 == e.SHA256 && got.size == e.Size
}
