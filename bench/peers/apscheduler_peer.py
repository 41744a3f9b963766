#!/usr/bin/python3
"""Run Boomi processes on cron schedules with APScheduler and requests.

The script a competent user writes instead of boomi-sched: every job fires an ExecutionRequest
at its slot, then polls the async ExecutionRecord (first after 5 s, backing off to 60 s) until
it reaches a terminal status, and keeps the outcome in SQLite. Polls are one-shot scheduler
jobs, so no thread sits waiting on a long Boomi run. Transient HTTP errors (429, 503, 504) are
retried by urllib3 with exponential backoff, honouring Retry-After.

Usage: apscheduler_peer.py JOBS.json
  JOBS.json = {"platform": {"base_url", "account_id", "username", "token_file"},
               "database": "runs.db", "workers": 20,
               "jobs": [{"name", "schedules": ["sec min hour dom month dow", ...],
                         "process_id", "atom_id"}]}
"""
import json
import logging
import sqlite3
import sys
import threading
import uuid
from datetime import datetime, timedelta, timezone

import requests
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

TERMINAL = {"COMPLETE", "COMPLETE_WARN", "ERROR", "ABORTED", "DISCARDED"}
POLL_FIRST, POLL_MAX = 5.0, 60.0

log = logging.getLogger("boomi-peer")
_local = threading.local()


def session(platform):
    """One requests.Session per worker thread (Session is not thread-safe)."""
    if not hasattr(_local, "session"):
        s = requests.Session()
        with open(platform["token_file"]) as f:
            s.auth = (platform["username"], f.read().strip())
        s.headers["Accept"] = "application/json"
        retry = Retry(total=5, backoff_factor=1, status_forcelist=(429, 503, 504),
                      allowed_methods=None, respect_retry_after_header=True)
        s.mount("http://", HTTPAdapter(max_retries=retry))
        s.mount("https://", HTTPAdapter(max_retries=retry))
        _local.session = s
    return _local.session


def db(cfg):
    return sqlite3.connect(cfg["database"], timeout=30)


def now():
    return datetime.now(timezone.utc).isoformat()


def fire(cfg, job, scheduler):
    platform = cfg["platform"]
    base = f'{platform["base_url"]}/{platform["account_id"]}'
    run_id = str(uuid.uuid4())
    body = {"@type": "ExecutionRequest", "atomId": job["atom_id"], "processId": job["process_id"],
            "DynamicProcessProperties": {"DynamicProcessProperty": [
                {"name": "BOOMI_SCHED_RUN_ID", "value": run_id}]},
            "ProcessProperties": {"ProcessProperty": []}}
    try:
        r = session(platform).post(f"{base}/ExecutionRequest", json=body, timeout=30)
        r.raise_for_status()
        request_id = r.json()["requestId"]
    except (requests.RequestException, ValueError, KeyError) as e:
        log.error("job %s: trigger failed: %s", job["name"], e)
        with db(cfg) as c:
            c.execute("INSERT INTO runs (run_id, job, fired_at, status, message) VALUES (?,?,?,?,?)",
                      (run_id, job["name"], now(), "SUBMIT_FAILED", str(e)[:500]))
        return
    with db(cfg) as c:
        c.execute("INSERT INTO runs (run_id, job, fired_at, request_id, status) VALUES (?,?,?,?,?)",
                  (run_id, job["name"], now(), request_id, "SUBMITTED"))
    schedule_poll(cfg, scheduler, run_id, request_id, POLL_FIRST)


def schedule_poll(cfg, scheduler, run_id, request_id, delay):
    scheduler.add_job(poll, "date", args=(cfg, scheduler, run_id, request_id, delay),
                      run_date=datetime.now(timezone.utc) + timedelta(seconds=delay),
                      id=f"poll-{run_id}", replace_existing=True)


def poll(cfg, scheduler, run_id, request_id, delay):
    platform = cfg["platform"]
    url = f'{platform["base_url"]}/{platform["account_id"]}/ExecutionRecord/async/{request_id}'
    record = None
    try:
        r = session(platform).get(url, timeout=30)
        r.raise_for_status()
        if r.status_code == 200:
            data = r.json()
            results = data.get("result") if isinstance(data, dict) and "result" in data else [data]
            record = results[0] if results else None
    except (requests.RequestException, ValueError) as e:
        log.warning("run %s: poll failed: %s", run_id, e)
    if record and record.get("status") in TERMINAL:
        with db(cfg) as c:
            c.execute("UPDATE runs SET status=?, execution_id=?, message=?, finished_at=? "
                      "WHERE run_id=?", (record["status"], record.get("executionId"),
                                         record.get("message"), now(), run_id))
        return
    schedule_poll(cfg, scheduler, run_id, request_id, min(delay * 2, POLL_MAX))


def main():
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    with open(sys.argv[1]) as f:
        cfg = json.load(f)
    with db(cfg) as c:
        c.execute("PRAGMA journal_mode=WAL")
        c.execute("CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, job TEXT, "
                  "fired_at TEXT, request_id TEXT, execution_id TEXT, status TEXT, "
                  "message TEXT, finished_at TEXT)")
    scheduler = BlockingScheduler(
        executors={"default": ThreadPoolExecutor(cfg.get("workers", 20))},
        job_defaults={"coalesce": True, "misfire_grace_time": 60, "max_instances": 1},
        timezone=timezone.utc)
    for job in cfg["jobs"]:
        for i, schedule in enumerate(job["schedules"]):
            sec, minute, hour, day, month, dow = schedule.split()
            trigger = CronTrigger(second=sec, minute=minute, hour=hour, day=day, month=month,
                                  day_of_week=dow, timezone=timezone.utc)
            scheduler.add_job(fire, trigger, args=(cfg, job, scheduler), id=f'{job["name"]}#{i}')
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass


if __name__ == "__main__":
    main()
