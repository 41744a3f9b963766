#!/usr/bin/python3
"""The daemon under load (docs/benchmarks.md): with 10,000 jobs configured, start-up
time (spawn to READY=1 on a NOTIFY_SOCKET this script owns), resident memory, CPU over an idle
minute, and the lateness of 1,000 slots that fall on the same second (pace off), measured
from the simulator's receipt time of each trigger.

    /usr/bin/python3 bench/daemon/bench_daemon.py --binary build/boomi-sched [--tls]

With --tls the simulator serves HTTPS with a throw-away self-signed certificate (openssl) and
the daemon trusts it through platform.ca_file.
"""
import argparse
import collections
import json
import os
import re
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime, timezone

TOKEN_ENV = "BENCH_DAEMON_TOKEN"
TOKEN = "bench-token"
PROCESS = "6e79aead-40d4-4a35-9037-4370a86cc2f1"
ATOM = "8fa55714-8e5e-45f1-a0d1-f57f2000f464"


def make_cert(workdir):
    """A self-signed certificate for 127.0.0.1: (cert, key) paths."""
    cert, key = os.path.join(workdir, "sim.crt"), os.path.join(workdir, "sim.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key


class Sim:
    def __init__(self, binary, workdir, tls=False):
        self.ca_file = None
        extra = []
        if tls:
            self.ca_file, key = make_cert(workdir)
            extra = ["--cert", self.ca_file, "--key", key]
        self.proc = subprocess.Popen(
            [binary, "sim", "--listen", "127.0.0.1:0", "--token-env", TOKEN_ENV,
             "--pickup-delay", "1s", "--run-duration", "1s"] + extra,
            stdout=subprocess.PIPE, stderr=open(os.path.join(workdir, "sim.err"), "w"),
            text=True, env=dict(os.environ, **{TOKEN_ENV: TOKEN}))
        line = self.proc.stdout.readline()
        m = re.search(r"(https?://\S+) account=(\S+)", line)
        if not m:
            raise RuntimeError(f"simulator did not start: {line!r}")
        self.base_url, self.account = m.group(1), m.group(2)
        self.port = int(re.search(r":(\d+)/", self.base_url).group(1))
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def requests(self):
        scheme = "https" if self.ca_file else "http"
        url = f"{scheme}://127.0.0.1:{self.port}/__sim/requests"
        context = ssl.create_default_context(cafile=self.ca_file) if self.ca_file else None
        with urllib.request.urlopen(url, timeout=120, context=context) as r:
            return json.load(r)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def write_config(workdir, sim, idle_jobs, burst_jobs, burst_at):
    """idle_jobs that fire once a year, burst_jobs that all fire at `burst_at` (UTC)."""
    lines = ["jobs:"]
    for i in range(idle_jobs):
        lines += [f"  idle-{i}:", '    schedule: "0 0 1 1 *"',
                  f"    process_id: {PROCESS}", f"    atom_id: {ATOM}"]
    if burst_jobs:
        expr = f"{burst_at.second} {burst_at.minute} {burst_at.hour} * * *"
        for i in range(burst_jobs):
            lines += [f"  burst-{i}:", f'    schedule: "{expr}"',
                      f"    process_id: {PROCESS}", f"    atom_id: {ATOM}",
                      '    dynamic_properties: {SLOT: "${scheduled_time}"}']
    return write_files(workdir, sim, lines)


def platform_yaml(sim, timeout):
    """The `platform:` section for the simulator `sim` (the token comes from TOKEN_ENV)."""
    ca = f"\n  ca_file: {sim.ca_file}" if sim.ca_file else ""
    return f"""platform:
  account_id: {sim.account}
  base_url: {sim.base_url}
  username: BOOMI_TOKEN.sim@example.com
  token_env: {TOKEN_ENV}
  requests_per_second: 0
  timeout: {timeout}{ca}"""


def write_files(workdir, sim, job_lines, listen="127.0.0.1:0", defaults=""):
    """jobs.d/jobs.yaml from `job_lines` and the main file for `sim`; returns the main path.
    `defaults`: extra lines of the defaults section (indented by two spaces)."""
    os.makedirs(os.path.join(workdir, "jobs.d"), exist_ok=True)
    with open(os.path.join(workdir, "jobs.d", "jobs.yaml"), "w") as f:
        f.write("\n".join(job_lines) + "\n")
    path = os.path.join(workdir, "boomi-sched.yaml")
    with open(path, "w") as f:
        f.write(f"""{platform_yaml(sim, "30s")}
storage:
  path: {os.path.join(workdir, "state.db")}
http:
  listen: {listen}
defaults:
  timezone: UTC
  poll: {{initial: 2s, max: 5s}}
{defaults}""")
    return path


class Daemon:
    """`boomi-sched run`, timed from spawn to READY=1."""

    def __init__(self, binary, config, workdir):
        sock_path = os.path.join(workdir, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(sock_path)
        env = dict(os.environ, **{TOKEN_ENV: TOKEN, "NOTIFY_SOCKET": sock_path})
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen([binary, "run", "--config", config, "--log-level", "warning"],
                                     stderr=open(os.path.join(workdir, "daemon.err"), "w"),
                                     env=env)
        self.sock.settimeout(300)
        while True:
            msg = self.sock.recv(4096).decode()
            if msg.startswith("READY=1"):
                self.ready_s = time.monotonic() - self.t0
                self.status = msg.split("STATUS=", 1)[-1]
                break
        self.sock.setblocking(False)

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))

    def cpu_s(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        t = time.monotonic()
        self.proc.terminate()
        code = self.proc.wait(20)
        return code, time.monotonic() - t


def quantile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * (len(values) - 1) + 0.5))]


def idle_run(binary, args):
    with tempfile.TemporaryDirectory(prefix="bench-daemon-") as workdir:
        sim = Sim(binary, workdir)
        config = write_config(workdir, sim, args.jobs, 0, None)
        d = Daemon(binary, config, workdir)
        rss_ready = d.rss_kib()
        cpu0, t0 = d.cpu_s(), time.monotonic()
        time.sleep(args.idle)
        cpu1, t1 = d.cpu_s(), time.monotonic()
        rss_idle = d.rss_kib()
        code, stop_s = d.stop()
        sim.stop()
        print(f"jobs configured        {args.jobs}")
        print(f"start-up to READY=1    {d.ready_s * 1000:.0f} ms   (status: {d.status})")
        print(f"RSS at READY / idle    {rss_ready / 1024:.1f} MiB / {rss_idle / 1024:.1f} MiB")
        print(f"CPU over {t1 - t0:.0f} s idle    {(cpu1 - cpu0) * 1000:.0f} ms "
              f"({(cpu1 - cpu0) / (t1 - t0) * 100:.3f} %)")
        print(f"SIGTERM to exit        {stop_s * 1000:.0f} ms (exit {code})")


def burst_run(binary, args):
    with tempfile.TemporaryDirectory(prefix="bench-daemon-") as workdir:
        sim = Sim(binary, workdir, args.tls)
        burst_at = datetime.fromtimestamp(int(time.time()) + args.lead, tz=timezone.utc)
        config = write_config(workdir, sim, args.jobs - args.burst, args.burst, burst_at)
        d = Daemon(binary, config, workdir)
        if time.time() > burst_at.timestamp() - 2:
            sys.exit(f"start-up took too long for the burst (lead {args.lead}s); raise --lead")
        time.sleep(max(0.0, burst_at.timestamp() - time.time()) + args.settle)
        submits = [r for r in sim.requests()
                   if r["method"] == "POST" and r["target"].endswith("/ExecutionRequest")]
        d.stop()
        sim.stop()
        slot_ms = int(burst_at.timestamp() * 1000)
        late = [r["received_at_ms"] - slot_ms for r in submits]
        run_ids = {r["run_id"] for r in submits}
        print(f"burst: {args.burst} slots at {burst_at.isoformat()}, {len(submits)} triggers "
              f"received, {len(run_ids)} distinct run ids")
        if late:
            print(f"lateness (slot to simulator receipt): p50 {quantile(late, 0.5)} ms, "
                  f"p99 {quantile(late, 0.99)} ms, max {max(late)} ms, "
                  f"mean {statistics.mean(late):.0f} ms")
            if args.histogram:
                buckets = collections.Counter(ms // 5 * 5 for ms in late)
                print("arrivals per 5 ms: " + ", ".join(
                    f"{b}:{buckets[b]}" for b in sorted(buckets)))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--binary", default="build/boomi-sched")
    p.add_argument("--jobs", type=int, default=10000)
    p.add_argument("--burst", type=int, default=1000)
    p.add_argument("--idle", type=float, default=60)
    p.add_argument("--lead", type=int, default=40, help="seconds from config write to the burst")
    p.add_argument("--settle", type=float, default=15, help="seconds to wait after the burst")
    p.add_argument("--only", choices=["idle", "burst"])
    p.add_argument("--tls", action="store_true", help="the simulator serves HTTPS")
    p.add_argument("--histogram", action="store_true", help="print the burst's arrivals per 5 ms")
    args = p.parse_args()
    binary = os.path.abspath(args.binary)
    if args.only != "burst":
        idle_run(binary, args)
    if args.only != "idle":
        burst_run(binary, args)


if __name__ == "__main__":
    main()
