package fsutil

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// YAMLFiles lists the *.yml and *.yaml files directly in dir, sorted: the
// way a workflows directory is read. A dir that does not exist is an error
// naming it; an empty one is no files.
func YAMLFiles(dir string) ([]string, error) {
	var paths []string
	for _, pat := range []string{"*.yml", "*.yaml"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return nil, err
		}
		paths = append(paths, m...)
	}
	if len(paths) == 0 {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("workflows %s: %w", dir, err)
		}
	}
	sort.Strings(paths)
	return paths, nil
}
