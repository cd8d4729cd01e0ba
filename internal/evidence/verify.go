package evidence

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

// Error says every way a pack failed verification, one problem a line,
// each naming the file. It matches verify.ErrNotVerified.
type Error struct {
	Dir      string
	Problems []string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: evidence pack %s: %d problem(s):\n  %s", verify.ErrNotVerified, e.Dir, len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// Unwrap makes the error match verify.ErrNotVerified.
func (e *Error) Unwrap() error { return verify.ErrNotVerified }

// Read reads a pack's MANIFEST.json, without verifying anything. A
// directory without one is not a pack: the error matches ErrNotAPack.
func Read(dir string) (*Pack, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s: expected %s, found none", ErrNotAPack, dir, ManifestFile)
	}
	if err != nil {
		return nil, fmt.Errorf("evidence pack %s: expected %s: %w", dir, ManifestFile, err)
	}
	m, err := parseManifest(dir, data)
	if err != nil {
		return nil, err
	}
	return &Pack{Dir: dir, Manifest: m}, nil
}

// parseManifest reads MANIFEST.json's bytes; pack names the pack in errors.
func parseManifest(pack string, data []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("evidence pack %s: %s: expected the manifest JSON, found: %w", pack, ManifestFile, err)
	}
	if m.Version != PackType {
		return nil, fmt.Errorf("evidence pack %s: %s: expected version %q, found %q", pack, ManifestFile, PackType, m.Version)
	}
	return &m, nil
}

// Options say whom a pack's signatures must come from.
type Options struct {
	// Manifest is the policy MANIFEST.sigstore.json must verify under: the
	// pack signer's key, or a trusted root and certificate identity.
	Manifest verify.Policy
	// Attestations are the policies an attestation in 04-attestations may
	// verify under (a key, a trusted root); its signer must then be the one
	// MANIFEST.json records for it, which the manifest's signature covers.
	// Empty means the manifest's policy.
	Attestations []verify.Policy
	// TempDir is where VerifyArchive unpacks an archive: os.TempDir()
	// when empty.
	TempDir string
}

// Verify checks the pack in dir: every file MANIFEST.json lists is there
// with its digest and size, no file is there that it does not list, the
// signature of MANIFEST.sigstore.json verifies under o.Manifest, its
// statement's subjects are exactly the manifest's files, MANIFEST.json and
// the release digest, and every attestation in 04-attestations verifies, is
// bound to the release digest and was signed by the signer the manifest
// records. The gate decision the pack holds is checked too (see
// checkDecision): its signature, the policy it was made under, and that
// the pack holds every attestation it used, each by its signer, and no
// other. A pack built before packs held their decision has none to check
// against (Pack.Decision is nil). It returns an *Error (matching verify.ErrNotVerified) that names
// each file that fails; a directory without MANIFEST.json is not a pack,
// an error matching ErrNotAPack. Each file is read once, the files in
// parallel.
func Verify(dir string, o Options) (*Pack, error) {
	return verifyDir(dir, o, nil)
}

// VerifyArchive verifies the pack archive read from r as Verify verifies a
// directory, after unpacking it (see ExtractFrom) into a directory under
// o.TempDir that it removes; archive names it in errors and reports. An
// archive that is not a pack is an error matching ErrNotAPack (an
// *ArchiveError); a listed file larger than the manifest says is reported
// changed, without reading it.
func VerifyArchive(archive string, r io.ReadSeeker, o Options) (*Pack, error) {
	return verifyArchive(archive, r, o, defaultLimits)
}

func verifyArchive(archive string, r io.ReadSeeker, o Options, lim limits) (*Pack, error) {
	x, err := readManifest(archive, r, lim)
	if err != nil {
		return nil, err
	}
	if x.manifestErr != nil {
		return nil, &Error{Dir: archive, Problems: []string{x.manifestErr.Error()}}
	}
	tmp, err := os.MkdirTemp(o.TempDir, "relproof-pack-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := x.unpack(r, tmp); err != nil {
		return nil, err
	}
	pack, err := verifyDir(tmp, o, x.larger)
	if pack != nil {
		pack.Dir = archive
	}
	if pe := (*Error)(nil); errors.As(err, &pe) {
		pe.Dir = archive
	}
	return pack, err
}

// verifyDir is Verify; larger are files an archive held larger than
// listed, which were not unpacked.
func verifyDir(dir string, o Options, larger map[string]int64) (*Pack, error) {
	info, err := os.Stat(dir)
	if err != nil || !info.IsDir() {
		return nil, fmt.Errorf("evidence pack %s: expected a pack directory, found: %v", dir, errOr(err, "not a directory"))
	}
	pack, err := Read(dir)
	switch {
	case errors.Is(err, ErrNotAPack):
		return nil, err
	case err != nil:
		return nil, &Error{Dir: dir, Problems: []string{err.Error()}}
	}
	m := pack.Manifest
	var problems []string

	present := map[string]int64{} // path: size
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			problems = append(problems, fmt.Sprintf("%s: expected a regular file, found %s", rel, d.Type()))
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		present[rel] = info.Size()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("evidence pack %s: %w", dir, err)
	}
	// Largest first, so the parallel hashing ends together.
	paths := make([]string, 0, len(present))
	for p := range present {
		paths = append(paths, p)
	}
	sort.Slice(paths, func(i, j int) bool {
		if present[paths[i]] != present[paths[j]] {
			return present[paths[i]] > present[paths[j]]
		}
		return paths[i] < paths[j]
	})
	keep := map[string]bool{BundleFile: true, DecisionFile: true, DecisionBundleFile: true, otherAttestations: true}
	for _, f := range attestationFiles {
		keep[f] = true
	}
	sums := hashAll(dir, paths, keep)

	listed := map[string]Entry{}
	for _, e := range m.Files {
		listed[e.Path] = e
		got, ok := sums[e.Path]
		n, isLarger := larger[e.Path]
		switch {
		case isLarger:
			problems = append(problems, fmt.Sprintf("%s: changed: expected sha256:%s (%d bytes), found %d bytes in the archive, not read", e.Path, e.SHA256, e.Size, n))
		case !ok:
			problems = append(problems, fmt.Sprintf("%s: missing: expected sha256:%s (%d bytes), found no file", e.Path, e.SHA256, e.Size))
		case got.err != nil:
			problems = append(problems, fmt.Sprintf("%s: unreadable: %v", e.Path, got.err))
		case got.sha256 != e.SHA256 || got.size != e.Size:
			problems = append(problems, fmt.Sprintf("%s: changed: expected sha256:%s (%d bytes), found sha256:%s (%d bytes)", e.Path, e.SHA256, e.Size, got.sha256, got.size))
		}
	}
	for _, p := range paths {
		if _, ok := listed[p]; !ok && p != ManifestFile && p != BundleFile {
			problems = append(problems, fmt.Sprintf("%s: extra: not listed in %s, found sha256:%s (%d bytes)", p, ManifestFile, sums[p].sha256, sums[p].size))
		}
	}

	// The signature, and that it covers exactly this manifest.
	problems = append(problems, checkSignature(m, sums, o.Manifest)...)

	// The attestations: each verifies, is bound to the release digest and
	// was signed by the signer the manifest records.
	release, derr := subject.ParseDigest(m.Digest)
	if derr != nil {
		problems = append(problems, fmt.Sprintf("%s: digest %q: expected ALGORITHM:HEX: %v", ManifestFile, m.Digest, derr))
	} else {
		policies := o.Attestations
		if len(policies) == 0 {
			policies = []verify.Policy{o.Manifest}
		}
		verified, ps := checkAttestations(m, listed, sums, release, policies)
		pack.Verified = verified
		problems = append(problems, ps...)
		pack.Decision, pack.DecisionSignature, ps = checkDecision(m, listed, sums, release, policies)
		problems = append(problems, ps...)
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return pack, &Error{Dir: dir, Problems: problems}
	}
	return pack, nil
}

// checkAttestations verifies each line of the attestation files that are
// intact (a changed file is already reported) against the record the
// manifest keeps of it.
func checkAttestations(m *Manifest, listed map[string]Entry, sums map[string]fileSum, release subject.Digest, policies []verify.Policy) ([]verify.Attestation, []string) {
	var verified []verify.Attestation
	records := map[string]Attested{}
	for _, a := range m.Attestations {
		records[a.Digest] = a
	}
	var problems []string
	for _, file := range append(sortedValues(attestationFiles), otherAttestations) {
		e, ok := listed[file]
		got, present := sums[file]
		if !ok || e.Missing != "" || !present || got.sha256 != e.SHA256 {
			continue
		}
		entries, err := verify.ReadBundles(file, got.data)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", file, err))
			continue
		}
		for _, en := range entries {
			if en.Source == file {
				en.Source = file + ":1" // a file of one line
			}
			rec, ok := records[en.Digest]
			if !ok || rec.Path != file {
				problems = append(problems, fmt.Sprintf("%s: expected an attestation %s records, found %s, which it does not", en.Source, ManifestFile, en.Digest))
				continue
			}
			a, why := verifyOne(release, en, policies)
			switch {
			case a == nil:
				problems = append(problems, fmt.Sprintf("%s: attestation does not verify for %s: %s", en.Source, m.Digest, why))
			case a.Signer != rec.Signer:
				problems = append(problems, fmt.Sprintf("%s: expected the signer %s records, %q, found %q", en.Source, ManifestFile, rec.Signer, a.Signer))
			default:
				verified = append(verified, *a)
			}
		}
	}
	return verified, problems
}

// verifyOne verifies one entry under the first policy it verifies under,
// or says why it verified under none.
func verifyOne(release subject.Digest, e verify.Entry, policies []verify.Policy) (*verify.Attestation, string) {
	// A key-signed bundle is tried only with the keys, a certificate-signed
	// one only with the trusted root: the other way could only say
	// something beside the point.
	keyless, hint := e.SignedWith()
	var why []string
	tried := 0
	for _, p := range policies {
		if (p.Key == nil) != keyless {
			continue
		}
		tried++
		res, err := verify.Verify(&subject.Subject{Digest: release}, []verify.Entry{e}, p)
		switch {
		case res != nil && len(res.Verified) == 1:
			return &res.Verified[0], ""
		case res != nil && len(res.Rejected) == 1:
			why = append(why, res.Rejected[0].Reason)
		default:
			why = append(why, fmt.Sprint(err))
		}
	}
	otherKey := len(why) > 0
	for _, w := range why {
		otherKey = otherKey && strings.Contains(w, "bundle was signed by key")
	}
	switch {
	case !keyless && hint != "" && (tried == 0 || otherKey):
		return nil, fmt.Sprintf("names key %s as its signer, which is neither --key nor an --attestation-key", hint)
	case tried == 0 && keyless:
		return nil, "signed with a certificate, and no trusted root was given to verify it"
	case tried == 0:
		return nil, "signed with a key, and no --key or --attestation-key was given"
	}
	return nil, strings.Join(why, "; ")
}

func checkSignature(m *Manifest, sums map[string]fileSum, p verify.Policy) []string {
	bs, ok := sums[BundleFile]
	switch {
	case !ok:
		return []string{fmt.Sprintf("%s: expected the signed manifest statement, found no file", BundleFile)}
	case bs.err != nil:
		return []string{fmt.Sprintf("%s: expected the signed manifest statement, found: %v", BundleFile, bs.err)}
	}
	data := bs.data
	release, err := subject.ParseDigest(m.Digest)
	if err != nil {
		return nil // reported by the caller
	}
	entries, err := verify.ReadBundles(BundleFile, data)
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", BundleFile, err)}
	}
	p.PredicateType = PackType
	res, err := verify.Verify(&subject.Subject{Digest: release}, entries, p)
	if err != nil || res == nil || len(res.Verified) == 0 {
		if res == nil || len(res.Rejected) == 0 {
			return []string{fmt.Sprintf("%s: signature over the manifest does not verify for %s: %v", BundleFile, m.Digest, err)}
		}
		var out []string
		for _, r := range res.Rejected {
			out = append(out, fmt.Sprintf("%s: signature over the manifest does not verify for %s: %s", BundleFile, m.Digest, r.Reason))
		}
		return out
	}
	st := res.Verified[0].Statement
	signed := map[string]string{}
	for _, s := range st.GetSubject() {
		signed[s.GetName()] = s.GetDigest()["sha256"]
	}
	want := map[string]string{}
	for _, e := range m.Files {
		want[e.Path] = e.SHA256
	}
	if ms, ok := sums[ManifestFile]; ok {
		want[ManifestFile] = ms.sha256
	}
	var problems []string
	names := map[string]bool{}
	for n := range want {
		names[n] = true
	}
	for n := range signed {
		names[n] = true
	}
	for n := range names {
		w, inWant := want[n]
		s, inSigned := signed[n]
		switch {
		case !inWant && s == release.Hex:
			// the release digest itself
		case !inWant:
			problems = append(problems, fmt.Sprintf("%s: the signed statement lists %s (sha256:%s), %s does not", BundleFile, n, s, ManifestFile))
		case !inSigned:
			problems = append(problems, fmt.Sprintf("%s: listed in %s (sha256:%s), expected in the signed statement, found absent", n, ManifestFile, w))
		case w != s:
			what := "manifest says"
			if n == ManifestFile {
				what = "file is"
			}
			problems = append(problems, fmt.Sprintf("%s: signature does not cover it: %s sha256:%s, the signed statement says sha256:%s", n, what, w, s))
		}
	}
	sort.Strings(problems)
	return problems
}

type fileSum struct {
	sha256 string
	size   int64
	data   []byte // the bytes, for the files asked to be kept
	err    error
}

// hashAll hashes files in parallel, reading each byte once, and keeps the
// bytes of the files in keep, which are read again for their content.
func hashAll(dir string, paths []string, keep map[string]bool) map[string]fileSum {
	out := make(map[string]fileSum, len(paths))
	var mu sync.Mutex
	work := make(chan string)
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				s := hashFile(filepath.Join(dir, filepath.FromSlash(p)), keep[p])
				mu.Lock()
				out[p] = s
				mu.Unlock()
			}
		}()
	}
	for _, p := range paths {
		work <- p
	}
	close(work)
	wg.Wait()
	return out
}

func hashFile(p string, keep bool) fileSum {
	if keep {
		data, err := os.ReadFile(p)
		if err != nil {
			return fileSum{err: err}
		}
		sum := sha256.Sum256(data)
		return fileSum{sha256: hex.EncodeToString(sum[:]), size: int64(len(data)), data: data}
	}
	f, err := os.Open(p)
	if err != nil {
		return fileSum{err: err}
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return fileSum{err: err}
	}
	return fileSum{sha256: hex.EncodeToString(h.Sum(nil)), size: n}
}

func sortedValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

func errOr(err error, s string) any {
	if err != nil {
		return err
	}
	return errors.New(s)
}
