package fakesigstore

import "github.com/transparency-dev/merkle/rfc6962"

// RFC 6962 section 2.1 over leaf hashes, computed from scratch each time:
// the logs here hold a handful of entries.

// treeHash is MTH(D[n]) for the leaf hashes given.
func treeHash(leaves [][]byte) []byte {
	switch len(leaves) {
	case 0:
		return rfc6962.DefaultHasher.EmptyRoot()
	case 1:
		return leaves[0]
	}
	k := split(len(leaves))
	return rfc6962.DefaultHasher.HashChildren(treeHash(leaves[:k]), treeHash(leaves[k:]))
}

// inclusionPath is PATH(m, D[n]): the audit path of leaf m, leaf side first,
// as transparency-dev's proof.VerifyInclusion reads it.
func inclusionPath(m int, leaves [][]byte) [][]byte {
	if len(leaves) <= 1 {
		return nil
	}
	k := split(len(leaves))
	if m < k {
		return append(inclusionPath(m, leaves[:k]), treeHash(leaves[k:]))
	}
	return append(inclusionPath(m-k, leaves[k:]), treeHash(leaves[:k]))
}

// split is the largest power of two smaller than n (n > 1).
func split(n int) int {
	k := 1
	for k<<1 < n {
		k <<= 1
	}
	return k
}
