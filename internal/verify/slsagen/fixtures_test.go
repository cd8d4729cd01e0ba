package slsagen_test

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"

	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify/slsagen"
)

// Hand-built evidence for acme/app, shaped like slsa-github-generator's.
const (
	repo      = "acme/app"
	repoURI   = "git+https://github.com/" + repo
	sha       = "0123456789abcdef0123456789abcdef01234567"
	issuer    = "https://token.actions.githubusercontent.com"
	workflows = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"

	genericBuilder     = workflows + "generator_generic_slsa3.yml"
	goBuilder          = workflows + "builder_go_slsa3.yml"
	containerBuilder   = workflows + "builder_container-based_slsa3.yml"
	containerGenerator = workflows + "generator_container_slsa3.yml"
	delegator          = workflows + "delegator_generic_slsa3.yml"
	lowPermsDelegator  = workflows + "delegator_lowperms-generic_slsa3.yml"
	mavenTRW           = workflows + "builder_maven_slsa3.yml"
	thirdPartyTRW      = "https://github.com/acme/trw/.github/workflows/builder.yml"
	forkBuilder        = "https://github.com/asraa/slsa-github-generator/.github/workflows/builder_go_slsa3.yml"

	release = "@refs/tags/v2.1.0"
)

var (
	artifact       = digestOf(sha256.New(), "artifact")
	artifactSHA512 = digestOf(sha512.New(), "artifact")
	otherArtifact  = digestOf(sha256.New(), "other")
	source         = slsagen.Options{SourceURI: "github.com/" + repo}
)

func digestOf(h hash.Hash, s string) subject.Digest {
	h.Write([]byte(s))
	alg := subject.SHA256
	if h.Size() == sha512.Size {
		alg = subject.SHA512
	}
	return subject.Digest{Algorithm: alg, Hex: hex.EncodeToString(h.Sum(nil))}
}

// build is a certificate and the statement it signed.
type build struct {
	cert certificate.Summary
	stmt map[string]any
}

// set replaces the value at a dotted path ("predicate.materials.0.uri") of
// the statement.
func (b build) set(path string, v any) build {
	keys := strings.Split(path, ".")
	var node any = b.stmt
	for i, k := range keys {
		last := i == len(keys)-1
		switch n := node.(type) {
		case map[string]any:
			if last {
				n[k] = v
				return b
			}
			node = n[k]
		case []any:
			j, err := strconv.Atoi(k)
			if err != nil || j >= len(n) {
				panic("bad path " + path)
			}
			if last {
				n[j] = v
				return b
			}
			node = n[j]
		default:
			panic("bad path " + path)
		}
	}
	return b
}

// del removes the key at a dotted path.
func (b build) del(path string) build {
	i := strings.LastIndex(path, ".")
	parent := b.stmt
	if i >= 0 {
		var node any = b.stmt
		for _, k := range strings.Split(path[:i], ".") {
			node = node.(map[string]any)[k]
		}
		parent = node.(map[string]any)
	}
	delete(parent, path[i+1:])
	return b
}

func (b build) json(t testing.TB) []byte {
	t.Helper()
	out, err := json.Marshal(b.stmt)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// githubCert is the certificate Fulcio issues to builder (NAME@REF) running
// for a workflow of acme/app on ref.
func githubCert(builder, ref string) certificate.Summary {
	trigger := "workflow_dispatch"
	if strings.HasPrefix(ref, "refs/tags/") {
		trigger = "push"
	}
	return certificate.Summary{
		CertificateIssuer:      "CN=sigstore-intermediate,O=sigstore.dev",
		SubjectAlternativeName: builder,
		Extensions: certificate.Extensions{
			Issuer:                   issuer,
			GithubWorkflowTrigger:    trigger,
			GithubWorkflowSHA:        sha,
			GithubWorkflowName:       "release",
			GithubWorkflowRepository: repo,
			GithubWorkflowRef:        ref,
			BuildSignerURI:           builder,
			RunnerEnvironment:        "github-hosted",
			SourceRepositoryURI:      "https://github.com/" + repo,
			SourceRepositoryDigest:   sha,
			SourceRepositoryRef:      ref,
			BuildConfigURI:           "https://github.com/" + repo + "/.github/workflows/release.yml@" + ref,
			BuildConfigDigest:        sha,
			BuildTrigger:             trigger,
			RunInvocationURI:         "https://github.com/" + repo + "/actions/runs/1/attempts/1",
		},
	}
}

// githubEnv is the GitHub context as the builders record it: a
// workflow_dispatch on a branch or a push of a tag from main.
func githubEnv(ref string, upper bool) map[string]any {
	env := map[string]any{
		"github_ref":           ref,
		"github_ref_type":      "branch",
		"github_base_ref":      "",
		"github_event_name":    "workflow_dispatch",
		"github_event_payload": map[string]any{"ref": ref, "inputs": nil},
		"github_sha":           sha,
		"github_workflow_ref":  repo + "/.github/workflows/release.yml@" + ref,
	}
	if strings.HasPrefix(ref, "refs/tags/") {
		env["github_ref_type"] = "tag"
		env["github_event_name"] = "push"
		env["github_event_payload"] = map[string]any{"ref": ref, "base_ref": "refs/heads/main"}
	}
	if !upper {
		return env
	}
	up := map[string]any{}
	for k, v := range env {
		up[strings.ToUpper(k)] = v
	}
	return up
}

func subjects(d subject.Digest) []any {
	return []any{map[string]any{"name": "app", "digest": map[string]any{d.Algorithm: d.Hex}}}
}

// genericBuild is SLSA v0.2 provenance from the generic generator (the Go
// builder and the container generator write the same shape).
func genericBuild(builder, buildType, ref string) build {
	return build{
		cert: githubCert(builder+release, ref),
		stmt: map[string]any{
			"_type":         "https://in-toto.io/Statement/v0.1",
			"predicateType": "https://slsa.dev/provenance/v0.2",
			"subject":       subjects(artifact),
			"predicate": map[string]any{
				"builder":   map[string]any{"id": builder + release},
				"buildType": buildType,
				"invocation": map[string]any{
					"configSource": map[string]any{
						"uri":        repoURI + "@" + ref,
						"digest":     map[string]any{"sha1": sha},
						"entryPoint": ".github/workflows/release.yml",
					},
					"parameters":  map[string]any{},
					"environment": githubEnv(ref, false),
				},
				"metadata": map[string]any{
					"buildInvocationID": "1-1",
					"completeness":      map[string]any{"parameters": true, "environment": false, "materials": false},
					"reproducible":      false,
				},
				"materials": []any{map[string]any{"uri": repoURI + "@" + ref, "digest": map[string]any{"sha1": sha}}},
			},
		},
	}
}

func generic(ref string) build {
	return genericBuild(genericBuilder, "https://github.com/slsa-framework/slsa-github-generator/generic@v1", ref)
}

// v1Build is SLSA v1 provenance as the container-based builder (buildType
// container-based) or a delegator (buildType delegator-generic) writes it.
func v1Build(cert, builderID, buildType, ref string) build {
	return build{
		cert: githubCert(cert, ref),
		stmt: map[string]any{
			"_type":         "https://in-toto.io/Statement/v1",
			"predicateType": "https://slsa.dev/provenance/v1",
			"subject":       subjects(artifact),
			"predicate": map[string]any{
				"buildDefinition": map[string]any{
					"buildType":            buildType,
					"externalParameters":   map[string]any{"inputs": map[string]any{}},
					"internalParameters":   githubEnv(ref, true),
					"resolvedDependencies": []any{map[string]any{"uri": repoURI + "@" + ref, "digest": map[string]any{"gitCommit": sha}}},
				},
				"runDetails": map[string]any{
					"builder":  map[string]any{"id": builderID},
					"metadata": map[string]any{"invocationId": "https://github.com/" + repo + "/actions/runs/1/attempts/1"},
				},
			},
		},
	}
}

func containerBased(ref string) build {
	return v1Build(containerBuilder+release, containerBuilder+release, "https://slsa.dev/container-based-build/v0.1?draft", ref)
}

// delegated is a BYOB build: the delegator signs, trw is the provenance's
// builder.id.
func delegated(trw, ref string) build {
	return v1Build(delegator+release, trw, "https://github.com/slsa-framework/slsa-github-generator/delegator-generic@v0", ref)
}

// delegatedV02 is a BYOB build recorded as SLSA v0.2.
func delegatedV02(trw, ref string) build {
	b := genericBuild(lowPermsDelegator, "https://github.com/slsa-framework/slsa-github-generator/delegator-generic@v0", ref)
	b.set("predicate.builder.id", trw)
	b.set("predicate.invocation.environment", githubEnv(ref, true))
	return b
}

// result is what Verify reports for a hand-built build.
func result(builderID, ref string, byob bool) *slsagen.Result {
	trigger := "workflow_dispatch"
	if strings.HasPrefix(ref, "refs/tags/") {
		trigger = "push"
	}
	return &slsagen.Result{
		BuilderID: builderID, SourceURI: repoURI + "@" + ref, SourceRef: ref,
		SourceCommit: sha, Trigger: trigger, BYOB: byob,
	}
}

// verifyCase is a table entry of the unit tests.
type verifyCase struct {
	name    string
	build   build
	stmt    []byte // instead of build.stmt
	digest  subject.Digest
	opts    slsagen.Options
	want    *slsagen.Result
	wantErr []error // each must match with errors.Is
}

func runVerifyCases(t *testing.T, tests []verifyCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stmt := tt.stmt
			if stmt == nil {
				stmt = tt.build.json(t)
			}
			d := tt.digest
			if d.IsZero() {
				d = artifact
			}
			got, err := slsagen.Verify(tt.build.cert, stmt, d, tt.opts)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("result (-want +got):\n%s", diff)
				}
				return
			}
			if diff := cmp.Diff(tt.wantErr[0], err, cmpopts.EquateErrors()); diff != "" {
				t.Fatalf("error (-want +got):\n%s\ngot: %v", diff, err)
			}
			for _, want := range tt.wantErr[1:] {
				if !errors.Is(err, want) {
					t.Errorf("error %v does not match %v", err, want)
				}
			}
			if got != nil {
				t.Errorf("result %+v with error", got)
			}
			t.Logf("%v", err)
		})
	}
}

func subjectDigest(alg, hex string) subject.Digest { return subject.Digest{Algorithm: alg, Hex: hex} }
