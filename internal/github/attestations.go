package github

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// UploadAttestation stores a Sigstore bundle with the repository's artifact
// attestations (POST /repos/{o}/{r}/attestations) and returns its id.
func (c *Client) UploadAttestation(ctx context.Context, repo Repo, bundle []byte) (int64, error) {
	op := fmt.Sprintf("uploading an attestation to %s", repo)
	if !json.Valid(bundle) || !bytes.HasPrefix(bytes.TrimSpace(bundle), []byte("{")) {
		return 0, fmt.Errorf("%s: %w: the bundle is not a JSON object", op, ErrConfig)
	}
	body := struct {
		Bundle json.RawMessage `json:"bundle"`
	}{bundle}
	var created struct {
		ID int64 `json:"id"`
	}
	if _, err := c.do(ctx, http.MethodPost, fmt.Sprintf("repos/%s/%s/attestations", repo.Owner, repo.Name), body, &created); err != nil {
		return 0, c.fail(op, err)
	}
	if created.ID == 0 {
		return 0, c.fail(op, fmt.Errorf("%w: GitHub answered without an attestation id", ErrMalformed))
	}
	return created.ID, nil
}

// Attestations returns the Sigstore bundles stored for a subject digest
// ("sha256:HEX") in the repository (GET /repos/{o}/{r}/attestations/{digest}),
// following pagination. No attestations is an empty list, not an error.
// More than relproof reads is an error: anyone who may upload attestations
// could otherwise push a record (a deployment's, which says the digest was
// deployed) out of what is read.
func (c *Client) Attestations(ctx context.Context, repo Repo, digest string) ([]json.RawMessage, error) {
	op := fmt.Sprintf("reading the attestations of %s in %s", digest, repo)
	path := fmt.Sprintf("repos/%s/%s/attestations/%s?per_page=100", repo.Owner, repo.Name, url.PathEscape(digest))
	out := []json.RawMessage{}
	for page := 0; ; page++ {
		if page == maxPages {
			return nil, c.fail(op, fmt.Errorf("%w: GitHub holds more than the %d attestations relproof reads, and relproof does not act on part of them (whoever may upload the repository's attestations stored that many: delete those relproof did not make)", ErrIncomplete, len(out)))
		}
		var res struct {
			Attestations []struct {
				Bundle json.RawMessage `json:"bundle"`
			} `json:"attestations"`
		}
		resp, err := c.do(ctx, http.MethodGet, path, nil, &res)
		if page == 0 && IsNotFound(c.fail(op, err)) {
			return out, nil // none stored: no page at all
		}
		if err != nil {
			return nil, c.fail(op, err)
		}
		for _, a := range res.Attestations {
			if len(a.Bundle) > 0 && string(a.Bundle) != "null" {
				out = append(out, a.Bundle)
			}
		}
		if resp.After == "" {
			return out, nil
		}
		path = fmt.Sprintf("repos/%s/%s/attestations/%s?per_page=100&after=%s", repo.Owner, repo.Name, url.PathEscape(digest), url.QueryEscape(resp.After))
	}
}

// ReviewDeploymentProtectionRule answers a custom deployment protection rule
// for a run's environment (POST /repos/{o}/{r}/actions/runs/{id}/deployment_protection_rule).
// The client must authenticate as the GitHub App that is the rule.
func (c *Client) ReviewDeploymentProtectionRule(ctx context.Context, repo Repo, runID int64, environment string, approve bool, comment string) error {
	state := "rejected"
	if approve {
		state = "approved"
	}
	body := map[string]string{"environment_name": environment, "state": state, "comment": comment}
	if _, err := c.do(ctx, http.MethodPost, fmt.Sprintf("repos/%s/%s/actions/runs/%d/deployment_protection_rule", repo.Owner, repo.Name, runID), body, nil); err != nil {
		return c.fail(fmt.Sprintf("answering the deployment protection rule of run %d for %s (%s)", runID, environment, state), err)
	}
	return nil
}
