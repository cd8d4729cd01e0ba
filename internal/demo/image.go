package demo

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"sort"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// buildAndPushImage packages the committed source into a one-layer OCI image,
// pushes it to the registry by tag (as a build would) and keeps a copy in an
// OCI layout on disk.
func (r *run) buildAndPushImage(ctx context.Context) error {
	layerTar, err := tarFiles(r.imgFiles)
	if err != nil {
		return err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return fmt.Errorf("building layer: %w", err)
	}
	r.user = "65532:65532"
	r.labels = map[string]string{
		"org.opencontainers.image.source":   "file://" + r.repoDir,
		"org.opencontainers.image.revision": r.res.Commit,
		"org.opencontainers.image.version":  "1.0.0",
	}
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{Layer: layer, History: v1.History{CreatedBy: "relproof demo: COPY app/ README.md", Created: v1.Time{Time: sourceTime}}})
	if err != nil {
		return fmt.Errorf("building image: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = "amd64", "linux"
	cf.Created = v1.Time{Time: sourceTime}
	cf.Config.Entrypoint = []string{"/app/hello.sh"}
	cf.Config.User = r.user
	cf.Config.Labels = r.labels
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return fmt.Errorf("building image: %w", err)
	}
	tag, err := name.NewTag(r.host + "/demo/app:v1")
	if err != nil {
		return err
	}
	if err := remote.Write(tag, img, remote.WithContext(ctx)); err != nil {
		return fmt.Errorf("pushing %s: %w", tag, err)
	}
	r.res.Tag = tag.String()
	r.res.Layout = r.path("image")
	p, err := layout.Write(r.res.Layout, empty.Index)
	if err != nil {
		return fmt.Errorf("writing OCI layout: %w", err)
	}
	if err := p.AppendImage(img); err != nil {
		return fmt.Errorf("writing OCI layout: %w", err)
	}
	fmt.Fprintf(r.opts.Log, "      pushed %s; OCI layout copy in %s\n", tag, r.res.Layout)
	return nil
}

// tarFiles makes a deterministic tar: sorted names, fixed times and owners.
func tarFiles(files map[string][]byte) ([]byte, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirSet := map[string]bool{}
	for _, n := range names {
		for d := path.Dir(n); d != "."; d = path.Dir(d) {
			dirSet[d] = true
		}
	}
	dirs := make([]string, 0, len(dirSet))
	for d := range dirSet {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs) // a parent sorts before its children
	for _, d := range dirs {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: sourceTime}); err != nil {
			return nil, err
		}
	}
	for _, n := range names {
		mode := int64(0o644)
		if path.Ext(n) == ".sh" {
			mode = 0o755
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: n, Mode: mode, Size: int64(len(files[n])), ModTime: sourceTime}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(files[n]); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
