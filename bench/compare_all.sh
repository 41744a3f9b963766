#!/usr/bin/env bash
# Side-by-side benchmark: boomi-sched against a Python APScheduler script and cron + curl + jq
# (bench/peers/), on the workloads of bench/compare/compare.py, then the markdown table.
#
#   bench/compare_all.sh [--binary build/boomi-sched] [--out DIR] [--quick]
#                        [--workloads "a b c d"] [--systems "boomi-sched python-apscheduler cron-curl-jq"]
#
# --quick shortens workload b to 60 s of slots (the full run is 5 min). Needs root for the
# cron peer (it writes /etc/cron.d/boomi-sched-bench and starts cron in the foreground; both
# are removed afterwards) and Debian's python3-apscheduler, python3-requests, cron, curl, jq
# (scripts/install-deps.sh --test). A whole run takes about 15 minutes.
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1
cd "$(dirname "$0")/.."

binary=build/boomi-sched out=${TMPDIR:-/tmp}/boomi-sched-compare duration=300
workloads="a b c d" systems="boomi-sched python-apscheduler cron-curl-jq"
while (($#)); do
  case "$1" in
    --binary) binary=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --quick) duration=60; shift ;;
    --workloads) workloads=$2; shift 2 ;;
    --systems) systems=$2; shift 2 ;;
    *) echo "usage: $0 [--binary PATH] [--out DIR] [--quick] [--workloads LIST] [--systems LIST]" >&2; exit 2 ;;
  esac
done
[[ -x "$binary" ]] || { echo "compare_all: no boomi-sched at $binary (build it first)" >&2; exit 1; }
mkdir -p "$out"

for w in $workloads; do
  for s in $systems; do
    # cron has minute resolution: it cannot take part in the 10-second workload.
    [[ "$w" == b && "$s" == cron-curl-jq ]] && continue
    echo "== workload $w, $s" >&2
    /usr/bin/python3 bench/compare/compare.py run --system "$s" --workload "$w" \
      --binary "$binary" --out "$out" --duration "$duration" >/dev/null ||
      echo "compare_all: $s on workload $w failed (see above)" >&2
  done
done
/usr/bin/python3 bench/compare/compare.py report "$out"/*.json
