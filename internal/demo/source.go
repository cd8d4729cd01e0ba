package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// sourceTime is the demo commit's time: fixed, so the same source gives the
// same commit, the same image and the same digest on every run.
var sourceTime = time.Date(2026, 1, 15, 9, 30, 0, 0, time.UTC)

// sourceFiles is the demo application.
var sourceFiles = map[string]string{
	"app/hello.sh": "#!/bin/sh\necho \"hello from a release with evidence\"\n",
	"app/VERSION":  "1.0.0\n",
	"app/package.json": `{"name": "demo-app", "version": "1.0.0", "license": "Apache-2.0", "dependencies": {"left-pad": "1.3.0"}}
`,
	"app/node_modules/left-pad/package.json": `{"name": "left-pad", "version": "1.3.0", "license": "WTFPL"}
`,
	"README.md": "# demo app\n\nBuilt, attested and verified by `relproof demo`.\n",
}

// makeRepository creates a git repository with the demo source in one commit.
func (r *run) makeRepository(context.Context) error {
	r.repoDir = r.path("source")
	if err := os.RemoveAll(r.repoDir); err != nil {
		return err
	}
	repo, err := git.PlainInitWithOptions(r.repoDir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		return fmt.Errorf("git init %s: %w", r.repoDir, err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return err
	}
	names := make([]string, 0, len(sourceFiles))
	for n := range sourceFiles {
		names = append(names, n)
	}
	sort.Strings(names)
	r.imgFiles = map[string][]byte{}
	for _, n := range names {
		p := filepath.Join(r.repoDir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(sourceFiles[n]), 0o644); err != nil {
			return err
		}
		if _, err := wt.Add(n); err != nil {
			return fmt.Errorf("git add %s: %w", n, err)
		}
		r.imgFiles[n] = []byte(sourceFiles[n])
	}
	sig := &object.Signature{Name: "Release Engineer", Email: "release@example.com", When: sourceTime}
	h, err := wt.Commit("demo app 1.0.0", &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		return fmt.Errorf("git commit: %w", err)
	}
	r.res.Commit = h.String()
	fmt.Fprintf(r.opts.Log, "      %s at commit %s\n", r.repoDir, h)
	return nil
}
