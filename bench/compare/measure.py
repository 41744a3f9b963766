"""Resource figures of a process tree, read from /proc (Linux only).

CPU is utime+stime of the root plus cutime+cstime (children it has reaped, recursively: cron
waits for its jobs, so a drained cron carries all of them) plus utime+stime of descendants
still alive. Wake-ups are voluntary + involuntary context switches summed over every thread of
the tree. Resident memory is sampled (sum over the tree) every 50 ms; the peak is the larger of
that and the root's VmHWM.
"""
import os
import threading
import time

_TICK = os.sysconf("SC_CLK_TCK")


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def _stat_fields(pid):
    text = _read(f"/proc/{pid}/stat")
    if not text:
        return None
    # Fields after the ")" closing the command name; index 0 is field 3 (state).
    return text[text.rindex(")") + 2:].split()


def descendants(root):
    """Every live pid below `root` (not root itself)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(entry)
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cpu_seconds(root):
    """CPU time of the tree so far, in seconds (see module doc)."""
    total = 0
    fields = _stat_fields(root)
    if fields:
        total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    for pid in descendants(root):
        f = _stat_fields(pid)
        if f:
            total += int(f[11]) + int(f[12])
    return total / _TICK


def _status_value(text, key):
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def context_switches(root):
    """Voluntary + involuntary context switches of every thread in the tree."""
    total = 0
    for pid in [root] + descendants(root):
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            text = _read(f"/proc/{pid}/task/{tid}/status")
            total += _status_value(text, "voluntary_ctxt_switches")
            total += _status_value(text, "nonvoluntary_ctxt_switches")
    return total


def rss_kib(root):
    return sum(_status_value(_read(f"/proc/{pid}/status"), "VmRSS")
               for pid in [root] + descendants(root))


class PeakRss:
    """Samples the tree's resident memory in a thread until stop(); peak in KiB."""

    def __init__(self, root, interval=0.05):
        self.root, self.interval, self.peak = root, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_kib(self.root))
            self._stop.wait(self.interval)

    def stop(self):
        self._stop.set()
        self._thread.join()
        hwm = _status_value(_read(f"/proc/{self.root}/status"), "VmHWM")
        self.peak = max(self.peak, hwm)
        return self.peak


def wait_until(instant):
    """Sleeps until the wall clock reaches `instant` (seconds since the epoch)."""
    while True:
        left = instant - time.time()
        if left <= 0:
            return
        time.sleep(min(left, 0.5))
