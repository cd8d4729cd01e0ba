package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/relproof/relproof/internal/github"
	"github.com/relproof/relproof/internal/serve"
	"github.com/relproof/relproof/internal/sign/keyref"
)

type serveOptions struct {
	listen        string
	appID         int64
	appKey        string
	webhookSecret string
	apiURL        string
	policyPath    string
	policySource  string
	trustedRoot   string
	workers       int
	reconcile     time.Duration
}

func newServeCmd(env *Env, _ *globalOptions) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve [--app-id N --app-key FILE|KMS-URI --webhook-secret-file FILE (or RELPROOF_…)] [--listen ADDR]",
		Short: "Run the custom deployment protection rule: the GitHub App's webhook server",
		Long: `Run relproof as a GitHub App registered as a custom deployment protection rule:
GitHub calls it before any job that targets a protected environment starts,
whatever the workflow says, and only the App can approve it.

For each deployment_protection_rule delivery (X-Hub-Signature-256 checked,
replays refused) it answers 202 at once and decides in a bounded pool of
workers: the digest the run will deploy is the one its check run
"relproof / ENV" showed the reviewers (deploy-gate.yml's prepare job posts
it); the policy is read from the repository's default branch, never from the
ref being deployed; the evidence comes from the registry's referrers and the
repository's artifact attestations, verified offline; the decision is made
as relproof gate makes it, with approvals left to the environment's own
reviewers. It posts a status report (the digest, where it came from, the
evidence), then approves or rejects with the reason. Every error is a
rejection that says why, never an approval. Each (run, environment,
attempt) is answered once. GitHub does not redeliver: at start and every
--reconcile-every, it looks through every installation's waiting runs for
environments still pending on the rule and answers those.

GET /healthz and /readyz answer 200 when the server runs and its workers
have started; /metrics is Prometheus's. Logs are JSON lines on stderr, with
delivery, repository, run and digest, never a token.

Every flag can come from the environment as RELPROOF_ and its name in
capitals with _ for - (RELPROOF_APP_ID, RELPROOF_WEBHOOK_SECRET_FILE, …), so
the container runs with no arguments.`,
		Example: `  relproof serve --listen :8080 --app-id 123456 --app-key app.pem --webhook-secret-file secret.txt
  RELPROOF_APP_ID=123456 RELPROOF_APP_KEY=/run/secrets/app.pem RELPROOF_WEBHOOK_SECRET_FILE=/run/secrets/webhook relproof serve`,
		Args: exactArgs(0, "no arguments"),
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			return flagsFromEnv(cmd.Flags(), env.Getenv)
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), cmd.ErrOrStderr(), env, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", ":8080", "the address to listen on")
	f.Int64Var(&o.appID, "app-id", 0, "the GitHub App's id")
	f.StringVar(&o.appKey, "app-key", "", "the GitHub App's private key: a PEM file, or a KMS key (awskms://, gcpkms://, azurekms://, hashivault://) that signs RS256")
	f.StringVar(&o.webhookSecret, "webhook-secret-file", "", "a file holding the App's webhook secret")
	f.StringVar(&o.apiURL, "github-api-url", "https://api.github.com", "GitHub's REST API (https://HOST/api/v3 for GitHub Enterprise Server)")
	f.StringVar(&o.policySource, "policy-source", "default-branch", "where the policy is read: default-branch (each repository's, at --policy-path) or an organization's policy repository, OWNER/REPO@REF:PATH (REF a tag or a commit)")
	f.StringVar(&o.policyPath, "policy-path", ".github/relproof/policy.yaml", "where the policy is on each repository's default branch")
	f.StringVar(&o.trustedRoot, "trusted-root", "", "trusted_root.json for keyless evidence (default: Sigstore public-good, embedded)")
	f.IntVar(&o.workers, "workers", 8, "decisions made at once")
	f.DurationVar(&o.reconcile, "reconcile-every", time.Minute, "how often to look for requests no delivery brought (GitHub does not redeliver); also at start")
	cmd.AddCommand(newServeManifestCmd())
	return cmd
}

func newServeManifestCmd() *cobra.Command {
	var name, url string
	cmd := &cobra.Command{
		Use:   "app-manifest --url URL [--name NAME]",
		Short: "Print the GitHub App manifest to register the protection rule with",
		Long: `Print the GitHub App manifest (JSON) for a relproof protection rule served at
URL: the events it acts on (deployment_protection_rule) and the permissions it
needs, read-only but for deployments (actions, checks, contents, attestations:
read; deployments: write, to answer the rule). Register the App from it in one
step with GitHub's manifest flow, install it on the repositories, and enable it
on each protected environment.`,
		Example: `  relproof serve app-manifest --url https://relproof.example.com --name acme-relproof`,
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !strings.HasPrefix(url, "https://") {
				return usageErrorf("--url: expected the https:// URL the server is reached at, found %q", url)
			}
			m := serve.AppManifest(name, strings.TrimSuffix(url, "/"))
			b, err := json.MarshalIndent(m, "", "  ")
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), string(b))
			return err
		},
	}
	cmd.Flags().StringVar(&url, "url", "", "the https:// URL the server is reached at (the webhook is URL/webhook)")
	cmd.Flags().StringVar(&name, "name", "relproof", "the App's name")
	_ = cmd.MarkFlagRequired("url")
	return cmd
}

// policySourcePattern reads OWNER/REPO@REF:PATH.
var policySourcePattern = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+)@([A-Za-z0-9_./-]+):([A-Za-z0-9_./-]+)$`)

// flagsFromEnv sets every flag not given on the command line from
// RELPROOF_NAME, as the flag's own value would be.
func flagsFromEnv(fs *pflag.FlagSet, getenv func(string) string) error {
	var err error
	fs.VisitAll(func(fl *pflag.Flag) {
		if fl.Changed || err != nil {
			return
		}
		name := "RELPROOF_" + strings.ToUpper(strings.ReplaceAll(fl.Name, "-", "_"))
		if v := getenv(name); v != "" {
			if e := fl.Value.Set(v); e != nil {
				err = usageErrorf("%s %q: %v", name, v, e)
			}
		}
	})
	return err
}

func runServe(ctx context.Context, stderr io.Writer, env *Env, o *serveOptions) (err error) {
	if o.appID <= 0 {
		return usageErrorf("--app-id (or RELPROOF_APP_ID): expected the GitHub App's id, found %d", o.appID)
	}
	if o.reconcile <= 0 {
		return usageErrorf("--reconcile-every %s: expected a positive duration", o.reconcile)
	}
	if o.appKey == "" || o.webhookSecret == "" {
		return usageErrorf("--app-key and --webhook-secret-file (or RELPROOF_APP_KEY, RELPROOF_WEBHOOK_SECRET_FILE): expected the App's private key and webhook secret files")
	}
	var key []byte
	var appSign func(context.Context, []byte) ([]byte, error)
	if keyref.IsKMS(o.appKey) {
		// The App key stays in the KMS: it signs the App's JWTs there.
		if appSign, err = keyref.KMSMessageSigner(ctx, o.appKey); err != nil {
			return usageError(err)
		}
	} else if key, err = readKey(o.appKey, "--app-key"); err != nil {
		return err
	}
	secret, err := readKey(o.webhookSecret, "--webhook-secret-file")
	if err != nil {
		return err
	}
	secret = []byte(strings.TrimSpace(string(secret)))
	tr, err := (&verifyOptions{trustedRoot: o.trustedRoot}).trustedRootMaterial()
	if err != nil {
		return err
	}
	var policyRepo github.Repo
	policyRef, policyPath := "", o.policyPath
	if o.policySource != "default-branch" {
		m := policySourcePattern.FindStringSubmatch(o.policySource)
		if m == nil || strings.Contains(m[3], "..") || strings.Contains(m[2], "..") {
			return usageErrorf("--policy-source %q: expected default-branch or OWNER/REPO@REF:PATH", o.policySource)
		}
		if policyRepo, err = github.ParseRepo(m[1]); err != nil {
			return usageErrorf("--policy-source %q: %v", o.policySource, err)
		}
		policyRef, policyPath = m[2], m[3]
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	srv, err := serve.New(serve.Config{AppID: o.appID, AppKey: key, AppSign: appSign, WebhookSecret: secret, APIURL: o.apiURL, PolicyPath: policyPath, PolicyRepo: policyRepo, PolicyRef: policyRef,
		TrustedRoot: tr, Remote: env.Remote, Workers: o.workers, Logger: log})
	if err != nil {
		return usageError(err)
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return usageErrorf("--listen %s: %v", o.listen, err)
	}
	srv.Start(ctx)
	srv.StartReconciler(o.reconcile)
	defer srv.Close()
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	log.Info("serving", "address", ln.Addr().String(), "app", strconv.FormatInt(o.appID, 10), "api", o.apiURL)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = hs.Shutdown(shut)
		return nil
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("serving on %s: %w", o.listen, err)
	}
}
