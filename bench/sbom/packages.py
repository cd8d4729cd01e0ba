#!/usr/bin/env python3
"""Compare the package lists of SBOM documents (SPDX 2.x or CycloneDX JSON).

usage: packages.py A.json B.json

A package is (name, version, purl): for SPDX every package but the ones the
document DESCRIBES, for CycloneDX every component but files and operating
systems (what `relproof sbom` reports). Exits 1 when the lists differ.
"""
import json
import sys


def packages(path):
    with open(path) as f:
        d = json.load(f)
    out = []
    if "spdxVersion" in d:
        roots = set(d.get("documentDescribes", []))
        roots |= {r["relatedSpdxElement"] for r in d.get("relationships", [])
                  if r.get("spdxElementId") == "SPDXRef-DOCUMENT" and r.get("relationshipType") == "DESCRIBES"}
        for p in d.get("packages", []):
            if p["SPDXID"] in roots:
                continue
            purl = next((r["referenceLocator"] for r in p.get("externalRefs", []) if r.get("referenceType") == "purl"), "")
            out.append((p.get("name", ""), p.get("versionInfo", ""), purl))
    else:
        def walk(cs):
            for c in cs or []:
                if c.get("type") not in ("file", "operating-system"):
                    out.append((c.get("name", ""), c.get("version", ""), c.get("purl", "")))
                walk(c.get("components"))
        walk(d.get("components"))
    return sorted(out)


def main(a, b):
    pa, pb = packages(a), packages(b)
    only_a = sorted(set(pa) - set(pb))
    only_b = sorted(set(pb) - set(pa))
    print(f"{len(pa)} packages in {a}, {len(pb)} in {b}: {'the same' if pa == pb else 'DIFFERENT'}")
    for p in only_a[:20]:
        print("  only in", a, p)
    for p in only_b[:20]:
        print("  only in", b, p)
    return 0 if pa == pb else 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
