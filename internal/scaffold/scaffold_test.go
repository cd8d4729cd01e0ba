package scaffold

import (
	"strings"
	"testing"
)

func TestFilesRender(t *testing.T) {
	t.Parallel()
	for _, o := range []Options{
		{Kind: KindBinary, Repository: "acme/app", Go: true},
		{Kind: KindImage, Repository: "Acme/App", Go: false, Environments: []string{"staging", "production"}},
	} {
		files, err := Files(o)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.Contains(string(f.Data), "[[") || strings.Contains(string(f.Data), "<no value>") {
				t.Errorf("%s: template left over:\n%s", f.Path, f.Data)
			}
		}
	}
}
