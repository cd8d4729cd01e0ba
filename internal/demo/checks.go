package demo

import (
	"archive/tar"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/relproof/relproof/internal/attest"
	"github.com/relproof/relproof/internal/fsutil"
)

// imageFS is the image, pulled back by digest: its files and its config.
type imageFS struct {
	files map[string]*tar.Header
	data  map[string][]byte
	cfg   *v1.ConfigFile
}

// pullImage reads the image by digest, so that tests and scans run on
// exactly the subject the evidence is bound to.
func (r *run) pullImage(ctx context.Context) (*imageFS, error) {
	img, err := remote.Image(r.ref, remote.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("pulling %s: %w", r.ref, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	fs := &imageFS{files: map[string]*tar.Header{}, data: map[string][]byte{}, cfg: cfg}
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", r.ref, err)
		}
		fs.files[h.Name] = h
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(io.LimitReader(tr, 1<<20))
			if err != nil {
				return nil, err
			}
			fs.data[h.Name] = b
		}
	}
	return fs, nil
}

// junit is the subset of JUnit XML the demo writes.
type junitSuite struct {
	XMLName  xml.Name    `xml:"testsuite"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
}

// attestTests runs the image's acceptance checks on the pulled image and
// attests the JUnit report. A failing check is recorded, not hidden: the
// statement then says FAILED.
func (r *run) attestTests(ctx context.Context) error {
	fs, err := r.pullImage(ctx)
	if err != nil {
		return err
	}
	checks := []struct {
		name string
		fn   func() error
	}{
		{"entrypoint_is_executable", func() error {
			ep := fs.cfg.Config.Entrypoint
			if len(ep) == 0 {
				return errors.New("no entrypoint")
			}
			h, ok := fs.files[strings.TrimPrefix(ep[0], "/")]
			if !ok || h.FileInfo().Mode().Perm()&0o111 == 0 {
				return fmt.Errorf("%s missing or not executable", ep[0])
			}
			return nil
		}},
		{"runs_as_non_root", func() error {
			switch u := fs.cfg.Config.User; u {
			case "", "0", "root", "0:0", "root:root":
				return fmt.Errorf("user %q is root", u)
			}
			return nil
		}},
		{"revision_label_is_the_built_commit", func() error {
			if got := fs.cfg.Config.Labels["org.opencontainers.image.revision"]; got != r.res.Commit {
				return fmt.Errorf("revision label %q, built commit %s", got, r.res.Commit)
			}
			return nil
		}},
		{"version_file_matches_label", func() error {
			got := strings.TrimSpace(string(fs.data["app/VERSION"]))
			if want := fs.cfg.Config.Labels["org.opencontainers.image.version"]; got != want {
				return fmt.Errorf("app/VERSION %q, label %q", got, want)
			}
			return nil
		}},
	}
	suite := junitSuite{Name: "image-acceptance"}
	for _, c := range checks {
		tc := junitCase{Classname: "image", Name: c.name}
		if err := c.fn(); err != nil {
			tc.Failure = &junitFailure{Message: err.Error()}
			suite.Failures++
		}
		suite.Cases = append(suite.Cases, tc)
	}
	suite.Tests = len(suite.Cases)
	out, err := xml.MarshalIndent(suite, "", "  ")
	if err != nil {
		return err
	}
	report := append([]byte(xml.Header), append(out, '\n')...)
	file, err := r.writeReport("image-tests.junit.xml", report)
	if err != nil {
		return err
	}
	return r.attest(ctx, attest.Request{Type: attest.TypeTest, Predicate: report, PredicateName: file}, file)
}

// secretRules are what the demo's scan looks for in the image's files.
var secretRules = []struct {
	id, text, severity string
	re                 *regexp.Regexp
}{
	{"private-key", "PEM private key in the image", "9.0", regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`)},
	{"github-token", "GitHub token in the image", "9.0", regexp.MustCompile(`gh[pousr]_[A-Za-z0-9]{36}`)},
	{"aws-access-key", "AWS access key id in the image", "7.5", regexp.MustCompile(`AKIA[0-9A-Z]{16}`)},
}

// attestScan scans the pulled image's files for embedded credentials and
// attests the SARIF report. (A vulnerability scanner such as grype or trivy
// needs its online database; the scan here is a real one the demo can run
// offline, and `relproof attest --type vuln` takes their reports the same way.)
func (r *run) attestScan(ctx context.Context) error {
	fs, err := r.pullImage(ctx)
	if err != nil {
		return err
	}
	type result struct {
		RuleID    string `json:"ruleId"`
		Level     string `json:"level"`
		Message   any    `json:"message"`
		Locations []any  `json:"locations"`
	}
	var rules []any
	results := []result{}
	names := make([]string, 0, len(fs.data))
	for n := range fs.data {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, rule := range secretRules {
		rules = append(rules, map[string]any{
			"id":               rule.id,
			"shortDescription": map[string]string{"text": rule.text},
			"properties":       map[string]string{"security-severity": rule.severity},
		})
		for _, n := range names {
			if rule.re.Match(fs.data[n]) {
				results = append(results, result{
					RuleID: rule.id, Level: "error",
					Message:   map[string]string{"text": rule.text + ": " + n},
					Locations: []any{map[string]any{"physicalLocation": map[string]any{"artifactLocation": map[string]string{"uri": n}}}},
				})
			}
		}
	}
	sarif := map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []any{map[string]any{
			"tool":       map[string]any{"driver": map[string]any{"name": "relproof-demo-secret-scan", "version": "1", "rules": rules}},
			"results":    results,
			"properties": map[string]string{"subject": r.ref.String()},
		}},
	}
	report, err := json.MarshalIndent(sarif, "", "  ")
	if err != nil {
		return err
	}
	file, err := r.writeReport("secret-scan.sarif.json", append(report, '\n'))
	if err != nil {
		return err
	}
	return r.attest(ctx, attest.Request{Type: attest.TypeVuln, Predicate: report, PredicateName: file}, file)
}

func (r *run) writeReport(name string, data []byte) (string, error) {
	if err := os.MkdirAll(r.path("reports"), 0o755); err != nil {
		return "", err
	}
	file := r.path("reports", name)
	return file, fsutil.WriteFileAtomic(file, data, 0o644)
}
