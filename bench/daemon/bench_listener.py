#!/usr/bin/python3
"""Slot lateness beside a loaded HTTP listener (docs/benchmarks.md): jobs fire every second
against the simulator for a quiet phase, then for a loaded phase in which the daemon's listener
holds 1,000 idle connections (more than its limit of 256, so it keeps closing the oldest idle
ones), slow clients that send one header byte per second, clients that send oversized headers
(431) and clients that scrape /metrics and /api/status back to back. Lateness is the
simulator's receipt time of each trigger minus its slot; the two phases are compared.

    /usr/bin/python3 bench/daemon/bench_listener.py --binary build/boomi-sched
"""
import argparse
import os
import socket
import sqlite3
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_daemon import ATOM, PROCESS, Daemon, Sim, quantile, write_files  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(workdir, sim, jobs, port):
    lines = ["jobs:"]
    for i in range(jobs):
        lines += [f"  tick-{i}:", '    schedule: "* * * * * *"',
                  f"    process_id: {PROCESS}", f"    atom_id: {ATOM}"]
    return write_files(workdir, sim, lines, listen=f"127.0.0.1:{port}",
                       defaults="  overlap: allow\n")


class Load:
    """The hostile and busy clients of the loaded phase, each kind on its own threads."""

    def __init__(self, port, idle, slow, oversized, scrapers):
        self.port, self.stop_at = port, None
        self.counts = {"idle_opened": 0, "slow_started": 0, "oversized_sent": 0,
                       "oversized_431": 0, "scrapes_ok": 0, "scrape_errors": 0}
        self.lock = threading.Lock()
        self.idle_target, self.slow, self.oversized, self.scrapers = idle, slow, oversized, scrapers
        self.sockets = []

    def count(self, key):
        with self.lock:
            self.counts[key] += 1

    def connect(self):
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)

    def idle_keeper(self):
        # Opens idle connections until the target is open, and reopens the ones the daemon
        # closed, so 1,000 stay pointed at it for the whole phase.
        while time.monotonic() < self.stop_at:
            alive = []
            for s in self.sockets:
                s.setblocking(False)
                try:
                    closed = s.recv(1) == b""
                except BlockingIOError:
                    closed = False
                except OSError:
                    closed = True
                if closed:
                    s.close()
                else:
                    alive.append(s)
            self.sockets = alive
            while len(self.sockets) < self.idle_target and time.monotonic() < self.stop_at:
                try:
                    self.sockets.append(self.connect())
                    self.count("idle_opened")
                except OSError:
                    break
            time.sleep(0.5)

    def slow_client(self):
        while time.monotonic() < self.stop_at:
            try:
                with self.connect() as s:
                    self.count("slow_started")
                    for ch in b"GET /metrics HTTP/1.1\r\nHost: x\r\n":
                        if time.monotonic() >= self.stop_at:
                            return
                        s.sendall(bytes([ch]))
                        time.sleep(1)
            except OSError:
                time.sleep(0.2)

    def oversized_client(self):
        request = (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 65536 + b"\r\n\r\n")
        while time.monotonic() < self.stop_at:
            try:
                with self.connect() as s:
                    s.sendall(request)
                    self.count("oversized_sent")
                    if s.recv(64).startswith(b"HTTP/1.1 431"):
                        self.count("oversized_431")
            except OSError:
                pass

    def scraper(self):
        request = {0: b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
                   1: b"GET /api/status HTTP/1.1\r\nHost: x\r\n\r\n"}
        i = 0
        while time.monotonic() < self.stop_at:
            try:
                with self.connect() as s:
                    while time.monotonic() < self.stop_at:
                        s.sendall(request[i % 2])
                        i += 1
                        if not self.read_response(s):
                            break
                        self.count("scrapes_ok")
            except OSError:
                self.count("scrape_errors")

    @staticmethod
    def read_response(s):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                return False
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        while len(body) < length:
            chunk = s.recv(65536)
            if not chunk:
                return False
            body += chunk
        return head.startswith(b"HTTP/1.1 200")

    def run(self, seconds):
        self.stop_at = time.monotonic() + seconds
        threads = [threading.Thread(target=self.idle_keeper)]
        threads += [threading.Thread(target=self.slow_client) for _ in range(self.slow)]
        threads += [threading.Thread(target=self.oversized_client) for _ in range(self.oversized)]
        threads += [threading.Thread(target=self.scraper) for _ in range(self.scrapers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for s in self.sockets:
            s.close()


def lateness(sim, db, since_ms, until_ms):
    """Per trigger whose slot lies in [since_ms, until_ms): (slot to the daemon sending it,
    as the daemon recorded it; slot to the simulator's receipt)."""
    with sqlite3.connect(db) as c:
        sent = [row[0] - row[1] for row in c.execute(
            "SELECT last_sent_at, slot * 1000 FROM runs WHERE slot * 1000 >= ? "
            "AND slot * 1000 < ? AND last_sent_at IS NOT NULL", (since_ms, until_ms))]
    received = []
    for r in sim.requests():
        if r["method"] != "POST" or not r["target"].endswith("/ExecutionRequest"):
            continue
        slot = r["received_at_ms"] // 1000 * 1000
        if since_ms <= slot < until_ms:
            received.append(r["received_at_ms"] - slot)
    return sent, received


def describe(name, late):
    if not late:
        return f"{name:<24} no triggers"
    return (f"{name:<24} {len(late):>5} triggers  p50 {quantile(late, 0.5):>3} ms  "
            f"p99 {quantile(late, 0.99):>3} ms  max {max(late):>3} ms")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--binary", default="build/boomi-sched")
    p.add_argument("--jobs", type=int, default=5, help="jobs firing every second")
    p.add_argument("--seconds", type=int, default=30, help="length of each phase")
    p.add_argument("--idle", type=int, default=1000, help="idle connections held open")
    p.add_argument("--slow", type=int, default=20, help="clients sending a byte a second")
    p.add_argument("--oversized", type=int, default=4, help="clients sending 64 KiB headers")
    p.add_argument("--scrapers", type=int, default=4, help="clients scraping back to back")
    args = p.parse_args()
    binary = os.path.abspath(args.binary)
    with tempfile.TemporaryDirectory(prefix="bench-listener-") as workdir:
        sim = Sim(binary, workdir)
        port = free_port()
        daemon = Daemon(binary, write_config(workdir, sim, args.jobs, port), workdir)
        time.sleep(2)  # the first slots after start-up are not part of either phase
        quiet_from = (int(time.time()) + 1) * 1000
        time.sleep(args.seconds + 1)
        quiet_to = loaded_from = (int(time.time()) + 1) * 1000
        time.sleep(max(0.0, loaded_from / 1000 - time.time()))
        load = Load(port, args.idle, args.slow, args.oversized, args.scrapers)
        load.run(args.seconds)
        loaded_to = int(time.time()) * 1000
        time.sleep(2)
        code, _ = daemon.stop()
        db = os.path.join(workdir, "state.db")
        quiet, loaded = lateness(sim, db, quiet_from, quiet_to), lateness(sim, db, loaded_from, loaded_to)
        sim.stop()
    print(f"{args.jobs} jobs every second, {args.seconds} s per phase; daemon exit {code}")
    print("lateness, slot to trigger sent (the daemon's record):")
    print(describe("  quiet", quiet[0]))
    print(describe("  loaded", loaded[0]))
    print("lateness, slot to the simulator's receipt:")
    print(describe("  quiet", quiet[1]))
    print(describe("  loaded", loaded[1]))
    print("load: " + ", ".join(f"{k} {v}" for k, v in load.counts.items()))


if __name__ == "__main__":
    main()
