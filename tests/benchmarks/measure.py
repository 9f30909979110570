"""Measurements for one prepared database (run by run.py with the right environment).

Prints a JSON list of figures on stdout:
- server time and SQL queries per learner page with the Django test client;
- through gunicorn (2 sync workers, as in production): requests per second for each page
  from wrk (a signed-in learner's cookies), against the trivial view through the same
  gunicorn in the same run, wrk and gunicorn on cores of their own where the machine has
  two (cores.py); and the workers' CPU time per request read from /proc, a second figure
  that does not depend on the load generator (issue 20);
- in headless Chromium, every request of the page and of its frames counted (weigh.py; the
  sandboxed H5P frame runs in a process of its own): bytes, JavaScript and requests of a
  first visit and of a repeat visit, for a text step and the H5P step of a module with an
  H5P activity, Mon parcours and the catalogue; then, in a Chromium that keeps sandboxed
  frames in the page's process so that throttling reaches them, the largest contentful
  paint of both steps, the end of their last request and the time the H5P activity is
  drawn, under two emulated profiles (CDP network and CPU throttling), and the largest
  contentful paint of both steps and Mon parcours under Lighthouse 13's own mobile profile
  (lighthouse.py);
- the H5P step's first and repeat visit again with H5P_ORIGIN set, the player on a host name
  of its own (h5p.localhost), where the repeat-visit target is checked;
- the peak memory (VmHWM) of the gunicorn workers after all of that.

Run as production runs: with Redis for the cache and the sessions (REDIS_URL, which makes
sessions `cached_db`, lms/settings/base.py) when a Redis server answers at BENCH_REDIS_URL
(database 4 of the local server by default), for the test client and gunicorn alike. Each
benchmark database gets its own key prefix, so cached pages of one never answer for another.
Without Redis (or with BENCH_REDIS_URL empty) the figures are those of a one-server install
with sessions in the database.
"""

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
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
from tests.benchmarks import cores, lighthouse  # noqa: E402
from tests.benchmarks.load import WRK_CONNECTIONS, children_cpu_seconds, wrk  # noqa: E402
from tests.benchmarks.run import figure, median_seconds  # noqa: E402
from tests.benchmarks.weigh import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    FRAMES_IN_PROCESS,
    Traffic,
    weigh,
)

# The learners in the database measured (run.py passes it first; it only labels the figures).
SIZE = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 0
ROOT = Path(__file__).resolve().parents[2]


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
# The two profiles of the issue, emulated with CDP (Network.emulateNetworkConditions and
# Emulation.setCPUThrottlingRate), so that the H5P frame's own traffic is throttled too and
# the time it is drawn can be read (Lighthouse, below, gives the LCP of its own profile). The
# browser that takes them keeps sandboxed frames in the page's process (FRAMES_IN_PROCESS),
# so that the H5P frame is throttled as the page is.
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
SLOW = next(iter(reversed(PROFILES)))
LIGHTHOUSE_LCP_TARGET_S = 2.5
H5P_INTERACTIVE_TARGET_S = 5.0  # issue 20: the H5P step interactive in < 5 s, slow profile
LCP_RUNS = 3
REPEAT_LIMIT = 20_000
MODULE_SLUG = "reconnaitre-une-arnaque-par-e-mail"  # H5P, quiz, pretend inbox, plain steps


def module_with_h5p() -> ModulePage:
    return ModulePage.objects.live().get(slug=MODULE_SLUG, locale__language_code="fr-be")


def step_paths(module: ModulePage) -> dict:
    """The step pages measured: a text step and the H5P step of the same module."""
    kinds = [step.block_type for step in module.steps]
    text = kinds.index("explanation") + 1
    h5p = kinds.index("h5p") + 1
    return {
        f"learner step page, text step {text} of a module with H5P": (
            f"/apprendre/{module.pk}/etape/{text}/"
        ),
        f"learner step page, H5P step {h5p}": f"/apprendre/{module.pk}/etape/{h5p}/",
    }


def learner_pages() -> dict:
    """The learner pages whose throughput is measured: both steps, Mon parcours, catalogue."""
    return {
        **step_paths(module_with_h5p()),
        "Mon parcours": "/mon-parcours/",
        "public catalogue": "/catalogue/",
    }


def loaded_paths() -> dict:
    """Every page put under load: the two baselines first (the trivial view, then the empty
    page behind the learner's sign-in), then the learner pages."""
    return {
        "trivial view": "/sante/",
        "signed-in learner, empty view": SIGNED_IN_EMPTY,
        **learner_pages(),
    }


# The H5P player's own host name in the H5P_ORIGIN configuration (docs/deploy.md): Chromium
# resolves every *.localhost name to the loopback address, so the same gunicorn answers it.
PLAYER_HOST = "h5p.localhost"


class Gunicorn:
    """gunicorn with 2 sync workers on a free loopback port, as production runs it.

    Its environment is this process's: with REDIS_URL when use_redis_as_production() set it.
    With `player_host`, the site runs with H5P_ORIGIN set to that host name on the same port
    (the configuration docs/deploy.md recommends), under a cache key prefix of its own: the
    cached steps name the player frame's address, which differs between the two.
    """

    def __init__(self, player_host: str = ""):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.player_origin = f"http://{player_host}:{self.port}" if player_host else ""
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.benchmarks.bench_settings"}
        if player_host:
            env |= {
                "H5P_ORIGIN": self.player_origin,
                "SITE_URL": self.base,
                "CACHE_KEY_PREFIX": env.get("CACHE_KEY_PREFIX", "pasapas") + "-h5p-origin",
            }
        pinned = cores.split()
        self.process = subprocess.Popen(
            [
                *cores.taskset(pinned[0] if pinned else None),
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
            env=env,
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

    def workers_cpu_seconds(self) -> float:
        """User and system CPU time the workers have used so far, read from /proc."""
        return children_cpu_seconds(self.process.pid)

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


def throughput_figures(server: Gunicorn) -> list[dict]:
    """Requests per second through gunicorn with wrk, each page beside the trivial view; and
    the workers' CPU time per request (/proc), which does not depend on the generator."""
    cookie = learner_cookie()
    urls = loaded_paths()
    for path in urls.values():  # both workers warm for every page
        wrk(server.port, path, cookie, 1.0)
    totals = {name: [0, 0, 0.0, 0.0] for name in urls}  # ok, failed, seconds, CPU seconds
    for _round in range(THROUGHPUT_ROUNDS):
        for name, path in urls.items():
            cpu_before = server.workers_cpu_seconds()
            ok, failed, seconds = wrk(
                server.port, path, cookie, THROUGHPUT_SECONDS / THROUGHPUT_ROUNDS
            )
            totals[name][0] += ok
            totals[name][1] += failed
            totals[name][2] += seconds
            totals[name][3] += server.workers_cpu_seconds() - cpu_before
    rates = {name: ok / seconds for name, (ok, _failed, seconds, _cpu) in totals.items()}
    cpu_ms = {name: 1000 * cpu / ok for name, (ok, _failed, _seconds, cpu) in totals.items()}
    trivial = rates["trivial view"]
    how = f"wrk, {WRK_CONNECTIONS} connections, {cores.describe()}"
    results = [
        figure(
            f"trivial view through gunicorn, 2 workers (baseline; {how})",
            SIZE,
            trivial,
            "req/s",
        ),
        figure(
            "trivial view: worker CPU time per request (baseline, /proc)",
            SIZE,
            cpu_ms["trivial view"],
            "ms",
        ),
    ]
    for name in urls:
        if name == "trivial view":
            continue
        failed = totals[name][1]
        floor = name == "signed-in learner, empty view"
        results.append(
            figure(
                f"{name}: throughput through gunicorn, 2 workers"
                + (f" ({failed} answers not 2xx)" if failed else ""),
                SIZE,
                rates[name],
                "req/s",
                baseline=trivial,
                target=SIGNED_IN_EMPTY_TARGET if floor else "≥ 0.5 × trivial view (ratio ≥ 0.5)",
                met=None if floor else failed == 0 and rates[name] >= 0.5 * trivial,
            )
        )
        row = figure(
            f"{name}: worker CPU time per request (ratio: the trivial view's CPU time / this "
            f"page's, comparable with the throughput ratio; trivial view {trivial:,.0f} req/s)",
            SIZE,
            cpu_ms[name],
            "ms",
            baseline=cpu_ms["trivial view"],
            target="reported",
        )
        row["ratio"] = round(cpu_ms["trivial view"] / cpu_ms[name], 3) if cpu_ms[name] else None
        results.append(row)
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


VIEWPORT = {"width": 360, "height": 740}


def signed_in_state(browser, base: str) -> dict:
    """The demo learner's cookies after signing in with their card and PIN at `base`."""
    context = browser.new_context(viewport=VIEWPORT, locale="fr-BE")
    context.set_default_timeout(120_000)
    page = context.new_page()
    page.goto(f"{base}/c/demo-apprenant-carte/")
    page.fill("#pin", "1234")
    page.click("button[type=submit]")
    page.wait_for_url("**/mon-parcours/")
    state = context.storage_state()
    context.close()
    return state


def fresh_context(browser, signed_in: dict):
    """A signed-in learner's browser with an empty HTTP cache."""
    fresh = browser.new_context(viewport=VIEWPORT, locale="fr-BE", storage_state=signed_in)
    fresh.set_default_timeout(120_000)
    return fresh


def visit_figures(
    name: str, first: dict, repeat: dict | None, limit: int, js_limit: int | None, *, repeat_met
) -> list[dict]:
    """The rows of a first visit and, when measured, of a repeat visit (weigh.py's counts).

    `repeat_met`: True to check the repeat visit against REPEAT_LIMIT, or the text of the
    target when it is only reported in this configuration."""
    results = [
        figure(
            f"{name}: bytes transferred (first visit, gzip, media excluded, "
            f"{first['requests']} requests, {first['frame_requests']} of them by frames)",
            SIZE,
            first["bytes"],
            "B",
            target=f"≤ {limit // 1000} KB",
            met=first["bytes"] <= limit,
        ),
        figure(
            f"{name}: JavaScript transferred (first visit, frames included)",
            SIZE,
            first["js"],
            "B",
            target=f"≤ {js_limit // 1000} KB" if js_limit else "reported",
            met=first["js"] <= js_limit if js_limit else None,
        ),
        figure(
            f"{name}: requests to another host",
            SIZE,
            first["foreign"],
            "requests",
            target="0",
            met=first["foreign"] == 0,
        ),
    ]
    if repeat is not None:
        checked = repeat_met is True
        results.append(
            figure(
                f"{name}: bytes transferred on a repeat visit (everything, media too, "
                f"{sum(1 for size in repeat['by_url'].values() if size)} requests "
                "not answered from the cache"
                + (", and the offline worker's update check" if repeat.get("worker_check") else "")
                + ")",
                SIZE,
                repeat["bytes_all"],
                "B",
                target=f"< {REPEAT_LIMIT // 1000} KB" if checked else repeat_met,
                met=repeat["bytes_all"] < REPEAT_LIMIT if checked else None,
            )
        )
    return results


def weight_figures(browser, base: str, signed_in: dict, steps: dict) -> list[dict]:
    """First and repeat visits of each page, in a signed-in learner's browser with the
    offline worker (static/js/sw.js) in place, as a learner's is: its script and everything
    it fetches to keep the module are counted with the visit that made it fetch them."""
    text_step, h5p_step = steps
    results = []
    for name, path, limit, js_limit, repeat_met in (
        ("public catalogue", "/catalogue/", 100_000, 20_000, None),
        (text_step, steps[text_step], 50_000, 20_000, True),
        # Without H5P_ORIGIN the frame's origin is opaque and its files are fetched again
        # at each visit: the repeat-visit target is checked on the configuration
        # docs/deploy.md recommends (player_host_figures).
        (
            f"{h5p_step}, embedded default (no H5P_ORIGIN)",
            steps[h5p_step],
            150_000,
            None,
            f"reported (< {REPEAT_LIMIT // 1000} KB is checked with H5P_ORIGIN, below)",
        ),
        ("Mon parcours", "/mon-parcours/", 50_000, 20_000, None),
        # The page the worker shows offline for a page it did not keep; online, as a
        # learner who opens it from a link sees it.
        ("offline page (/hors-ligne/)", "/hors-ligne/", 50_000, 20_000, True),
    ):
        fresh = fresh_context(browser, signed_in)
        first = weigh(fresh, base + path)
        repeat = weigh(fresh, base + path)  # same browser, its HTTP cache filled
        fresh.close()
        worker = first["by_url"].get(f"{base}/sw.js")
        if worker:
            # After a visit the worker controls, the browser checks the worker's script
            # again, past the HTTP cache; it does so once the page has gone, out of
            # Playwright's sight: counted as the first visit's fetch of it (no-cache, no
            # validator: the same bytes), at every repeat visit, an upper bound.
            repeat = {**repeat, "bytes_all": repeat["bytes_all"] + worker, "worker_check": worker}
        results += visit_figures(
            name,
            first,
            repeat if repeat_met else None,
            limit,
            js_limit,
            repeat_met=repeat_met,
        )
    return results


def browser_figures(base: str) -> list[dict]:
    """What Chromium transfers (gzip on), the page and its frames counted (weigh.py)."""
    from playwright.sync_api import sync_playwright

    steps = step_paths(module_with_h5p())
    h5p_step = list(steps)[1]
    with sync_playwright() as playwright:
        # As a learner's Chromium runs: the sandboxed H5P frame in a process of its own.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        signed_in = signed_in_state(browser, base)
        results = weight_figures(browser, base, signed_in, steps)
        browser.close()
        # Throttled: the frame kept in the page's process, so that it is throttled too.
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, FRAMES_IN_PROCESS]
        )
        for label, profile in PROFILES.items():
            for name in steps:
                visits = []
                for _run in range(LCP_RUNS):
                    fresh = fresh_context(browser, signed_in)  # an empty HTTP cache
                    visits.append(
                        throttled_visit(fresh, base + steps[name], profile, h5p=name == h5p_step)
                    )
                    fresh.close()
                seconds = statistics.median(visit["lcp"] for visit in visits)
                results.append(
                    figure(
                        f"{name}: largest contentful paint, {label}, first visit, "
                        "frames throttled too",
                        SIZE,
                        seconds,
                        "s",
                        target=f"< {profile['target_s']} s",
                        met=seconds < profile["target_s"],
                    )
                )
                ends = statistics.median(visit["traffic_end"] for visit in visits)
                results.append(
                    figure(
                        f"{name}: last request of the page and its frames ends, {label}",
                        SIZE,
                        ends,
                        "s",
                        target="reported",
                    )
                )
                if name == h5p_step:
                    drawn = statistics.median(visit["h5p_drawn"] for visit in visits)
                    slow = label == SLOW
                    results.append(
                        figure(
                            f"{name}: H5P activity drawn in its frame, {label}, first visit",
                            SIZE,
                            drawn,
                            "s",
                            target=f"< {H5P_INTERACTIVE_TARGET_S:g} s" if slow else "reported",
                            met=drawn < H5P_INTERACTIVE_TARGET_S if slow else None,
                        )
                    )
        browser.close()
    return results


LIGHTHOUSE_RUNS = 3


def lighthouse_figures(base: str) -> list[dict]:
    """The largest contentful paint under Lighthouse's own mobile profile (lighthouse.py),
    the median of LIGHTHOUSE_RUNS first visits of a signed-in learner."""
    cookie = learner_cookie()
    pages = {**step_paths(module_with_h5p()), "Mon parcours": "/mon-parcours/"}
    how = f"Lighthouse {lighthouse.version()}, mobile profile, median of {LIGHTHOUSE_RUNS}"
    results = []
    for name, path in pages.items():
        seconds = lighthouse.largest_contentful_paint(
            base + path, cookie=cookie, runs=LIGHTHOUSE_RUNS
        )
        results.append(
            figure(
                f"{name}: largest contentful paint ({how})",
                SIZE,
                seconds,
                "s",
                target=f"< {LIGHTHOUSE_LCP_TARGET_S:g} s",
                met=seconds < LIGHTHOUSE_LCP_TARGET_S,
            )
        )
    return results


def player_host_figures(server: Gunicorn) -> list[dict]:
    """The H5P step with H5P_ORIGIN set (the player on a host name of its own, served by the
    same gunicorn): a first visit, and a repeat visit in the same browser, where the frame
    keeps its origin and so the browser's cache of the player's files (issue 20)."""
    from playwright.sync_api import sync_playwright

    steps = step_paths(module_with_h5p())
    _text_step, h5p_step = steps
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        fresh = fresh_context(browser, signed_in_state(browser, server.base))
        url = server.base + steps[h5p_step]
        first = weigh(fresh, url, also=(server.player_origin,))
        repeat = weigh(fresh, url, also=(server.player_origin,))
        fresh.close()
        browser.close()
    player_requests = sum(1 for url in first["by_url"] if url.startswith(server.player_origin))
    if not player_requests:
        raise RuntimeError(f"the H5P frame was not loaded from {server.player_origin}")
    return visit_figures(
        f"{h5p_step}, H5P_ORIGIN={PLAYER_HOST} (the player on its own host, as "
        "docs/deploy.md recommends)",
        first,
        repeat,
        150_000,
        None,
        repeat_met=True,
    )


LCP_SCRIPT = """() => new Promise(resolve => {
  new PerformanceObserver(list => {
    const entries = list.getEntries();
    resolve(entries[entries.length - 1].startTime);
  }).observe({type: "largest-contentful-paint", buffered: true});
  setTimeout(() => resolve(null), 5000);
})"""


def throttled_visit(context, url: str, profile: dict, *, h5p: bool) -> dict:
    """One first visit under `profile`: seconds from the navigation to the largest
    contentful paint, to the end of the last request (the page's and its frames'), and to an
    H5P activity drawn in its frame (`h5p`: the step shown is an H5P step)."""
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
    traffic = Traffic()
    traffic.watch(context)
    started = time.perf_counter()
    page.goto(url, wait_until="load")
    started_player = drawn = None
    if h5p:
        frame = page.frame_locator("iframe[data-h5p-frame]").first
        # h5p-standalone adds .h5p-content once it has read the package's JSON files, before
        # it asks for a single script: the player has started, nothing is drawn yet (the
        # mark this figure used until 2026-12-07, 1 to 2 s early on the slow profile).
        frame.locator(".h5p-content").first.wait_for(state="attached", timeout=60_000)
        started_player = time.perf_counter() - started
        # H5P core attaches the activity inside .h5p-container once the player's and the
        # libraries' scripts have run: from then on it is drawn and the learner can answer.
        frame.locator(".h5p-content .h5p-container > *").first.wait_for(
            state="visible", timeout=60_000
        )
        drawn = time.perf_counter() - started
    start = page.evaluate(LCP_SCRIPT)
    page.wait_for_load_state("networkidle")
    traffic.unwatch(context)
    page.close()
    if start is None:
        raise RuntimeError(f"no largest-contentful-paint entry for {url}")
    return {
        "lcp": start / 1000,
        "traffic_end": traffic.last_end,
        "h5p_started": started_player,
        "h5p_drawn": drawn,
    }


def h5p_slow(runs: int, *, waterfall: bool = False) -> dict:
    """The figure the H5P work is judged on, taken alone: the H5P step drawn in its frame on
    a first visit under the slow profile, `runs` times in a row (the same gunicorn, browser
    flags and throttled_visit as browser_figures), for quick before/after comparisons on a
    shared machine whose load makes single runs noisy. With `waterfall`, each request of the
    last run is printed on stderr: when it started and ended, from the navigation's start."""
    from playwright.sync_api import sync_playwright

    steps = step_paths(module_with_h5p())
    h5p_step = list(steps)[1]
    drawn, started_player = [], []
    with Gunicorn() as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, FRAMES_IN_PROCESS]
        )
        signed_in = signed_in_state(browser, server.base)
        for run in range(runs):
            fresh = fresh_context(browser, signed_in)
            timings = []
            if waterfall and run == runs - 1:
                fresh.on(
                    "requestfinished",
                    lambda request, timings=timings: timings.append(
                        (request.timing, request.sizes()["responseBodySize"], request.url)
                    ),
                )
            visit = throttled_visit(fresh, server.base + steps[h5p_step], PROFILES[SLOW], h5p=True)
            drawn.append(visit["h5p_drawn"])
            started_player.append(visit["h5p_started"])
            print(
                f"run {run + 1}: player started {visit['h5p_started']:.3f} s, "
                f"activity drawn {visit['h5p_drawn']:.3f} s",
                file=sys.stderr,
            )
            fresh.close()
            if timings:
                print_waterfall(timings, server.base)
        browser.close()
    return {
        "figure": f"{h5p_step}: H5P activity drawn in its frame, {SLOW}, first visit",
        "runs": runs,
        "median_s": round(statistics.median(drawn), 3),
        "min_s": round(min(drawn), 3),
        "max_s": round(max(drawn), 3),
        "all_s": [round(seconds, 3) for seconds in drawn],
        "player_started_median_s": round(statistics.median(started_player), 3),
        "player_started_all_s": [round(seconds, 3) for seconds in started_player],
    }


def print_waterfall(requests: list, base: str) -> None:
    """Start and end of each (timing, body size, url) request, in ms from the first one's
    start, in order of start."""
    rows = []
    for timing, size, url in requests:
        start = timing["startTime"]
        rows.append((start, start + max(timing["responseEnd"], 0), size, url.removeprefix(base)))
    first = min(row[0] for row in rows)
    for start, end, size, url in sorted(rows):
        print(f"{start - first:8.0f} {end - first:8.0f} {size:8d}  {url[:110]}", file=sys.stderr)


if __name__ == "__main__" and "--only" in sys.argv:
    # Against the database the environment names (as run.py's prepare() sets it up):
    # `python -m tests.benchmarks.measure --only h5p-slow [--runs 5] [--waterfall]`;
    # `python tests/benchmarks/measure.py 1000 --only serve` (compare.py runs it so).
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("size", nargs="?", help="the learners in the database (a label)")
    parser.add_argument("--only", choices=["h5p-slow", "serve"], required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--waterfall", action="store_true")
    options = parser.parse_args()
    if options.only == "serve":
        # For compare.py: this checkout's gunicorn and what to load it with, until compare.py
        # closes this process's standard input.
        with Gunicorn() as server:
            serving = {"port": server.port, "pid": server.process.pid, "pages": loaded_paths()}
            print(json.dumps({**serving, "cookie": learner_cookie()}), flush=True)
            sys.stdin.read()
    else:
        print(json.dumps(h5p_slow(options.runs, waterfall=options.waterfall)))
elif __name__ == "__main__":
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: `make bench` installs it (apt-get install wrk).")
    if lighthouse.missing():
        raise SystemExit(lighthouse.missing())
    figures = server_figures()
    with Gunicorn() as server:
        figures += throughput_figures(server)
        figures += browser_figures(server.base)
        figures += lighthouse_figures(server.base)
        figures += memory_figures(server)
    with Gunicorn(player_host=PLAYER_HOST) as server:
        figures += player_host_figures(server)
    print(json.dumps(figures))
