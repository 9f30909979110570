"""Which cores the server and the load generator get, so that one does not steal the other's.

A load generator on the server's cores caps what it measures (issue 20: a Python generator on
the same two cores held the trivial view at about 2,000 requests a second where wrk, on a
core of its own, reached 3,600 to 3,800). Where this process may use two cores or more, the
generator gets the last one and the server (gunicorn and its workers) the others, through
`taskset`; on one core both share it, and the figures say so. PostgreSQL and Redis are not
pinned: they run where the system puts them, as they would beside a real server.
"""

import functools
import os
import shutil


@functools.cache
def split() -> tuple[list[int], list[int]] | None:
    """(server cores, generator cores), or None when they cannot be apart.

    Read once: a load generator that pins itself afterwards still starts its server on the
    server's cores."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2 or not shutil.which("taskset"):
        return None
    return cores[:-1], cores[-1:]


def taskset(cores: list[int] | None) -> list[str]:
    """The command prefix that runs a program on `cores` (nothing when not pinned)."""
    return ["taskset", "-c", ",".join(map(str, cores))] if cores else []


def describe() -> str:
    pinned = split()
    if not pinned:
        return "server and load generator on the same cores"
    server, generator = pinned
    return (
        f"server on core {','.join(map(str, server))}, "
        f"load generator on core {','.join(map(str, generator))} (taskset)"
    )
