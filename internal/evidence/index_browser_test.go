package evidence

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/relproof/relproof/internal/gate"
	"github.com/relproof/relproof/internal/report"
)

// chromium finds Debian's chromium, or skips the test saying how to get
// it, unless RELPROOF_REQUIRE_CHROMIUM is set (as .ci/run sets it): then
// a missing browser fails the test instead.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("RELPROOF_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("RELPROOF_REQUIRE_CHROMIUM") != "" {
		t.Fatal("RELPROOF_REQUIRE_CHROMIUM is set but no chromium is on PATH (apt-get install chromium)")
	}
	t.Skip("skipping the browser test: no chromium on PATH (apt-get install chromium, or set RELPROOF_CHROMIUM); .ci/run installs it")
	return ""
}

// artifactDir is where browser tests leave screenshots for people to look
// at: $RELPROOF_TEST_ARTIFACTS, or relproof-test-artifacts in the temp dir.
func artifactDir(t *testing.T) string {
	dir := os.Getenv("RELPROOF_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "relproof-test-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func browserDecision() (*gate.Decision, *Manifest) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	d := &gate.Decision{
		Decision: "allow", Subject: "ghcr.io/acme/app@" + digest, Digest: digest, Environment: "production",
		PolicyDigest: "sha256:" + strings.Repeat("cd", 32), Time: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC),
		Checks: []gate.Check{
			{Question: gate.QSource, ID: "source-ref", Status: gate.Pass, Message: "built from refs/heads/main of github.com/acme/app"},
			{Question: gate.QProvenance, ID: "required-provenance", Status: gate.Pass, Message: "provenance verified, signed by key abc"},
			{Question: gate.QDigest, ID: "digest-bound", Status: gate.Pass, Message: "approval bound to " + digest},
			{Question: gate.QTestsScans, ID: "required-test", Status: gate.Pass, Message: "1 test attestation"},
			{Question: gate.QFindings, ID: "vulnerabilities", Status: gate.Warn, Message: "CVE-2026-1111 excepted until 2027-01-01"},
			{Question: gate.QRollback, ID: "rollback", Status: gate.Pass, Message: "rollback provenance verifies"},
		},
		Evidence: []gate.Evidence{{Type: "provenance", Digest: "sha256:" + strings.Repeat("ef", 32), Signer: "key abc", Source: "provenance.sigstore.json"}},
		Source: &gate.Source{Repository: "https://github.com/acme/app", Ref: "refs/heads/main", Commit: "0123456789abcdef0123456789abcdef01234567",
			Builder: "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main", Provenance: "sha256:" + strings.Repeat("ef", 32)},
		RollbackDigest: "sha256:" + strings.Repeat("98", 32),
	}
	m := &Manifest{Version: PackType, Subject: d.Subject, Digest: digest, Environment: "production", Decision: "allow", DecisionDigest: "sha256:" + strings.Repeat("12", 32), Time: d.Time,
		Attestations: []Attested{{Path: "04-attestations/provenance.jsonl", Line: 1, Digest: d.Evidence[0].Digest, Type: "provenance", Signer: "key abc", Evidence: d.Evidence[0].Digest}}}
	for _, l := range layout {
		e := Entry{Path: l.path, Class: l.class, SHA256: strings.Repeat("0", 64), Size: 10}
		if l.path == "02-build/build-log.txt" {
			e.Missing = "no build log was given (--build-log)"
		}
		m.Files = append(m.Files, e)
	}
	return d, m
}

// index.html in a real headless Chromium: it renders with the verdict and
// the digest in the first screen, makes no request but for the page
// itself, prints, and leaves a screenshot.
func TestIndexInBrowser(t *testing.T) {
	bin := chromium(t)
	d, m := browserDecision()
	html, err := renderIndex(d, m)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	page0 := filepath.Join(dir, IndexFile)
	if err := os.WriteFile(page0, html, 0o644); err != nil {
		t.Fatal(err)
	}
	pageURL := (&url.URL{Scheme: "file", Path: page0}).String()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()

	// Start the browser, then listen to every request the page makes.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting chromium (%s): %v", bin, err)
	}
	var mu sync.Mutex
	var requests []string
	if err := chromedp.Listen(bctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requests = append(requests, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(pageURL), chromedp.WaitReady("body")); err != nil {
		t.Fatalf("chromium (%s) on %s: %v", bin, pageURL, err)
	}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text, err := chromedp.Run(bctx, chromedp.Text("body"))
	must("page text", err)
	verdict, err := chromedp.Run(bctx, chromedp.Text("#verdict"))
	must("verdict", err)
	digest, err := chromedp.Run(bctx, chromedp.Text("#digest code"))
	must("digest", err)
	verdictTop, err := chromedp.Run(bctx, chromedp.Evaluate[float64](`document.getElementById("verdict").getBoundingClientRect().top`))
	must("verdict position", err)
	digestTop, err := chromedp.Run(bctx, chromedp.Evaluate[float64](`document.getElementById("digest").getBoundingClientRect().bottom`))
	must("digest position", err)
	viewport, err := chromedp.Run(bctx, chromedp.Evaluate[float64](`window.innerHeight`))
	must("viewport", err)
	source, err := chromedp.Run(bctx, chromedp.Text("#source"))
	must("source", err)
	sourceBottom, err := chromedp.Run(bctx, chromedp.Evaluate[float64](`document.getElementById("source").getBoundingClientRect().bottom`))
	must("source position", err)
	steps, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#chain li")).map(li => li.dataset.step)`))
	must("chain", err)
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	must("screenshot", err)
	pdf, err := chromedp.Run(bctx, chromedp.PrintToPDF())
	must("print to PDF", err)
	if !strings.HasPrefix(verdict, "ALLOW") || !strings.Contains(verdict, "production") {
		t.Errorf("verdict = %q, want ALLOW · production", verdict)
	}
	if digest != d.Digest {
		t.Errorf("digest shown = %q, want %s", digest, d.Digest)
	}
	if verdictTop < 0 || digestTop > viewport {
		t.Errorf("verdict (top %v) and digest (bottom %v) are not in the first screen (%v high)", verdictTop, digestTop, viewport)
	}
	// Where it came from, in the first screen too: repository, ref, commit
	// and builder, from the decision's verified provenance.
	src := d.Source
	for _, want := range []string{src.Repository, src.Ref, src.Commit, src.Builder, src.Provenance} {
		if !strings.Contains(source, want) {
			t.Errorf("the source shown, %q, does not name %q", source, want)
		}
	}
	if sourceBottom > viewport {
		t.Errorf("the source (bottom %v) is not in the first screen (%v high)", sourceBottom, viewport)
	}
	// The chain as the summary draws it: the same nodes, in the same order.
	if got, want := strings.Join(steps, " "), strings.Join(chainIDs(report.ChainOf(d)), " "); got != want {
		t.Errorf("the page's chain is %q, want %q", got, want)
	}
	for _, want := range []string{"The six questions", "Evidence", "Files", "missing: no build log was given", "CVE-2026-1111", "04-attestations/provenance.jsonl:1"} {
		if !strings.Contains(text, want) {
			t.Errorf("the rendered page does not show %q", want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, r := range requests {
		if r != pageURL {
			t.Errorf("index.html requested %s: want no request but the page itself", r)
		}
	}
	if len(requests) == 0 {
		t.Error("no request seen at all, not even the page's: the network listener is not working")
	}
	if len(pdf) < 1000 || !strings.HasPrefix(string(pdf), "%PDF") {
		t.Errorf("printing to PDF gave %d bytes", len(pdf))
	}
	out := filepath.Join(artifactDir(t), "index.png")
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Log(fmt.Sprintf("screenshot: %s (%d bytes)", out, len(shot)))
}
