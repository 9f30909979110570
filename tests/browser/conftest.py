"""Playwright driving Debian's Chromium against Django's live server, with axe-core scans."""

import datetime
import json
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from lms.demo.builder import demo_build
from tests.results import RESULTS

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the tests
# themselves are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {
    "phone": (360, 740),
    "phone-tall": (390, 844),
    "tablet": (800, 1280),
    "laptop": (1366, 768),
}


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Debian's Chromium is missing: `make test` installs it (apt-get install chromium)."
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


DEMO_TODAY = datetime.date(2026, 11, 2)


@pytest.fixture(scope="session")
def demo_server(django_db_setup, django_db_blocker):
    """A live server over one demo database, built once, shared by every browser test.

    Browser tests run last (see tests/conftest.py) and share this committed data, like
    people sharing `make demo`; each test uses its own people or makes its own data.
    """
    from django.db import connection, connections
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.live_server_helper import LiveServer

    with django_db_blocker.unblock():
        # pytest-django creates the test database only when some selected test asks for
        # it; when only browser tests run, create it here, never touching db.sqlite3.
        created = None
        if connection.settings_dict["NAME"] != connection.creation._get_test_db_name():
            created = setup_databases(verbosity=0, interactive=False)
        call_command("load_catalogue", verbosity=0)
        demo_build(learners=24, today=DEMO_TODAY)
        server = LiveServer("localhost")
        yield server
        server.stop()
        # The test bodies read and write the demo data through this thread's connection:
        # closed here, so that dropping the test database finds nobody still connected.
        connections.close_all()
        if created is not None:
            teardown_databases(created, verbosity=0)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Every sign-in of these tests comes from 127.0.0.1: start each test with fresh counters."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def new_page(browser, demo_server):
    """Open pages at a named screen size; every context is closed after the test."""
    contexts = []

    def open_page(size: str = "laptop", locale: str = "fr-BE"):
        width, height = SIZES[size]
        context = browser.new_context(
            viewport={"width": width, "height": height},
            locale=locale,
            base_url=demo_server.url,
            # axe-core is injected as a script the page's own policy would refuse.
            bypass_csp=True,
        )
        # No request may leave this machine: anything not on the live server is refused.
        context.route(
            lambda url: not url.startswith(demo_server.url),
            lambda route: route.abort(),
        )
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> Path:
    path = RESULTS / "screenshots" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page, *, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core on the page; return the violations of the given impacts."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    found = [v for v in result["violations"] if v["impact"] in impacts]
    if found:
        report = RESULTS / "axe" / f"{page.url.replace('/', '_')[-80:]}.json"
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps(found, indent=2))
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in found
    ]


def sign_in(page, username: str, password: str = "demo") -> None:
    page.goto("/connexion/")
    page.get_by_label("Votre nom d'utilisateur").fill(username)
    page.get_by_label("Votre mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
