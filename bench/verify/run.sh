#!/usr/bin/env bash
# Side by side, in one run: `relproof verify` against stock
# `cosign verify-blob-attestation --new-bundle-format --trusted-root` (v2.6.1)
# on the same real GitHub artifact attestation, offline; then a JSONL of N
# bundles verified in one relproof process against N cosign calls.
#
#   bash bench/verify/run.sh [N]        (needs hyperfine: apt-get install hyperfine)
#
# Builds bin/relproof and bin/cosign (tools/cosign pins v2.6.1) if missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-20}
command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install -y hyperfine" >&2; exit 2; }
mkdir -p bin
go build -o bin/relproof ./cmd/relproof
[ -x bin/cosign ] || (cd tools/cosign && go build -o ../../bin/cosign github.com/sigstore/cosign/v2/cmd/cosign)

C=testdata/corpus/sigstore_bundles/github-attestations/cli-cli
ROOT=testdata/corpus/trusted_roots/public-good.trusted_root.json
ART=$C/custom-issuer-artifact
BUNDLE=$C/custom-issuer.sigstore.json
ID=https://github.com/too-legit/attest/.github/workflows/integration.yml@refs/heads/main
ISS=https://token.actions.githubusercontent.com/hammer-time

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
for _ in $(seq "$N"); do tr -d '\n' <"$BUNDLE"; echo; done >"$work/bundles.jsonl"

relproof_one="bin/relproof verify $ART --bundle $BUNDLE --trusted-root $ROOT --cert-identity $ID --cert-oidc-issuer $ISS"
cosign_one="bin/cosign verify-blob-attestation --new-bundle-format --bundle $BUNDLE --trusted-root $ROOT --certificate-identity $ID --certificate-oidc-issuer $ISS --type slsaprovenance1 $ART"
# Both must verify before they are timed.
$relproof_one >/dev/null
$cosign_one 2>/dev/null

echo "== one bundle"
hyperfine -N --warmup 3 --min-runs 30 --export-markdown "$work/one.md" \
  -n relproof "$relproof_one" -n cosign "$cosign_one"

echo "== $N bundles: one relproof process (JSONL) vs $N cosign calls"
hyperfine --warmup 1 --min-runs 5 --export-markdown "$work/many.md" \
  -n "relproof x1 (JSONL of $N)" "bin/relproof verify $ART --bundle $work/bundles.jsonl --trusted-root $ROOT --cert-identity $ID --cert-oidc-issuer $ISS >/dev/null" \
  -n "cosign x$N" "for i in \$(seq $N); do $cosign_one 2>/dev/null; done"
cat "$work/one.md" "$work/many.md"
