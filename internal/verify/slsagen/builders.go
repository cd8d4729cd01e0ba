package slsagen

// githubIssuer is the OIDC issuer of GitHub Actions tokens.
const githubIssuer = "https://token.actions.githubusercontent.com"

// Reusable workflows of slsa-github-generator.
const (
	generatorWorkflows = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"

	genericGenerator   = generatorWorkflows + "generator_generic_slsa3.yml"
	containerGenerator = generatorWorkflows + "generator_container_slsa3.yml"
	goBuilder          = generatorWorkflows + "builder_go_slsa3.yml"
	containerBased     = generatorWorkflows + "builder_container-based_slsa3.yml"
	genericDelegator   = generatorWorkflows + "delegator_generic_slsa3.yml"
	lowPermsDelegator  = generatorWorkflows + "delegator_lowperms-generic_slsa3.yml"

	// jreleaserWorkflows are TRWs released at vX.Y.Z-LANGUAGE tags.
	jreleaserWorkflows = "https://github.com/jreleaser/release-action"
)

// Trusted builders for artifacts (slsa-verifier verify-artifact) and for
// container images (verify-image).
var (
	artifactBuilders = map[string]bool{
		genericGenerator: true, goBuilder: true, containerBased: true,
		genericDelegator: true, lowPermsDelegator: true,
	}
	imageBuilders = map[string]bool{containerGenerator: true}
	delegators    = map[string]bool{genericDelegator: true, lowPermsDelegator: true}
)

// Predicate and build types.
const (
	provenanceV02 = "https://slsa.dev/provenance/v0.2"
	provenanceV1  = "https://slsa.dev/provenance/v1"

	buildTypeBYOB           = "https://github.com/slsa-framework/slsa-github-generator/delegator-generic@v0"
	buildTypeContainerBased = "https://slsa.dev/container-based-build/v0.1?draft"
	buildTypeGo             = "https://github.com/slsa-framework/slsa-github-generator/go@v1"
	buildTypeGeneric        = "https://github.com/slsa-framework/slsa-github-generator/generic@v1"
	buildTypeContainer      = "https://github.com/slsa-framework/slsa-github-generator/container@v1"
	buildTypeLegacy         = "https://github.com/slsa-framework/slsa-github-generator@v1"
	buildTypeLegacyGo       = "https://github.com/slsa-framework/slsa-github-generator-go@v1"
)

// layout says where a kind of provenance keeps its source, trigger and refs.
type layout int

const (
	// generatorLayout: v0.2 from the generators and the Go builder; refs in
	// invocation.environment, lower-case github_* keys.
	generatorLayout layout = iota + 1
	// byobV02Layout: v0.2 from a delegator; ref in materials[0].uri, the
	// rest in invocation.environment, upper-case GITHUB_* keys.
	byobV02Layout
	// v1Layout: v1 from the container-based builder; refs in
	// internalParameters, trigger from GITHUB_WORKFLOW_REF.
	v1Layout
	// byobV1Layout: v1 from a delegator; ref in resolvedDependencies[0].uri.
	byobV1Layout
)

func (l layout) byob() bool { return l == byobV02Layout || l == byobV1Layout }

// layouts maps predicate type, then certificate builder, then build type to
// the provenance layout. A combination that is missing is not provenance
// the builder produces.
var layouts = map[string]map[string]map[string]layout{
	provenanceV02: {
		genericDelegator:   {buildTypeBYOB: byobV02Layout},
		lowPermsDelegator:  {buildTypeBYOB: byobV02Layout},
		goBuilder:          {buildTypeGo: generatorLayout, buildTypeLegacy: generatorLayout, buildTypeLegacyGo: generatorLayout},
		genericGenerator:   {buildTypeGeneric: generatorLayout},
		containerGenerator: {buildTypeContainer: generatorLayout},
	},
	provenanceV1: {
		genericDelegator:  {buildTypeBYOB: byobV1Layout},
		lowPermsDelegator: {buildTypeBYOB: byobV1Layout},
		containerBased:    {buildTypeContainerBased: v1Layout},
	},
}
