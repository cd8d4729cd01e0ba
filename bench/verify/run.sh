#!/usr/bin/env bash
# Side by side, in one run: `relproof verify` against stock
# `cosign verify-blob-attestation --new-bundle-format --trusted-root` (v2.6.1)
# on the same real GitHub artifact attestation, offline; then a JSONL of N
# bundles verified in one relproof process against N cosign calls.
#
#   bash bench/verify/run.sh [N]        (needs hyperfine: apt-get install hyperfine)
#   BEFORE=REV bash bench/verify/run.sh  also times relproof built from git
#                                        revision REV, in the same run
#
# Builds bin/relproof and bin/cosign (tools/cosign pins v2.6.1) if missing;
# with BEFORE, bin/relproof-REV from a temporary git worktree.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-20}
command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install -y hyperfine" >&2; exit 2; }
mkdir -p bin
go build -o bin/relproof ./cmd/relproof
[ -x bin/cosign ] || (cd tools/cosign && go build -o ../../bin/cosign github.com/sigstore/cosign/v2/cmd/cosign)

before=()
if [ -n "${BEFORE:-}" ]; then
  rev=$(git rev-parse --short "$BEFORE")
  if [ ! -x "bin/relproof-$rev" ]; then
    wt=$(mktemp -d)
    git worktree add -f --detach "$wt" "$rev" >/dev/null
    (cd "$wt" && go build -o "$OLDPWD/bin/relproof-$rev" ./cmd/relproof)
    git worktree remove --force "$wt"
  fi
  before=("bin/relproof-$rev")
fi

C=testdata/corpus/sigstore_bundles/github-attestations/cli-cli
ROOT=testdata/corpus/trusted_roots/public-good.trusted_root.json
ART=$C/custom-issuer-artifact
BUNDLE=$C/custom-issuer.sigstore.json
ID=https://github.com/too-legit/attest/.github/workflows/integration.yml@refs/heads/main
ISS=https://token.actions.githubusercontent.com/hammer-time

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
for _ in $(seq "$N"); do tr -d '\n' <"$BUNDLE"; echo; done >"$work/bundles.jsonl"

# Every binary is run from a fresh copy written the same way: a binary just
# written by the linker sits in the page cache differently from one written
# by cp, and the resident memory of its mapped pages differs by tens of MiB
# (measured here: the same relproof at 107 MiB straight from go build, 65
# MiB from a copy). The copies make the comparison fair.
mkdir -p "$work/bin"
for b in bin/relproof bin/cosign ${before[@]+"${before[@]}"}; do cp "$b" "$work/bin/"; done
RP="$work/bin/relproof" COSIGN="$work/bin/cosign"
if [ ${#before[@]} -gt 0 ]; then before=("$work/bin/$(basename "${before[0]}")"); fi

relproof_one="$RP verify $ART --bundle $BUNDLE --trusted-root $ROOT --cert-identity $ID --cert-oidc-issuer $ISS"
cosign_one="$COSIGN verify-blob-attestation --new-bundle-format --bundle $BUNDLE --trusted-root $ROOT --certificate-identity $ID --certificate-oidc-issuer $ISS --type slsaprovenance1 $ART"
# Both must verify before they are timed.
$relproof_one >/dev/null
$cosign_one 2>/dev/null

extra=()
if [ ${#before[@]} -gt 0 ]; then
  before_one="${before[0]} ${relproof_one#"$RP" }"
  $before_one >/dev/null
  extra=(-n "relproof $rev" "$before_one")
fi

echo "== one bundle"
hyperfine -N --warmup 3 --min-runs 30 --export-markdown "$work/one.md" \
  -n relproof "$relproof_one" "${extra[@]}" -n cosign "$cosign_one"

echo "== $N bundles: one relproof process (JSONL) vs $N cosign calls"
many_args="verify $ART --bundle $work/bundles.jsonl --trusted-root $ROOT --cert-identity $ID --cert-oidc-issuer $ISS"
extra_many=()
[ ${#before[@]} -gt 0 ] && extra_many=(-n "relproof $rev x1 (JSONL of $N)" "${before[0]} $many_args >/dev/null")
hyperfine --warmup 1 --min-runs 5 --export-markdown "$work/many.md" \
  -n "relproof x1 (JSONL of $N)" "$RP $many_args >/dev/null" "${extra_many[@]}" \
  -n "cosign x$N" "for i in \$(seq $N); do $cosign_one 2>/dev/null; done"
cat "$work/one.md" "$work/many.md"

# Peak memory (maximum resident set size) of one verification, median of 5.
peak() {
  for _ in 1 2 3 4 5; do /usr/bin/time -f %M "$@" >/dev/null 2>>"$work/rss" || true; tail -n 1 "$work/rss"; done | sort -n | sed -n 3p
}
echo
echo "| one bundle | peak RSS (KiB, median of 5) |"
echo "|---|---|"
echo "| relproof | $(peak $relproof_one) |"
[ ${#before[@]} -gt 0 ] && echo "| relproof $rev | $(peak $before_one) |"
echo "| cosign | $(peak $cosign_one) |"
