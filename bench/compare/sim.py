"""The platform simulator (`boomi-sched sim`) as a benchmark fixture, and the figures computed
from its request log: lateness of the first trigger of each slot, accepted triggers,
duplicates and slots never triggered.
"""
import json
import os
import re
import statistics
import subprocess
import threading
import urllib.request
from datetime import datetime


class Simulator:
    """`boomi-sched sim --listen 127.0.0.1:0 [args]`; its first stdout line names the port."""

    def __init__(self, command, extra_args=(), token=""):
        self.proc = subprocess.Popen([*command, "sim", "--listen", "127.0.0.1:0", *extra_args],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                     env=dict(os.environ, BENCH_SIM_TOKEN=token))
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening "):
            self.proc.kill()
            raise RuntimeError(f"simulator did not start (first line: {line!r})")
        # "listening on http://127.0.0.1:PORT/api/rest/v1 account=ID"
        match = re.search(r"https?://([^/\s]+)", line)
        if not match:
            self.proc.kill()
            raise RuntimeError(f"simulator did not name its address (first line: {line!r})")
        self.address = match.group(1)
        # Keep reading so a chatty simulator never blocks on a full pipe.
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    @property
    def base_url(self):
        return f"http://{self.address}/api/rest/v1"

    def get_json(self, path):
        with urllib.request.urlopen(f"http://{self.address}{path}", timeout=60) as r:
            return json.load(r)

    def requests(self):
        data = self.get_json("/__sim/requests")
        if isinstance(data, dict):
            data = data.get("requests", [])
        return [normalize(r) for r in data]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _instant(value):
    """Epoch seconds from a number (s or ms) or an ISO 8601 string."""
    if isinstance(value, (int, float)):
        return value / 1000.0 if value > 1e11 else float(value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def _first(entry, *keys):
    for key in keys:
        if key in entry and entry[key] is not None:
            return entry[key]
    return None


def normalize(entry):
    """One logged request as {t, method, path, status, body} whatever the log's spelling."""
    body = _first(entry, "body", "request_body", "json")
    if isinstance(body, str):
        try:
            body = json.loads(body) if body else None
        except ValueError:
            body = None
    return {"t": _instant(_first(entry, "t", "time", "arrival", "arrived_at", "received_at_ms", "received_at",
                                 "timestamp", "at", "arrival_ms", "time_ms")),
            "method": _first(entry, "method", "verb") or "",
            "path": _first(entry, "path", "target", "url", "uri") or "",
            "status": int(_first(entry, "status", "response_status", "code") or 0),
            "body": body if isinstance(body, dict) else {}}


def _percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


def analyze(requests, job_of_process, slots):
    """Figures from the log. `job_of_process`: processId -> job name; `slots`: job -> sorted
    slot instants (epoch s) expected in the window. Each trigger is attributed to its job's
    nearest slot; lateness is the first attempt's arrival minus that slot."""
    first_arrival, accepted, attempts = {}, {}, 0
    for r in requests:
        if r["method"] != "POST" or not r["path"].endswith("/ExecutionRequest"):
            continue
        job = job_of_process.get(r["body"].get("processId"))
        if job is None or not slots.get(job):
            continue
        attempts += 1
        slot = min(slots[job], key=lambda s: abs(r["t"] - s))
        key = (job, slot)
        first_arrival[key] = min(first_arrival.get(key, r["t"]), r["t"])
        if r["status"] == 200:
            accepted[key] = accepted.get(key, 0) + 1
    late_ms = sorted((t - slot) * 1000 for (_, slot), t in first_arrival.items())
    expected = sum(len(v) for v in slots.values())
    return {"slots": expected,
            "trigger_attempts": attempts,
            "accepted": sum(accepted.values()),
            "duplicates": sum(n - 1 for n in accepted.values() if n > 1),
            "never_accepted": expected - len(accepted),
            "late_p50_ms": _percentile(late_ms, 50),
            "late_p99_ms": _percentile(late_ms, 99),
            "late_max_ms": late_ms[-1] if late_ms else float("nan"),
            "late_mean_ms": statistics.fmean(late_ms) if late_ms else float("nan")}
