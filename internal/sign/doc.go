// Package sign holds relproof's signing keys and signers.
//
// A Signer turns an in-toto statement into a Sigstore bundle (v0.3) whose
// content is a DSSE envelope. This package has the key-file backend: ECDSA
// keys in PEM, optionally encrypted in the format cosign uses ("ENCRYPTED
// SIGSTORE PRIVATE KEY": scrypt + NaCl secretbox), so that keys move freely
// between relproof and cosign.
package sign
