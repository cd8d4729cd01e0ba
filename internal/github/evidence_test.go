package github

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/relproof/relproof/internal/approval"
	"github.com/relproof/relproof/internal/testing/fakegithub"
)

func TestBuildEvidence(t *testing.T) {
	t.Parallel()
	f, srv, rel := fake(t)
	c := client(t, srv)
	dir := t.TempDir()
	ev, err := c.BuildEvidence(context.Background(), octo, rel.Run.ID, BuildOptions{Logs: true, LogDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Run.ID != rel.Run.ID || ev.Run.Attempt != 1 || ev.Run.WorkflowPath != ".github/workflows/release.yml@main" || ev.Run.HeadSHA != rel.Commit || ev.Run.Actor != "hubot" || ev.Run.TriggeringActor != "hubot" {
		t.Errorf("run = %+v", ev.Run)
	}
	if len(ev.Jobs) != 2 {
		t.Fatalf("jobs = %+v", ev.Jobs)
	}
	build, deploy := ev.Jobs[0], ev.Jobs[1]
	sum := sha256.Sum256([]byte(rel.Run.Jobs[0].Log))
	if build.Hosting != GitHubHosted || build.RunnerName != "GitHub Actions 7" || build.RunnerGroupName != "GitHub Actions" || build.Log == nil ||
		build.Log.Digest != "sha256:"+hex.EncodeToString(sum[:]) || build.Log.Size != int64(len(rel.Run.Jobs[0].Log)) ||
		build.RunnerImage != "ubuntu-24.04" || build.RunnerImageVersion != "20261120.1.0" {
		t.Errorf("build job = %+v log %+v", build, build.Log)
	}
	if got, _ := os.ReadFile(build.Log.File); string(got) != rel.Run.Jobs[0].Log {
		t.Errorf("kept log %q", got)
	}
	if deploy.Hosting != SelfHosted || deploy.Log != nil || deploy.Labels[0] != "self-hosted" {
		t.Errorf("deploy job = %+v", deploy)
	}
	// The log came from blob storage without the token (which refuses one).
	for _, r := range f.Requests() {
		if strings.HasPrefix(r.Path, "/_blobs/") && r.Authorization != "" {
			t.Errorf("the blob download carried credentials: %+v", r)
		}
	}
}

func TestHosting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		job  Job
		want string
	}{
		{Job{Labels: []string{"Self-Hosted", "linux"}, RunnerGroupName: "GitHub Actions"}, SelfHosted},
		{Job{Labels: []string{"ubuntu-latest"}, RunnerName: "GitHub Actions 12"}, GitHubHosted},
		{Job{Labels: []string{"linux"}, RunnerName: "box", RunnerGroupName: "builders"}, HostingUnknown},
		{Job{Labels: []string{"linux"}, RunnerGroupName: "Default"}, SelfHosted},
	} {
		if got := hosting(tc.job); got != tc.want {
			t.Errorf("hosting(%+v) = %q, want %q", tc.job, got, tc.want)
		}
	}
}

func TestRunApprovals(t *testing.T) {
	t.Parallel()
	f, srv, rel := fake(t)
	c := client(t, srv)
	ra, err := c.RunApprovals(context.Background(), octo, rel.Run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ra.Approvals) != 1 {
		t.Fatalf("approvals = %+v", ra.Approvals)
	}
	a := ra.Approvals[0]
	// Dated by the deployment GitHub made when the run reached production.
	if a.Reviewer != "octocat" || a.State != approval.StateApproved || a.Comment != "Ship it!" || a.RunID != rel.Run.ID ||
		!a.Time.Equal(rel.EnvDeployment.CreatedAt) || !strings.Contains(a.TimeBasis, fmt.Sprintf("deployment %d to production", rel.EnvDeployment.ID)) {
		t.Errorf("approval = %+v", a)
	}
	if ra.Run.Attempt != 1 || ra.Run.HeadSHA != rel.Commit {
		t.Errorf("run = %+v", ra.Run)
	}

	// Another run's release record, made while this run waited, is not
	// when this run asked for the review.
	f.Update(func(s *fakegithub.State) {
		r := s.Repo("octo-org/octo-repo")
		at := rel.EnvDeployment.CreatedAt.Add(-time.Minute)
		r.Deployments = append(r.Deployments, &fakegithub.Deployment{ID: s.ID(), SHA: rel.Commit, Ref: rel.Commit, Task: "deploy", Environment: "production",
			Payload: []byte(`{"digest":"sha256:` + strings.Repeat("cd", 32) + `"}`), CreatedAt: at, UpdatedAt: at})
	})
	if ra, err := c.RunApprovals(context.Background(), octo, rel.Run.ID); err != nil || !ra.Approvals[0].Time.Equal(rel.EnvDeployment.CreatedAt) {
		t.Errorf("dated by a release record: %+v, %v", ra, err)
	}

	// A review for an environment the run never reached has no time.
	f.Update(func(s *fakegithub.State) {
		s.Repo("octo-org/octo-repo").Runs[rel.Run.ID].Approvals = append(s.Repo("octo-org/octo-repo").Runs[rel.Run.ID].Approvals,
			&fakegithub.EnvApproval{User: "hubot", State: "approved", Environments: []string{"staging"}})
	})
	ra, err = c.RunApprovals(context.Background(), octo, rel.Run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if b := ra.Approvals[1]; !b.Time.IsZero() || !strings.Contains(b.TimeBasis, "no deployment to staging") {
		t.Errorf("undatable approval = %+v", b)
	}
	if _, err := c.RunApprovals(context.Background(), octo, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown run: %v", err)
	}
}

func TestDeployments(t *testing.T) {
	t.Parallel()
	f, srv, rel := fake(t)
	c := client(t, srv)
	ctx := context.Background()
	prev, err := c.PreviousSuccessfulDeployment(ctx, octo, "production")
	if err != nil {
		t.Fatal(err)
	}
	// GitHub's own deployment for the run carries no digest and is passed over.
	if prev == nil || prev.ID != rel.PrevDeployment.ID || prev.Digest != rel.PrevDigest || prev.SHA != rel.Base {
		t.Fatalf("previous = %+v", prev)
	}
	digest := "sha256:" + strings.Repeat("ab", 32)
	d, err := c.CreateDeployment(ctx, octo, DeploymentRequest{Environment: "production", Ref: rel.Commit, Payload: DeploymentPayload{Digest: digest, Subject: "app@" + digest, RollbackDigest: prev.Digest}, EnvironmentURL: "https://app.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Digest != digest || d.SHA != rel.Commit || d.Environment != "production" || len(d.Statuses) != 1 || d.Statuses[0].State != DeploymentSuccess || d.Statuses[0].EnvironmentURL != "https://app.example.com" {
		t.Errorf("deployment = %+v", d)
	}
	// The new one is now the previous success; the old one went inactive.
	again, err := c.PreviousSuccessfulDeployment(ctx, octo, "production")
	if err != nil || again.ID != d.ID {
		t.Errorf("previous after = %+v, %v", again, err)
	}
	f.View(func(s *fakegithub.State) {
		var body map[string]any
		dep := s.Repo("octo-org/octo-repo").Deployments[len(s.Repo("octo-org/octo-repo").Deployments)-1]
		_ = json.Unmarshal(dep.Payload, &body)
		if body["digest"] != digest || body["rollback_digest"] != rel.PrevDigest {
			t.Errorf("stored payload = %s", dep.Payload)
		}
		if st := rel.PrevDeployment.Statuses; st[len(st)-1].State != "inactive" {
			t.Errorf("previous deployment not made inactive: %+v", st[len(st)-1])
		}
	})
	if _, err := c.CreateDeployment(ctx, octo, DeploymentRequest{Environment: "production", Ref: "no-such-ref", Payload: DeploymentPayload{Digest: digest}}); err == nil || !strings.Contains(err.Error(), "No ref found for: no-such-ref") {
		t.Errorf("unknown ref: %v", err)
	}
	none, err := c.PreviousSuccessfulDeployment(ctx, octo, "staging")
	if err != nil || none != nil {
		t.Errorf("no deployments: %+v, %v", none, err)
	}
	// Deploying the digest again rolls back to the one before it, not to
	// itself; deploying another rolls back to the newest.
	if rb, _, err := c.DeploymentsOf(ctx, octo, "production", digest, 10); err != nil || len(rb) != 1 || rb[0].Digest != rel.PrevDigest || !rb[0].Succeeded {
		t.Errorf("deployments when %s is deployed again = %+v, %v; want %s", digest, rb, err, rel.PrevDigest)
	}
	if rb, _, err := c.DeploymentsOf(ctx, octo, "production", "sha256:"+strings.Repeat("cd", 32), 10); err != nil || len(rb) != 2 || rb[0].Digest != digest || rb[1].Digest != rel.PrevDigest {
		t.Errorf("deployments for a new digest = %+v, %v; want %s, then %s", rb, err, digest, rel.PrevDigest)
	}
	if rb, _, err := c.DeploymentsOf(ctx, octo, "production", "sha256:"+strings.Repeat("cd", 32), 1); err != nil || len(rb) != 1 || rb[0].Digest != digest {
		t.Errorf("one deployment for a new digest = %+v, %v; want %s", rb, err, digest)
	}
	if rb, truncated, err := c.DeploymentsOf(ctx, octo, "staging", digest, 10); err != nil || len(rb) != 0 || truncated {
		t.Errorf("deployments of a first release = %+v, %v, %v; want none", rb, truncated, err)
	}
	// A success posted after a failure does not undo it.
	f.Update(func(s *fakegithub.State) {
		d := rel.PrevDeployment
		d.Statuses = append(d.Statuses, &fakegithub.DeploymentStatus{ID: s.ID(), State: "failure", CreatedAt: d.CreatedAt.Add(time.Minute)},
			&fakegithub.DeploymentStatus{ID: s.ID(), State: "success", CreatedAt: d.CreatedAt.Add(2 * time.Minute)})
	})
	if rb, _, err := c.DeploymentsOf(ctx, octo, "production", digest, 10); err != nil || len(rb) != 1 || rb[0].Succeeded {
		t.Errorf("a deployment that failed, then was called a success = %+v, %v; want it listed as not succeeded", rb, err)
	}
}

func TestPayloadOf(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		`{"digest":"sha256:aa"}`:       "sha256:aa",
		`"{\"digest\":\"sha256:bb\"}"`: "sha256:bb",
		`{}`:                           "",
		`"not json"`:                   "",
		`null`:                         "",
	} {
		if got := payloadOf(json.RawMessage(raw)).Digest; got != want {
			t.Errorf("payloadOf(%s) = %q, want %q", raw, got, want)
		}
	}
}

func TestCheckRuns(t *testing.T) {
	t.Parallel()
	f, srv, rel := fake(t)
	c := client(t, srv)
	ctx := context.Background()
	digest := "sha256:" + strings.Repeat("cd", 32)
	var anns []CheckAnnotation
	for i := range 60 {
		anns = append(anns, CheckAnnotation{Level: AnnotationWarning, Message: fmt.Sprintf("finding %d", i)})
	}
	req := CheckRunRequest{Name: CheckRunName("production"), HeadSHA: rel.Commit, Title: CheckRunTitle("production", digest), Summary: "## relproof", Annotations: anns}
	first, err := c.PostCheckRun(ctx, octo, req)
	if err != nil {
		t.Fatal(err)
	}
	if first.Updated || first.Status != "in_progress" || first.Title != digest+" → production" || !first.PostedAt.Equal(at) || DigestOfTitle(first.Title) != digest {
		t.Errorf("first = %+v", first)
	}
	req.Conclusion = ConclusionSuccess
	req.Annotations = nil
	second, err := c.PostCheckRun(ctx, octo, req)
	if err != nil {
		t.Fatal(err)
	}
	if !second.Updated || second.ID != first.ID || second.Status != "completed" || second.Conclusion != "success" {
		t.Errorf("second = %+v", second)
	}
	found, err := c.FindCheckRun(ctx, octo, rel.Commit, CheckRunName("production"))
	if err != nil || found.ID != first.ID || DigestOfTitle(found.Title) != digest {
		t.Errorf("found = %+v, %v", found, err)
	}
	f.View(func(s *fakegithub.State) {
		n := 0
		for _, cr := range s.Repo("octo-org/octo-repo").CheckRuns {
			if cr.Name == CheckRunName("production") {
				n++
				if len(cr.Annotations) != 60 || cr.Writes != 3 {
					t.Errorf("annotations %d, writes %d", len(cr.Annotations), cr.Writes)
				}
			}
		}
		if n != 1 {
			t.Errorf("%d check runs, want 1", n)
		}
	})
	if _, err := c.FindCheckRun(ctx, octo, rel.Commit, CheckRunName("staging")); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing check run: %v", err)
	}
	byID, err := c.CheckRun(ctx, octo, first.ID)
	if err != nil || byID.Title != first.Title {
		t.Errorf("by id = %+v, %v", byID, err)
	}
}

func TestAttestationsAndProtectionRule(t *testing.T) {
	t.Parallel()
	f, srv, rel := fake(t)
	c := client(t, srv)
	ctx := context.Background()
	digest := strings.Repeat("ef", 32)
	var ids []int64
	for i := range 3 {
		stmt := fmt.Sprintf(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app","digest":{"sha256":"%s"}}],"predicateType":"https://x/%d","predicate":{}}`, digest, i)
		bundle := fmt.Sprintf(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{},"dsseEnvelope":{"payload":"%s","payloadType":"application/vnd.in-toto+json","signatures":[]}}`,
			b64(stmt))
		id, err := c.UploadAttestation(ctx, octo, []byte(bundle))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if ids[0] == 0 || ids[0] == ids[1] {
		t.Errorf("ids = %v", ids)
	}
	// Two per page: the cursor is followed.
	got, err := c.Attestations(ctx, octo, "sha256:"+digest)
	if err != nil || len(got) != 3 {
		t.Fatalf("attestations = %d, %v", len(got), err)
	}
	none, err := c.Attestations(ctx, octo, "sha256:"+strings.Repeat("00", 32))
	if err != nil || len(none) != 0 {
		t.Errorf("no attestations = %v, %v", none, err)
	}
	// More than relproof reads (ten pages, of two here): an error, not the
	// part read, which anyone who may upload could fill with others'.
	for i := 3; i <= 20; i++ {
		stmt := fmt.Sprintf(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app","digest":{"sha256":"%s"}}],"predicateType":"https://x/%d","predicate":{}}`, digest, i)
		if _, err := c.UploadAttestation(ctx, octo, []byte(fmt.Sprintf(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{},"dsseEnvelope":{"payload":"%s","payloadType":"application/vnd.in-toto+json","signatures":[]}}`, b64(stmt)))); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := c.Attestations(ctx, octo, "sha256:"+digest); !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "more than the 20 attestations relproof reads") {
		t.Errorf("21 attestations, 2 a page: %d, %v; want an incomplete listing", len(got), err)
	}
	if _, err := c.UploadAttestation(ctx, octo, []byte(`[1]`)); !errors.Is(err, ErrConfig) {
		t.Errorf("non-object bundle: %v", err)
	}
	if _, err := c.UploadAttestation(ctx, octo, []byte(`{"mediaType":"x"}`)); err == nil || !strings.Contains(err.Error(), "422") {
		t.Errorf("not a bundle: %v", err)
	}

	if err := c.ReviewDeploymentProtectionRule(ctx, octo, rel.Run.ID, "production", false, "digest not verified"); err != nil {
		t.Fatal(err)
	}
	f.View(func(s *fakegithub.State) {
		rv := s.Repo("octo-org/octo-repo").ProtectionRuleReviews
		if len(rv) != 1 || rv[0].State != "rejected" || rv[0].Environment != "production" || rv[0].RunID != rel.Run.ID {
			t.Errorf("reviews = %+v", rv)
		}
	})
}

func b64(s string) string {
	b, _ := json.Marshal([]byte(s)) // base64, quoted
	return strings.Trim(string(b), `"`)
}

var _ = time.Second

// More deployments than relproof reads, none of them a success with a
// digest: not a first release, an error.
func TestDeploymentsOfALongHistory(t *testing.T) {
	t.Parallel()
	f, srv, _ := fake(t)
	c := client(t, srv)
	f.Update(func(s *fakegithub.State) {
		r := s.Repo("octo-org/octo-repo")
		for range maxPages*deploymentsPerPage + 1 {
			r.Deployments = append(r.Deployments, &fakegithub.Deployment{ID: s.ID(), SHA: "main", Ref: "main", Task: "deploy", Environment: "busy",
				Payload: []byte(`{"digest":"sha256:` + strings.Repeat("ef", 32) + `"}`)})
		}
	})
	rb, truncated, err := c.DeploymentsOf(context.Background(), octo, "busy", "sha256:"+strings.Repeat("ab", 32), 10)
	if err != nil || len(rb) != 10 || !truncated || rb[0].Succeeded {
		t.Errorf("deployments among %d failed ones = %d, %v, %v; want 10 that did not succeed, cut short", maxPages*deploymentsPerPage, len(rb), truncated, err)
	}
	prev, err := c.PreviousSuccessfulDeployment(context.Background(), octo, "busy")
	if !errors.Is(err, ErrIncomplete) || prev != nil {
		t.Errorf("previous deployment among %d failed deployments = %+v, %v; want ErrIncomplete", maxPages*deploymentsPerPage, prev, err)
	}
}

// More deployments since the run began than relproof reads: the first of
// them may be beyond what was read, so the review has no time.
func TestReviewTimeOfALongListing(t *testing.T) {
	t.Parallel()
	f, srv, rel := fake(t)
	c := client(t, srv)
	f.Update(func(s *fakegithub.State) {
		r := s.Repo("octo-org/octo-repo")
		for i := range 50 {
			at := rel.EnvDeployment.CreatedAt.Add(time.Duration(i+1) * time.Second)
			r.Deployments = append(r.Deployments, &fakegithub.Deployment{ID: s.ID(), SHA: rel.Commit, Ref: "main", Task: "deploy", Environment: "production", CreatedAt: at, UpdatedAt: at})
		}
	})
	ra, err := c.RunApprovals(context.Background(), octo, rel.Run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a := ra.Approvals[0]; !a.Time.IsZero() || !strings.Contains(a.TimeBasis, "more deployments since run") {
		t.Errorf("approval dated from a listing cut short: %+v", a)
	}
}
