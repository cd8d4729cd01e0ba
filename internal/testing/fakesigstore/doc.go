// Package fakesigstore runs a private Sigstore on loopback for tests: an
// OIDC issuer that mints GitHub Actions ID tokens, a Fulcio, a Rekor, a
// Rekor v2 and an RFC 3161 timestamp authority, each an httptest server
// speaking the real service's wire format, so that sigstore-go's own
// clients (pkg/sign) sign against it and sigstore-go's verifier (pkg/verify)
// accepts the result under the stack's trusted root.
//
// What each server implements:
//
//   - Issuer (IssuerURL): /.well-known/openid-configuration, a JWKS, and the
//     Actions token endpoint that go-githubactions' GetIDToken calls
//     (GET ?audience=X with "Authorization: Bearer REQUEST_TOKEN", answered
//     with {"value": JWT}). Tokens are RS256 JWTs carrying GitHub's claims.
//   - Fulcio (FulcioURL): POST /api/v2/signingCert with a public key and a
//     proof of possession. The token is verified the way Fulcio does it: the
//     issuer must be this stack's, its signature is checked against the
//     issuer's discovery document and JWKS fetched over HTTP, the audience
//     must be "sigstore" and the token must not have expired; the proof of
//     possession must be a signature over the token's subject. The leaf is
//     valid for ten minutes, its SAN is https://github.com/ + job_workflow_ref
//     and it carries Fulcio's GitHub extensions (1.3.6.1.4.1.57264.1.1–1.6 raw,
//     1.8–1.22 as DER UTF8String, and 1.24, the token subject), rendered by
//     Fulcio's own certificate package. Refusals are 400 with Fulcio's
//     gRPC-gateway error body. GET /api/v2/trustBundle returns the chain.
//   - Rekor (RekorURL): POST /api/v1/log/entries for dsse v0.0.1,
//     hashedrekord v0.0.1 and intoto v0.0.2 proposed entries, canonicalized
//     and validated by Rekor's own types, appended to an in-memory RFC 6962
//     log, and answered with 201, ETag and Location like Rekor: integrated
//     time, log ID, a signed entry timestamp and an inclusion proof with a
//     signed checkpoint. The log behaves as the active shard of a sharded
//     Rekor: logIndex is virtual (ShardOffset + the index in the tree) while
//     the inclusion proof's logIndex is the index in the tree, as on
//     rekor.sigstore.dev. GET /api/v1/log, /api/v1/log/publicKey,
//     /api/v1/log/entries?logIndex=N and /api/v1/log/entries/{uuid} serve the
//     log with fresh proofs. A resubmitted entry gets 409.
//   - Rekor v2 (RekorV2URL), a tile-based rekor-tiles log: POST
//     /api/v2/log/entries takes the protojson CreateEntryRequest that
//     sigstore-go's Rekor client (Version: 2) sends, hashedrekord v0.0.2 or
//     dsse v0.0.2, unknown fields refused. rekor-tiles' own types check it
//     (signatures verified, algorithms limited to rekor-tiles' defaults) and
//     make the log entry, canonicalized (RFC 8785) and appended to a second
//     in-memory RFC 6962 tree. The answer is 201 with the protojson
//     TransparencyLogEntry: logIndex (the index in the tree, from 0), logId
//     (the full key hash of the checkpoint key), kindVersion, the
//     canonicalized body and an inclusion proof whose checkpoint is a C2SP
//     signed note from the log's Ed25519 key, its origin the hostname of
//     RekorV2URL (what sigstore-go checks against the trusted root's
//     baseUrl). There is no integrated time and no inclusion promise: a
//     bundle with only a Rekor v2 entry has no trusted time, so sign with
//     the TSA too. Refusals are rekor-tiles' gRPC-gateway error body, 400
//     (with the reason, which rekor-tiles only logs) or 409 for a
//     resubmitted entry. GET /checkpoint serves the signed checkpoint of the
//     current tree, as the tlog-tiles read path does; no tiles are served.
//   - TSA (TSAURL, the full endpoint URL): POST /api/v1/timestamp
//     (application/timestamp-query → 201 application/timestamp-reply) signed
//     by the TSA leaf; GET /api/v1/timestamp/certchain returns the chain.
//
// TrustedRootJSON names both logs; SigningConfigJSON (a v0.2 signing config,
// WriteSigningConfig) names Fulcio, the issuer, Rekor v2 (majorApiVersion
// 2), Rekor (1) and the TSA, valid from ServicesSince.
//
// Fulcio's and the TSA's chains are built with sigstore-go's pkg/testing/ca
// (separate roots). No certificate transparency log runs: certificates carry
// no SCT and the trusted root names no CT log, so verifiers must not require
// SCTs. Fulcio still answers under "signedCertificateEmbeddedSct", the only
// shape sigstore-go's client reads. The TSA leaf comes from
// ca.GenerateTSALeafCert, which makes it valid for ten minutes, so a Stack
// is good for about nine minutes after New: make one per test.
//
// This package is for tests only; nothing outside _test.go files may import it.
package fakesigstore
