// Package slsagen applies slsa-github-generator's verification policy, as
// slsa-verifier v2.7.1 applies it to artifacts, to evidence that has already
// been cryptographically verified. It works offline.
//
// The caller must first verify the Sigstore bundle (signature, certificate
// chain to a trusted root, transparency log or timestamp, and that the DSSE
// payload type is application/vnd.in-toto+json), for example with sigstore-go.
// Verify then takes the verified certificate's summary and the DSSE payload
// and checks, in slsa-verifier's order:
//
//  1. the certificate's GitHub claims are consistent (deprecated and current
//     extensions agree, the SAN is a workflow URI with an @ref, the build
//     signer URI equals the SAN);
//  2. the OIDC issuer is https://token.actions.githubusercontent.com;
//  3. the SAN names a trusted slsa-github-generator builder: the generic
//     generator, the Go builder, the container-based builder, or one of the
//     two BYOB delegators (Options.ContainerImage: the container generator
//     only), and, when Options.BuilderID is given for a non-delegator
//     builder, that builder;
//  4. the builder is referenced at a release tag refs/tags/vX.Y.Z
//     (slsa-verifier's testing exceptions for refs/heads/main do not apply);
//  5. the certificate's source repository is Options.SourceURI;
//  6. the statement is SLSA provenance v0.2 or v1 with a build type that the
//     builder produces, decoded strictly (unknown fields are rejected);
//  7. the provenance builder.id is the certificate's builder exactly; for a
//     delegator it is the trusted reusable workflow (TRW) the delegator
//     ran, at a release tag, matching Options.BuilderID (required unless the
//     TRW lives in slsa-framework/slsa-github-generator);
//  8. the provenance trigger and source are Options.SourceURI, with refs;
//  9. a provenance subject carries the subject digest;
//  10. the branch, tag or versioned tag in Options, read as slsa-verifier
//     reads them for each build type.
//
// Failures wrap the sentinel errors of
// github.com/slsa-framework/slsa-verifier/v2/errors (ErrorMismatchSource,
// ErrorMismatchHash, ErrorMismatchBranch, ...) so callers can use errors.Is,
// and say what was expected, what was found and where.
package slsagen
