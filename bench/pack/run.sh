#!/usr/bin/env bash
# Side by side, in one run: `relproof pack verify` on a pack holding about
# 200 MB of files against `sha256sum` and `openssl dgst -sha256` over the
# same files. pack verify does more than hash: it also checks the manifest's
# signature, that it covers every file and the release digest, that no file
# is missing or extra, and re-verifies every attestation inside.
#
#   bash bench/pack/run.sh [MB]        (needs hyperfine and openssl: apt-get install -y hyperfine openssl)
#
# The pack's bulk is a build log (60%) and the source evidence (40%), text
# like a real log; the rest is the real pack (attestations, sign-off, page).
# Prints each tool's throughput over the pack's bytes.
set -euo pipefail
cd "$(dirname "$0")/../.."
MB=${1:-200}
for t in hyperfine openssl sha256sum; do
  command -v $t >/dev/null || { echo "$t is needed: apt-get install -y hyperfine openssl coreutils" >&2; exit 2; }
done
mkdir -p bin
go build -o bin/relproof ./cmd/relproof
R=$PWD/bin/relproof

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
# A release: an artifact, its provenance (from a local git repository), a
# gate decision for it.
git init -q . && git -c user.name=bench -c user.email=bench@localhost commit -q --allow-empty -m bench
head -c 4096 /dev/urandom >app.bin
RELPROOF_KEY_PASSWORD= $R key generate --out release >/dev/null
$R attest app.bin --type provenance --key release.key --bundle-out provenance.sigstore.json >/dev/null
cat >policy.yaml <<'POLICY'
apiVersion: relproof.dev/v1
kind: Policy
environments:
  production:
    signers:
      build: [{key: release.pub}]
      decision: [{key: release.pub}]
    approvals: {minimum: 0}
POLICY
# The decision, signed: pack build takes only a decision a decision signer
# of the policy signed.
$R gate app.bin --environment production --policy policy.yaml --bundle provenance.sigstore.json \
  --decision-out decision.json --key release.key >/dev/null
# The bulk: log-like text.
mkdir source
big() { head -c $(( $1 * 1024 * 1024 * 3 / 4 )) /dev/urandom | base64 -w 120 >"$2"; }
big $(( MB * 60 / 100 )) build.log
big $(( MB * 20 / 100 )) source/pull-request-summary.md
big $(( MB * 20 / 100 )) source/commit-range.txt
$R pack build app.bin --environment production --decision decision.json --policy policy.yaml --bundle provenance.sigstore.json \
  --build-log build.log --source-evidence source --key release.key --out pack >/dev/null
rm -f build.log source/*
files=$(cd pack && find . -type f | sort)
bytes=$(cd pack && cat $files | wc -c)
echo "pack: $(echo "$files" | wc -l) files, $bytes bytes"
# All three read the same bytes; each must succeed before it is timed.
(cd pack && sha256sum $files >/dev/null && openssl dgst -sha256 $files >/dev/null)
$R pack verify pack --key release.pub

hyperfine -N --warmup 2 --min-runs 10 --export-json times.json --export-markdown times.md \
  -n "relproof pack verify" "$R pack verify $work/pack --key $work/release.pub" \
  -n "sha256sum" "bash -c 'cd $work/pack && sha256sum $(echo $files)'" \
  -n "openssl dgst -sha256" "bash -c 'cd $work/pack && openssl dgst -sha256 $(echo $files)'"
cat times.md
python3 - "$bytes" <<'PY'
import json, sys
n = int(sys.argv[1])
for r in json.load(open("times.json"))["results"]:
    print(f"{r['command']:24s} {r['mean']*1000:8.1f} ms  {n / r['mean'] / 1e9:5.2f} GB/s")
PY
