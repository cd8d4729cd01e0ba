package audit

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

func check(t *testing.T, src string) []Finding {
	t.Helper()
	fs, err := CheckWorkflow(".github/workflows/w.yml", []byte(src))
	if err != nil {
		t.Fatalf("CheckWorkflow: %v", err)
	}
	return fs
}

func at(fs []Finding, rule string) []int {
	var lines []int
	for _, f := range fs {
		if f.Rule == rule {
			lines = append(lines, f.Line)
		}
	}
	return lines
}

func wantLines(t *testing.T, fs []Finding, rule string, want ...int) {
	t.Helper()
	if got := at(fs, rule); fmt.Sprint(got) != fmt.Sprint(want) && !(len(got) == 0 && len(want) == 0) {
		t.Errorf("%s at lines %v, want %v; all findings:\n%s", rule, got, want, dump(fs))
	}
}

func dump(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %d %s %s: %s\n", f.Line, f.Severity, f.Rule, f.Message)
	}
	return b.String()
}

func TestUnpinned(t *testing.T) {
	fs := check(t, `on: push
permissions: {}
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: Actions/Setup-Go@main
      - uses: github/codeql-action/init@v3
      - uses: evil/action@0123456789abcdef0123456789abcdef01234567
      - uses: evil/action@0123456
      - uses: evil/action@v1
      - uses: ./local
      - uses: docker://alpine:3
      - uses: evil/action
  b:
    uses: org/repo/.github/workflows/release.yml@main
  c:
    uses: ./.github/workflows/local.yml
`)
	wantLines(t, fs, "unpinned-first-party-action", 7, 8, 9)
	wantLines(t, fs, "unpinned-action", 11, 12, 15, 17)
	wantLines(t, fs, "missing-permissions")
}

func TestMissingPermissions(t *testing.T) {
	fs := check(t, `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: true
  b:
    permissions:
      contents: read
    runs-on: ubuntu-latest
    steps:
      - run: true
`)
	wantLines(t, fs, "missing-permissions", 3)
}

func TestTemplateInjection(t *testing.T) {
	fs := check(t, `on: pull_request_target
permissions: {}
jobs:
  a:
    if: contains(github.event.pull_request.title, 'x')
    runs-on: ubuntu-latest
    env:
      TITLE: ${{ github.event.pull_request.title }}
    steps:
      - run: echo "$TITLE"
      - run: |
          echo start
          echo "${{ github.event.pull_request.title }}"
          echo "${{ github.event.pull_request.number }} ${{ github.ref }}"
          git checkout "${{github.head_ref}}"
      - run: echo ${{ github.event.comment.body }}
      - uses: actions/github-script@0123456789abcdef0123456789abcdef01234567
        with:
          script: console.log("${{ github.event.issue.title }}")
`)
	wantLines(t, fs, "template-injection", 13, 15, 16)
}

func TestPRTargetCheckout(t *testing.T) {
	for _, tc := range []struct {
		on   string
		ref  string
		want bool
	}{
		{"pull_request_target", "${{ github.event.pull_request.head.sha }}", true},
		{"pull_request_target", "refs/pull/${{ github.event.number }}/merge", true},
		{"pull_request_target", "${{ github.sha }}", false},
		{"pull_request", "${{ github.event.pull_request.head.sha }}", false},
		{"workflow_run", "${{ github.event.workflow_run.head_sha }}", true},
		{"workflow_run", "${{ needs.setup.outputs.sha }}", true},
		{"push", "${{ needs.setup.outputs.sha }}", false},
	} {
		fs := check(t, fmt.Sprintf(`on: %s
permissions: {}
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@0123456789abcdef0123456789abcdef01234567
        with:
          ref: %s
`, tc.on, tc.ref))
		if got := len(at(fs, "pr-target-checkout")) == 1; got != tc.want {
			t.Errorf("on %s, ref %s: finding %v, want %v", tc.on, tc.ref, got, tc.want)
		}
		if tc.want && at(fs, "pr-target-checkout")[0] != 9 {
			t.Errorf("on %s: finding at line %v, want the ref: line 9", tc.on, at(fs, "pr-target-checkout"))
		}
	}
}

func TestSelfHostedRelease(t *testing.T) {
	fs := check(t, `on:
  push:
    tags: [v*]
permissions: {}
jobs:
  test:
    runs-on: [self-hosted, linux]
    steps:
      - run: go test ./...
  image:
    runs-on: [self-hosted, linux]
    steps:
      - run: docker build -t ghcr.io/acme/app:${{ github.ref_name }} . && docker push ghcr.io/acme/app:${{ github.ref_name }}
  hosted:
    runs-on: ubuntu-latest
    steps:
      - run: docker push ghcr.io/acme/app:v1
  arc:
    runs-on: arc-runner-set
    steps:
      - uses: goreleaser/goreleaser-action@0123456789abcdef0123456789abcdef01234567
`)
	wantLines(t, fs, "self-hosted-release", 11, 19)
}

func TestLongLivedSecret(t *testing.T) {
	fs := check(t, `on: push
permissions: {}
env:
  AWS_SECRET_ACCESS_KEY: ${{ secrets.AWS_SECRET_ACCESS_KEY }}
jobs:
  sign:
    runs-on: ubuntu-latest
    steps:
      - run: cosign sign --key env://COSIGN_PRIVATE_KEY ghcr.io/acme/app@sha256:${{ needs.b.outputs.digest }}
        env:
          COSIGN_PRIVATE_KEY: ${{ secrets.COSIGN_PRIVATE_KEY }}
          COSIGN_PASSWORD: ${{ secrets.COSIGN_PASSWORD }}
          SLACK_WEBHOOK: ${{ secrets.SLACK_WEBHOOK }}
      - uses: docker/login-action@0123456789abcdef0123456789abcdef01234567
        with:
          registry: ghcr.io
          username: ${{ github.actor }}
          password: ${{ secrets.GITHUB_TOKEN }}
      - run: aws s3 cp dist s3://downloads --recursive
  gated:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: cosign sign --key env://K ghcr.io/acme/app@sha256:abc
        env:
          K: ${{ secrets.COSIGN_PRIVATE_KEY }}
      - run: aws s3 cp dist s3://downloads --recursive
  tests:
    runs-on: ubuntu-latest
    steps:
      - run: go test ./...
        env:
          TEST_API_KEY: ${{ secrets.TEST_API_KEY }}
          SONAR_TOKEN: ${{ secrets.SONAR_TOKEN }}
`)
	// The workflow's env reaches the one job that ships without an
	// environment; GITHUB_TOKEN is the job's own short-lived token.
	wantLines(t, fs, "long-lived-secret", 4, 11, 12)
}

func TestDeployWithoutEnvironment(t *testing.T) {
	fs := check(t, `on: push
permissions: {}
jobs:
  npm:
    runs-on: ubuntu-latest
    steps:
      - run: npm publish --provenance
  release-assets:
    runs-on: ubuntu-latest
    steps:
      - run: gh release upload v1 dist/*
      - uses: softprops/action-gh-release@0123456789abcdef0123456789abcdef01234567
  staging:
    runs-on: ubuntu-latest
    steps:
      - run: kubectl apply -f k8s/staging
  prod:
    runs-on: ubuntu-latest
    steps:
      - run: helm upgrade --install app ./chart --set image.digest=${{ needs.b.outputs.digest }}
  gated:
    runs-on: ubuntu-latest
    environment:
      name: production
    steps:
      - run: helm upgrade --install app ./chart
`)
	wantLines(t, fs, "deploy-without-environment", 4, 17)
}

func TestTagPromotion(t *testing.T) {
	fs := check(t, `on: push
permissions: {}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: |
          docker build -t ghcr.io/acme/app:${{ github.sha }} .
          docker push ghcr.io/acme/app:${{ github.sha }}
          docker tag ghcr.io/acme/app:${{ github.sha }} ghcr.io/acme/app:latest
          docker push ghcr.io/acme/app:latest
      - run: cosign sign --yes ghcr.io/acme/app:${{ github.sha }}
      - run: cosign sign --yes ghcr.io/acme/app@${{ steps.b.outputs.digest }}
  deploy:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - name: Deploy
        run: kubectl set image deployment/app app=ghcr.io/acme/app:${{ github.sha }}
      - name: Deploy by digest
        run: kubectl set image deployment/app app=ghcr.io/acme/app@sha256:${{ needs.build.outputs.digest }}
`)
	wantLines(t, fs, "tag-promotion", 11, 12, 19)
	for _, f := range fs {
		if f.Rule == "tag-promotion" && f.Line == 19 && !strings.HasPrefix(f.Message, "deployment approved by tag only") {
			t.Errorf("an environment-gated deploy by tag reads %q, want it to say the deployment was approved by tag only", f.Message)
		}
	}
}

func TestAttestNotVerified(t *testing.T) {
	src := `on: push
permissions: {}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: make dist
      - uses: actions/attest-build-provenance@0123456789abcdef0123456789abcdef01234567
        with:
          subject-path: dist/*
  publish:
    needs: build
    runs-on: ubuntu-latest
    environment: pypi
    steps:
      %s
      - uses: pypa/gh-action-pypi-publish@0123456789abcdef0123456789abcdef01234567
`
	fs := check(t, fmt.Sprintf(src, "- run: true"))
	wantLines(t, fs, "attest-not-verified", 8)
	if !strings.HasPrefix(fs[len(fs)-1].Message, "provenance generated but not checked at deployment") && !strings.Contains(dump(fs), "provenance generated but not checked at deployment") {
		t.Errorf("the finding does not say provenance was generated but not checked:\n%s", dump(fs))
	}
	fs = check(t, fmt.Sprintf(src, "- run: gh attestation verify dist/* --repo acme/app"))
	wantLines(t, fs, "attest-not-verified")
}

func TestScanNotByDigest(t *testing.T) {
	fs := check(t, `on: push
permissions: {}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/build-push-action@0123456789abcdef0123456789abcdef01234567
        id: b
        with:
          push: true
          tags: ghcr.io/acme/app:${{ github.sha }}
      - uses: aquasecurity/trivy-action@0123456789abcdef0123456789abcdef01234567
        with:
          image-ref: ghcr.io/acme/app:${{ github.sha }}
      - uses: anchore/scan-action@0123456789abcdef0123456789abcdef01234567
        with:
          image: ghcr.io/acme/app@${{ steps.b.outputs.digest }}
      - run: grype ghcr.io/acme/app:${{ github.sha }}
      - run: syft dir:.
`)
	wantLines(t, fs, "scan-not-by-digest", 14, 18)
}

// TestSeverityFollowsTheReleasePath: the same unpinned action is rated
// higher in a job that publishes than in one that tests.
func TestSeverityFollowsTheReleasePath(t *testing.T) {
	fs := check(t, `on: push
permissions: {}
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: evil/setup@v1
  publish:
    runs-on: ubuntu-latest
    environment: npm
    steps:
      - uses: evil/setup@v1
      - run: npm publish
`)
	sev := map[int]Severity{}
	for _, f := range fs {
		if f.Rule == "unpinned-action" {
			sev[f.Line] = f.Severity
		}
	}
	if sev[7] != SeverityMedium || sev[12] != SeverityHigh || !fs[len(fs)-1].ReleasePath {
		t.Errorf("severities %v, want medium off the release path (line 7) and high on it (line 12)", sev)
	}
}

// TestHostileWorkflows: what is not a workflow is an error naming the
// file; odd but valid YAML is checked, never a panic.
func TestHostileWorkflows(t *testing.T) {
	for name, src := range map[string]string{
		"a list":       "- a\n- b\n",
		"not YAML":     "on: [push\njobs: {",
		"empty":        "",
		"no jobs":      "on: push\n",
		"a null":       "~\n",
		"binary bytes": "\x00\x01\x02",
	} {
		if _, err := CheckWorkflow(".github/workflows/w.yml", []byte(src)); err == nil || !strings.Contains(err.Error(), ".github/workflows/w.yml") {
			t.Errorf("%s: error %v, want one naming the file", name, err)
		}
	}
	for name, src := range map[string]string{
		"anchors":             "on: push\nx: &s\n  - run: true\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: *s\n",
		"newline in a job id": "on: push\njobs:\n  \"a\\nb\":\n    runs-on: ubuntu-latest\n    steps:\n      - uses: evil/x@v1\n",
		"needs cycle":         "on: push\njobs:\n  a:\n    needs: b\n    runs-on: x\n    steps:\n      - uses: actions/attest@v1\n  b:\n    needs: a\n    runs-on: x\n    steps:\n      - run: npm publish\n",
		"expression runs-on":  "on: push\njobs:\n  a:\n    runs-on: ${{ matrix.os }}\n    strategy:\n      matrix:\n        os: [self-hosted]\n    steps:\n      - run: docker push x/y:latest\n",
	} {
		if _, err := CheckWorkflow(".github/workflows/w.yml", []byte(src)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestRelproofsOwnVerification: relproof's gate-environment action and
// deploy-gate.yml verify the evidence before a deployment; a scan of an
// image named by an expression alone is not taken for a scan by tag.
func TestRelproofsOwnVerification(t *testing.T) {
	src := `on: push
permissions: {}
jobs:
  attest:
    uses: relproof/relproof/.github/workflows/build-attest.yml@v1
  scan:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/build-push-action@0123456789abcdef0123456789abcdef01234567
        id: push
        with:
          push: true
      - uses: anchore/scan-action@0123456789abcdef0123456789abcdef01234567
        with:
          image: ${{ steps.push.outputs.image }}
  deploy:
    needs: [attest]
    runs-on: ubuntu-latest
    environment: production
    steps:
      - uses: relproof/relproof/actions/gate-environment@v1
      - run: kubectl apply -f k8s/
`
	fs := check(t, src)
	wantLines(t, fs, "attest-not-verified")
	wantLines(t, fs, "scan-not-by-digest")
	fs = check(t, strings.Replace(src, "      - uses: relproof/relproof/actions/gate-environment@v1\n", "", 1))
	wantLines(t, fs, "attest-not-verified", 5)
}

// TestSplitKeyed: each alternative of the step classifiers is keyed by the
// words it starts with, and the split matches exactly what the whole
// expression matches.
func TestSplitKeyed(t *testing.T) {
	for _, re := range []*regexp.Regexp{publishRunRe, deployRunRe, signRunRe, buildRunRe} {
		ks := splitKeyed(re)
		if len(ks) < 4 {
			t.Errorf("%s split into %d alternatives", re, len(ks))
		}
		for _, k := range ks {
			if k.keys == nil {
				t.Logf("unkeyed alternative %s", k.re)
			}
		}
	}
	for _, s := range []string{"docker push x/y:1", "podman push x", "helm upgrade --install a .", "  ssh host deploy", "kubectl -n x set image d/a a=b", "npm run publish:all", "cosign sign --yes x", "go test ./...", "echo hello", "az vm run-command invoke", "flux tag artifact oci://x --tag latest"} {
		for _, re := range []*regexp.Regexp{publishRunRe, deployRunRe, signRunRe, buildRunRe} {
			if got, want := splitKeyed(re).MatchString(s), re.MatchString(s); got != want {
				t.Errorf("%q: split %v, whole %v for %s", s, got, want, re)
			}
		}
	}
}

// TestTagPromotionReviewed: what a review of fresh real workflows found
// missed — floating tags built up in a variable, a branch's tag pushed on
// every push, a manifest pointed at a commit's tag — and the one it found
// wrongly: a login and a local build that pushes nothing.
func TestTagPromotionReviewed(t *testing.T) {
	fs := check(t, `on:
  push:
    branches: [main, devel]
permissions: {}
jobs:
  image:
    runs-on: ubuntu-latest
    steps:
      - name: Tags
        run: |
          TAGS="-t $REGISTRY:latest_release"
          TAGS="$TAGS -t $REGISTRY:${{ github.sha }}"
          docker buildx imagetools create $TAGS $REGISTRY@$DIGEST
      - run: docker push ghcr.io/acme/app:${GITHUB_REF##*/}
  deploy:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: sed -i -e 's/GITHUB_SHA/'"$GITHUB_SHA"'/' k8s/deployment.yaml
      - run: kubectl apply -f k8s/
  e2e:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/login-action@0123456789abcdef0123456789abcdef01234567
        with:
          registry: ghcr.io
          username: ${{ github.actor }}
          password: ${{ secrets.GITHUB_TOKEN }}
      - run: docker build -t tests . && docker run tests
  by-digest:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/build-push-action@0123456789abcdef0123456789abcdef01234567
        with:
          outputs: type=image,name=acme/app,push-by-digest=true,name-canonical=true,push=true
`)
	wantLines(t, fs, "tag-promotion", 11, 14, 19)
	wantLines(t, fs, "deploy-without-environment", 6, 30)
}

// TestSecretsReviewed: a deploy key written to a file in one step and used
// by the job's deployment in another; a password named *_PWD; a generic
// secret under a CLI's credential variable in a deploying job.
func TestSecretsReviewed(t *testing.T) {
	fs := check(t, `on: push
permissions: {}
jobs:
  deploy:
    runs-on: ubuntu-latest
    env:
      SUPABASE_ACCESS_TOKEN: ${{ secrets.ACCESS_TOKEN }}
    steps:
      - run: echo "${{ secrets.DEPLOY_KEY }}" > ~/.ssh/id_rsa
      - run: rsync -a dist/ deploy@prod.example.com:/srv/app
      - run: supabase functions deploy --project-ref x
  docker:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/login-action@0123456789abcdef0123456789abcdef01234567
        with:
          password: ${{ secrets.DOCKER_HUB_PWD }}
      - run: docker push acme/app@sha256:0123
`)
	wantLines(t, fs, "long-lived-secret", 7, 9, 17)
	wantLines(t, fs, "deploy-without-environment", 4, 12)
}

// TestLineBreaks: lines are counted where YAML breaks them (CR, CR LF,
// NEL, LS, PS), so findings point at the line the parser and GitHub show.
func TestLineBreaks(t *testing.T) {
	for name, br := range map[string]string{"LF": "\n", "CRLF": "\r\n", "CR": "\r", "NEL": "\u0085"} {
		src := strings.Join([]string{"on: push", "jobs:", "  a:", "    runs-on: x", "    steps:", "      - uses: evil/x@v1", ""}, br)
		fs := check(t, src)
		wantLines(t, fs, "unpinned-action", 6)
		wantLines(t, fs, "missing-permissions", 3)
		if t.Failed() {
			t.Fatalf("with %s line ends", name)
		}
	}
}

// TestSecondReview: what a second review on fresh real workflows found
// missed — signing by a tag built of expressions, deploy actions given an
// image by tag, docker/metadata-action's latest, a scan in a script of a
// quoted reference, a self-hosted runner named through the matrix — and
// the one it found wrongly: pnpm's setup action is no npm publish.
func TestSecondReview(t *testing.T) {
	fs := check(t, `on:
  push:
    tags: ["v*"]
permissions: {}
jobs:
  image:
    runs-on: ${{ matrix.runner }}
    strategy:
      matrix:
        runner: [self-hosted-x64, self-hosted-arm64]
    steps:
      - id: meta
        uses: docker/metadata-action@0123456789abcdef0123456789abcdef01234567
        with:
          flavor: |
            latest=${{ startsWith(github.ref, 'refs/tags/') }}
          tags: |
            type=semver,pattern={{version}}
            type=raw,value=latest,enable={{is_default_branch}}
      - uses: docker/build-push-action@0123456789abcdef0123456789abcdef01234567
        id: build
        with:
          push: true
          tags: ${{ steps.meta.outputs.tags }}
      - run: |
          cosign sign --yes "${{ env.IMAGE }}:${{ matrix.tag }}"
          cosign sign --yes "${{ env.IMAGE }}@${{ steps.build.outputs.digest }}"
          grype "${{ secrets.USER }}/${{ env.NAME }}:latest"
  deploy:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - uses: azure/webapps-deploy@0123456789abcdef0123456789abcdef01234567
        with:
          images: 'ghcr.io/${{ env.REPO }}:${{ github.sha }}'
  detect:
    runs-on: ubuntu-latest
    steps:
      - uses: pnpm/setup@0123456789abcdef0123456789abcdef01234567
`)
	wantLines(t, fs, "tag-promotion", 16, 19, 26, 35)
	wantLines(t, fs, "scan-not-by-digest", 28)
	wantLines(t, fs, "self-hosted-release", 7)
	wantLines(t, fs, "deploy-without-environment", 6)
}
