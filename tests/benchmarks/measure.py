"""Measurements for one prepared database (run by run.py with the right environment).

Prints a JSON list of figures on stdout.
"""

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
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


def learner_client() -> tuple[Client, User]:
    client = Client(HTTP_HOST="127.0.0.1")
    learner = User.objects.get(username="apprenant")
    client.force_login(learner)
    return client, learner


def server_figures() -> list[dict]:
    client, _learner = learner_client()
    module = ModulePage.objects.live().get(slug="reconnaitre-une-arnaque-par-e-mail")
    pages = {
        "learner step page": f"/apprendre/{module.pk}/etape/2/",
        "Mon parcours": "/mon-parcours/",
        "public catalogue": "/catalogue/",
    }
    assert client.get("/sante/").status_code == 200
    baseline = median_seconds(lambda: client.get("/sante/"))
    results = [figure("trivial view (baseline)", SIZE, baseline * 1000, "ms")]
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


def browser_figures() -> list[dict]:
    """Bytes transferred as Chromium sees them (gzip on, media excluded), through gunicorn."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "lms.wsgi:application",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "lms.settings.dev"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        # Workers load the application on their first request: on a busy machine that takes
        # a while, and it is not what is measured here.
        for _ in range(4):
            urllib.request.urlopen(f"{base}/sante/", timeout=180).read()  # noqa: S310 (loopback)
        module = ModulePage.objects.live().get(slug="reconnaitre-une-arnaque-par-e-mail")
        results = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                ],
            )
            context = browser.new_context(viewport={"width": 360, "height": 740}, locale="fr-BE")
            context.set_default_timeout(120_000)
            page = context.new_page()
            page.goto(f"{base}/c/demo-apprenant-carte/")
            page.fill("#pin", "1234")
            page.click("button[type=submit]")
            page.wait_for_url("**/mon-parcours/")
            for name, path, limit in (
                ("public catalogue", "/catalogue/", 100_000),
                ("learner step page", f"/apprendre/{module.pk}/etape/2/", 50_000),
                ("Mon parcours", "/mon-parcours/", 50_000),
            ):
                fresh = browser.new_context(
                    viewport={"width": 360, "height": 740},
                    locale="fr-BE",
                    storage_state=context.storage_state(),
                )
                fresh.set_default_timeout(120_000)
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
            browser.close()
        return results
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


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
    figures = server_figures() + browser_figures()
    print(json.dumps(figures))
