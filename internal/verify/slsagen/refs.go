package slsagen

import (
	"fmt"

	serrors "github.com/slsa-framework/slsa-verifier/v2/errors"
	"github.com/slsa-framework/slsa-verifier/v2/verifiers/utils"
)

// verifyRefs checks the branch, tag or versioned tag the options ask for.
func verifyRefs(p *provenance, o options) error {
	if o.SourceBranch != "" {
		ref, from, err := p.branch()
		if err != nil {
			return err
		}
		branch, err := utils.BranchFromGitRef(ref)
		if err != nil {
			return fmt.Errorf("expected branch %q, but provenance (%s) records %q, not a branch: %w", o.SourceBranch, from, ref, err)
		}
		if branch != o.SourceBranch {
			return fmt.Errorf("%w: expected branch %q, provenance %s says %q", serrors.ErrorMismatchBranch, o.SourceBranch, from, branch)
		}
	}
	if o.SourceTag == "" && o.SourceVersionedTag == "" {
		return nil
	}
	ref, from, err := p.tag()
	if err != nil {
		return err
	}
	tag, err := utils.TagFromGitRef(ref)
	if err != nil {
		what, want := "tag", o.SourceTag
		if want == "" {
			what, want = "versioned tag", o.SourceVersionedTag
		}
		return fmt.Errorf("expected %s %q, but provenance (%s) was not built from a tag: %w", what, want, from, err)
	}
	if o.SourceTag != "" && tag != o.SourceTag {
		return fmt.Errorf("%w: expected tag %q, provenance %s says %q", serrors.ErrorMismatchTag, o.SourceTag, from, tag)
	}
	if o.SourceVersionedTag != "" {
		if err := utils.VerifyVersionedTag(tag, o.SourceVersionedTag); err != nil {
			return fmt.Errorf("expected versioned tag %q, provenance %s says %q: %w", o.SourceVersionedTag, from, tag, err)
		}
	}
	return nil
}

// sourceRef returns the ref of a delegator's source URI (it may differ from
// the trigger's) and its type: "heads" or "tags".
func (p *provenance) sourceRef() (ref, refType string, err error) {
	uri, field, err := p.source()
	if err != nil {
		return "", "", err
	}
	if _, ref, err = utils.ParseGitURIAndRef(uri); err != nil {
		return "", "", fmt.Errorf("provenance %s: %w", field, err)
	}
	if ref == "" {
		return "", "", fmt.Errorf("%w: provenance %s %q has no ref", serrors.ErrorInvalidDssePayload, field, uri)
	}
	refType, _ = utils.ParseGitRef(ref)
	if refType != "heads" && refType != "tags" {
		return "", "", fmt.Errorf("%w: provenance %s %q: ref %q is neither a branch nor a tag",
			serrors.ErrorInvalidDssePayload, field, uri, ref)
	}
	return ref, refType, nil
}

// branch returns the branch ref the build ran on and where it was read from.
// For a tag build that is the base ref of the tag, if GitHub recorded one,
// or "".
func (p *provenance) branch() (string, string, error) {
	if p.layout.byob() {
		ref, refType, err := p.sourceRef()
		if err != nil || refType == "heads" {
			return ref, "the source URI", err
		}
		return p.branchForTag()
	}
	refType, err := p.param("GITHUB_REF_TYPE")
	if err != nil {
		return "", "", err
	}
	switch refType {
	case "branch":
		ref, err := p.param("GITHUB_REF")
		return ref, p.key("GITHUB_REF"), err
	case "tag":
		return p.branchForTag()
	}
	return "", "", fmt.Errorf("%w: provenance %s is %q, want branch or tag", serrors.ErrorInvalidDssePayload, p.key("GITHUB_REF_TYPE"), refType)
}

// branchForTag returns the branch of a tag build: the base ref, the base ref
// of a push event, or the target of a release.
func (p *provenance) branchForTag() (string, string, error) {
	base, err := p.param("GITHUB_BASE_REF")
	if err != nil || base != "" {
		return base, p.key("GITHUB_BASE_REF"), err
	}
	event, err := p.param("GITHUB_EVENT_NAME")
	if err != nil {
		return "", "", err
	}
	params, err := p.params()
	if err != nil {
		return "", "", err
	}
	payloadKey := p.key("GITHUB_EVENT_PAYLOAD")
	payload, ok := params[payloadKey].(map[string]any)
	if !ok {
		return "", "", fmt.Errorf("%w: provenance %s.%s is not an object", serrors.ErrorInvalidDssePayload, p.envField(), payloadKey)
	}
	switch event {
	case "push":
		v, ok := payload["base_ref"]
		if !ok {
			return "", "", fmt.Errorf("%w: provenance %s has no base_ref", serrors.ErrorInvalidDssePayload, payloadKey)
		}
		ref, _ := v.(string) // null: the tag is on no branch
		return ref, payloadKey + ".base_ref", nil
	case "release":
		release, ok := payload["release"].(map[string]any)
		if !ok {
			return "", "", fmt.Errorf("%w: provenance %s has no release object", serrors.ErrorInvalidDssePayload, payloadKey)
		}
		target, ok := release["target_commitish"].(string)
		if !ok {
			return "", "", fmt.Errorf("%w: provenance %s.release has no target_commitish", serrors.ErrorInvalidDssePayload, payloadKey)
		}
		return "refs/heads/" + target, payloadKey + ".release.target_commitish", nil
	}
	return "", "a tag built on " + p.key("GITHUB_EVENT_NAME") + " " + event, nil
}

// tag returns the tag ref the build ran on, or "" for a branch build, and
// where it was read from.
func (p *provenance) tag() (string, string, error) {
	if p.layout.byob() {
		ref, refType, err := p.sourceRef()
		if err != nil || refType == "tags" {
			return ref, "the source URI", err
		}
		return "", "the source URI " + ref, nil
	}
	refType, err := p.param("GITHUB_REF_TYPE")
	if err != nil {
		return "", "", err
	}
	switch refType {
	case "branch":
		return "", p.key("GITHUB_REF_TYPE") + " branch", nil
	case "tag":
		ref, err := p.param("GITHUB_REF")
		return ref, p.key("GITHUB_REF"), err
	}
	return "", "", fmt.Errorf("%w: provenance %s is %q, want branch or tag", serrors.ErrorInvalidDssePayload, p.key("GITHUB_REF_TYPE"), refType)
}
