#!/bin/sh
# Run one Boomi process now and wait for its outcome: the script a competent user calls from
# cron (Debian's Vixie cron) instead of using boomi-sched. One crontab line per job, e.g.
#
#   MAILTO=""
#   BOOMI_ENV=/etc/boomi-cron.env
#   30 2 * * 1-5  root  /usr/local/bin/cron_boomi_run.sh nightly-orders <process id> <atom id>
#
# BOOMI_ENV sets BOOMI_BASE (https://api.boomi.com/api/rest/v1/<account>), BOOMI_NETRC (a
# root-only netrc file with the API user and token, so the token never shows in `ps`) and
# BOOMI_LOG (one line per finished run is appended there).
# curl retries transient errors (429, 5xx, timeouts) with exponential backoff; the record is
# polled after 5 s, backing off to 60 s, until its status is terminal.
set -eu
job=$1 process_id=$2 atom_id=$3
. "${BOOMI_ENV:?}"

run_id="$job-$(date -u +%Y%m%dT%H%M)-$$"
log() { printf '%s %s %s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$job" "$run_id" "$*" >>"$BOOMI_LOG"; }

body=$(jq -cn --arg p "$process_id" --arg a "$atom_id" --arg r "$run_id" \
  '{"@type": "ExecutionRequest", processId: $p, atomId: $a,
    DynamicProcessProperties: {DynamicProcessProperty: [{name: "BOOMI_SCHED_RUN_ID", value: $r}]},
    ProcessProperties: {ProcessProperty: []}}')
if ! answer=$(curl -sS --fail --retry 5 --max-time 30 --netrc-file "$BOOMI_NETRC" \
    -H 'Accept: application/json' -H 'Content-Type: application/json' \
    -d "$body" "$BOOMI_BASE/ExecutionRequest" 2>&1); then
  log "SUBMIT_FAILED $answer"
  exit 1
fi
request_id=$(printf '%s' "$answer" | jq -r '.requestId // empty')
[ -n "$request_id" ] || { log "SUBMIT_FAILED no requestId"; exit 1; }

delay=5 deadline=$(($(date +%s) + 12 * 3600))
while [ "$(date +%s)" -lt "$deadline" ]; do
  sleep "$delay"
  delay=$((delay * 2 > 60 ? 60 : delay * 2))
  record=$(curl -sS --fail --retry 5 --max-time 30 --netrc-file "$BOOMI_NETRC" -H 'Accept: application/json' \
    "$BOOMI_BASE/ExecutionRecord/async/$request_id") || continue
  status=$(printf '%s' "$record" | jq -r '(.result[0] // .) | .status // empty' 2>/dev/null) || continue
  case "$status" in
    COMPLETE | COMPLETE_WARN | ERROR | ABORTED | DISCARDED)
      log "$status $request_id $(printf '%s' "$record" | jq -r '(.result[0] // .) | .executionId // ""')"
      exit 0 ;;
  esac
done
log "TIMED_OUT $request_id"
exit 1
