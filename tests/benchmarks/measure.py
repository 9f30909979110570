"""Measurements for one prepared database (run by run.py with the right environment).

Prints a JSON list of figures on stdout:
- server time and SQL queries per learner page with the Django test client;
- through gunicorn (2 sync workers, as in production): requests per second for each page
  from a small load generator on loopback (Python threads, a signed-in learner's cookies),
  against the trivial view through the same gunicorn in the same run;
- in headless Chromium: bytes of a first visit, the largest contentful paint of the step
  page under two emulated profiles (CDP network and CPU throttling, not Lighthouse itself),
  the bytes of a repeat visit;
- the peak memory (VmHWM) of the gunicorn workers after all of that.

Run as production runs: with Redis for the cache and the sessions (REDIS_URL, which makes
sessions `cached_db`, lms/settings/base.py) when a Redis server answers at BENCH_REDIS_URL
(database 4 of the local server by default), for the test client and gunicorn alike. Each
benchmark database gets its own key prefix, so cached pages of one never answer for another.
Without Redis (or with BENCH_REDIS_URL empty) the figures are those of a one-server install
with sessions in the database.
"""

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.benchmarks.redis_env import use_redis_as_production

use_redis_as_production()
# The dev settings with the benchmarks' reference views (bench_settings.py).
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.benchmarks.bench_settings"
django.setup()

from django.db import connection  # noqa: E402 (after django.setup)
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from courses.models import ModulePage  # noqa: E402
from lms.accounts.models import User  # noqa: E402
from tests.benchmarks.run import figure, median_seconds  # noqa: E402

SIZE = int(sys.argv[1])
ROOT = Path(__file__).resolve().parents[2]
MEDIA_TYPES = {"Image", "Media", "Font"}  # fonts are counted below with the page weight


# An empty page behind the learner's sign-in (bench_urls.py): the cost every learner page
# pays before its own work (session, user, role), reported beside the pages.
SIGNED_IN_EMPTY = "/bench/apprenant-vide/"
SIGNED_IN_EMPTY_TARGET = "reported: the least any signed-in page costs"


def learner_client() -> tuple[Client, User]:
    client = Client(HTTP_HOST="127.0.0.1")
    learner = User.objects.get(username="apprenant")
    client.force_login(learner)
    return client, learner


def server_figures() -> list[dict]:
    client, _learner = learner_client()
    module = ModulePage.objects.live().get(
        slug="reconnaitre-une-arnaque-par-e-mail", locale__language_code="fr-be"
    )
    pages = {
        "learner step page": f"/apprendre/{module.pk}/etape/2/",
        "Mon parcours": "/mon-parcours/",
        "public catalogue": "/catalogue/",
    }
    assert client.get("/sante/").status_code == 200
    baseline = median_seconds(lambda: client.get("/sante/"))
    results = [figure("trivial view (baseline)", SIZE, baseline * 1000, "ms")]
    assert client.get(SIGNED_IN_EMPTY).status_code == 200
    floor = median_seconds(lambda: client.get(SIGNED_IN_EMPTY))
    results.append(
        figure(
            "signed-in learner, empty view: server time (test client)",
            SIZE,
            floor * 1000,
            "ms",
            baseline=baseline * 1000,
            target=SIGNED_IN_EMPTY_TARGET,
            met=None,
        )
    )
    for name, url in pages.items():
        assert client.get(url).status_code == 200, url
        seconds = median_seconds(lambda url=url: client.get(url))
        results.append(
            figure(
                f"{name}: server time (test client)",
                SIZE,
                seconds * 1000,
                "ms",
                baseline=baseline * 1000,
                target="throughput ≥ 0.5 × trivial view (ratio ≤ 2)",
                met=seconds / baseline <= 2,
            )
        )
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        results.append(
            figure(
                f"{name}: SQL queries",
                SIZE,
                len(queries),
                "queries",
                target="≤ 8",
                met=len(queries) <= 8,
            )
        )
    results += recording_figures(client, module, baseline)
    return results


def recording_figures(client, module, baseline: float) -> list[dict]:
    """The statement endpoint: one step completed per request, each with a new id."""
    import uuid

    url = f"/apprendre/{module.pk}/etape/1/"

    def record():
        response = client.post(
            url, {"statement_id": str(uuid.uuid4())}, HTTP_ACCEPT="application/json"
        )
        assert response.status_code == 200, response.content

    seconds = median_seconds(record, runs=21)
    return [
        figure(
            "recording endpoint: server time per statement (test client)",
            SIZE,
            seconds * 1000,
            "ms",
            baseline=baseline * 1000,
            target="reported as a ratio to the trivial view",
            met=None,
        )
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Seconds of load per page through gunicorn, split into rounds that alternate the pages so
# that a change in the shared machine's load touches every page alike.
THROUGHPUT_SECONDS = float(os.environ.get("BENCH_THROUGHPUT_SECONDS", "10"))
THROUGHPUT_ROUNDS = 2
LOAD_THREADS = 4  # enough to keep 2 sync workers busy while the generator waits on them
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The two profiles of the issue, emulated with CDP (Network.emulateNetworkConditions and
# Emulation.setCPUThrottlingRate), since Lighthouse 12 fails against this Chromium.
PROFILES = {
    "mobile (CDP emulation of Lighthouse's default: 1.6 Mbit/s, 150 ms RTT, 4x CPU)": {
        "down_kbit": 1600,
        "up_kbit": 750,
        "rtt_ms": 150,
        "cpu": 4,
        "target_s": 2.5,
    },
    "slow 3G (CDP emulation: 400 kbit/s, 400 ms RTT, 4x CPU)": {
        "down_kbit": 400,
        "up_kbit": 400,
        "rtt_ms": 400,
        "cpu": 4,
        "target_s": 4.0,
    },
}
LCP_RUNS = 3
REPEAT_LIMIT = 20_000


class Gunicorn:
    """gunicorn with 2 sync workers on a free loopback port, as production runs it.

    Its environment is this process's: with REDIS_URL when use_redis_as_production() set it.
    """

    def __init__(self):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "lms.wsgi:application",
                "-w",
                "2",
                "-b",
                f"127.0.0.1:{self.port}",
            ],
            cwd=ROOT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.benchmarks.bench_settings"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def __enter__(self):
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        # Workers load the application on their first request: on a busy machine that takes
        # a while, and it is not what is measured here.
        for _ in range(4):
            urllib.request.urlopen(f"{self.base}/sante/", timeout=180).read()  # noqa: S310
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def worker_peaks_mb(self) -> list[float]:
        """Peak resident memory (VmHWM) of each worker, the master's children."""
        import psutil

        peaks = []
        for child in psutil.Process(self.process.pid).children():
            for line in Path(f"/proc/{child.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return peaks


def learner_cookie() -> str:
    """The cookies a returning learner's browser sends: the session (stored where gunicorn
    reads sessions) and the CSRF cookie that the first page with a form set. Without the
    latter each page would make a new CSRF secret and send it back, as only a first visit
    does."""
    client, _learner = learner_client()
    client.get("/mon-parcours/")
    return "; ".join(f"{name}={client.cookies[name].value}" for name in ("sessionid", "csrftoken"))


def load(port: int, path: str, cookie: str, seconds: float) -> tuple[int, int, float]:
    """GET `path` from LOAD_THREADS threads for `seconds`: (answers 200, others, seconds).

    Keep-alive when the server offers it; gunicorn's sync workers close each connection,
    so the generator then connects again, as browsers do.
    """
    headers = {"Cookie": cookie, "Accept-Encoding": "gzip", "Host": f"127.0.0.1:{port}"}
    done = [0] * LOAD_THREADS
    failed = [0] * LOAD_THREADS
    stop = time.perf_counter() + seconds

    def run(index: int):
        conn = None
        while time.perf_counter() < stop:
            try:
                conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    done[index] += 1
                else:
                    failed[index] += 1
                if response.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                failed[index] += 1
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(LOAD_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done), sum(failed), time.perf_counter() - started


def throughput_figures(server: Gunicorn, pages: dict) -> list[dict]:
    """Requests per second through gunicorn, each page beside the trivial view."""
    cookie = learner_cookie()
    urls = {"trivial view": "/sante/", "signed-in learner, empty view": SIGNED_IN_EMPTY, **pages}
    for path in urls.values():  # both workers warm for every page
        load(server.port, path, cookie, 1.0)
    totals = {name: [0, 0, 0.0] for name in urls}
    for _round in range(THROUGHPUT_ROUNDS):
        for name, path in urls.items():
            ok, failed, seconds = load(
                server.port, path, cookie, THROUGHPUT_SECONDS / THROUGHPUT_ROUNDS
            )
            totals[name][0] += ok
            totals[name][1] += failed
            totals[name][2] += seconds
    rates = {name: ok / seconds for name, (ok, _failed, seconds) in totals.items()}
    results = [
        figure(
            "trivial view through gunicorn, 2 workers (baseline)",
            SIZE,
            rates["trivial view"],
            "req/s",
        ),
        figure(
            "signed-in learner, empty view: throughput through gunicorn, 2 workers",
            SIZE,
            rates["signed-in learner, empty view"],
            "req/s",
            baseline=rates["trivial view"],
            target=SIGNED_IN_EMPTY_TARGET,
            met=None,
        ),
    ]
    for name in pages:
        failed = totals[name][1]
        results.append(
            figure(
                f"{name}: throughput through gunicorn, 2 workers"
                + (f" ({failed} answers not 200)" if failed else ""),
                SIZE,
                rates[name],
                "req/s",
                baseline=rates["trivial view"],
                target="≥ 0.5 × trivial view (ratio ≥ 0.5)",
                met=failed == 0 and rates[name] >= 0.5 * rates["trivial view"],
            )
        )
    return results


def memory_figures(server: Gunicorn) -> list[dict]:
    peaks = server.worker_peaks_mb()
    return [
        figure(
            "gunicorn worker peak memory (VmHWM) after the run",
            SIZE,
            max(peaks) if peaks else 0.0,
            "MB",
            target="< 300 MB",
            met=bool(peaks) and max(peaks) < 300,
        )
    ]


def browser_figures(base: str) -> list[dict]:
    """Bytes transferred as Chromium sees them (gzip on, media excluded), through gunicorn."""
    from playwright.sync_api import sync_playwright

    module = ModulePage.objects.live().get(
        slug="reconnaitre-une-arnaque-par-e-mail", locale__language_code="fr-be"
    )
    step_path = f"/apprendre/{module.pk}/etape/2/"
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-BE")
        context.set_default_timeout(120_000)
        page = context.new_page()
        page.goto(f"{base}/c/demo-apprenant-carte/")
        page.fill("#pin", "1234")
        page.click("button[type=submit]")
        page.wait_for_url("**/mon-parcours/")
        signed_in = context.storage_state()

        def fresh_context():
            fresh = browser.new_context(
                viewport={"width": 360, "height": 740}, locale="fr-BE", storage_state=signed_in
            )
            fresh.set_default_timeout(120_000)
            return fresh

        for name, path, limit in (
            ("public catalogue", "/catalogue/", 100_000),
            ("learner step page", step_path, 50_000),
            ("Mon parcours", "/mon-parcours/", 50_000),
        ):
            fresh = fresh_context()
            measured = weigh(fresh, base + path)
            results.append(
                figure(
                    f"{name}: bytes transferred (first visit, gzip, media excluded)",
                    SIZE,
                    measured["bytes"],
                    "B",
                    target=f"≤ {limit // 1000} KB",
                    met=measured["bytes"] <= limit,
                )
            )
            results.append(
                figure(
                    f"{name}: JavaScript transferred",
                    SIZE,
                    measured["js"],
                    "B",
                    target="≤ 20 KB",
                    met=measured["js"] <= 20_000,
                )
            )
            results.append(
                figure(
                    f"{name}: requests to another host",
                    SIZE,
                    measured["foreign"],
                    "requests",
                    target="0",
                    met=measured["foreign"] == 0,
                )
            )
            fresh.close()
        for label, profile in PROFILES.items():
            paints = []
            for _run in range(LCP_RUNS):
                fresh = fresh_context()  # an empty HTTP cache: a first visit each time
                paints.append(largest_contentful_paint(fresh, base + step_path, profile))
                fresh.close()
            seconds = statistics.median(paints)
            results.append(
                figure(
                    f"learner step page: largest contentful paint, {label}, first visit",
                    SIZE,
                    seconds,
                    "s",
                    target=f"< {profile['target_s']} s",
                    met=seconds < profile["target_s"],
                )
            )
        fresh = fresh_context()
        repeat = repeat_visit_bytes(fresh, base + step_path)
        fresh.close()
        results.append(
            figure(
                "learner step page: bytes transferred on a repeat visit (everything, media too)",
                SIZE,
                repeat,
                "B",
                target="< 20 KB",
                met=repeat < REPEAT_LIMIT,
            )
        )
        browser.close()
    return results


LCP_SCRIPT = """() => new Promise(resolve => {
  new PerformanceObserver(list => {
    const entries = list.getEntries();
    resolve(entries[entries.length - 1].startTime);
  }).observe({type: "largest-contentful-paint", buffered: true});
  setTimeout(() => resolve(null), 5000);
})"""


def largest_contentful_paint(context, url: str, profile: dict) -> float:
    """Seconds from navigation start to the largest contentful paint, throttled."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": profile["rtt_ms"],
            "downloadThroughput": profile["down_kbit"] * 1000 / 8,
            "uploadThroughput": profile["up_kbit"] * 1000 / 8,
        },
    )
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": profile["cpu"]})
    page.goto(url, wait_until="load")
    start = page.evaluate(LCP_SCRIPT)
    page.close()
    if start is None:
        raise RuntimeError(f"no largest-contentful-paint entry for {url}")
    return start / 1000


def repeat_visit_bytes(context, url: str) -> int:
    """Bytes of a second visit in the same browser (HTTP cache on), everything counted."""
    page = context.new_page()
    page.goto(url, wait_until="networkidle")
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    sizes = {}
    cdp.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]),
    )
    page.goto(url, wait_until="networkidle")
    page.close()
    return sum(sizes.values())


def weigh(context, url: str) -> dict:
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    kinds, sizes, hosts = {}, {}, {}
    cdp.on("Network.responseReceived", lambda e: kinds.__setitem__(e["requestId"], e["type"]))
    cdp.on(
        "Network.requestWillBeSent",
        lambda e: hosts.__setitem__(e["requestId"], e["request"]["url"]),
    )
    cdp.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]),
    )
    page.goto(url, wait_until="networkidle")
    origin = url.split("/", 3)[:3]
    total = sum(size for rid, size in sizes.items() if kinds.get(rid) not in {"Image", "Media"})
    js = sum(size for rid, size in sizes.items() if kinds.get(rid) == "Script")
    foreign = sum(
        1 for u in hosts.values() if u.split("/", 3)[:3] != origin and not u.startswith("data:")
    )
    page.close()
    return {"bytes": total, "js": js, "foreign": foreign}


if __name__ == "__main__":
    figures = server_figures()
    module = ModulePage.objects.live().get(
        slug="reconnaitre-une-arnaque-par-e-mail", locale__language_code="fr-be"
    )
    with Gunicorn() as server:
        figures += throughput_figures(
            server,
            {
                "learner step page": f"/apprendre/{module.pk}/etape/2/",
                "Mon parcours": "/mon-parcours/",
                "public catalogue": "/catalogue/",
            },
        )
        figures += browser_figures(server.base)
        figures += memory_figures(server)
    print(json.dumps(figures))
