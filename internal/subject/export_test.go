package subject

// ParseForm exposes parse to the external tests: the kind of subject input
// names and whether it pins a digest, without reading or fetching anything.
func ParseForm(input string) (kind Kind, pinned bool, err error) {
	r, err := parse(input)
	return r.kind, !r.digest.IsZero(), err
}
