#!/usr/bin/python3
"""Side-by-side benchmark of boomi-sched and the schedulers users would pick instead.

  compare.py run --system S --workload W [--binary build/boomi-sched] [--out DIR]
  compare.py report DIR/*.json              # the markdown table of docs/benchmarks.md

Systems: boomi-sched, python-apscheduler, cron-curl-jq (bench/peers/). Workloads, all against
`boomi-sched sim` on loopback with the client pacing off:
  a  1,000 jobs due on the same instant (a minute boundary, so cron can take part)
  b  100 jobs every 10 s for --duration seconds (default 300; cron cannot: seconds)
  c  10,000 jobs configured, none due, idle for --idle seconds (default 60)
  d  as a, with the simulator answering 10 % of the triggers with 503
Lateness is measured at the simulator: arrival of a slot's first trigger minus the slot.
"""
import argparse
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
import measure  # noqa: E402
import sim as simulator  # noqa: E402
import systems  # noqa: E402

WORKLOADS = {"a": {"jobs": 1000, "kind": "instant", "faults": False},
             "b": {"jobs": 100, "kind": "every10s", "faults": False},
             "c": {"jobs": 10000, "kind": "idle", "faults": False},
             "d": {"jobs": 1000, "kind": "instant", "faults": True}}
# Simulator options: quick runs (so a workload drains within seconds) and, for d, 10 % 503s.
SIM_ARGS = {"base": ["--account", systems.ACCOUNT, "--username", systems.USERNAME,
                     "--token-env", "BENCH_SIM_TOKEN", "--pickup-delay", "1s", "--run-duration", "1s"],
            "faults": ["--fault-503", "0.1", "--faults-only-submits"]}
ATOM_ID = "8fa55714-8e5e-45f1-a0d1-f57f2000f464"


def make_jobs(count, schedules_of):
    return [{"name": f"bench-{i:05d}",
             "process_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"boomi-sched-bench/{i}")),
             "atom_id": ATOM_ID, "schedules": schedules_of(i)} for i in range(count)]


def per_minute_expressions(slots):
    """Exact 6-field expressions (seconds first) firing at exactly these UTC instants."""
    groups = {}
    for s in slots:
        t = datetime.fromtimestamp(s, timezone.utc)
        groups.setdefault((t.minute, t.hour, t.day, t.month), []).append(t.second)
    return [f"{','.join(map(str, sorted(secs)))} {mi} {h} {d} {mo} *"
            for (mi, h, d, mo), secs in sorted(groups.items(), key=lambda g: (g[0][3], g[0][2], g[0][1], g[0][0]))]


def plan(workload, args):
    """(jobs, slots per job, first slot T0) for a workload starting now."""
    spec = dict(WORKLOADS[workload], jobs=args.jobs or WORKLOADS[workload]["jobs"])
    lead = 25 if spec["jobs"] >= 1000 else 15
    t0 = math.ceil((time.time() + lead) / 60) * 60
    if spec["kind"] == "instant":
        slots = [t0]
    elif spec["kind"] == "every10s":
        slots = [t0 + 10 * k for k in range(args.duration // 10)]
    else:  # idle: yesterday's date, next due in about a year
        y = datetime.now(timezone.utc) - timedelta(days=1)
        jobs = make_jobs(spec["jobs"], lambda i: [f"0 0 0 {y.day} {y.month} *"])
        return jobs, {}, None
    jobs = make_jobs(spec["jobs"], lambda i: per_minute_expressions(slots))
    return jobs, {j["name"]: slots for j in jobs}, t0


def wait_for_quiet(root, limit=120):
    """Waits until the tree's CPU stops growing (start-up done): 3 s under 10 ms each."""
    quiet, last = 0, measure.cpu_seconds(root)
    deadline = time.time() + limit
    while quiet < 3 and time.time() < deadline:
        time.sleep(1)
        now = measure.cpu_seconds(root)
        quiet = quiet + 1 if now - last < 0.01 else 0
        last = now


def drain(system, expected, deadline):
    """Waits until the system stored `expected` terminal runs or the deadline passes."""
    done = None
    while time.time() < deadline:
        done = system.terminal_runs()
        if done is not None and done >= expected:
            break
        time.sleep(2)
    return done


def run(args):
    spec = dict(WORKLOADS[args.workload], jobs=args.jobs or WORKLOADS[args.workload]["jobs"])
    system = systems.make(args.system, args.binary)
    if args.workload == "b" and system.resolution > 10:
        sys.exit(f"{args.system} has minute resolution; workload b needs 10 s")
    workdir = Path(tempfile.mkdtemp(prefix=f"bsched-cmp-{args.system}-{args.workload}-"))
    sim = simulator.Simulator(args.sim.split() if args.sim else [args.binary], SIM_ARGS["base"] + (SIM_ARGS["faults"] if spec["faults"] else []),
                              token=systems.TOKEN)
    result = {"system": args.system, "workload": args.workload, "jobs": spec["jobs"]}
    try:
        jobs, slots, t0 = plan(args.workload, args)
        system.prepare(workdir, sim, jobs)
        started = time.time()
        proc = system.start()
        rss = measure.PeakRss(proc.pid)
        if t0 is None:
            wait_for_quiet(proc.pid)
            result["startup_s"] = round(time.time() - started, 1)
            cpu0, ctx0 = measure.cpu_seconds(proc.pid), measure.context_switches(proc.pid)
            time.sleep(args.idle)
            scale = 60 / args.idle
            result["idle_cpu_s_per_min"] = (measure.cpu_seconds(proc.pid) - cpu0) * scale
            result["wakeups_per_min"] = (measure.context_switches(proc.pid) - ctx0) * scale
        else:
            measure.wait_until(t0 - 2)
            if proc.poll() is not None:
                raise RuntimeError(f"{args.system} exited early (code {proc.returncode}); see {workdir}")
            cpu0 = measure.cpu_seconds(proc.pid)
            last_slot = max(max(v) for v in slots.values())
            measure.wait_until(last_slot + 5)
            expected = sum(len(v) for v in slots.values())
            result["terminal"] = drain(system, expected, time.time() + args.drain)
            result["cpu_s"] = measure.cpu_seconds(proc.pid) - cpu0
            requests = sim.requests()
            if args.keep:  # the simulator's request log, for a closer look at the timeline
                (workdir / "sim-requests.json").write_text(json.dumps(requests))
            result.update(simulator.analyze(requests, {j["process_id"]: j["name"] for j in jobs}, slots))
            runs = max(result["accepted"], 1)
            result["cpu_s_per_1000_runs"] = result["cpu_s"] / runs * 1000
        result["peak_rss_mib"] = rss.stop() / 1024
        system.stop()
    finally:
        sim.stop()
        if getattr(system, "proc", None) is not None and system.proc.poll() is None:
            system.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    result["machine"] = machine()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{args.system}-{args.workload}.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result))


def machine():
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                  if l.startswith("model name")), "?")
    return f"{model}, {os.cpu_count()} CPUs, Linux {platform.release()}"


def fmt(value, digits=1):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def report(files):
    rows = [json.loads(Path(f).read_text()) for f in files]
    rows.sort(key=lambda r: (r["workload"], r["system"]))
    print("| workload | system | lateness p50 / p99 / max (ms) | terminal / slots | duplicates "
          "| never accepted | CPU s per 1,000 runs | peak RSS (MiB) | idle CPU s/min | wake-ups/min |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        late = " / ".join(fmt(r.get(k)) for k in ("late_p50_ms", "late_p99_ms", "late_max_ms"))
        if r["workload"] == "c":
            late = "–"
        term = f'{fmt(r.get("terminal"))} / {fmt(r.get("slots"))}' if "slots" in r else "–"
        print(f'| {r["workload"]} | {r["system"]} | {late} | {term} | {fmt(r.get("duplicates"))} '
              f'| {fmt(r.get("never_accepted"))} | {fmt(r.get("cpu_s_per_1000_runs"), 2)} '
              f'| {fmt(r.get("peak_rss_mib"))} | {fmt(r.get("idle_cpu_s_per_min"), 3)} '
              f'| {fmt(r.get("wakeups_per_min"), 0)} |')
    if rows:
        print(f'\nMachine: {rows[0]["machine"]}')


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--system", required=True, choices=["boomi-sched", "python-apscheduler", "cron-curl-jq"])
    r.add_argument("--workload", required=True, choices=sorted(WORKLOADS))
    r.add_argument("--binary", default="build/boomi-sched", help="boomi-sched (also runs the simulator)")
    r.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "boomi-sched-compare"))
    r.add_argument("--duration", type=int, default=300, help="workload b: seconds of slots")
    r.add_argument("--idle", type=int, default=60, help="workload c: idle seconds measured")
    r.add_argument("--drain", type=int, default=180, help="seconds to wait for runs to finish")
    r.add_argument("--jobs", type=int, help="override the workload's job count (trial runs)")
    r.add_argument("--sim", help="simulator command instead of the binary (development)")
    r.add_argument("--keep", action="store_true", help="keep the temporary directory")
    p = sub.add_parser("report")
    p.add_argument("files", nargs="+")
    args = parser.parse_args()
    args.binary = str(Path(getattr(args, "binary", "") or ".").resolve())
    run(args) if args.command == "run" else report(args.files)


if __name__ == "__main__":
    main()
