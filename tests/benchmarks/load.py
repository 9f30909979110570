"""The load generator and the servers' CPU time, without Django: measure.py and compare.py.

wrk runs on the load generator's core and gunicorn on the others (cores.py). gunicorn's sync
workers close each connection; wrk connects again. The workers' CPU time is read from /proc,
a second figure that does not depend on the generator (issue 20).
"""

import os
import re
import subprocess
from pathlib import Path

from tests.benchmarks import cores

WRK_CONNECTIONS = 4  # enough to keep 2 sync workers busy while wrk waits on them


def wrk(port: int, path: str, cookie: str, seconds: float) -> tuple[int, int, float]:
    """GET `path` with wrk for `seconds`, on the load generator's core: (answers 2xx/3xx,
    others, seconds)."""
    pinned = cores.split()
    result = subprocess.run(
        [
            *cores.taskset(pinned[1] if pinned else None),
            "wrk",
            "-t1",
            f"-c{WRK_CONNECTIONS}",
            f"-d{max(1, round(seconds))}s",
            "-H",
            f"Cookie: {cookie}",
            "-H",
            "Accept-Encoding: gzip",
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    out = result.stdout
    total, elapsed = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out).group(1, 2)
    unit = re.search(r"\d+ requests in [\d.]+(m?s)", out).group(1)
    elapsed = float(elapsed) / (1000 if unit == "ms" else 1)
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = int(failed.group(1)) if failed else 0
    # wrk reads a closed connection as a read error, not a failed answer: only connect
    # errors and timeouts are requests that were not answered.
    lost = int(errors.group(1)) + int(errors.group(4)) if errors else 0
    return int(total) - failed, failed + lost, elapsed


def children_cpu_seconds(pid: int) -> float:
    """User and system CPU time the children of `pid` (gunicorn's workers) have used so far."""
    import psutil

    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for child in psutil.Process(pid).children():
        fields = Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / ticks
