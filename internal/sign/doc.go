// Package sign holds relproof's signing keys and signers.
//
// A Signer turns an in-toto statement into a Sigstore bundle (v0.3) whose
// content is a DSSE envelope. This package has the key-file backend: ECDSA
// keys in PEM, optionally encrypted in the format cosign uses ("ENCRYPTED
// SIGSTORE PRIVATE KEY": scrypt + NaCl secretbox), so that keys move freely
// between relproof and cosign.
//
// Keyless and key signatures may be logged in a transparency log, Rekor (v1)
// or a tile-based Rekor v2 log, and timestamped by an RFC 3161 authority
// (Transparency). A Rekor v2 entry has no time, so signing against one needs
// a timestamp authority too. ServicesFromSigningConfig chooses those
// services, and Fulcio, from a Sigstore signing config.
package sign
