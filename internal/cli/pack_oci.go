package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"

	"github.com/relproof/relproof/internal/evidence"
	"github.com/relproof/relproof/internal/fsutil"
	"github.com/relproof/relproof/internal/subject"
	"github.com/relproof/relproof/internal/verify"
)

func newPackPushCmd(env *Env, g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "push DIR|FILE.tar.gz oci://HOST/REPO@sha256:…",
		Short: "Store a release evidence pack in a registry, as an artifact that refers to the release",
		Long: `Store the pack as an OCI 1.1 artifact whose subject is the release digest, in
the release's repository: artifact type ` + evidence.ArtifactType + `,
MANIFEST.json as its config and the reproducible .tar.gz as its one layer, so
the same pack always has the same artifact digest. The pack must be for that
release digest. Registries without the referrers API get the referrers tag.

Verify a pack before you push it; anyone can verify it after with
relproof pack verify oci://HOST/REPO@sha256:RELEASE.

Prints the pack's reference. Exit 0 stored, 2 bad input or registry failure.`,
		Example: `  relproof pack push release-evidence oci://ghcr.io/acme/app@sha256:…
  relproof pack push release-evidence.tar.gz oci://ghcr.io/acme/app@sha256:… --output json`,
		Args: exactArgs(2, "a pack DIR or archive and the oci:// release digest"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPackPush(cmd.Context(), cmd.OutOrStdout(), env, g, args[0], args[1])
		},
	}
}

func runPackPush(ctx context.Context, w io.Writer, env *Env, g *globalOptions, packPath, target string) error {
	release, err := releaseReference(ctx, env, target)
	if err != nil {
		return err
	}
	dir, done, err := openPack(packPath)
	if err != nil {
		return err
	}
	defer done()
	pack, err := evidence.Read(dir)
	if err != nil {
		return usageError(err)
	}
	m := pack.Manifest
	// An archive is pushed as it is; a directory as its reproducible archive.
	var archive []byte
	if evidence.IsArchive(packPath) {
		archive, err = readInput(packPath, "pack archive")
	} else {
		archive, err = evidence.Archive(dir, m.Time)
	}
	if err != nil {
		return usageErrorf("pack %s: %w", packPath, err)
	}
	ref, err := evidence.Push(ctx, release, m, archive, env.Remote...)
	if err != nil {
		return usageErrorf("pack %s: %w", packPath, err)
	}
	out := map[string]any{"reference": ref.String(), "digest": ref.DigestStr(), "release": release.String(), "environment": m.Environment}
	return g.report(w, out, func(w io.Writer) {
		fmt.Fprintln(w, ref.String())
	})
}

func newPackPullCmd(env *Env, g *globalOptions) *cobra.Command {
	var out, environment string
	cmd := &cobra.Command{
		Use:   "pull oci://HOST/REPO@sha256:… --out DIR|FILE.tar.gz",
		Short: "Fetch a release evidence pack from a registry",
		Long: `Fetch the pack stored with relproof pack push: give the release digest (the
pack among its referrers; --environment picks one when there are several) or
the pack artifact's own digest. --out FILE.tar.gz writes the archive as stored;
--out DIR unpacks it into a new directory, atomically.

Pulling does not verify: run relproof pack verify on what you pulled, or
verify oci://… directly.

Exit 0 fetched, 1 no pack found for the digest, 2 bad input or registry failure.`,
		Example: `  relproof pack pull oci://ghcr.io/acme/app@sha256:… --environment production --out release-evidence
  relproof pack verify release-evidence --key release.pub`,
		Args: exactArgs(1, "one oci:// reference"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := os.Stat(out); err == nil {
				return usageErrorf("--out %s: expected a new file or directory, found one already there", out)
			}
			ref, archive, err := fetchPack(cmd.Context(), env, args[0], environment)
			if err != nil {
				return err
			}
			if evidence.IsArchive(out) {
				if err := fsutil.WriteFileAtomic(out, archive, 0o644); err != nil {
					return usageErrorf("--out %s: %w", out, err)
				}
			} else if err := extractPackDir(ref.String(), archive, out); err != nil {
				return err
			}
			return g.report(cmd.OutOrStdout(), map[string]any{"reference": ref.String(), "digest": ref.DigestStr(), "out": out}, func(w io.Writer) {
				fmt.Fprintf(w, "pulled %s into %s\n", ref, out)
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "where to put the pack: a new directory, or FILE.tar.gz")
	cmd.Flags().StringVar(&environment, "environment", "", "the environment whose pack to fetch, when the release has several")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// releaseReference parses an oci:// reference that must be pinned by digest.
func releaseReference(ctx context.Context, env *Env, input string) (name.Digest, error) {
	if !strings.HasPrefix(input, "oci://") {
		return name.Digest{}, usageErrorf("%q: expected oci://HOST/REPO@sha256:HEX, found no oci:// prefix", input)
	}
	subj, err := subject.Resolve(ctx, input, subject.RequireDigest(), subject.WithRemoteOptions(env.Remote...), subject.WithClock(env.Now))
	if err != nil {
		return name.Digest{}, err
	}
	ref, ok := subj.OCIReference()
	if !ok {
		return name.Digest{}, usageErrorf("%q: expected oci://HOST/REPO@sha256:HEX", input)
	}
	return ref, nil
}

// fetchPack finds and fetches the pack archive for an oci:// reference
// (evidence.Fetch): finding none is a failed check, anything else bad input.
func fetchPack(ctx context.Context, env *Env, input, environment string) (name.Digest, []byte, error) {
	ref, err := releaseReference(ctx, env, input)
	if err != nil {
		return name.Digest{}, nil, err
	}
	packRef, archive, err := evidence.Fetch(ctx, ref, environment, env.Remote...)
	switch {
	case errors.Is(err, verify.ErrNotVerified):
		return name.Digest{}, nil, err
	case err != nil:
		return name.Digest{}, nil, usageError(err)
	}
	return packRef, archive, nil
}

// extractPackDir unpacks a pack archive into out, a new directory, through
// a temporary directory beside it.
func extractPackDir(source string, archive []byte, out string) error {
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(out)), ".relproof-pull-*")
	if err != nil {
		return usageErrorf("--out %s: %w", out, err)
	}
	defer os.RemoveAll(tmp)
	if err := evidence.ExtractFrom(source, bytes.NewReader(archive), tmp); err != nil {
		return usageError(err)
	}
	if err := os.Rename(tmp, out); err != nil {
		return usageErrorf("--out %s: %w", out, err)
	}
	return nil
}

// openPackInput opens a pack given as a directory, an archive, or an
// oci:// reference (fetched into a temporary directory); done cleans up.
func openPackInput(ctx context.Context, env *Env, input, environment string) (dir string, done func(), err error) {
	if !strings.HasPrefix(input, "oci://") {
		if environment != "" {
			return "", nil, usageErrorf("--environment picks a pack among a release digest's referrers: expected an oci:// reference, found %s", input)
		}
		return openPack(input)
	}
	ref, archive, err := fetchPack(ctx, env, input, environment)
	if err != nil {
		return "", nil, err
	}
	tmp, err := os.MkdirTemp("", "relproof-pack-")
	if err != nil {
		return "", nil, err
	}
	if err := evidence.ExtractFrom(ref.String(), bytes.NewReader(archive), tmp); err != nil {
		os.RemoveAll(tmp)
		return "", nil, usageError(err)
	}
	return tmp, func() { os.RemoveAll(tmp) }, nil
}
