"""`make bench`: build demo data at several sizes in a separate database and measure.

Writes docs/benchmarks.json (one object per figure) and docs/benchmarks.md, and prints the
table. Times are medians of several runs, given with a baseline measured in the same run.
Run with: python -m tests.benchmarks.run [--sizes 1000,10000]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "bench-data"


def figure(name, size, value, unit, *, baseline=None, target="", met=None):
    ratio = round(value / baseline, 3) if baseline else None
    return {
        "name": name,
        "size": size,
        "value": round(value, 4) if isinstance(value, float) else value,
        "unit": unit,
        "baseline": round(baseline, 4) if isinstance(baseline, float) else baseline,
        "ratio": ratio,
        "target": target,
        "met": met,
    }


def median_seconds(function, runs: int = 7) -> float:
    function()  # warm caches, as a second visitor would
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def prepare(size: int) -> dict:
    """A database of `size` learners, built once and kept in bench-data/."""
    DATA.mkdir(exist_ok=True)
    database = DATA / f"bench-{size}.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lms.settings.dev",
        "SQLITE_PATH": str(database),
        "MEDIA_ROOT": str(DATA / "media"),
        "STATIC_ROOT": str(DATA / "static"),
        "DEBUG": "0",
        "SERVE_MEDIA": "1",
    }
    env.pop("DATABASE_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    if not database.exists():
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)
        started = time.perf_counter()
        subprocess.run(
            [*manage, "seed_demo", "--learners", str(size), "--force"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(f"  seeded {size} learners in {time.perf_counter() - started:.0f} s", flush=True)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], env=env, check=True)
    return env


def run_size(size: int) -> list[dict]:
    env = prepare(size)
    script = ROOT / "tests" / "benchmarks" / "measure.py"
    result = subprocess.run(
        [sys.executable, str(script), str(size)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    sys.stderr.write(result.stderr)
    return json.loads(result.stdout)


def run_import() -> list[dict]:
    """Importing 10,000 learners against a plain bulk_create, in a database of its own."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lms.settings.dev",
        "SQLITE_PATH": str(DATA / "import.sqlite3"),
        "DEBUG": "0",
    }
    env.pop("DATABASE_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)
    code = "import json; from tests.benchmarks.bench_import import run; print(json.dumps(run()))"
    result = subprocess.run(
        [*manage, "shell", "-v0", "-c", code], env=env, check=True, capture_output=True, text=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def report(results: list[dict]) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Measured by `make bench` on this project's 2-core machine. Times are medians; a ratio",
        "compares a figure with a baseline measured in the same run.",
        "",
        "| figure | learners | value | baseline | ratio | target | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        met = {True: "yes", False: "**no**", None: "–"}[r["met"]]
        baseline = "–" if r["baseline"] is None else f"{r['baseline']} {r['unit']}"
        ratio = "–" if r["ratio"] is None else r["ratio"]
        lines.append(
            f"| {r['name']} | {r['size']} | {r['value']} {r['unit']} | {baseline} | {ratio} | {r['target']} | {met} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES", "1000,10000"))
    args = parser.parse_args()
    results = []
    for size in [int(s) for s in args.sizes.split(",") if s]:
        print(f"== {size} learners", flush=True)
        results += run_size(size)
    print("== import of 10,000 learners", flush=True)
    results += run_import()
    docs = ROOT / "docs"
    (docs / "benchmarks.json").write_text(json.dumps(results, indent=2) + "\n")
    text = report(results)
    (docs / "benchmarks.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
