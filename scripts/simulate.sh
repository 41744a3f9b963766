#!/usr/bin/env bash
# The deterministic simulation's long run (docs/testing.md, "Deterministic simulation"):
# PROCESSES test processes play disjoint seed ranges side by side for SECONDS each. Every
# process plays single-node seeds; the last one gives half of its time to pair seeds.
# Prints each process's summary and the totals; fails if any seed broke an invariant (its
# seed and events are printed, and replay with BSCHED_SIM_SEED as the summary says).
#
#   scripts/simulate.sh [SECONDS] [PROCESSES]     defaults: 600 s, 2 processes
#   BSCHED_SIM_FIRST=N   the first process's first seed (default 1000001); process k starts
#                        k million seeds later
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
processes=${2:-2}
bin=${BUILD_DIR:-build}/boomi-sched-tests
if [[ ! -x $bin ]]; then
  echo "simulate.sh: $bin is not built (scripts/build.sh builds it)" >&2
  exit 2
fi
first=${BSCHED_SIM_FIRST:-1000001}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

play() {  # play K: the k-th process's seeds
  local k=$1 from=$((first + $1 * 1000000)) single=$seconds pair=0
  if ((k == processes - 1)); then
    pair=$((seconds / 2))
    single=$((seconds - pair))
  fi
  BSCHED_SIM_SECONDS=$single BSCHED_SIM_FIRST=$from \
    "$bin" -tc="simulation: every seed in the time budget*" || return 1
  if ((pair > 0)); then
    BSCHED_SIM_SECONDS=$pair BSCHED_SIM_FIRST=$from \
      "$bin" -tc="simulation: two nodes of a pair*" || return 1
  fi
}

pids=()
for ((k = 0; k < processes; k++)); do
  play "$k" >"$logs/$k.log" 2>&1 &
  pids+=($!)
done
failed=0
for k in "${!pids[@]}"; do
  if ! wait "${pids[$k]}"; then
    failed=1
    echo "=== simulation process $k failed:"
    grep -v '^\[doctest\]' "$logs/$k.log" | head -400
  fi
done
grep -ho 'MESSAGE: simulation.*' "$logs"/*.log | sed 's/^MESSAGE: //'
awk '/MESSAGE: simulation: [0-9]+ seeds/ { for (i = 1; i <= NF; i++) if ($i == "seeds") { single += $(i - 1); break } }
     /MESSAGE: simulation, pair: [0-9]+ seeds/ { for (i = 1; i <= NF; i++) if ($i == "seeds") { pair += $(i - 1); break } }
     END { printf "simulation total: %d single-node seeds and %d pair seeds in %d processes\n", single, pair, n }' \
  n="$processes" "$logs"/*.log
exit "$failed"
