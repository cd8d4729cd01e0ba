// Package sbom makes the SBOM of exactly one artifact digest, with syft as a
// library (its own catalogers, its own SPDX 2.3 and CycloneDX 1.6 JSON
// encoders), so that the SBOM is evidence about that digest and not a
// detached document.
//
// # Sources and their digests
//
//	oci://HOST/REPO@sha256:HEX    the image manifest digest; a :TAG is resolved once and the resolution recorded
//	oci-layout:DIR@sha256:HEX     an image in an OCI layout (DIR alone when the layout holds one image)
//	docker-archive:FILE           a `docker save` archive; its digest is the image ID (the config digest),
//	                              because the archive does not carry the manifest digest a registry would
//	file:PATH                     the SHA-256 of the file
//	dir:PATH                      the directory digest below
//	PATH                          dir: or file:, whichever PATH is
//
// Images are read through go-containerregistry by digest and handed to
// stereoscope, syft's image reader. What is read is checked against the
// digest: a registry's blobs by go-containerregistry, a layout's manifest
// and config by their digests and every layer of a layout or an archive
// against its diff ID, as it is unpacked. An index (a multi-platform image)
// is refused with the digest of each platform's image, to pick one.
//
// # Directory digest
//
// The digest of dir:PATH is the SHA-256 of a summary of the tree: one line
// per regular file, "HEX  PATH\n" with HEX the lower-case SHA-256 of the
// file's content and PATH its slash-separated path relative to the
// directory, the lines sorted by PATH byte by byte. A symbolic link is a
// line too, HEX being the SHA-256 of its target text (links are not
// followed, so nothing outside the tree counts). Directories count only
// through what they hold (an empty one not at all); file modes, owners and
// times do not count, so the digest is the same on every checkout of the
// same content; sockets, pipes and devices are skipped; a file name with a
// line break is refused. The summary is what sha256sum prints, so for a
// tree without symbolic links the digest can be checked with coreutils:
//
//	cd PATH && find . -type f | sed 's|^\./||' | LC_ALL=C sort | tr '\n' '\0' | xargs -0 sha256sum | sha256sum
//
// (with GNU sha256sum, names holding a backslash are escaped and differ).
//
// # The document names the digest
//
// SPDX: the package the document DESCRIBES has the digest among its
// checksums; CycloneDX: metadata.component has it among its hashes. syft's
// encoders do this for images and files in SPDX; for the rest the one
// object is completed after encoding (see nameDigest).
//
// # Cache
//
// A cached SBOM is looked up by syft version, format and subject digest,
// and used only if the document names that digest: in a local directory
// (WithCacheDir), and, for oci:// subjects, among the subject's referrers
// when a signed SBOM attestation there verifies with a given key
// (WithRegistryCache).
package sbom
