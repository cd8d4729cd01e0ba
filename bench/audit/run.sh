#!/usr/bin/env bash
# relproof audit, side by side with actionlint (the workflow linter a user
# would otherwise run; zizmor and Scorecard cannot be installed here), in one
# run:
#   1. time: `relproof audit --dir` against `actionlint` over the 30
#      labelled real-world workflows of testdata/audit-corpus (hyperfine);
#   2. findings: how many of the corpus's labelled findings each reports at
#      the labelled line (actionlint's only overlapping check is its
#      untrusted-input one, for template-injection);
#   3. --org over 200 repositories of the fake GitHub (loopback HTTP):
#      time and API requests per repository (go test -bench).
#
#   bash bench/audit/run.sh        (needs hyperfine and jq: apt-get install -y hyperfine jq)
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install -y hyperfine" >&2; exit 2; }
command -v jq >/dev/null || { echo "jq is needed: apt-get install -y jq" >&2; exit 2; }
mkdir -p bin
go build -o bin/relproof ./cmd/relproof
[ -x bin/actionlint ] || (cd tools/actionlint && go build -o ../../bin/actionlint github.com/rhysd/actionlint/cmd/actionlint)

C=testdata/audit-corpus
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# Fresh copies, so neither binary runs from a build's page cache.
cp bin/relproof "$work/relproof"; cp bin/actionlint "$work/actionlint"

echo "== 1. time over the $(ls $C/workflows | wc -l) corpus workflows"
hyperfine -N -w 3 -r 20 -i \
  -n "relproof audit --dir" "$work/relproof audit --dir $C/workflows --fail-on never --format json" \
  -n "actionlint" "$work/actionlint -no-color -shellcheck= -pyflakes= $(echo $C/workflows/*)"

echo
echo "== 2. labelled findings reported at their line"
"$work/relproof" audit --dir "$C/workflows" --fail-on never --format json |
  jq -r '.findings[] | "\(.file):\(.line):\(.rule)"' | sort -u >"$work/relproof.txt"
format='{{range $e := .}}{{$e.Filepath}}:{{$e.Line}}:{{$e.Kind}}
{{end}}'
"$work/actionlint" -no-color -shellcheck= -pyflakes= -format "$format" $C/workflows/* |
  sed "s|^$C/workflows/||" | sort -u >"$work/actionlint.txt" || true
jq -r '.files[] | .file as $f | .findings[] | "\($f):\(.line):\(.rule)"' "$C/labels.json" | sort -u >"$work/labels.txt"
total=$(wc -l <"$work/labels.txt")
rp=$(comm -12 "$work/labels.txt" "$work/relproof.txt" | wc -l)
rpall=$(wc -l <"$work/relproof.txt")
# actionlint names no rule of ours: a labelled line it reports at all counts.
cut -d: -f1,2 "$work/actionlint.txt" | sort -u >"$work/actionlint-lines.txt"
al=$(cut -d: -f1,2 "$work/labels.txt" | sort -u | comm -12 - "$work/actionlint-lines.txt" | wc -l)
lines=$(cut -d: -f1,2 "$work/labels.txt" | sort -u | wc -l)
alall=$(wc -l <"$work/actionlint-lines.txt")
printf '%-22s %s\n' "relproof audit" "$rp of $total labelled findings at their rule and line ($rpall reported)"
printf '%-22s %s\n' "actionlint" "$al of $lines labelled lines reported at all, with any of its own checks ($alall lines reported)"
# actionlint puts an untrusted-input finding at the run: key, the line
# before the script line the corpus labels: either counts for it here.
grep ':expression$' "$work/actionlint.txt" | cut -d: -f1,2 | sort -u >"$work/al-expr.txt"
ti=0; tial=0
while IFS=: read -r f l _; do
  ti=$((ti + 1))
  if grep -qx -e "$f:$l" -e "$f:$((l - 1))" "$work/al-expr.txt"; then tial=$((tial + 1)); fi
done < <(grep ':template-injection$' "$work/labels.txt")
printf '%-22s %s\n' "" "of which template-injection (its untrusted-input check, at the run: key): $tial of $ti"

echo
echo "== 3. --org over 200 repositories of the fake GitHub"
go test ./internal/audit -run '^$' -bench AuditOrg -benchtime 3x | grep -E '^Benchmark|requests'
