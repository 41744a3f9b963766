"""The three schedulers under comparison, each driven the same way: write its configuration
for a job set, start it (one root process whose tree is measured), count the runs it stored
with a terminal platform status, stop it.

A job is {"name", "process_id", "atom_id", "schedules": ["sec min hour dom month dow", ...]};
cron gets the same schedules without the seconds field (it has minute resolution).
"""
import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import measure

HERE = Path(__file__).resolve().parent
PEERS = HERE.parent / "peers"
TERMINAL = {"COMPLETE", "COMPLETE_WARN", "ERROR", "ABORTED", "DISCARDED"}
USERNAME, TOKEN = "BOOMI_TOKEN.bench@example.com", "bench-token-not-a-secret"
ACCOUNT = "bench-AB12CD"


def _write_secret(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def _stop_tree(proc):
    """SIGTERM the root, SIGKILL whatever of its tree is left after 10 s."""
    tree = measure.descendants(proc.pid)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for pid in tree:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class BoomiSched:
    name = "boomi-sched"
    resolution = 1  # seconds

    def __init__(self, binary):
        self.binary = binary

    def prepare(self, workdir, sim, jobs):
        self.workdir = Path(workdir)
        _write_secret(self.workdir / "token", TOKEN)
        lines = ["platform:", f"  account_id: {ACCOUNT}", f"  base_url: {sim.base_url}",
                 f"  username: {USERNAME}", f"  token_file: {self.workdir / 'token'}",
                 "  requests_per_second: 0", "storage:", f"  path: {self.workdir / 'state.db'}",
                 "http:", "  listen: 127.0.0.1:0",
                 # Like the peers: every slot fires even if the previous run is still going.
                 "defaults:", "  timezone: UTC", "  overlap: allow", "jobs:"]
        for job in jobs:
            schedules = ", ".join(f'"{s}"' for s in job["schedules"])
            lines += [f"  {job['name']}:", f"    schedule: [{schedules}]",
                      f"    process_id: {job['process_id']}", f"    atom_id: {job['atom_id']}"]
        self.config = self.workdir / "boomi-sched.yaml"
        self.config.write_text("\n".join(lines) + "\n")

    def start(self):
        self.log = open(self.workdir / "daemon.log", "w")
        self.proc = subprocess.Popen([self.binary, "run", "--config", str(self.config)],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        return self.proc

    def terminal_runs(self):
        out = subprocess.run([self.binary, "history", "--json", "--limit", "1000000",
                              "--config", str(self.config)],
                             capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            return None
        runs = json.loads(out.stdout or "[]")
        return sum(1 for r in runs if str(r.get("state", "")).upper() in TERMINAL)

    def stop(self):
        _stop_tree(self.proc)
        self.log.close()


class APSchedulerPeer:
    name = "python-apscheduler"
    resolution = 1

    def prepare(self, workdir, sim, jobs):
        self.workdir = Path(workdir)
        _write_secret(self.workdir / "token", TOKEN)
        self.db = self.workdir / "runs.db"
        config = {"platform": {"base_url": sim.base_url, "account_id": ACCOUNT,
                               "username": USERNAME, "token_file": str(self.workdir / "token")},
                  "database": str(self.db), "workers": 20,
                  "jobs": [{"name": j["name"], "schedules": j["schedules"],
                            "process_id": j["process_id"], "atom_id": j["atom_id"]}
                           for j in jobs]}
        self.config = self.workdir / "jobs.json"
        self.config.write_text(json.dumps(config))

    def start(self):
        self.log = open(self.workdir / "peer.log", "w")
        self.proc = subprocess.Popen(["/usr/bin/python3", str(PEERS / "apscheduler_peer.py"),
                                      str(self.config)], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        return self.proc

    def terminal_runs(self):
        with sqlite3.connect(self.db, timeout=30) as c:
            marks = ",".join("?" * len(TERMINAL))
            return c.execute(f"SELECT count(*) FROM runs WHERE status IN ({marks})",
                             sorted(TERMINAL)).fetchone()[0]

    def stop(self):
        _stop_tree(self.proc)
        self.log.close()


class CronPeer:
    """Debian's cron daemon started in the foreground by the driver, with one /etc/cron.d
    file; both are removed afterwards. Refuses to run when a cron daemon is already up."""
    name = "cron-curl-jq"
    resolution = 60
    CRON_FILE = Path("/etc/cron.d/boomi-sched-bench")

    def prepare(self, workdir, sim, jobs):
        if os.geteuid() != 0:
            raise RuntimeError("the cron peer needs root (it writes /etc/cron.d and runs cron)")
        if subprocess.run(["pgrep", "-x", "cron"], capture_output=True).returncode == 0:
            raise RuntimeError("a cron daemon is already running; stop it for the benchmark")
        self.workdir = Path(workdir)
        os.chmod(self.workdir, 0o755)
        host = sim.address.split(":")[0]
        _write_secret(self.workdir / "netrc", f"machine {host} login {USERNAME} password {TOKEN}\n")
        self.log_path = self.workdir / "runs.log"
        env = self.workdir / "boomi-cron.env"
        env.write_text(f"BOOMI_BASE={sim.base_url}/{ACCOUNT}\nBOOMI_NETRC={self.workdir / 'netrc'}\n"
                       f"BOOMI_LOG={self.log_path}\n")
        script = PEERS / "cron_boomi_run.sh"
        lines = ['MAILTO=""', f"BOOMI_ENV={env}"]
        for job in jobs:
            for schedule in job["schedules"]:
                fields = schedule.split()
                if fields[0] not in ("0", "*"):
                    raise ValueError(f"cron cannot fire at second {fields[0]}")
                lines.append(f"{' '.join(fields[1:])} root {script} {job['name']} "
                             f"{job['process_id']} {job['atom_id']}")
        self.CRON_FILE.write_text("\n".join(lines) + "\n")
        os.chmod(self.CRON_FILE, 0o644)

    def start(self):
        self.log = open(self.workdir / "cron.log", "w")
        self.proc = subprocess.Popen(["/usr/sbin/cron", "-f", "-L", "0"], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        time.sleep(0.5)
        return self.proc

    def terminal_runs(self):
        if not self.log_path.exists():
            return 0
        return sum(1 for line in self.log_path.read_text().splitlines()
                   if len(line.split()) > 3 and line.split()[3] in TERMINAL)

    def stop(self):
        _stop_tree(self.proc)
        self.log.close()
        self.CRON_FILE.unlink(missing_ok=True)


def make(name, binary):
    return {"boomi-sched": lambda: BoomiSched(binary),
            "python-apscheduler": APSchedulerPeer,
            "cron-curl-jq": CronPeer}[name]()
