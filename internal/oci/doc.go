// Package oci stores and reads evidence in an OCI registry as OCI 1.1
// referrers of the subject digest: one artifact manifest per Sigstore bundle,
// its artifactType the bundle media type, its subject the evidence's digest.
// Registries without the referrers API are served through the referrers tag
// schema (tag sha256-HEX holding an index of referrers), which
// go-containerregistry maintains on push and reads on list.
package oci
