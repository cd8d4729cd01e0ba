package serve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/relproof/relproof/internal/decide"
	"github.com/relproof/relproof/internal/gate"
	"github.com/relproof/relproof/internal/github"
	"github.com/relproof/relproof/internal/policy"
	"github.com/relproof/relproof/internal/report/safe"
	"github.com/relproof/relproof/internal/subject"
)

// answer is what the rule says for one request.
type answer struct {
	approve bool
	// cause is "decided" for a decision, "error" for a rejection because
	// no decision could be made.
	cause   string
	comment string
	// report is the status report shown before the verdict ("" for none).
	report string
	digest string
}

// handle decides one request and answers it, once per (run, environment,
// attempt): a restarted or duplicated server never answers twice.
func (s *Server) handle(ctx context.Context, r *request) {
	defer s.release(r)
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Deadline)
	defer cancel()
	log := s.log.With("delivery", r.Delivery, "repository", r.Repo.String(), "run", r.RunID, "environment", r.Environment)
	c, err := s.client(ctx, r.Installation, r.Repo)
	if err != nil {
		s.m.dropped.Inc()
		log.Error("no GitHub client for the installation; not answered", "installation", r.Installation, "error", err.Error())
		return
	}
	run, runErr := c.Run(ctx, r.Repo, r.RunID)
	attempt := 0
	if runErr == nil {
		attempt = run.Attempt
	}
	key := fmt.Sprintf("%s#%d#%s#%d", r.Repo, r.RunID, strings.ToLower(r.Environment), attempt)
	if !s.answered.add(key, s.cfg.Now()) {
		log.Info("already answered", "attempt", attempt)
		return
	}
	var a answer
	if runErr != nil {
		s.m.githubErrors.Inc()
		a = reject("GitHub did not say which attempt of run %d this is: %v", r.RunID, runErr)
	} else {
		a = s.decide(ctx, c, r, run)
	}
	log = log.With("digest", a.digest)
	// The answer and the status report are posted whatever the decision
	// took of the deadline: a rejection that cannot be posted is silence.
	post, cancelPost := context.WithTimeout(context.WithoutCancel(ctx), answerTimeout)
	defer cancelPost()
	if a.report != "" {
		if err := c.StatusReport(post, r.Repo, r.RunID, r.Environment, a.report); err != nil {
			if settled(err) {
				// GitHub takes no report: the rule is not pending for this
				// App (answered before, by this or another process, or not
				// this App's rule). Nothing is answered.
				log.Info("not pending for this rule; not answered", "error", err.Error())
				return
			}
			s.m.githubErrors.Inc()
			log.Warn("status report not posted", "error", err.Error())
		}
	}
	if err := s.postAnswer(post, c, r, a); err != nil {
		if settled(err) {
			log.Info("not pending for this rule; not answered", "error", err.Error())
			return
		}
		// Not answered: forget it, so the reconciler answers it.
		s.answered.forget(key)
		s.m.githubErrors.Inc()
		s.m.dropped.Inc()
		log.Error("answer not posted; the reconciler will answer", "error", err.Error())
		return
	}
	verdict := "rejected"
	if a.approve {
		verdict = "approved"
	}
	s.m.decisions.WithLabelValues(verdict, a.cause).Inc()
	if r.reconciled {
		s.m.reconciled.Inc()
	}
	s.m.latency.Observe(s.cfg.Now().Sub(r.Received).Seconds())
	log.Info("answered", "verdict", verdict, "cause", a.cause, "comment", a.comment)
}

// answerTimeout bounds posting a status report and an answer, apart from
// the decision's deadline.
const answerTimeout = 30 * time.Second

// settled reports whether GitHub refused a report or an answer because the
// rule is not pending for this App (422): posting again cannot help.
func settled(err error) bool {
	var ge *github.Error
	return errors.As(err, &ge) && ge.Status == http.StatusUnprocessableEntity
}

// postAnswer posts the answer, trying again within its timeout: the
// decision is made, and GitHub will not ask again (a rate limit met by an
// earlier call may hold this one back for a while). A refusal because the
// rule is not pending is final.
func (s *Server) postAnswer(ctx context.Context, c *github.Client, r *request, a answer) error {
	wait := 100 * time.Millisecond
	for {
		err := c.ReviewDeploymentProtectionRule(ctx, r.Repo, r.RunID, r.Environment, a.approve, a.comment)
		if err == nil || settled(err) {
			return err
		}
		s.m.githubErrors.Inc()
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

func reject(format string, args ...any) answer {
	return answer{cause: "error", comment: clip("relproof: not approved: " + safe.Markdown(fmt.Sprintf(format, args...)))}
}

// imageInSummary finds the image a check run's summary names for digest.
var imageInSummary = regexp.MustCompile("oci://([a-z0-9.:-]+(?:/[a-z0-9._-]+)+)@(sha256:[0-9a-f]{64})")

// decide makes the decision for the digest the run's relproof check run
// showed, under the policy on the repository's default branch, with the
// approvals left to the environment's reviewers. Anything it cannot do is
// a rejection that says why.
func (s *Server) decide(ctx context.Context, c *github.Client, r *request, run *github.Run) answer {
	cr, err := c.FindRunCheckRun(ctx, r.Repo, github.RunCheckRun{Environment: r.Environment, HeadSHA: r.SHA, RunID: r.RunID, Attempt: run.Attempt})
	var mismatch *github.CheckRunMismatchError
	switch {
	case errors.As(err, &mismatch), errors.Is(err, github.ErrNotFound):
		return reject("run %d shows no digest for %s: %v. Add relproof's deploy-gate.yml (its prepare job posts the check run %q with the digest) before the job that deploys to %s",
			r.RunID, r.Environment, err, github.CheckRunName(r.Environment), r.Environment)
	case err != nil:
		return reject("reading run %d's check runs: %v", r.RunID, err)
	}
	d, err := subject.ParseDigest(github.DigestOfTitle(cr.Title))
	if err != nil {
		return reject("check run %d (%q) names no digest in its title %q", cr.ID, cr.Name, cr.Title)
	}
	pol, source, err := s.policy(ctx, c, r.Repo)
	if err != nil {
		return answer{cause: "error", digest: d.String(), comment: clip("relproof: not approved: " + safe.Markdown(err.Error()))}
	}
	env, err := pol.EffectiveEnvironment(r.Environment)
	if err != nil {
		return answer{cause: "error", digest: d.String(), comment: clip(fmt.Sprintf("relproof: not approved: the policy (%s) has no environment %s", safe.Markdown(source), safe.Code(r.Environment)))}
	}
	// The image the summary names is read from its registry only when the
	// policy names the registries it allows: the summary is the workflow's
	// to write, and the server will not fetch from wherever it says.
	input := d.String()
	for _, m := range imageInSummary.FindAllStringSubmatch(cr.Summary, -1) {
		if allowed := env.SubjectRepositoryAllowed(m[1]); m[2] == d.String() && allowed.Allowed && !allowed.Unrestricted {
			input = "oci://" + m[1] + "@" + m[2]
			break
		}
	}
	subj, err := subject.Resolve(ctx, input, subject.RequireDigest())
	if err != nil {
		return reject("the subject %s: %v", input, err)
	}
	sources := []decide.Source{decide.Registry(s.cfg.Remote...), decide.GitHubAttestations(c, r.Repo)}
	target, err := decide.FindRollbackTarget(ctx, decide.RollbackRequest{Subject: subj, Policy: pol, Environment: r.Environment,
		TrustedRoot: s.cfg.TrustedRoot, Sources: sources, Deployments: decide.GitHubDeployments(c, r.Repo)})
	if err != nil {
		return answer{cause: "error", digest: d.String(), comment: clip("relproof: not approved: the rollback digest: " + safe.Markdown(err.Error()))}
	}
	key := cacheKey(r.Repo, subj.String(), pol.Digest, r.Environment, target)
	dec, ok := s.cache.get(key, s.cfg.Now())
	if !ok {
		dec, err = decide.Decide(ctx, decide.Request{
			Subject: subj, Policy: pol, PolicySource: source, Environment: r.Environment, TrustedRoot: s.cfg.TrustedRoot,
			Sources:  sources,
			Rollback: target.Digest, FirstRelease: target.FirstRelease,
			RollbackDeployment: target.DeploymentID(), RollbackRecord: target.Record, RollbackNote: target.Note,
			// The environment's own reviewers approve; this rule decides
			// everything else.
			PendingApprovals: true, RunID: r.RunID, Now: s.cfg.Now(),
		})
		if err != nil {
			return answer{cause: "error", digest: d.String(), comment: clip("relproof: not approved: " + safe.Markdown(err.Error()))}
		}
		s.cache.put(key, dec, s.cfg.Now())
	}
	return verdict(dec, source)
}

// cacheKey is what a decision depends on besides the trust root (one per
// process): the evidence is read from this repository's attestations too,
// and the subject names its image, so a decision is reused only for the
// same repository, subject, policy, environment and rollback target.
func cacheKey(repo github.Repo, subject, policyDigest, environment string, rb *decide.RollbackTarget) string {
	return strings.Join([]string{strings.ToLower(repo.String()), subject, policyDigest, strings.ToLower(environment),
		rb.Digest, fmt.Sprint(rb.DeploymentID()), rb.Record, fmt.Sprint(rb.FirstRelease), rb.Note}, "|")
}

// verdict reads a decision: every check but the approvals (the
// environment's reviewers') must pass.
func verdict(d *gate.Decision, source string) answer {
	a := answer{cause: "decided", digest: d.Digest, report: clip(statusReport(d))}
	failed := d.Failed()
	if len(failed) == 0 {
		a.approve = true
		a.comment = clip(fmt.Sprintf("relproof: %s may go to %s under the policy at %s (%s): %d checks pass; the environment's reviewers decide the approvals.",
			d.Digest, safe.Code(d.Environment), safe.Markdown(source), d.PolicyDigest, len(d.Checks)))
		return a
	}
	var why []string
	for _, c := range failed {
		why = append(why, safe.Markdown(c.ID)+": "+safe.Markdown(c.Message))
	}
	a.comment = clip(fmt.Sprintf("relproof: %s may not go to %s under the policy at %s: %s", d.Digest, safe.Code(d.Environment), safe.Markdown(source), strings.Join(why, "; ")))
	return a
}

// statusReport shows the reviewers what they are asked to approve.
func statusReport(d *gate.Decision) string {
	var b strings.Builder
	fmt.Fprintf(&b, "relproof: deploying %s to %s.", d.Digest, safe.Code(d.Environment))
	if src := d.Source; src != nil {
		fmt.Fprintf(&b, " Built from %s at %s (%s) by %s.", safe.Markdown(src.Repository), safe.Markdown(src.Ref), safe.Markdown(src.Commit), safe.Markdown(src.Builder))
	}
	counts := map[string]int{}
	for _, e := range d.Evidence {
		counts[e.Type]++
	}
	var kinds []string
	for _, k := range []string{"provenance", "sbom", "vuln", "test", "signature"} {
		if counts[k] > 0 {
			kinds = append(kinds, fmt.Sprintf("%s ×%d", k, counts[k]))
		}
	}
	if len(kinds) > 0 {
		fmt.Fprintf(&b, " Verified evidence: %s.", strings.Join(kinds, ", "))
	}
	fmt.Fprintf(&b, " Policy %s.", d.PolicyDigest)
	return b.String()
}

// clip keeps a comment within what GitHub takes.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= github.MaxStatusReport {
		return s
	}
	r := []rune(s)
	return string(r[:github.MaxStatusReport-1]) + "…"
}

// policy reads the policy from the repository's default branch — never the
// ref being deployed — or from the organization's policy repository at its
// pinned ref, and the files it names, from the same commit.
func (s *Server) policy(ctx context.Context, c *github.Client, repo github.Repo) (*policy.Policy, string, error) {
	from, ref := repo, s.cfg.PolicyRef
	if s.cfg.PolicyRepo.Owner != "" {
		from = s.cfg.PolicyRepo
	} else {
		branch, err := c.DefaultBranch(ctx, repo)
		if err != nil {
			return nil, "", fmt.Errorf("the policy: %w", err)
		}
		ref = "refs/heads/" + branch
	}
	data, _, err := c.File(ctx, from, s.cfg.PolicyPath, ref)
	if err != nil {
		where := fmt.Sprintf("%s's default branch", repo)
		if from != repo {
			where = fmt.Sprintf("%s at %s", from, ref)
		}
		return nil, "", fmt.Errorf("the policy %s on %s: %w", s.cfg.PolicyPath, where, err)
	}
	read := func(name string) ([]byte, error) {
		b, _, err := c.File(ctx, from, path.Clean(name), ref)
		return b, err
	}
	pol, err := policy.Parse(s.cfg.PolicyPath, data, read)
	if err != nil {
		return nil, "", err
	}
	return pol, fmt.Sprintf("%s@%s:%s", from, ref, s.cfg.PolicyPath), nil
}

// decisionCache keeps decisions by (digest, policy, environment,
// rollback): bounded, and for a while only.
type decisionCache struct {
	keys *seen
	at   map[string]*gate.Decision
	ttl  time.Duration
}

func newDecisionCache(max int, ttl time.Duration) *decisionCache {
	return &decisionCache{keys: newSeen(max, ttl), at: map[string]*gate.Decision{}, ttl: ttl}
}

func (c *decisionCache) get(key string, now time.Time) (*gate.Decision, bool) {
	c.keys.mu.Lock()
	defer c.keys.mu.Unlock()
	t, ok := c.keys.at[key]
	if !ok || now.Sub(t) >= c.ttl {
		return nil, false
	}
	d, ok := c.at[key]
	return d, ok
}

func (c *decisionCache) put(key string, d *gate.Decision, now time.Time) {
	c.keys.add(key, now)
	c.keys.mu.Lock()
	defer c.keys.mu.Unlock()
	c.at[key] = d
	for k := range c.at {
		if _, ok := c.keys.at[k]; !ok {
			delete(c.at, k)
		}
	}
}
