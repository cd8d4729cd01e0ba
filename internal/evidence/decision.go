package evidence

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// decisionSignature is the document of the decision's bundle that signs
// the decision, one compact line, and the record pack verify checks it
// against; missing when the caller gave no bundle.
func decisionSignature(in Input) (piece, *Attested, error) {
	if in.DecisionBundle == nil {
		return missing("the gate decision's signed bundle was not given, so the pack cannot show who signed the decision"), nil, nil
	}
	sig := in.DecisionSignature
	docs, err := splitDocs(*in.DecisionBundle)
	if err != nil {
		return piece{}, nil, err
	}
	for _, raw := range docs {
		if digestOf(raw) != sig.Digest {
			continue
		}
		var c bytes.Buffer
		if err := json.Compact(&c, raw); err != nil {
			return piece{}, nil, fmt.Errorf("decision bundle %s: expected JSON, found: %w", in.DecisionBundle.Name, err)
		}
		line := c.Bytes()
		return have(append(append([]byte{}, line...), '\n')),
			&Attested{Path: DecisionBundleFile, Line: 1, Digest: digestOf(line), Type: "decision", Signer: sig.Signer, Evidence: sig.Digest}, nil
	}
	return piece{}, nil, fmt.Errorf("decision bundle %s: expected the signature %s the caller verified, found no such document in it", in.DecisionBundle.Name, sig.Digest)
}

// exceptionsPiece is an exceptions file of the policy, where the pack
// holds it.
type exceptionsPiece struct {
	path string
	piece
}

// packName is a relative path the pack keeps as the policy names it: plain
// names only, which every file system and archive tool takes as they are.
var packName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*$`)

// policyPieces is the policy the decision was made under and the
// exceptions files beside it. An exceptions file the policy names by a
// plain relative path is kept at that path next to the policy, so the
// pack's policy reads it as the gate did; one named otherwise (absolute,
// outside the policy's directory, unusual characters) is kept as
// exceptions-HEX.yaml, by its digest. A policy that is not the decision's
// is recorded missing, and so are its exceptions.
func policyPieces(in Input) (piece, []exceptionsPiece, error) {
	d := in.Decision
	switch {
	case in.Policy == nil:
		return missing("no policy was given, so the policy the decision was made under (%s) is not recorded here", d.PolicyDigest), nil, nil
	case digestOf(in.Policy.Data) != d.PolicyDigest:
		return missing("the policy given (%s) is %s, not the policy the decision was made under (%s)", in.Policy.Name, digestOf(in.Policy.Data), d.PolicyDigest), nil, nil
	}
	var out []exceptionsPiece
	taken := map[string]bool{PolicyFile: true}
	for _, x := range in.Exceptions {
		name := filepath.ToSlash(x.Name)
		p := PolicyDir + path.Clean(name)
		if !filepath.IsLocal(x.Name) || !packName.MatchString(path.Clean(name)) || taken[p] {
			p = PolicyDir + "exceptions-" + strings.TrimPrefix(digestOf(x.Data), "sha256:")[:12] + ".yaml"
		}
		if taken[p] {
			continue // the same file, named twice
		}
		taken[p] = true
		out = append(out, exceptionsPiece{path: p, piece: have(x.Data)})
	}
	return have(in.Policy.Data), out, nil
}
