#!/usr/bin/env bash
# install-release.sh CHECKSUMS ASSET URL DEST
#
# The set-up action's release path: download URL (https only) and install it
# at DEST only when its SHA-256 is the one CHECKSUMS (release/checksums/TAG.txt,
# committed at release time, "HEX  NAME" lines as sha256sum writes them)
# records for ASSET. Anything else fails, names what was expected and what
# was found, and leaves nothing at DEST: exit 1 for a binary that does not
# match, 2 for a checksums file without one line for ASSET.
set -euo pipefail
if [ $# -ne 4 ]; then
  echo "::error title=relproof setup::install-release.sh takes CHECKSUMS ASSET URL DEST, found $# arguments"
  exit 2
fi
checksums=$1 asset=$2 url=$3 dest=$4

if [ ! -f "$checksums" ]; then
  echo "::error title=relproof setup::$checksums: expected the release's recorded checksums, found no file"
  exit 2
fi
want=$(awk -v a="$asset" '$2 == a || $2 == "*" a { print $1 }' "$checksums")
if ! [[ "$want" =~ ^[0-9a-f]{64}$ ]]; then
  echo "::error title=relproof setup::$checksums: expected one SHA-256 line for $asset, found \"$want\""
  exit 2
fi
mkdir -p "$(dirname "$dest")"
tmp="$dest.download.$$"
trap 'rm -f "$tmp"' EXIT
if ! curl --fail --silent --show-error --location --proto '=https' --proto-redir '=https' --retry 3 -o "$tmp" "$url"; then
  echo "::error title=relproof setup::downloading $asset from $url failed"
  exit 1
fi
got=$(sha256sum "$tmp" | cut -d' ' -f1)
if [ "$got" != "$want" ]; then
  echo "::error title=relproof setup::$asset from $url: SHA-256 expected $want (recorded in $checksums), found $got; not used"
  exit 1
fi
chmod 0755 "$tmp"
mv -f "$tmp" "$dest"
