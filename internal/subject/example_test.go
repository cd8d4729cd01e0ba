package subject_test

import (
	"context"
	"fmt"

	"github.com/relproof/relproof/internal/subject"
)

func ExampleResolve() {
	s, err := subject.Resolve(context.Background(), "testdata/hello.txt")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Kind, s.Size)
	fmt.Println(s)
	// Output:
	// file 5
	// hello.txt@sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824
}

func ExampleResolve_malformed() {
	_, err := subject.Resolve(context.Background(), "sha256:abc")
	fmt.Println(err)
	// Output:
	// subject "sha256:abc": want 64 lower-case hex characters after "sha256:", found 3 characters
}

func ExampleParseDigest() {
	d, err := subject.ParseDigest("sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Algorithm, d.Hex[:12])
	// Output: sha256 2cf24dba5fb0
}
