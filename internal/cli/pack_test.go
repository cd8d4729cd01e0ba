package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/relproof/relproof/internal/evidence"
	"github.com/relproof/relproof/internal/gate"
)

// packWorld is a gate world with a decision and an evidence pack built
// from it.
type packWorld struct {
	*gateWorld
	decision string
	approval string
	rollback string
}

func newPackWorld(t *testing.T) *packWorld {
	t.Helper()
	w := &packWorld{gateWorld: newGateWorld(t)}
	bundle := w.approvals(nil, "alice")
	w.approval = filepath.Join(w.dir, "approvals.json") // the record, for the pack
	w.rollback = w.rollbackWithProvenance()
	w.decision = filepath.Join(w.dir, "decision.json")
	r, d := w.gate("--approvals", bundle, "--rollback-digest", w.rollback, "--decision-out", w.decision, "--key", w.key)
	expect(t, r, 0)
	if !d.Allowed() {
		t.Fatalf("gate denied: %+v", d.Failed())
	}
	return w
}

// approverPub is the public key of the approver key the approval
// attestation is signed with, which pack verify needs to check it.
func (w *packWorld) approverPub() string { return filepath.Join(w.dir, "approver.pub") }

// build builds a pack into out with the full evidence but the given extra
// flags, and returns out.
func (w *packWorld) build(out string, extra ...string) string {
	w.t.Helper()
	args := append([]string{"pack", "build", w.artifact, "--environment", "production", "--decision", w.decision, "--policy", w.policy,
		"--bundles-dir", w.bundles, "--approvals", w.approval, "--key", w.key, "--out", out}, extra...)
	expect(w.t, run(w.t, w.env, args...), 0)
	return out
}

func packFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func readManifest(t *testing.T, dir string) *evidence.Manifest {
	t.Helper()
	var m evidence.Manifest
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dir, "MANIFEST.json"))), &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

func TestPackBuildLayoutAndVerify(t *testing.T) {
	t.Parallel()
	w := newPackWorld(t)
	src := filepath.Join(w.dir, "source")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, src, "pull-request-summary.md", "# PR 12: release 1.1\nreviewed by bob\n")
	writeFile(t, src, "commit-range.txt", "0000000..0123456789abcdef0123456789abcdef01234567\n")
	deploy := writeFile(t, w.dir, "deploy.json", `{"environment":"production","digest":"`+w.digest+`"}`)
	buildLog := writeFile(t, w.dir, "build.log", "go build ./...\nok\n")
	out := w.build(filepath.Join(w.dir, "release-evidence"), "--source-evidence", src, "--deploy-record", deploy, "--build-log", buildLog)

	files := packFiles(t, out)
	want := []string{
		"01-source/commit-range.txt", "01-source/pull-request-summary.md",
		"02-build/build-log.txt", "02-build/runner-metadata.json",
		"03-artifacts/image-digests.txt", "03-artifacts/sbom.spdx.json",
		"04-attestations/approval-attestation.jsonl", "04-attestations/provenance.jsonl", "04-attestations/sbom-attestation.jsonl", "04-attestations/signatures.jsonl",
		"04-attestations/test-attestation.jsonl", "04-attestations/vuln-scan-attestation.jsonl",
		"05-approvals/decision.json", "05-approvals/decision.sigstore.json", "05-approvals/environment-approval.md",
		"05-approvals/policy/exceptions.yaml", "05-approvals/policy/policy.yaml", "05-approvals/security-signoff.md",
		"06-deployment/deploy-record.json", "06-deployment/rollback-plan.md",
		"MANIFEST.json", "MANIFEST.sigstore.json", "index.html",
	}
	var got []string
	for p := range files {
		got = append(got, p)
	}
	sort.Strings(got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("layout:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	m := readManifest(t, out)
	if m.Digest != w.digest || m.Decision != "allow" || m.Environment != "production" {
		t.Errorf("manifest header: %+v", m)
	}
	if len(m.Files) != len(want)-2 {
		t.Errorf("manifest lists %d files, want %d", len(m.Files), len(want)-2)
	}
	for _, e := range m.Files {
		if e.Missing != "" {
			t.Errorf("%s missing with full evidence: %s", e.Path, e.Missing)
		}
		if e.Class == "" || len(e.SHA256) != 64 || e.Size != int64(len(files[e.Path])) {
			t.Errorf("manifest entry %+v", e)
		}
	}
	for path, says := range map[string]string{
		"03-artifacts/image-digests.txt":       "app.bin@" + w.digest,
		"03-artifacts/sbom.spdx.json":          "SPDX-2.3",
		"02-build/runner-metadata.json":        "runDetails",
		"05-approvals/security-signoff.md":     "Decision JSON digest: `sha256:",
		"05-approvals/environment-approval.md": "alice",
		"06-deployment/rollback-plan.md":       "app.bin@" + w.rollback,
		"index.html":                           w.digest,
	} {
		if !strings.Contains(files[path], says) {
			t.Errorf("%s does not say %q:\n%s", path, says, files[path])
		}
	}
	if !strings.Contains(files["05-approvals/security-signoff.md"], "The six questions") {
		t.Error("security-signoff.md has no six questions")
	}
	html := files["index.html"]
	// Every attestation the decision used is in the pack, the SBOM's and
	// the approval's too, one line each.
	for _, f := range []string{"04-attestations/provenance.jsonl", "04-attestations/sbom-attestation.jsonl", "04-attestations/test-attestation.jsonl",
		"04-attestations/vuln-scan-attestation.jsonl", "04-attestations/signatures.jsonl", "04-attestations/approval-attestation.jsonl"} {
		if n := strings.Count(files[f], "\n"); n != 1 {
			t.Errorf("%s holds %d lines, want 1 verified bundle", f, n)
		}
	}
	// What it was decided on: the decision as signed, its signature, the
	// policy and the exceptions file it names, byte for byte.
	for packed, given := range map[string]string{
		"05-approvals/decision.json":          w.decision,
		"05-approvals/policy/policy.yaml":     w.policy,
		"05-approvals/policy/exceptions.yaml": filepath.Join(w.dir, "exceptions.yaml"),
	} {
		if files[packed] != readFile(t, given) {
			t.Errorf("%s is not %s as given", packed, given)
		}
	}
	if files["05-approvals/decision.sigstore.json"] != compactJSON(t, readFile(t, w.decision+".sigstore.json"))+"\n" {
		t.Error("05-approvals/decision.sigstore.json is not the decision's signed bundle")
	}
	if !strings.Contains(files["05-approvals/environment-approval.md"], "From the signed approval attestation `sha256:") {
		t.Errorf("environment-approval.md is not made from the signed attestation:\n%s", files["05-approvals/environment-approval.md"])
	}
	classes := map[string]string{}
	for _, e := range m.Files {
		classes[e.Path] = e.Class
	}
	for p, class := range map[string]string{"05-approvals/decision.json": "gate-decision", "05-approvals/decision.sigstore.json": "gate-decision-signature",
		"05-approvals/policy/policy.yaml": "policy", "05-approvals/policy/exceptions.yaml": "policy-exceptions", "04-attestations/sbom-attestation.jsonl": "sbom-attestation"} {
		if classes[p] != class {
			t.Errorf("MANIFEST.json lists %s as %q, want %q", p, classes[p], class)
		}
	}
	// The page names the source in the first lines, from the decision.
	if !strings.Contains(html, "commit <code>"+gateActionsEnv["GITHUB_SHA"]+"</code>") {
		t.Errorf("index.html does not name the built commit")
	}
	// Self-contained: no external references.
	if regexp.MustCompile(`(?i)src\s*=|href\s*=\s*"?https?:|@import|url\(`).MatchString(html) {
		t.Errorf("index.html makes external references:\n%s", html)
	}
	if strings.Index(html, "ALLOW") > strings.Index(html, "The six questions") {
		t.Error("index.html does not put the verdict first")
	}

	r := run(t, w.env, "pack", "verify", out, "--key", w.pub, "--attestation-key", w.approverPub())
	expect(t, r, 0)
	for _, says := range []string{"verified", "05-approvals/decision.sigstore.json: the gate decision (allow), signed by key ", "all 6 attestation(s) the decision used are in the pack and verify"} {
		if !strings.Contains(r.stdout, says) {
			t.Errorf("pack verify does not say %q:\n%s", says, r.stdout)
		}
	}
	r = run(t, w.env, "pack", "show", out)
	expect(t, r, 0)
	if !strings.Contains(r.stdout, "ALLOW "+w.digest) {
		t.Errorf("pack show says %q", r.stdout)
	}
	// Another key: the signature fails.
	_, otherPub := keys(t, w.env, w.dir, "other")
	expect(t, run(t, w.env, "pack", "verify", out, "--key", otherPub), 1, "MANIFEST.sigstore.json")
	// The output exists: refused, not overwritten.
	expect(t, run(t, w.env, "pack", "build", w.artifact, "--environment", "production", "--decision", w.decision, "--policy", w.policy, "--key", w.key, "--out", out), 2, out, "expected a new or empty directory")
}

func TestPackDeterministic(t *testing.T) {
	t.Parallel()
	w := newPackWorld(t)
	a := packFiles(t, w.build(filepath.Join(w.dir, "a")))
	b := packFiles(t, w.build(filepath.Join(w.dir, "b")))
	if len(a) != len(b) {
		t.Fatalf("%d files vs %d", len(a), len(b))
	}
	// Every file, the signed manifest too: a key signs deterministically.
	for p, data := range a {
		if b[p] != data {
			t.Errorf("%s differs between two builds of the same evidence", p)
		}
	}
	// Two archives built from the same evidence are the same bytes.
	x := readFile(t, w.build(filepath.Join(w.dir, "x.tar.gz")))
	y := readFile(t, w.build(filepath.Join(w.dir, "y.tar.gz")))
	if sha256Hex(x) != sha256Hex(y) {
		t.Errorf("two .tar.gz builds of the same evidence differ: sha256:%s vs sha256:%s", sha256Hex(x), sha256Hex(y))
	}
	info, err := os.Stat(filepath.Join(w.dir, "a", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !info.ModTime().Equal(readManifest(t, filepath.Join(w.dir, "a")).Time) {
		t.Errorf("mtime %s, want the decision time", info.ModTime())
	}
	// Nothing is left beside the packs.
	ents, _ := os.ReadDir(w.dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary %s left behind", e.Name())
		}
	}
}

func TestPackVerifyDetectsTampering(t *testing.T) {
	t.Parallel()
	w := newPackWorld(t)
	for _, tc := range []struct {
		name   string
		tamper func(dir string)
		says   []string
	}{
		{"changed byte", func(dir string) {
			p := filepath.Join(dir, "05-approvals", "security-signoff.md")
			b, _ := os.ReadFile(p)
			b[10] ^= 1
			os.WriteFile(p, b, 0o644)
		}, []string{"05-approvals/security-signoff.md: changed: expected sha256:"}},
		{"removed file", func(dir string) {
			os.Remove(filepath.Join(dir, "04-attestations", "provenance.jsonl"))
		}, []string{"04-attestations/provenance.jsonl: missing: expected sha256:", "found no file"}},
		{"added file", func(dir string) {
			writeFile(t, filepath.Join(dir, "02-build"), "extra.txt", "smuggled")
		}, []string{"02-build/extra.txt: extra: not listed in MANIFEST.json"}},
		{"manifest edited to match a changed file", func(dir string) {
			p := filepath.Join(dir, "06-deployment", "rollback-plan.md")
			os.WriteFile(p, []byte("roll back to anything\n"), 0o644)
			m := readManifest(t, dir)
			for i, e := range m.Files {
				if e.Path == "06-deployment/rollback-plan.md" {
					fs := hashFile(p)
					m.Files[i].SHA256, m.Files[i].Size = fs.sum, fs.size
				}
			}
			b, _ := json.MarshalIndent(m, "", "  ")
			os.WriteFile(filepath.Join(dir, "MANIFEST.json"), b, 0o644)
		}, []string{"06-deployment/rollback-plan.md: signature does not cover it", "MANIFEST.json: signature does not cover it"}},
		{"attestation for another digest added", func(dir string) {
			p := filepath.Join(dir, "04-attestations", "provenance.jsonl")
			f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			defer f.Close()
			f.WriteString(compactJSON(t, readFile(t, w.foreignProvenance())) + "\n")
		}, []string{"04-attestations/provenance.jsonl: changed: expected sha256:"}},
		{"manifest signature removed", func(dir string) {
			os.Remove(filepath.Join(dir, "MANIFEST.sigstore.json"))
		}, []string{"MANIFEST.sigstore.json: expected the signed manifest statement"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := w.build(filepath.Join(w.dir, strings.ReplaceAll(tc.name, " ", "-")))
			tc.tamper(dir)
			expect(t, run(t, w.env, "pack", "verify", dir, "--key", w.pub, "--attestation-key", w.approverPub()), 1, tc.says...)
		})
	}
}

// One changed byte, in each file of the pack in turn, is caught and the
// file named.
func TestPackVerifyDetectsAChangedByteInEveryFile(t *testing.T) {
	t.Parallel()
	w := newPackWorld(t)
	dir := w.build(filepath.Join(w.dir, "pack"))
	for p := range packFiles(t, dir) {
		full := filepath.Join(dir, filepath.FromSlash(p))
		orig, err := os.ReadFile(full)
		if err != nil {
			t.Fatal(err)
		}
		changed := bytes.Clone(orig)
		changed[len(changed)/2] ^= 0x01
		if err := os.WriteFile(full, changed, 0o644); err != nil {
			t.Fatal(err)
		}
		r := run(t, w.env, "pack", "verify", dir, "--key", w.pub, "--attestation-key", w.approverPub())
		if r.code != 1 || !strings.Contains(r.errText(), p) {
			t.Errorf("%s with one byte changed: exit %d, %v; want 1 naming the file", p, r.code, r.err)
		}
		if err := os.WriteFile(full, orig, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	expect(t, run(t, w.env, "pack", "verify", dir, "--key", w.pub, "--attestation-key", w.approverPub()), 0)
}

func TestPackMissingPieces(t *testing.T) {
	t.Parallel()
	w := newPackWorld(t)
	// No approvals, no source, no build log, no deploy record; and no
	// test evidence given: each is recorded missing, with its reason.
	tests := filepath.Join(w.dir, "no-tests")
	if err := os.Mkdir(tests, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(w.bundles)
	var bundles []string
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "test-") {
			bundles = append(bundles, "--bundle", filepath.Join(w.bundles, e.Name()))
		}
	}
	out := filepath.Join(w.dir, "pack")
	args := append([]string{"pack", "build", w.artifact, "--environment", "production", "--decision", w.decision, "--policy", w.policy, "--key", w.key, "--out", out}, bundles...)
	r := run(t, w.env, args...)
	expect(t, r, 0)
	m := readManifest(t, out)
	wantMissing := map[string]string{
		"01-source/pull-request-summary.md":          "--source-evidence",
		"02-build/build-log.txt":                     "--build-log",
		"04-attestations/test-attestation.jsonl":     "none of the",
		"04-attestations/approval-attestation.jsonl": "none of the",
		"05-approvals/environment-approval.md":       "--approvals",
		"06-deployment/deploy-record.json":           "--deploy-record",
	}
	for _, e := range m.Files {
		reason, want := wantMissing[e.Path]
		switch {
		case want && !strings.Contains(e.Missing, reason):
			t.Errorf("%s: missing %q, want a reason saying %q", e.Path, e.Missing, reason)
		case !want && e.Missing != "":
			t.Errorf("%s: missing %q, want present", e.Path, e.Missing)
		}
		if want {
			content := readFile(t, filepath.Join(out, e.Path))
			if !strings.Contains(strings.ToLower(content), "missing") || !strings.Contains(content, reason) {
				t.Errorf("%s does not state what is missing and why:\n%s", e.Path, content)
			}
		}
	}
	// Without source evidence, the commit range still names the built
	// commit, from the verified provenance, and says its start is unknown.
	if cr := readFile(t, filepath.Join(out, "01-source", "commit-range.txt")); !strings.HasSuffix(cr, "\n"+gateActionsEnv["GITHUB_SHA"]+"\n") || !strings.Contains(cr, "start is not recorded") {
		t.Errorf("commit-range.txt from provenance:\n%s", cr)
	}
	if !strings.Contains(r.stdout, "missing 05-approvals/environment-approval.md") {
		t.Errorf("pack build does not report missing pieces:\n%s", r.stdout)
	}
	// A piece the pack records missing is not a failure, but an
	// attestation the decision used is: without it, nobody can re-check
	// the decision. Each is named, with its digest.
	var d gate.Decision
	if err := json.Unmarshal([]byte(readFile(t, w.decision)), &d); err != nil {
		t.Fatal(err)
	}
	var says []string
	for _, e := range d.Evidence {
		if e.Type == "test" || e.Type == "approval" {
			says = append(says, fmt.Sprintf("04-attestations/%s-attestation.jsonl: expected the %s attestation the decision used, %s signed by %q, found none", e.Type, e.Type, e.Digest, e.Signer))
		}
	}
	if len(says) != 2 {
		t.Fatalf("the decision used %+v, want a test and an approval attestation", d.Evidence)
	}
	r = run(t, w.env, "pack", "verify", out, "--key", w.pub, "--attestation-key", w.approverPub())
	expect(t, r, 1, says...)
	if n := strings.Count(r.errText(), "\n  "); n != 2 {
		t.Errorf("%d problems, want the two attestations:\n%s", n, r.errText())
	}
	if html := readFile(t, filepath.Join(out, "index.html")); !strings.Contains(html, "missing:") || !strings.Contains(html, "not in this pack, so <code>relproof pack verify</code> fails") {
		t.Error("index.html does not show the missing pieces")
	}
}

func TestPackBadInput(t *testing.T) {
	t.Parallel()
	w := newPackWorld(t)
	out := filepath.Join(w.dir, "out")
	base := []string{"pack", "build", w.artifact, "--policy", w.policy, "--key", w.key, "--out", out}
	expect(t, run(t, w.env, append(base, "--environment", "staging", "--decision", w.decision)...), 2, "decision "+w.decision, `expected a decision for environment "staging"`, `found one for "production"`)
	other := writeFile(t, w.dir, "other.bin", "another artifact")
	expect(t, run(t, w.env, "pack", "build", other, "--environment", "production", "--decision", w.decision, "--policy", w.policy, "--key", w.key, "--out", out), 2, "gate decision: expected a decision for sha256:", "found one for")
	notJSON := writeFile(t, w.dir, "decision.txt", "allow")
	expect(t, run(t, w.env, append(base, "--environment", "production", "--decision", notJSON)...), 2, "decision "+notJSON, "expected the gate decision JSON")
	expect(t, run(t, w.env, "pack", "verify", filepath.Join(w.dir, "nowhere"), "--key", w.pub, "--attestation-key", w.approverPub()), 2, "nowhere", "expected a pack directory")
	expect(t, run(t, w.env, "pack", "verify", w.dir), 2, "expected the pack signer: --key PUB", "found none")
	expect(t, run(t, w.env, "pack", "verify", w.dir, "--key", w.pub, "--attestation-key", w.approverPub(), "--environment", "production"), 2, "--environment", "expected an oci:// reference")
	expect(t, run(t, w.env, "pack", "verify", w.dir, "--key", w.pub, "--attestation-key", w.approverPub(), "--attestation-key", filepath.Join(w.dir, "none.pub")), 2, "none.pub")
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed build left an output directory")
	}
}

type fileDigest struct {
	sum  string
	size int64
}

func hashFile(p string) fileDigest {
	b, _ := os.ReadFile(p)
	return fileDigest{sum: sha256Hex(string(b)), size: int64(len(b))}
}

// A pack as a .tar.gz: the same pack gives the same archive bytes, verify
// and show read it, and a change inside it is caught.
func TestPackArchive(t *testing.T) {
	t.Parallel()
	w := newPackWorld(t)
	dir := w.build(filepath.Join(w.dir, "pack"))
	m := readManifest(t, dir)
	a, err := evidence.Archive(dir, m.Time)
	if err != nil {
		t.Fatal(err)
	}
	b, err := evidence.Archive(dir, m.Time)
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("two archives of the same pack differ (%v)", err)
	}

	archive := w.build(filepath.Join(w.dir, "release.tar.gz"))
	expect(t, run(t, w.env, "pack", "verify", archive, "--key", w.pub, "--attestation-key", w.approverPub()), 0)
	r := run(t, w.env, "pack", "show", archive)
	expect(t, r, 0)
	if !strings.Contains(r.stdout, "ALLOW "+w.digest) {
		t.Errorf("pack show of the archive:\n%s", r.stdout)
	}
	expect(t, run(t, w.env, "pack", "build", w.artifact, "--environment", "production", "--decision", w.decision, "--policy", w.policy, "--key", w.key, "--out", archive), 2, "expected a new file")

	// Unpack, change one byte of the sign-off, pack it up again: caught.
	tampered := t.TempDir()
	if err := evidence.Extract(archive, tampered); err != nil {
		t.Fatal(err)
	}
	signoff := filepath.Join(tampered, "05-approvals", "security-signoff.md")
	data, _ := os.ReadFile(signoff)
	if err := os.WriteFile(signoff, bytes.Replace(data, []byte("allow"), []byte("allOw"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	re, err := evidence.Archive(tampered, m.Time)
	if err != nil {
		t.Fatal(err)
	}
	bad := writeFile(t, w.dir, "tampered.tar.gz", string(re))
	expect(t, run(t, w.env, "pack", "verify", bad, "--key", w.pub, "--attestation-key", w.approverPub()), 1, "05-approvals/security-signoff.md")
}

// An archive entry that would leave the target directory is refused.
func TestPackArchiveRefusesEscapingPaths(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"release-evidence/../../etc/evil", "/etc/evil", "other/file", "release-evidence-other/file"} {
		var buf bytes.Buffer
		gz := gzip.NewWriter(&buf)
		tw := tar.NewWriter(gz)
		_ = tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Size: 1, Mode: 0o644})
		_, _ = tw.Write([]byte("x"))
		_ = tw.Close()
		_ = gz.Close()
		p := writeFile(t, t.TempDir(), "evil.tar.gz", buf.String())
		dir := t.TempDir()
		err := evidence.Extract(p, dir)
		if err == nil || !strings.Contains(err.Error(), "expected a path under release-evidence/") {
			t.Errorf("entry %q: err = %v", name, err)
		}
		if _, statErr := os.Stat(filepath.Join(dir, "..", "..", "etc", "evil")); statErr == nil {
			t.Fatalf("entry %q escaped", name)
		}
	}
}
