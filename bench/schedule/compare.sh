#!/usr/bin/env bash
# The schedule engine against npm cron-parser@4: the same expressions
# (bench/schedule/expressions.txt), the same number of chained next slots, the same zones;
# prints both rates and the ratio. Needs a built bench_schedule and node with cron-parser
# (scripts/install-deps.sh --test).
#   bench/schedule/compare.sh [--build-dir build] [--count 1000] [ZONE...]
set -euo pipefail
cd "$(dirname "$0")/../.."

build=build count=1000 zones=()
while (($#)); do
  case "$1" in
    --build-dir) build=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    -*) echo "usage: $0 [--build-dir DIR] [--count N] [ZONE...]" >&2; exit 2 ;;
    *) zones+=("$1"); shift ;;
  esac
done
((${#zones[@]})) || zones=(UTC America/New_York)
exprs=bench/schedule/expressions.txt
[[ -x "$build/bench_schedule" ]] || { echo "compare: no $build/bench_schedule (cmake --build $build --target bench_schedule)" >&2; exit 1; }
command -v node >/dev/null || { echo "compare: node is not on PATH" >&2; exit 1; }

ours=$("$build/bench_schedule" "$exprs" "$count" "${zones[@]}")
theirs=$(node bench/schedule/cron_parser_bench.js "$exprs" "$count" "${zones[@]}")
echo "$ours" | sed -n '/^per-second/,$p'
printf '\n%-20s %10s %16s %16s %8s\n' zone slots "engine slots/s" "cron-parser/s" ratio
for z in "${zones[@]}"; do
  read -r _ slots _ rate _ < <(echo "$ours" | awk -v z="$z" '$1 == z')
  read -r _ _ _ ref < <(echo "$theirs" | awk -v z="$z" '$1 == z')
  printf '%-20s %10s %16s %16s %7.0fx\n' "$z" "$slots" "$rate" "$ref" "$(awk -v a="$rate" -v b="$ref" 'BEGIN { print a / b }')"
done
