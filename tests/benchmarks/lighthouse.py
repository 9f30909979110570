"""Lighthouse 13's mobile profile on a page: its largest contentful paint (issue 20).

Lighthouse 13 needs Node.js 22.19 or newer: both are pinned in tests/benchmarks/lighthouse/
(package.json and package-lock.json; `make bench` installs them there, never on a server),
and the Node.js of Debian is not used. It drives Debian's Chromium (CHROME_PATH), headless.
The default profile is Lighthouse's mobile one: a phone's screen, its network and CPU
simulated (150 ms round trips, 1.6 Mbit/s, a CPU 4 times slower).

No Django here: measure.py uses it.
"""

import json
import os
import statistics
import subprocess
from pathlib import Path

from tests.benchmarks.weigh import CHROMIUM

TOOLS = Path(__file__).resolve().parent / "lighthouse"
NODE = TOOLS / "node_modules" / "node" / "bin" / "node"
CLI = TOOLS / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"


def missing() -> str:
    """Why Lighthouse cannot run here ("" when it can)."""
    if not NODE.exists() or not CLI.exists():
        return (
            f"Lighthouse is not installed in {TOOLS}: `make lighthouse` (or `make bench`) "
            "installs it."
        )
    if not Path(CHROMIUM).exists():
        return "Debian's Chromium is missing: `make chromium` installs it."
    return ""


def version() -> str:
    return subprocess.run(
        [str(NODE), str(CLI), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()


def audit(url: str, *, cookie: str = "", timeout: float = 180) -> dict:
    """One Lighthouse run (performance only, mobile profile) of `url`: its audits.

    `cookie` is sent with every request (a signed-in learner's session)."""
    command = [
        str(NODE),
        str(CLI),
        url,
        "--only-categories=performance",
        "--output=json",
        "--output-path=stdout",
        "--quiet",
        f"--chrome-flags={CHROME_FLAGS}",
    ]
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "CHROME_PATH": CHROMIUM},
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"Lighthouse failed on {url}: {result.stderr[-2000:]}")
    report = json.loads(result.stdout)
    if report.get("runtimeError"):
        raise RuntimeError(f"Lighthouse on {url}: {report['runtimeError']}")
    final = report.get("finalDisplayedUrl") or report.get("finalUrl", "")
    if final.split("?")[0] != url.split("?")[0]:
        raise RuntimeError(f"Lighthouse on {url} ended at {final} (not signed in?)")
    return report["audits"]


def largest_contentful_paint(url: str, *, cookie: str = "", runs: int = 3) -> float:
    """The median of `runs` Lighthouse mobile runs' largest contentful paint, in seconds."""
    values = []
    for _run in range(runs):
        lcp = audit(url, cookie=cookie)["largest-contentful-paint"]["numericValue"]
        values.append(lcp / 1000)
    return statistics.median(values)
