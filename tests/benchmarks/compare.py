"""The learner pages' throughput at another commit beside this checkout's, measured alike.

    python -m tests.benchmarks.compare <commit> [--size 1000] [--rounds 3]

Issue 21 asks for `make bench` before and after its changes, side by side, and no learner page
losing more than a tenth of its throughput ratio or gaining more than a tenth of worker CPU
time per request; issue 20 asks the same pages not to go backwards from the figures of the
code it was filed on. Two `make bench` runs taken hours apart differ by more than that on a
shared machine, and the older commit's own bench measured otherwise (a Python load generator
on the server's cores, issue 20). So this runs *this* checkout's measurement (measure.py
`--only throughput`: wrk on a core of its own, gunicorn with 2 workers on the other, the
workers' CPU time read from /proc) against both code trees in the same minutes, alternating
them (A B, B A, A B …) so that a change in the machine's load touches both alike, and prints
each run and, per page, the median and the spread of both ratios.

The other commit is checked out in bench-data/compare/<commit>/ (a detached git worktree)
with this checkout's tests/benchmarks/ copied over its own, and gets its own benchmark
database, pasapas_bench_<size>_at_<commit>, built by that commit's own migrations and
seed_demo (run.py's prepare(), reused while its demo builder's version matches).
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
from tests.benchmarks.run import DATA, ROOT, postgres_server, prepare

HARNESS = Path("tests") / "benchmarks"


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


def throughput_run(tree: Path, env: dict, size: int) -> list[dict]:
    result = subprocess.run(
        [sys.executable, str(tree / HARNESS / "measure.py"), str(size), "--only", "throughput"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode:
        raise SystemExit(f"measure.py failed in {tree}:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def page_ratios(figures: list[dict]) -> dict:
    """{page: (throughput ratio, CPU ms per request, CPU ratio)}, and the trivial view's req/s."""
    pages = {}
    trivial = None
    for row in figures:
        name = row["name"]
        if name.startswith("trivial view through gunicorn"):
            trivial = row["value"]
        elif ": throughput through gunicorn" in name:
            pages.setdefault(name.split(":")[0], {})["throughput"] = row["ratio"]
        elif ": worker CPU time per request" in name and not name.startswith("trivial"):
            page = pages.setdefault(name.split(":")[0], {})
            page.update(cpu_ms=row["value"], cpu=row["ratio"])
    return {"trivial": trivial, "pages": pages}


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} ({min(values):.3f}–{max(values):.3f})"


def report(labels: dict, runs: dict) -> str:
    before, after = labels
    lines = [
        "| page | figure | "
        + " | ".join(f"{labels[key]}: median (min–max)" for key in labels)
        + " | change of the median |",
        "|---|---|---|---|---|",
    ]
    trivial = {key: [run["trivial"] for run in runs[key]] for key in labels}
    lines.append(
        "| trivial view | req/s | "
        + " | ".join(
            f"{statistics.median(trivial[key]):,.0f} ({min(trivial[key]):,.0f}–"
            f"{max(trivial[key]):,.0f})"
            for key in labels
        )
        + " | |"
    )
    for page in runs[after][0]["pages"]:
        for field, label, better in (
            ("throughput", "throughput ratio", "higher"),
            ("cpu", "CPU ratio (trivial's CPU / page's)", "higher"),
            ("cpu_ms", "worker CPU ms per request", "lower"),
        ):
            values = {key: [run["pages"][page][field] for run in runs[key]] for key in labels}
            old, new = (statistics.median(values[key]) for key in (before, after))
            change = (new - old) / old * 100 if old else 0.0
            lines.append(
                f"| {page} | {label} ({better} is better) | "
                + " | ".join(spread(values[key]) for key in labels)
                + f" | {change:+.1f} % |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("commit", help="the commit to measure beside this checkout")
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each tree")
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
    runs = {key: [] for key in labels}
    load_at_start = os.getloadavg()[0]
    started = time.monotonic()
    for number in range(options.rounds):
        order = list(labels) if number % 2 == 0 else list(reversed(labels))
        for key in order:
            figures = page_ratios(throughput_run(trees[key], envs[key], options.size))
            runs[key].append(figures)
            print(f"-- round {number + 1}, {labels[key]}: {json.dumps(figures)}", flush=True)
    minutes = (time.monotonic() - started) / 60
    print()
    print(
        f"{options.rounds} runs of each, alternated, in {minutes:.1f} min; {options.size:,} "
        f"learners on {'PostgreSQL' if server else 'SQLite'}; load average "
        f"{load_at_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end "
        f"({os.cpu_count()} cores)"
    )
    print(report(labels, runs))


if __name__ == "__main__":
    main()
