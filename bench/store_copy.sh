#!/usr/bin/env bash
# Times `boomi-sched store copy` of N finished runs (default 100000) from a SQLite state file
# into a private PostgreSQL 15 cluster (a unix socket in a temporary directory, fsync off as in
# the tests), and prints the command's output and the wall time. docs/benchmarks.md.
#   bench/store_copy.sh BUILD_DIR [N]
set -euo pipefail
bin=$(realpath "${1:?usage: bench/store_copy.sh BUILD_DIR [N]}")/boomi-sched
n=${2:-100000}
pg=/usr/lib/postgresql/15/bin
dir=$(mktemp -d /tmp/bsched-copy-XXXXXX)
as_pg=()
if [[ $(id -u) == 0 ]]; then chown postgres "$dir"; as_pg=(runuser -u postgres --); fi
cleanup() {
  "${as_pg[@]}" "$pg/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

"${as_pg[@]}" "$pg/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-sync >/dev/null
"${as_pg[@]}" "$pg/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-c listen_addresses='' -k $dir -c fsync=off -c synchronous_commit=off" start >/dev/null
"${as_pg[@]}" "$pg/psql" -h "$dir" -U postgres -d postgres -Atqc 'CREATE DATABASE copy'

# A state file made by boomi-sched itself (schema and ids), then N runs in one transaction.
mkdir -p "$dir/etc/jobs.d"
cat >"$dir/etc/jobs.d/jobs.yaml" <<'YAML'
jobs:
  bench:
    schedule: "* * * * *"
    process_id: 6e79aead-40d4-4a35-9037-000000000001
    atom_id: 8fa55714-8e5e-45f1-a0d1-f57f2000f464
YAML
cat >"$dir/etc/boomi-sched.yaml" <<YAML
platform:
  account_id: bench-account
  base_url: http://127.0.0.1:9/api/rest/v1
  username: BOOMI_TOKEN.bench@example.com
  token_env: BSCHED_BENCH_TOKEN
storage:
  path: $dir/state.db
defaults:
  timezone: UTC
YAML
BSCHED_BENCH_TOKEN=x "$bin" pause bench --config "$dir/etc/boomi-sched.yaml" >/dev/null
sqlite3 "$dir/state.db" <<SQL
BEGIN;
WITH RECURSIVE i(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM i WHERE k < $n)
INSERT INTO runs (run_id, job, trigger, slot, state, attempts, request_id, execution_id,
                  remote_status, properties_json, created_at, submitting_at, submitted_at,
                  running_at, finished_at, last_sent_at, execution_time, duration_ms,
                  inbound_documents, outbound_documents, inbound_error_documents, matched_by)
SELECT printf('bench-run-%08d', k), 'bench', 'schedule', 1700000000 + 60 * k, 'complete', 1,
       printf('executionrecord-%08d', k), printf('execution-%08d', k), 'COMPLETE',
       '{"BOOMI_SCHED_RUN_ID":"' || printf('bench-run-%08d', k) || '"}',
       (1700000000 + 60 * k) * 1000, (1700000000 + 60 * k) * 1000 + 5,
       (1700000000 + 60 * k) * 1000 + 90, (1700000000 + 60 * k) * 1000 + 2000,
       (1700000000 + 60 * k) * 1000 + 30000, (1700000000 + 60 * k) * 1000 + 5,
       1700000000 + 60 * k, 28000, 10, 10, 0, 'request'
FROM i;
COMMIT;
SQL
echo "state file: $(stat -c %s "$dir/state.db") bytes"
start=$(date +%s.%N)
"$bin" store copy --from "$dir/state.db" --to "host=$dir dbname=copy user=postgres"
end=$(date +%s.%N)
echo "store copy of $n runs: $(echo "$end - $start" | bc) s"
