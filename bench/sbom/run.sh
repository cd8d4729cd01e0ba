#!/usr/bin/env bash
# Side by side, in one run: `relproof sbom` against the stock syft CLI of the
# same version (v1.57.1, built from tools/syft), same format (SPDX 2.3 JSON),
# on the same directory and on the same image (an OCI layout both read);
# then relproof's cached second run. Checks that both list the same packages.
#
# usage: bench/sbom/run.sh [DIR]
#   DIR     the directory to catalog (default: a fixture made from this
#           machine's dpkg database and Python packages; see README.md)
#   ROUNDS  timed runs per command (default 10)
#   WORK    where fixtures, documents and results go (default: a temp dir)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-10}
WORK=${WORK:-$(mktemp -d /tmp/relproof-bench-sbom.XXXXXX)}
mkdir -p "$WORK" bin
# The syft CLI checks for a newer release over the network on every run;
# relproof does not. Turn that off so both do the same work.
export SYFT_CHECK_FOR_APP_UPDATE=false

step() { printf '\n=== %s\n' "$*"; }

step "build"
go build -o bin/relproof ./cmd/relproof
if [ ! -x bin/syft ] || ! bin/syft version 2>/dev/null | grep -q 'v1.57.1'; then
  (cd tools/syft && go build -ldflags "-X main.version=v1.57.1" -o ../../bin/syft github.com/anchore/syft/cmd/syft)
fi
bin/syft version | grep -E '^(Application|Version):' || true
go version

step "fixtures"
DIR=${1:-}
if [ -z "$DIR" ]; then
  DIR=$WORK/tree
  rm -rf "$DIR" && mkdir -p "$DIR/etc" "$DIR/var/lib/dpkg" "$DIR/usr/lib/python3"
  cp /etc/os-release "$DIR/etc/"
  cp /var/lib/dpkg/status "$DIR/var/lib/dpkg/"
  cp -a /usr/lib/python3/dist-packages "$DIR/usr/lib/python3/"
fi
DIR=$(cd "$DIR" && pwd)
LAYOUT=$WORK/layout
rm -rf "$LAYOUT"
DIGEST=$(python3 bench/sbom/mklayout.py "$DIR" "$LAYOUT")
echo "directory: $DIR ($(du -sh "$DIR" | cut -f1), $(find "$DIR" -type f | wc -l) files)"
echo "image:     $LAYOUT@$DIGEST"
echo "machine:   $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# The commands, by case. relproof runs with an empty cache each time (its
# first run: hash, look up, catalog, write the document and the cache entry).
declare -A RELPROOF SYFT
RELPROOF[dir]="bin/relproof sbom dir:$DIR --cache-dir $WORK/cache-cold --out $WORK/relproof-dir.spdx.json"
SYFT[dir]="bin/syft scan dir:$DIR -o spdx-json@2.3=$WORK/syft-dir.spdx.json -q"
RELPROOF[image]="bin/relproof sbom oci-layout:$LAYOUT@$DIGEST --cache-dir $WORK/cache-cold --out $WORK/relproof-image.spdx.json"
SYFT[image]="bin/syft scan oci-dir:$LAYOUT -o spdx-json@2.3=$WORK/syft-image.spdx.json -q"

# ms runs a command once and prints its wall time in milliseconds.
ms() {
  local start end
  start=$(date +%s%N)
  bash -c "$1" >/dev/null 2>&1 || { echo "failed: $1" >&2; exit 1; }
  end=$(date +%s%N)
  echo $(((end - start) / 1000000))
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

RESULTS=$WORK/results.md
{
  echo "| case | relproof median (ms) | syft median (ms) | ratio of medians | median of paired ratios |"
  echo "|---|---|---|---|---|"
} >"$RESULTS"

for c in dir image; do
  step "$c: relproof vs syft, interleaved, $ROUNDS rounds"
  # Alternate which goes first, so that load from anything else on the
  # machine falls on both alike.
  rm -f "$WORK/$c.relproof" "$WORK/$c.syft" "$WORK/$c.ratio"
  bash -c "${RELPROOF[$c]}" >/dev/null 2>&1; bash -c "${SYFT[$c]}" >/dev/null 2>&1 # warm the page cache
  for ((i = 0; i < ROUNDS; i++)); do
    rm -rf "$WORK/cache-cold"
    if ((i % 2 == 0)); then
      r=$(ms "${RELPROOF[$c]}"); s=$(ms "${SYFT[$c]}")
    else
      s=$(ms "${SYFT[$c]}"); r=$(ms "${RELPROOF[$c]}")
    fi
    echo "$r" >>"$WORK/$c.relproof"; echo "$s" >>"$WORK/$c.syft"
    awk -v r="$r" -v s="$s" 'BEGIN {printf "%.4f\n", r / s}' >>"$WORK/$c.ratio"
    printf '  round %2d: relproof %5d ms  syft %5d ms\n' "$((i + 1))" "$r" "$s"
  done
  rm_ms=$(median <"$WORK/$c.relproof"); sy_ms=$(median <"$WORK/$c.syft"); pr=$(median <"$WORK/$c.ratio")
  ratio=$(awk -v r="$rm_ms" -v s="$sy_ms" 'BEGIN {printf "%.3f", r / s}')
  echo "  median: relproof $rm_ms ms, syft $sy_ms ms, ratio $ratio (median paired ratio $pr)"
  echo "| $c | $rm_ms | $sy_ms | $ratio | $pr |" >>"$RESULTS"

  step "$c: same packages?"
  python3 bench/sbom/packages.py "$WORK/relproof-$c.spdx.json" "$WORK/syft-$c.spdx.json"
done

if command -v hyperfine >/dev/null; then
  step "hyperfine (not interleaved; for its statistics)"
  for c in dir image; do
    hyperfine -N -w 2 -r "$ROUNDS" --prepare "rm -rf $WORK/cache-cold" \
      -n "relproof sbom ($c)" "${RELPROOF[$c]}" -n "syft scan ($c)" "${SYFT[$c]}" \
      --export-markdown "$WORK/hyperfine-$c.md"
  done
fi

step "cached second run (relproof)"
WARM=$WORK/cache-warm
rm -rf "$WARM"
CACHED_DIR="bin/relproof sbom dir:$DIR --cache-dir $WARM --out $WORK/relproof-dir-cached.spdx.json"
CACHED_IMAGE="bin/relproof sbom oci-layout:$LAYOUT@$DIGEST --cache-dir $WARM --out $WORK/relproof-image-cached.spdx.json"
bash -c "$CACHED_DIR" >/dev/null; bash -c "$CACHED_IMAGE" >/dev/null
bash -c "$CACHED_DIR" | grep -q '^  cached: ' || { echo "the second run was not cached"; exit 1; }
for c in dir image; do
  cmd=$CACHED_DIR; [ "$c" = image ] && cmd=$CACHED_IMAGE
  rm -f "$WORK/$c.cached"
  for ((i = 0; i < ROUNDS * 2; i++)); do ms "$cmd" >>"$WORK/$c.cached"; done
  m=$(median <"$WORK/$c.cached")
  echo "  $c: median $m ms over $((ROUNDS * 2)) runs"
  echo "| $c, cached second run | $m | | | |" >>"$RESULTS"
done

step "results ($RESULTS)"
cat "$RESULTS"
