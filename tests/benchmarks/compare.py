"""The learner pages' throughput and the funder dashboard at another commit beside this
checkout's, measured alike, in the same minutes.

    python -m tests.benchmarks.compare <commit> [--size 1000] [--rounds 5] [--seconds 5]

Issue 21 asks for `make bench` before and after its changes, side by side, and no learner page
losing more than a tenth of its throughput ratio or gaining more than a tenth of worker CPU
time per request; issue 20 asks the same pages not to go backwards from the figures of the
code it was filed on. On a shared virtual machine the speed of the same code drifts by more
than that within minutes (the trivial view went from 899 to 1,272 requests a second between
two runs ten minutes apart), so two `make bench` runs, or two runs one after the other,
cannot tell a loss of a tenth from the machine. This runs both code trees at once, each in
its own gunicorn (2 workers, on the server's core) started by *this* checkout's measure.py
(`--only serve`), and loads them with wrk (on its own core) in short windows taken in turn,
page by page, tree by tree, round after round, so that a drift of the machine touches both
alike. For each round it keeps every page's throughput ratio to the trivial view of the same
tree and round, and the workers' CPU time per request read from /proc; it prints the median
and the spread over the rounds, and the change of the medians. The funder dashboard
(bench_dashboard.py: cold, warm p95, peak memory) is taken after, in turn, in each tree; the
statement endpoint's writers are compared by bench_statements.py itself.

The other commit is checked out in bench-data/compare/<commit>/ (a detached git worktree)
with this checkout's tests/benchmarks/ copied over its own (the measurement is the same, the
code measured is that commit's), and gets its own benchmark database,
pasapas_bench_<size>_at_<commit>, built by that commit's own migrations and seed_demo
(run.py's prepare(), reused while its demo builder's version matches).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.benchmarks import cores
from tests.benchmarks.load import WRK_CONNECTIONS, children_cpu_seconds, wrk
from tests.benchmarks.run import DATA, ROOT, postgres_server, prepare

HARNESS = Path("tests") / "benchmarks"
TRIVIAL = "trivial view"


def git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def tree_checkout(commit: str) -> Path:
    """The other commit in a worktree of its own, measured by this checkout's harness."""
    tree = DATA / "compare" / commit
    if not (tree / "manage.py").exists():
        tree.parent.mkdir(parents=True, exist_ok=True)
        git("worktree", "add", "--force", "--detach", str(tree), commit)
    for source in (ROOT / HARNESS).glob("*.py"):
        shutil.copy2(source, tree / HARNESS / source.name)
    # The H5P player is served from node_modules (STATICFILES_DIRS): the same pinned package.
    if not (tree / "node_modules").exists():
        (tree / "node_modules").symlink_to(ROOT / "node_modules")
    return tree


class Served:
    """One tree's gunicorn, started by its copy of measure.py, with the pages to load."""

    def __init__(self, tree: Path, env: dict, size: int):
        self.process = subprocess.Popen(
            [sys.executable, str(tree / HARNESS / "measure.py"), str(size), "--only", "serve"],
            cwd=tree,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"measure.py --only serve did not start in {tree}")
        serving = json.loads(line)
        self.port, self.pid = serving["port"], serving["pid"]
        self.cookie, self.pages = serving["cookie"], serving["pages"]

    def load(self, path: str, seconds: float) -> tuple[int, float, float]:
        """(requests answered, seconds, workers' CPU seconds) of one wrk window."""
        cpu_before = children_cpu_seconds(self.pid)
        ok, failed, elapsed = wrk(self.port, path, self.cookie, seconds)
        if failed:
            raise SystemExit(f"{failed} answers were not 2xx/3xx for {path}")
        return ok, elapsed, children_cpu_seconds(self.pid) - cpu_before

    def stop(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=120)


def interleaved(servers: dict, rounds: int, seconds: float) -> dict:
    """{tree: {page: [(ratio to the trivial view, CPU ms per request) per round]}}.

    Pages are matched by their place in the list (a step's number may differ between trees)
    and named as in the last tree's list."""
    keys = list(servers)
    paths = {key: list(server.pages.values()) for key, server in servers.items()}
    names = list(servers[keys[-1]].pages)
    if len({len(tree_paths) for tree_paths in paths.values()}) != 1:
        raise SystemExit(f"The trees list different pages: {paths}")
    for key in keys:  # both workers of both servers warm for every page
        for path in paths[key]:
            servers[key].load(path, 1.0)
    results = {key: {name: [] for name in names} for key in keys}
    for number in range(rounds):
        windows = {key: [] for key in keys}
        for position in range(len(names)):
            order = keys if (number + position) % 2 == 0 else keys[::-1]
            for key in order:
                windows[key].append(servers[key].load(paths[key][position], seconds))
        for key in keys:
            trivial_rate = windows[key][0][0] / windows[key][0][1]
            for name, (ok, elapsed, cpu) in zip(names, windows[key], strict=True):
                results[key][name].append(
                    {
                        "ratio": ok / elapsed / trivial_rate,
                        "rate": ok / elapsed,
                        "cpu_ms": 1000 * cpu / ok,
                    }
                )
        print(
            f"-- round {number + 1}: "
            + "; ".join(
                f"{key}: trivial {results[key][TRIVIAL][-1]['rate']:,.0f} req/s, ratios "
                + ", ".join(f"{results[key][name][-1]['ratio']:.3f}" for name in names[1:])
                for key in keys
            ),
            flush=True,
        )
    return results


def dashboard_figures(tree: Path, env: dict, size: int) -> dict:
    result = subprocess.run(
        [sys.executable, str(tree / HARNESS / "bench_dashboard.py"), str(size)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode:
        raise SystemExit(f"bench_dashboard.py failed in {tree}:\n{result.stderr[-3000:]}")
    figures = {}
    for row in json.loads(result.stdout.strip().splitlines()[-1]):
        for start, field in (
            ("funder dashboard, one year: cold", "cold s"),
            ("funder dashboard, one year: warm", "warm p95 s"),
            ("funder dashboard: peak memory", "peak MB"),
        ):
            if row["name"].startswith(start):
                figures[field] = row["value"]
    return figures


def spread(values: list[float], digits: int = 3) -> str:
    return (
        f"{statistics.median(values):,.{digits}f} "
        f"({min(values):,.{digits}f}–{max(values):,.{digits}f})"
    )


def paired_change(values: dict, before: str, after: str) -> str:
    """after / before - 1 within each round (windows a few seconds apart): median (min to max)."""
    changes = [
        (new - old) / old * 100 for old, new in zip(values[before], values[after], strict=True)
    ]
    return f"{statistics.median(changes):+.1f} % ({min(changes):+.1f} to {max(changes):+.1f})"


def report(labels: dict, pages: dict, dashboards: dict) -> str:
    before, after = labels
    lines = [
        "| page | figure | "
        + " | ".join(f"{label}: median (min–max)" for label in labels.values())
        + " | change, round by round: median (min to max) |",
        "|---|---|---|---|---|",
    ]
    for name in pages[after]:
        rows = [("rate", "req/s (higher is better)", 0)]
        if name != TRIVIAL:
            rows.insert(0, ("ratio", "ratio to the trivial view (higher is better)", 3))
        rows.append(("cpu_ms", "worker CPU ms per request (lower is better)", 2))
        for field, label, digits in rows:
            values = {key: [run[field] for run in pages[key][name]] for key in labels}
            lines.append(
                f"| {name} | {label} | "
                + " | ".join(spread(values[key], digits) for key in labels)
                + f" | {paired_change(values, before, after)} |"
            )
    for field in ("cold s", "warm p95 s", "peak MB"):
        values = {key: [run[field] for run in dashboards[key]] for key in labels}
        lines.append(
            f"| funder dashboard, one year | {field} (lower is better) | "
            + " | ".join(spread(values[key]) for key in labels)
            + f" | {paired_change(values, before, after)} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("commit", help="the commit to measure beside this checkout")
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0, help="of each wrk window")
    options = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: `make wrk` installs it.")
    commit = git("rev-parse", "--short=12", options.commit)
    here = git("rev-parse", "--short=12", "HEAD") + (
        " + changes" if git("status", "--short") else ""
    )
    server = postgres_server()
    tree = tree_checkout(commit)
    print(f"== {commit} in {tree}; this checkout at {here}", flush=True)
    envs = {
        commit: prepare(options.size, server, root=tree, label=f"at_{commit}")[0],
        "here": prepare(options.size, server)[0],
    }
    trees = {commit: tree, "here": ROOT}
    labels = {commit: f"before ({commit})", "here": f"after ({here})"}
    load_at_start = os.getloadavg()[0]
    started = time.monotonic()
    servers = {}
    try:
        for key in labels:  # one after the other: workers loading at once slow each other
            servers[key] = Served(trees[key], envs[key], options.size)
        pages = interleaved(servers, options.rounds, options.seconds)
    finally:
        for served in servers.values():
            served.stop()
    dashboards = {key: [] for key in labels}
    for number in range(options.rounds):
        for key in list(labels) if number % 2 == 0 else list(labels)[::-1]:
            dashboards[key].append(dashboard_figures(trees[key], envs[key], options.size))
    minutes = (time.monotonic() - started) / 60
    print()
    print(
        f"{options.rounds} rounds of {options.seconds:g} s wrk windows ({WRK_CONNECTIONS} "
        f"connections; {cores.describe()}), both trees in turn, and {options.rounds} dashboard "
        f"runs each, in {minutes:.1f} min; {options.size:,} learners on "
        f"{'PostgreSQL' if server else 'SQLite'}; load average {load_at_start:.1f} at the "
        f"start, {os.getloadavg()[0]:.1f} at the end ({os.cpu_count()} cores)"
    )
    print(report(labels, pages, dashboards))


if __name__ == "__main__":
    main()
