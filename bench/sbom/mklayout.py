#!/usr/bin/env python3
"""Write DIR as a one-layer linux/amd64 OCI image into an OCI layout.

usage: mklayout.py DIR LAYOUT

The layer is a gzip'd tar of DIR with sorted names, fixed times and owners,
so the same tree gives the same image digest. Prints the manifest digest.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

EPOCH = 1768469400  # 2026-01-15T09:30:00Z


def layer_tar(root):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(dirnames + filenames):
                path = os.path.join(dirpath, name)
                arc = os.path.relpath(path, root)
                info = tf.gettarinfo(path, arcname=arc)
                info.mtime, info.uid, info.gid, info.uname, info.gname = EPOCH, 0, 0, "", ""
                if info.isfile():
                    with open(path, "rb") as f:
                        tf.addfile(info, f)
                elif info.isdir() or info.issym():
                    tf.addfile(info)
    return buf.getvalue()


def put_blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return "sha256:" + digest, len(data)


def main(root, layout):
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    raw = layer_tar(root)
    diff_id = "sha256:" + hashlib.sha256(raw).hexdigest()
    layer, layer_size = put_blob(layout, gzip.compress(raw, compresslevel=6, mtime=0))
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "created": "2026-01-15T09:30:00Z",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": "2026-01-15T09:30:00Z", "created_by": "bench/sbom/mklayout.py"}],
    }, separators=(",", ":")).encode()
    cfg, cfg_size = put_blob(layout, config)
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg, "size": cfg_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer, "size": layer_size}],
    }, separators=(",", ":")).encode()
    man, man_size = put_blob(layout, manifest)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": man, "size": man_size,
             "platform": {"architecture": "amd64", "os": "linux"}}]}, f)
    print(man)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
