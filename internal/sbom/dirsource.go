package sbom

import (
	"crypto/sha256"
	"fmt"
	"path/filepath"

	"github.com/anchore/syft/syft/artifact"
	"github.com/anchore/syft/syft/source"
	"github.com/anchore/syft/syft/source/directorysource"
)

// preparedDir is a directory opened for syft, its file index being built in
// the background.
type preparedDir struct {
	src  source.Source
	err  error
	done chan struct{}
}

// prepareDir opens src's directory and starts building syft's index of it
// (the walk and stat of every file that cataloging starts with), so that it
// overlaps with hashing the tree.
func prepareDir(src Source) *preparedDir {
	p := &preparedDir{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		if p.src, p.err = directorysource.New(directorysource.Config{Path: src.Path}); p.err != nil {
			return
		}
		// The directory source builds its resolver once and keeps it;
		// cataloging asks for it again and gets this one.
		_, p.err = p.src.FileResolver(source.SquashedScope)
	}()
	return p
}

func (p *preparedDir) wait() (source.Source, error) {
	<-p.done
	return p.src, p.err
}

// namedSource is a syft source described by the subject's name and digest,
// as syft describes a source given an alias (which a directory source takes
// only when it is made, before the digest is known).
type namedSource struct {
	source.Source
	alias source.Alias
}

func (s namedSource) Describe() source.Description {
	d := s.Source.Describe()
	d.ID, d.Name, d.Version = string(s.ID()), s.alias.Name, s.alias.Version
	return d
}

// ID is what syft derives from an alias: the SHA-256 of "NAME@VERSION".
func (s namedSource) ID() artifact.ID {
	return artifact.ID(fmt.Sprintf("%x", sha256.Sum256([]byte(filepath.Clean(s.alias.Name+"@"+s.alias.Version)))))
}
