package slsagen_test

import (
	"testing"

	serrors "github.com/slsa-framework/slsa-verifier/v2/errors"

	"github.com/relproof/relproof/internal/verify/slsagen"
)

const (
	main = "refs/heads/main"
	v123 = "refs/tags/v1.2.3"
)

func with(o slsagen.Options, f func(*slsagen.Options)) slsagen.Options {
	f(&o)
	return o
}

func certWith(b build, f func(*build)) build {
	f(&b)
	return b
}

func TestVerifyCertificate(t *testing.T) {
	t.Parallel()
	runVerifyCases(t, []verifyCase{{
		name:  "generic generator at a release",
		build: generic(main),
		opts:  source,
		want:  result(genericBuilder+release, main, false),
	}, {
		name:  "source URI with https prefix",
		build: generic(main),
		opts:  slsagen.Options{SourceURI: "https://github.com/" + repo},
		want:  result(genericBuilder+release, main, false),
	}, {
		name:    "issuer not GitHub Actions",
		build:   certWith(generic(main), func(b *build) { b.cert.Issuer = issuer + "/hammer-time" }),
		opts:    source,
		wantErr: []error{serrors.ErrorInvalidOIDCIssuer},
	}, {
		name:    "SAN without ref",
		build:   certWith(generic(main), func(b *build) { b.cert.SubjectAlternativeName, b.cert.BuildSignerURI = genericBuilder, "" }),
		opts:    source,
		wantErr: []error{serrors.ErrorMalformedURI},
	}, {
		name:    "SAN an email",
		build:   certWith(generic(main), func(b *build) { b.cert.SubjectAlternativeName, b.cert.BuildSignerURI = "dev@acme.example", "" }),
		opts:    source,
		wantErr: []error{serrors.ErrorInvalidFormat},
	}, {
		name:    "build signer differs from SAN",
		build:   certWith(generic(main), func(b *build) { b.cert.BuildSignerURI = goBuilder + release }),
		opts:    source,
		wantErr: []error{serrors.ErrorMismatchCertificate},
	}, {
		name:    "deprecated trigger claim disagrees",
		build:   certWith(generic(main), func(b *build) { b.cert.GithubWorkflowTrigger = "push" }),
		opts:    source,
		wantErr: []error{serrors.ErrorInvalidFormat},
	}, {
		name:    "deprecated repository claim disagrees",
		build:   certWith(generic(main), func(b *build) { b.cert.GithubWorkflowRepository = "acme/other" }),
		opts:    source,
		wantErr: []error{serrors.ErrorInvalidFormat},
	}, {
		name:    "build config digest disagrees",
		build:   certWith(generic(main), func(b *build) { b.cert.BuildConfigDigest = "ffff" }),
		opts:    source,
		wantErr: []error{serrors.ErrorInvalidFormat},
	}, {
		name: "old certificate with deprecated claims only",
		build: certWith(generic(main), func(b *build) {
			b.cert.BuildTrigger, b.cert.SourceRepositoryDigest, b.cert.SourceRepositoryURI = "", "", ""
			b.cert.BuildConfigURI, b.cert.BuildConfigDigest, b.cert.BuildSignerURI = "", "", ""
		}),
		opts: source,
		want: result(genericBuilder+release, main, false),
	}, {
		name:    "untrusted builder fork",
		build:   certWith(generic(main), func(b *build) { b.cert.SubjectAlternativeName, b.cert.BuildSignerURI = forkBuilder+release, "" }),
		opts:    source,
		wantErr: []error{serrors.ErrorUntrustedReusableWorkflow},
	}, {
		name:    "untrusted builder fork named by builder id",
		build:   certWith(generic(main), func(b *build) { b.cert.SubjectAlternativeName, b.cert.BuildSignerURI = forkBuilder+release, "" }),
		opts:    with(source, func(o *slsagen.Options) { o.BuilderID = forkBuilder }),
		wantErr: []error{serrors.ErrorUntrustedReusableWorkflow},
	}, {
		name:    "container generator is for images only",
		build:   genericBuild(containerGenerator, "https://github.com/slsa-framework/slsa-github-generator/container@v1", main),
		opts:    source,
		wantErr: []error{serrors.ErrorUntrustedReusableWorkflow},
	}, {
		name:  "container generator for an image",
		build: genericBuild(containerGenerator, "https://github.com/slsa-framework/slsa-github-generator/container@v1", main),
		opts:  with(source, func(o *slsagen.Options) { o.ContainerImage = true }),
		want:  result(containerGenerator+release, main, false),
	}, {
		name:    "generic generator for an image",
		build:   generic(main),
		opts:    with(source, func(o *slsagen.Options) { o.ContainerImage = true }),
		wantErr: []error{serrors.ErrorUntrustedReusableWorkflow},
	}, {
		name:    "builder at a branch",
		build:   certWith(generic(main), func(b *build) { b.cert.SubjectAlternativeName, b.cert.BuildSignerURI = genericBuilder+"@"+main, "" }),
		opts:    source,
		wantErr: []error{serrors.ErrorInvalidRef},
	}, {
		name: "builder at a prerelease",
		build: certWith(generic(main), func(b *build) {
			b.cert.SubjectAlternativeName, b.cert.BuildSignerURI = genericBuilder+"@refs/tags/v2.1.0-rc.1", ""
		}),
		opts:    source,
		wantErr: []error{serrors.ErrorInvalidRef},
	}, {
		name: "builder at a short tag",
		build: certWith(generic(main), func(b *build) {
			b.cert.SubjectAlternativeName, b.cert.BuildSignerURI = genericBuilder+"@refs/tags/v2.1", ""
		}),
		opts:    source,
		wantErr: []error{serrors.ErrorInvalidRef},
	}, {
		name:  "builder id without ref",
		build: generic(main),
		opts:  with(source, func(o *slsagen.Options) { o.BuilderID = genericBuilder }),
		want:  result(genericBuilder+release, main, false),
	}, {
		name:  "builder id at short tag",
		build: generic(main),
		opts:  with(source, func(o *slsagen.Options) { o.BuilderID = genericBuilder + "@v2.1.0" }),
		want:  result(genericBuilder+release, main, false),
	}, {
		name:  "builder id at full ref",
		build: generic(main),
		opts:  with(source, func(o *slsagen.Options) { o.BuilderID = genericBuilder + release }),
		want:  result(genericBuilder+release, main, false),
	}, {
		name:    "builder id at another release",
		build:   generic(main),
		opts:    with(source, func(o *slsagen.Options) { o.BuilderID = genericBuilder + "@v2.0.0" }),
		wantErr: []error{serrors.ErrorUntrustedReusableWorkflow, serrors.ErrorMismatchBuilderID},
	}, {
		name:    "builder id names another builder",
		build:   generic(main),
		opts:    with(source, func(o *slsagen.Options) { o.BuilderID = goBuilder }),
		wantErr: []error{serrors.ErrorUntrustedReusableWorkflow, serrors.ErrorMismatchBuilderID},
	}, {
		name:    "certificate source repository differs",
		build:   generic(main),
		opts:    slsagen.Options{SourceURI: "github.com/acme/other"},
		wantErr: []error{serrors.ErrorMismatchSource},
	}})
}

func TestVerifyProvenance(t *testing.T) {
	t.Parallel()
	runVerifyCases(t, []verifyCase{{
		name:  "go builder, legacy build type",
		build: genericBuild(goBuilder, "https://github.com/slsa-framework/slsa-github-generator-go@v1", v123),
		opts:  source,
		want:  result(goBuilder+release, v123, false),
	}, {
		name:  "container-based builder, SLSA v1",
		build: containerBased(main),
		opts:  source,
		want:  result(containerBuilder+release, main, false),
	}, {
		name:   "sha512 subject",
		build:  generic(main).set("subject", subjects(artifactSHA512)),
		digest: artifactSHA512,
		opts:   source,
		want:   result(genericBuilder+release, main, false),
	}, {
		name:    "subject digest differs",
		build:   generic(main),
		digest:  otherArtifact,
		opts:    source,
		wantErr: []error{serrors.ErrorMismatchHash},
	}, {
		name:    "no subject",
		build:   generic(main).set("subject", []any{}),
		opts:    source,
		wantErr: []error{serrors.ErrorInvalidDssePayload},
	}, {
		name:    "provenance builder at another release",
		build:   generic(main).set("predicate.builder.id", genericBuilder+"@refs/tags/v2.0.0"),
		opts:    source,
		wantErr: []error{serrors.ErrorMismatchBuilderID},
	}, {
		name:    "provenance builder without ref",
		build:   generic(main).set("predicate.builder.id", genericBuilder),
		opts:    source,
		wantErr: []error{serrors.ErrorMismatchBuilderID},
	}, {
		name:    "build type of another builder",
		build:   generic(main).set("predicate.buildType", "https://github.com/slsa-framework/slsa-github-generator/go@v1"),
		opts:    source,
		wantErr: []error{serrors.ErrorInvalidBuildType},
	}, {
		name:    "SLSA v1 from the generic generator",
		build:   certWith(containerBased(main), func(b *build) { b.cert = githubCert(genericBuilder+release, main) }),
		opts:    source,
		wantErr: []error{serrors.ErrorInvalidBuilderID},
	}, {
		name:    "unknown predicate type",
		build:   generic(main).set("predicateType", "https://slsa.dev/provenance/v0.1"),
		opts:    source,
		wantErr: []error{serrors.ErrorInvalidDssePayload},
	}, {
		name:    "unknown statement type",
		build:   generic(main).set("_type", "https://in-toto.io/Statement/v2"),
		opts:    source,
		wantErr: []error{serrors.ErrorInvalidDssePayload},
	}, {
		name:    "unknown field",
		build:   generic(main).set("predicate.invocation.extra", true),
		opts:    source,
		wantErr: []error{serrors.ErrorInvalidDssePayload},
	}, {
		name:    "not JSON",
		build:   generic(main),
		stmt:    []byte("{"),
		opts:    source,
		wantErr: []error{serrors.ErrorInvalidDssePayload},
	}, {
		name:    "trigger from another repository",
		build:   generic(main).set("predicate.invocation.configSource.uri", "git+https://github.com/acme/other@"+main),
		opts:    source,
		wantErr: []error{serrors.ErrorMismatchSource},
	}, {
		name:    "source from another repository",
		build:   generic(main).set("predicate.materials.0.uri", "git+https://github.com/acme/other@"+main),
		opts:    source,
		wantErr: []error{serrors.ErrorMismatchSource},
	}, {
		name:    "v1 trigger from another repository",
		build:   containerBased(main).set("predicate.buildDefinition.internalParameters.GITHUB_WORKFLOW_REF", "acme/other/.github/workflows/release.yml@"+main),
		opts:    source,
		wantErr: []error{serrors.ErrorMismatchSource},
	}, {
		name:    "v1 without workflow ref",
		build:   containerBased(main).del("predicate.buildDefinition.internalParameters.GITHUB_WORKFLOW_REF"),
		opts:    source,
		wantErr: []error{serrors.ErrorNotPresent},
	}, {
		name:    "trigger without ref",
		build:   generic(main).set("predicate.invocation.configSource.uri", repoURI),
		opts:    source,
		wantErr: []error{serrors.ErrorMalformedURI},
	}, {
		name:    "source without ref",
		build:   generic(main).set("predicate.materials.0.uri", repoURI),
		opts:    source,
		wantErr: []error{serrors.ErrorMalformedURI},
	}, {
		name:    "no materials",
		build:   generic(main).del("predicate.materials"),
		opts:    source,
		wantErr: []error{serrors.ErrorInvalidDssePayload},
	}, {
		name:    "source ref differs from trigger",
		build:   generic(main).set("predicate.materials.0.uri", repoURI+"@refs/heads/dev"),
		opts:    source,
		wantErr: []error{serrors.ErrorInvalidDssePayload},
	}})
}

func TestVerifyRefs(t *testing.T) {
	t.Parallel()
	branch := func(b string) slsagen.Options { return with(source, func(o *slsagen.Options) { o.SourceBranch = b }) }
	tag := func(tg string) slsagen.Options { return with(source, func(o *slsagen.Options) { o.SourceTag = tg }) }
	vtag := func(tg string) slsagen.Options {
		return with(source, func(o *slsagen.Options) { o.SourceVersionedTag = tg })
	}
	runVerifyCases(t, []verifyCase{{
		name:  "branch of a branch build",
		build: generic(main),
		opts:  branch("main"),
		want:  result(genericBuilder+release, main, false),
	}, {
		name:    "other branch",
		build:   generic(main),
		opts:    branch("master"),
		wantErr: []error{serrors.ErrorMismatchBranch},
	}, {
		name:  "branch of a tag pushed from main",
		build: generic(v123),
		opts:  branch("main"),
		want:  result(genericBuilder+release, v123, false),
	}, {
		name:    "branch of a tag on no branch",
		build:   generic(v123).set("predicate.invocation.environment.github_event_payload.base_ref", nil),
		opts:    branch("main"),
		wantErr: []error{serrors.ErrorInvalidRef},
	}, {
		name:  "branch of a tag with a base ref",
		build: generic(v123).set("predicate.invocation.environment.github_base_ref", "refs/heads/release"),
		opts:  branch("release"),
		want:  result(genericBuilder+release, v123, false),
	}, {
		name: "branch of a release",
		build: generic(v123).
			set("predicate.invocation.environment.github_event_name", "release").
			set("predicate.invocation.environment.github_event_payload", map[string]any{"release": map[string]any{"target_commitish": "stable"}}),
		opts: branch("stable"),
		want: result(genericBuilder+release, v123, false),
	}, {
		name:    "branch of a tag built by another event",
		build:   generic(v123).set("predicate.invocation.environment.github_event_name", "workflow_dispatch"),
		opts:    branch("main"),
		wantErr: []error{serrors.ErrorInvalidRef},
	}, {
		name:    "unknown ref type",
		build:   generic(main).set("predicate.invocation.environment.github_ref_type", "pull"),
		opts:    branch("main"),
		wantErr: []error{serrors.ErrorInvalidDssePayload},
	}, {
		name:    "environment not an object",
		build:   generic(main).set("predicate.invocation.environment", "main"),
		opts:    branch("main"),
		wantErr: []error{serrors.ErrorInvalidDssePayload},
	}, {
		name:  "branch of a v1 build",
		build: containerBased(main),
		opts:  branch("main"),
		want:  result(containerBuilder+release, main, false),
	}, {
		name:  "tag",
		build: generic(v123),
		opts:  tag("v1.2.3"),
		want:  result(genericBuilder+release, v123, false),
	}, {
		name:    "other tag",
		build:   generic(v123),
		opts:    tag("v1.2.4"),
		wantErr: []error{serrors.ErrorMismatchTag},
	}, {
		name:    "tag of a branch build",
		build:   generic(main),
		opts:    tag("v1.2.3"),
		wantErr: []error{serrors.ErrorInvalidRef},
	}, {
		name:    "versioned tag of a branch build",
		build:   containerBased(main),
		opts:    vtag("v1"),
		wantErr: []error{serrors.ErrorInvalidRef},
	}, {
		name:  "tag of a v1 build",
		build: containerBased(v123),
		opts:  tag("v1.2.3"),
		want:  result(containerBuilder+release, v123, false),
	}})
}

func TestVerifyVersionedTag(t *testing.T) {
	t.Parallel()
	var tests []verifyCase
	for _, tt := range []struct {
		built, want string
		err         error
	}{
		{"v1.2.3", "v1", nil},
		{"v1.2.3", "v1.2", nil},
		{"v1.2.3", "v1.2.3", nil},
		{"v1.2.3", "v1.2.3+build", nil},
		// slsa-verifier's quirk: a dot in the expected build metadata
		// splits the patch version.
		{"v1.2.3", "v1.2.3+build.7", serrors.ErrorMismatchVersionedTag},
		{"v1.2.3+build.7", "v1.2.3", nil},
		{"v1.2.3", "v1.3", serrors.ErrorMismatchVersionedTag},
		{"v1.2.3", "v1.2.4", serrors.ErrorMismatchVersionedTag},
		{"v1.2.3", "v2", serrors.ErrorMismatchVersionedTag},
		{"v1.2.3-rc.1", "v1.2.3", serrors.ErrorMismatchVersionedTag},
		{"v1.2.3-rc.1", "v1.2", nil},
		{"v14", "v14", nil},
		{"v14", "v14.0.0", nil},
		{"v14", "v14.1", serrors.ErrorMismatchVersionedTag},
		{"v1.2", "v1.2.0", nil},
		{"release-1", "v1", serrors.ErrorInvalidSemver},
	} {
		ref := "refs/tags/" + tt.built
		vc := verifyCase{
			name:  tt.built + " as " + tt.want,
			build: generic(ref),
			opts:  with(source, func(o *slsagen.Options) { o.SourceVersionedTag = tt.want }),
		}
		if tt.err != nil {
			vc.wantErr = []error{tt.err}
		} else {
			vc.want = result(genericBuilder+release, ref, false)
		}
		tests = append(tests, vc)
	}
	runVerifyCases(t, tests)
}

func TestVerifyDelegator(t *testing.T) {
	t.Parallel()
	trwID := func(id string) slsagen.Options { return with(source, func(o *slsagen.Options) { o.BuilderID = id }) }
	runVerifyCases(t, []verifyCase{{
		name:  "third-party TRW named by builder id",
		build: delegated(thirdPartyTRW+"@refs/tags/v1.0.0", v123),
		opts:  trwID(thirdPartyTRW),
		want:  result(thirdPartyTRW+"@refs/tags/v1.0.0", v123, true),
	}, {
		name:  "third-party TRW named at its version",
		build: delegated(thirdPartyTRW+"@refs/tags/v1.0.0", v123),
		opts:  trwID(thirdPartyTRW + "@v1.0.0"),
		want:  result(thirdPartyTRW+"@refs/tags/v1.0.0", v123, true),
	}, {
		name:    "third-party TRW without builder id",
		build:   delegated(thirdPartyTRW+"@refs/tags/v1.0.0", v123),
		opts:    source,
		wantErr: []error{serrors.ErrorInvalidBuilderID},
	}, {
		name:  "generator TRW without builder id",
		build: delegated(mavenTRW+release, main),
		opts:  source,
		want:  result(mavenTRW+release, main, true),
	}, {
		name:    "TRW is not the one named",
		build:   delegated(thirdPartyTRW+"@refs/tags/v1.0.0", v123),
		opts:    trwID(mavenTRW),
		wantErr: []error{serrors.ErrorMismatchBuilderID},
	}, {
		name:    "TRW at another version",
		build:   delegated(thirdPartyTRW+"@refs/tags/v1.0.0", v123),
		opts:    trwID(thirdPartyTRW + "@v1.0.1"),
		wantErr: []error{serrors.ErrorMismatchBuilderID},
	}, {
		name:    "TRW at a branch",
		build:   delegated(thirdPartyTRW+"@"+main, v123),
		opts:    trwID(thirdPartyTRW),
		wantErr: []error{serrors.ErrorInvalidRef},
	}, {
		name:    "TRW without ref",
		build:   delegated(thirdPartyTRW, v123),
		opts:    trwID(thirdPartyTRW),
		wantErr: []error{serrors.ErrorInvalidBuilderID},
	}, {
		name:  "JReleaser TRW at a language tag",
		build: delegated("https://github.com/jreleaser/release-action/.github/workflows/builder_slsa3.yml@refs/tags/v1.0.0-java", v123),
		opts:  trwID("https://github.com/jreleaser/release-action/.github/workflows/builder_slsa3.yml"),
		want:  result("https://github.com/jreleaser/release-action/.github/workflows/builder_slsa3.yml@refs/tags/v1.0.0-java", v123, true),
	}, {
		name:    "JReleaser TRW at a plain tag",
		build:   delegated("https://github.com/jreleaser/release-action/.github/workflows/builder_slsa3.yml@refs/tags/v1.0.0", v123),
		opts:    trwID("https://github.com/jreleaser/release-action/.github/workflows/builder_slsa3.yml"),
		wantErr: []error{serrors.ErrorInvalidRef},
	}, {
		name:  "builder id is not matched against the delegator",
		build: delegated(mavenTRW+release, main),
		opts:  trwID(mavenTRW + "@v2.1.0"),
		want:  result(mavenTRW+release, main, true),
	}, {
		name: "TRW built a commit without a ref",
		build: delegated(mavenTRW+release, v123).
			set("predicate.buildDefinition.resolvedDependencies.0.uri", repoURI),
		opts: source,
		want: &slsagen.Result{
			BuilderID: mavenTRW + release, SourceURI: repoURI, SourceRef: v123,
			SourceCommit: sha, Trigger: "push", BYOB: true,
		},
	}, {
		name:  "branch of a delegated tag build",
		build: delegated(mavenTRW+release, v123),
		opts:  with(source, func(o *slsagen.Options) { o.SourceBranch = "main" }),
		want:  result(mavenTRW+release, v123, true),
	}, {
		name:  "versioned tag of a delegated build",
		build: delegated(mavenTRW+release, v123),
		opts:  with(source, func(o *slsagen.Options) { o.SourceVersionedTag = "v1.2" }),
		want:  result(mavenTRW+release, v123, true),
	}, {
		name:    "tag of a delegated branch build",
		build:   delegated(mavenTRW+release, main),
		opts:    with(source, func(o *slsagen.Options) { o.SourceTag = "v1.2.3" }),
		wantErr: []error{serrors.ErrorInvalidRef},
	}, {
		name:    "delegated source at neither branch nor tag",
		build:   delegated(mavenTRW+release, main).set("predicate.buildDefinition.resolvedDependencies.0.uri", repoURI+"@refs/pull/1/merge"),
		opts:    with(source, func(o *slsagen.Options) { o.SourceBranch = "main" }),
		wantErr: []error{serrors.ErrorInvalidDssePayload},
	}, {
		name:  "low-perms delegator, SLSA v0.2",
		build: delegatedV02(mavenTRW+release, v123),
		opts:  with(source, func(o *slsagen.Options) { o.SourceTag = "v1.2.3"; o.BuilderID = mavenTRW }),
		want:  result(mavenTRW+release, v123, true),
	}})
}

func TestVerifyOptions(t *testing.T) {
	t.Parallel()
	runVerifyCases(t, []verifyCase{{
		name:    "no source URI",
		build:   generic(main),
		wantErr: []error{slsagen.ErrInvalidOptions},
	}, {
		name:    "source URI not on github.com",
		build:   generic(main),
		opts:    slsagen.Options{SourceURI: "gitlab.com/" + repo},
		wantErr: []error{slsagen.ErrInvalidOptions},
	}, {
		name:    "source URI with a path",
		build:   generic(main),
		opts:    slsagen.Options{SourceURI: "github.com/" + repo + "/tree/main"},
		wantErr: []error{slsagen.ErrInvalidOptions},
	}, {
		name:    "branch and tag",
		build:   generic(main),
		opts:    with(source, func(o *slsagen.Options) { o.SourceBranch, o.SourceTag = "main", "v1" }),
		wantErr: []error{slsagen.ErrInvalidOptions},
	}, {
		name:    "versioned tag not semver",
		build:   generic(v123),
		opts:    with(source, func(o *slsagen.Options) { o.SourceVersionedTag = "1.2" }),
		wantErr: []error{slsagen.ErrInvalidOptions, serrors.ErrorInvalidSemver},
	}, {
		name:    "builder id with two refs",
		build:   generic(main),
		opts:    with(source, func(o *slsagen.Options) { o.BuilderID = genericBuilder + "@v1@v2" }),
		wantErr: []error{slsagen.ErrInvalidOptions, serrors.ErrorInvalidFormat},
	}, {
		name:    "short digest",
		build:   generic(main),
		digest:  subjectDigest("sha256", "abcd"),
		opts:    source,
		wantErr: []error{slsagen.ErrInvalidOptions, serrors.ErrorInvalidHash},
	}})
}
