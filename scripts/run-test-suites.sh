#!/usr/bin/env bash
# Usage: run-test-suites.sh TEST_BINARY [-j N] [-x TEST_CASE_PATTERN]...
# Runs the doctest binary once per test suite, N suites at a time (default 2), instead of once
# per test case as ctest does. The sanitizer stage uses it: an ASan binary takes about 1.2 s
# to start and exit, which ctest's 900 processes paid 900 times and 113 suites pay 113 times.
# -x leaves out the test cases matching a doctest pattern (wildcards * and ?; a comma inside
# one is written \,). Each suite is bounded by BSCHED_SUITE_TIMEOUT seconds (default 1800).
# Prints a line per suite as it ends and the whole output of each suite that failed; exits 1
# when one failed. The PostgreSQL template cluster is made first, as ctest's setup test does.
set -euo pipefail
binary=$(realpath "${1:?usage: run-test-suites.sh TEST_BINARY [-j N] [-x PATTERN]...}")
shift
jobs=2
excluded=()
while (($#)); do
  case $1 in
    -j) jobs=$2; shift 2 ;;
    -j*) jobs=${1#-j}; shift ;;
    -x) excluded+=("$2"); shift 2 ;;
    *) echo "run-test-suites: unknown argument $1" >&2; exit 2 ;;
  esac
done
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d /tmp/bsched-suites-XXXXXX)
trap 'rm -rf "$out"' EXIT
export BSCHED_TEST_PG_TEMPLATE="${BSCHED_TEST_PG_TEMPLATE:-$(dirname "$binary")/pg-template}"
bash "$here/tests/support/pg_template.sh" "$BSCHED_TEST_PG_TEMPLATE"

exclude_arg=""
if ((${#excluded[@]})); then
  exclude_arg="--test-case-exclude=$(IFS=,; echo "${excluded[*]}")"
fi
# The long suites (the simulation's time budget, the end-to-end runs of real daemons) first, so
# that no long one starts last while the other slots sit idle.
"$binary" --list-test-suites ${exclude_arg:+"$exclude_arg"} | { grep -v '^===\|^\[doctest\]' || true; } |
  awk '/^(simulation|e2e::)/ {print; next} {rest[n++] = $0}
       END {for (i = 0; i < n; i++) print rest[i]}' >"$out/suites"
total=$(wc -l <"$out/suites")
if ((total == 0)); then
  echo "run-test-suites: $(basename "$binary") lists no test suite to run" >&2
  exit 1
fi
echo "run-test-suites: $total suites of $(basename "$binary"), $jobs at a time"

# One suite: its output in $out/N.log, then a line "passed|FAILED <seconds> s <suite>".
run_suite() {
  local n=$1 suite=$2 start=$SECONDS rc=0
  # A suite's name is matched literally: escape doctest's separators and wildcards.
  local filter=${suite//\\/\\\\}
  filter=${filter//,/\\,}
  timeout -k 10 "${BSCHED_SUITE_TIMEOUT:-1800}" "$binary" "--test-suite=$filter" \
    ${exclude_arg:+"$exclude_arg"} --no-intro --no-version >"$out/$n.log" 2>&1 || rc=$?
  if ((rc == 0)); then
    echo "passed $((SECONDS - start)) s $suite"
  else
    echo "FAILED $((SECONDS - start)) s $suite (exit $rc)"
    echo "$n" >>"$out/failed"
  fi
}
export -f run_suite
export binary exclude_arg out
start=$SECONDS
nl -ba -w1 -s$'\t' "$out/suites" | tr '\n' '\0' |
  xargs -0 -P "$jobs" -I{} bash -c 'IFS=$'"'"'\t'"'"' read -r n s <<<"$1"; run_suite "$n" "$s"' _ {}
if [[ -s "$out/failed" ]]; then
  while read -r n; do
    echo "===== $(sed -n "${n}p" "$out/suites")"
    cat "$out/$n.log"
  done <"$out/failed"
  echo "run-test-suites: $(wc -l <"$out/failed") of $total suites FAILED in $((SECONDS - start)) s"
  exit 1
fi
echo "run-test-suites: all $total suites passed in $((SECONDS - start)) s"
