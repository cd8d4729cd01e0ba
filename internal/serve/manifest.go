package serve

// Manifest is the GitHub App manifest an admin registers the App with in
// one step (GitHub's "create a GitHub App from a manifest" flow): the
// permissions the rule needs and nothing more, and the one event it acts on.
type Manifest struct {
	Name               string            `json:"name"`
	URL                string            `json:"url"`
	HookAttributes     HookAttributes    `json:"hook_attributes"`
	Public             bool              `json:"public"`
	DefaultPermissions map[string]string `json:"default_permissions"`
	DefaultEvents      []string          `json:"default_events"`
	Description        string            `json:"description"`
}

// HookAttributes are where GitHub delivers the events.
type HookAttributes struct {
	URL    string `json:"url"`
	Active bool   `json:"active"`
}

// AppManifest is the manifest of a relproof rule served at baseURL.
func AppManifest(name, baseURL string) Manifest {
	return Manifest{
		Name: name, URL: baseURL, Public: false,
		Description:    "relproof: a custom deployment protection rule that allows a deployment only when the digest's evidence meets the repository's policy.",
		HookAttributes: HookAttributes{URL: baseURL + "/webhook", Active: true},
		DefaultPermissions: map[string]string{
			"actions":      "read",  // the run, its attempt
			"deployments":  "write", // answer the protection rule, read the environment's deployments
			"checks":       "read",  // the check run that showed the digest
			"contents":     "read",  // the policy on the default branch
			"attestations": "read",  // the evidence kept as artifact attestations
		},
		DefaultEvents: []string{"deployment_protection_rule"},
	}
}
