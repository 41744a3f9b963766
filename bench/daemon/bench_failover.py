#!/usr/bin/python3
"""Failover of an active/standby pair (docs/benchmarks.md, docs/ha.md): two daemons with the
same jobs against one private PostgreSQL 15 cluster and the simulator. Each round stops the
leader, times the standby's `leader.serving` log line from the signal, restarts the stopped
node as the new standby, and counts the slots the failover delayed or lost at the simulator.

    /usr/bin/python3 bench/daemon/bench_failover.py --binary build/boomi-sched [--lease 15s]
        [--rounds 10]

Two kinds of round, `--rounds` of each: a clean handover (SIGTERM to the leader, which
resigns) and a crash takeover (SIGKILL, the standby waits for the lease to run out). Every
job sends its slot in the SLOT dynamic property; a (job, slot) near a failover that reached
the simulator more than --late-ms after its instant, or never, is a gap slot. Exits 1 when
any (job, slot) was submitted twice.
"""
import argparse
import contextlib
import json
import os
import pwd
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

from bench_daemon import ATOM, TOKEN, TOKEN_ENV, Sim, platform_yaml, quantile

PG_BIN = "/usr/lib/postgresql/15/bin"


class PgCluster:
    """A private PostgreSQL in `root`/pg, on a unix socket only; as root it runs as `postgres`."""

    def __init__(self, root):
        self.dir = os.path.join(root, "pg")
        os.mkdir(self.dir)
        self.as_owner = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chmod(root, 0o755)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.as_owner = ["runuser", "-u", "postgres", "--"]
        self.started = False

    def run(self, args, log):
        with open(os.path.join(self.dir, log), "a") as out:
            code = subprocess.run(["timeout", "60"] + self.as_owner + args, stdout=out,
                                  stderr=subprocess.STDOUT).returncode
        if code != 0:
            sys.exit(f"{args[0]} failed ({code}): see {self.dir}/{log}:\n" + self.tail(log))

    def tail(self, log):
        with open(os.path.join(self.dir, log), errors="replace") as f:
            return f.read()[-2000:]

    def start(self):
        data = os.path.join(self.dir, "data")
        self.run([f"{PG_BIN}/initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--no-sync"], "initdb.log")
        opts = f"-c listen_addresses='' -k {self.dir}"
        self.started = True
        self.run([f"{PG_BIN}/pg_ctl", "-D", data, "-l", f"{self.dir}/server.log", "-w", "-t",
                  "30", "-o", opts, "start"], "pg_ctl.log")

    def new_database(self, name):
        self.run([f"{PG_BIN}/psql", "-h", self.dir, "-U", "postgres", "-d", "postgres", "-Atq",
                  "-c", f"CREATE DATABASE {name}"], "psql.log")
        return f"host={self.dir} dbname={name} user=postgres"

    def stop(self):
        if self.started:
            subprocess.run(["timeout", "30"] + self.as_owner +
                           [f"{PG_BIN}/pg_ctl", "-D", f"{self.dir}/data", "-m", "immediate",
                            "-w", "-t", "10", "stop"], capture_output=True)
            self.started = False


def job_lines(count):
    """`count` jobs firing every second, each with its own process id, sending JOB and SLOT."""
    lines = ["jobs:"]
    for i in range(count):
        lines += [f"  f{i}:", '    schedule: "* * * * * *"',
                  f"    process_id: 6e79aead-40d4-4a35-9037-{i:012x}", f"    atom_id: {ATOM}",
                  '    dynamic_properties: {JOB: "${job}", SLOT: "${scheduled_time}"}']
    return "\n".join(lines) + "\n"


def write_node_config(workdir, sim, node, conninfo, lease, catchup):
    """node-X.yaml: the shared jobs.d, its own instance-lock file, the runs in PostgreSQL."""
    path = os.path.join(workdir, f"{node}.yaml")
    with open(path, "w") as f:
        f.write(f"""{platform_yaml(sim, "3s")}
storage:
  path: {os.path.join(workdir, node + ".db")}
  postgres: "{conninfo}"
ha:
  node: {node}
  lease: {lease}
http:
  listen: ""
defaults:
  timezone: UTC
  poll: {{initial: 2s, max: 5s}}
  submit_retry: {{attempts: 5, initial: 200ms, max: 1s}}
  catchup: {catchup}
  overlap: allow
  record_timeout: 5s
""")
    return path


class Node:
    """`boomi-sched run --config node-X.yaml`; each life logs to its own file."""

    def __init__(self, binary, workdir, name, config, life):
        self.name = name
        self.log_path = os.path.join(workdir, f"{name}-{life}.log")
        self.proc = subprocess.Popen([binary, "run", "--config", config],
                                     stdout=subprocess.DEVNULL, stderr=open(self.log_path, "w"),
                                     env=dict(os.environ, **{TOKEN_ENV: TOKEN}))

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def terms(self):
        return self.log().count("leader.serving")

    def wait_for(self, predicate, limit, step=0.005):
        end = time.monotonic() + limit
        while time.monotonic() < end:
            if predicate():
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(step)
        return False

    def wait_ready(self, limit=30):
        if not self.wait_for(lambda: "daemon.ready" in self.log(), limit, 0.05):
            raise RuntimeError(f"{self.name} did not become ready:\n{self.log()[-3000:]}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def seconds(text):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s)", text)
    if not m:
        raise argparse.ArgumentTypeError(f"a duration like 2s or 1500ms: {text!r}")
    return float(m.group(1)) / (1000 if m.group(2) == "ms" else 1)


class Pair:
    """The two nodes; `leader` is the index of the one serving."""

    def __init__(self, binary, workdir, configs):
        self.binary, self.workdir, self.configs = binary, workdir, configs
        self.life = 0
        self.nodes = [None, None]
        self.start(0)
        if not self.nodes[0].wait_for(lambda: self.nodes[0].terms() == 1, 20):
            raise RuntimeError(f"node-a never served:\n{self.nodes[0].log()[-3000:]}")
        self.leader = 0
        self.start(1)

    def start(self, i):
        self.life += 1
        self.nodes[i] = Node(self.binary, self.workdir, "node-" + "ab"[i], self.configs[i],
                             self.life)
        self.nodes[i].wait_ready()

    def failover(self, sig, limit):
        """Sends `sig` to the leader; (wall time of the signal, seconds to the standby's
        leader.serving, the old leader's exit code); restarts the old leader as the standby."""
        old, new = self.nodes[self.leader], self.nodes[1 - self.leader]
        before = new.terms()
        wall, t0 = time.time(), time.monotonic()
        old.proc.send_signal(sig)
        served = new.wait_for(lambda: new.terms() > before, limit, 0.002)
        took = time.monotonic() - t0
        if not served:
            raise RuntimeError(f"{new.name} did not serve within {limit:.0f} s:\n"
                               f"{new.log()[-3000:]}")
        code = old.proc.wait(15)
        self.start(self.leader)
        self.leader = 1 - self.leader
        return wall, took, code

    def stop(self):
        for n in self.nodes:
            if n:
                n.stop()


def submits_by_slot(sim):
    """{(job, slot second): [receipt ms]} of the triggers the simulator may have accepted."""
    out = {}
    for r in sim.requests():
        if r["method"] != "POST" or not r["target"].endswith("/ExecutionRequest"):
            continue
        if r["status"] != 0 and not 200 <= r["status"] < 300:
            continue
        props = dynamic_properties(r["body"])
        if not props.get("SLOT"):
            continue
        slot = datetime.strptime(props["SLOT"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        out.setdefault((props["JOB"], int(slot.timestamp())), []).append(r["received_at_ms"])
    return out


def dynamic_properties(body):
    """{name: value} of a trigger's dynamic process properties ({} when unreadable)."""
    try:
        items = json.loads(body)["DynamicProcessProperties"]["DynamicProcessProperty"]
    except (ValueError, KeyError, TypeError):
        return {}
    return {p.get("name", p.get("Name")): p.get("value", p.get("Value")) for p in items}


def gap(received, jobs, first_s, last_s, late_ms):
    """(late, lost) (job, slot)s and the seconds with any of them, for slots first_s..last_s."""
    late = lost = 0
    bad_seconds = set()
    for s in range(first_s, last_s + 1):
        for j in range(jobs):
            times = received.get((f"f{j}", s))
            if not times:
                lost += 1
                bad_seconds.add(s)
            elif min(times) - s * 1000 > late_ms:
                late += 1
                bad_seconds.add(s)
    return late, lost, len(bad_seconds)


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def run(args, stack, workdir):
    binary = os.path.abspath(args.binary)
    cluster = PgCluster(workdir)
    stack.callback(cluster.stop)
    cluster.start()
    conninfo = cluster.new_database(f"failover_{os.getpid()}")
    sim = Sim(binary, workdir)
    stack.callback(sim.stop)
    os.makedirs(os.path.join(workdir, "jobs.d"))
    with open(os.path.join(workdir, "jobs.d", "jobs.yaml"), "w") as f:
        f.write(job_lines(args.jobs))
    configs = [write_node_config(workdir, sim, n, conninfo, args.lease, args.catchup)
               for n in ("node-a", "node-b")]
    pair = Pair(binary, workdir, configs)
    stack.callback(pair.stop)
    lease_s = seconds(args.lease)
    rng = random.Random(args.seed)
    print(f"lease {args.lease}, {args.jobs} jobs every second, {args.rounds} rounds per kind, "
          f"seed {args.seed}, load average before {load_average()}", flush=True)
    rounds = []
    for kind, sig in (("clean", signal.SIGTERM), ("crash", signal.SIGKILL)):
        for r in range(args.rounds):
            # A random moment within the second and within the leader's renewal period
            # (lease / 3), so a crash lands anywhere between two renewals.
            time.sleep(2.0 + rng.uniform(0.0, max(1.0, lease_s / 3)))
            wall, took, code = pair.failover(sig, lease_s + 10)
            rounds.append((kind, wall, took))
            print(f"{kind} {r + 1}: serving {took * 1000:.0f} ms after the signal "
                  f"(old leader exit {code})", flush=True)
    time.sleep(3 + args.late_ms / 1000)
    return report(rounds, submits_by_slot(sim), args)


def report(rounds, received, args):
    """Prints the times and gaps per kind of round; 1 when a (job, slot) came twice."""
    dups = sorted(f"{job}@{s} x{len(t)}" for (job, s), t in received.items() if len(t) > 1)
    print(f"\nload average after {load_average()}; "
          f"{sum(len(t) for t in received.values())} triggers at the simulator; "
          f"duplicated (job, slot): {len(dups)}" + (f" ({', '.join(dups[:5])})" if dups else ""))
    for kind in ("clean", "crash"):
        took = [t for k, _, t in rounds if k == kind]
        if not took:
            continue
        # The slots from the signal's second to the second after the standby served.
        gaps = [gap(received, args.jobs, int(w), int(w + t) + 1, args.late_ms)
                for k, w, t in rounds if k == kind]
        spans = [g[2] for g in gaps]
        print(f"{kind}: {len(took)} rounds; signal to leader.serving p50 "
              f"{quantile(took, 0.5) * 1000:.0f} ms, max {max(took) * 1000:.0f} ms; "
              f"seconds with a late or lost slot p50 {quantile(spans, 0.5)}, max {max(spans)} "
              f"(per round: {' '.join(map(str, spans))}); (job, slot)s late "
              f"{sum(g[0] for g in gaps)}, lost {sum(g[1] for g in gaps)}")
    return 1 if dups else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--binary", default="build/boomi-sched")
    p.add_argument("--lease", default="15s")
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--jobs", type=int, default=20)
    p.add_argument("--catchup", choices=["latest", "all", "none"], default="latest",
                   help="which slots missed while no node served still fire (the default's)")
    p.add_argument("--late-ms", type=int, default=1000,
                   help="a slot received later than this after its instant is a gap slot")
    p.add_argument("--seed", type=int, default=int(time.time()))
    p.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    args = p.parse_args()
    seconds(args.lease)
    # Ctrl-C, SIGTERM and SIGHUP unwind, so the cluster and the daemons are stopped.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, lambda *_: sys.exit(130))
    workdir = tempfile.mkdtemp(prefix="bench-failover-")
    try:
        with contextlib.ExitStack() as stack:
            code = run(args, stack, workdir)
    finally:
        if args.keep:
            print(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
