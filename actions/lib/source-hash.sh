#!/usr/bin/env bash
# source-hash.sh DIR: print the SHA-256 of relproof's source in DIR — its
# Go files but tests (cmd/, internal/), go.mod and go.sum, sorted by path,
# as sha256sum lists them. A release records it (release/SOURCE), and the
# set-up action installs a release only at a ref whose source it is.
set -euo pipefail
if [ $# -ne 1 ] || [ ! -d "$1" ]; then
  echo "::error title=relproof setup::source-hash.sh takes the source DIR, found \"$*\""
  exit 2
fi
cd "$1"
{
  for d in cmd internal; do
    if [ -d "$d" ]; then find "$d" -type f -name '*.go' ! -name '*_test.go'; fi
  done
  for f in go.mod go.sum; do
    if [ -f "$f" ]; then echo "$f"; fi
  done
} | LC_ALL=C sort | tr '\n' '\0' | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
