"""The benchmarks' byte count sees a sandboxed frame's requests (issue 20).

Chromium runs a sandboxed frame in a process of its own; the page-level CDP session the
benchmarks used before saw only the page's requests (on this fixture: 5.6 KB of 36 KB).
"""

import functools
import os
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.benchmarks.weigh import CHROMIUM, CHROMIUM_ARGS, weigh

FRAME_SCRIPT = 30_000  # bytes: a script the sandboxed frame loads
PAGE_SCRIPT = 5_000


def script(size: int) -> bytes:
    """A comment of random hex: `size` bytes that no compression would shrink."""
    return b"//" + os.urandom(size).hex().encode()[: size - 3] + b"\n"


@pytest.fixture
def fixture_site(tmp_path):
    (tmp_path / "index.html").write_text(
        '<!doctype html><title>page</title><script src="/page.js"></script>'
        '<iframe sandbox="allow-scripts" src="/frame.html"></iframe>'
    )
    (tmp_path / "frame.html").write_text(
        '<!doctype html><title>frame</title><script src="/frame.js"></script><p>frame</p>'
    )
    (tmp_path / "page.js").write_bytes(script(PAGE_SCRIPT))
    (tmp_path / "frame.js").write_bytes(script(FRAME_SCRIPT))

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=tmp_path))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", tmp_path
    server.shutdown()
    server.server_close()


def test_a_sandboxed_frame_is_counted_whole(fixture_site):
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's Chromium is missing: `make test` installs it.")
    base, root = fixture_site
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            measured = weigh(browser.new_context(), f"{base}/index.html")
        finally:
            browser.close()

    bodies = {name: (root / name).stat().st_size for name in ("index.html", "page.js")}
    bodies |= {name: (root / name).stat().st_size for name in ("frame.html", "frame.js")}
    assert measured["requests"] == 4
    assert measured["frame_requests"] == 2  # the frame's document and its script
    for name, body in bodies.items():
        # The body as sent (no compression here) and its headers, a few hundred bytes.
        assert body < measured["by_url"][f"{base}/{name}"] < body + 1000, name
    assert sum(bodies.values()) < measured["bytes"] < sum(bodies.values()) + 4000
    assert FRAME_SCRIPT + PAGE_SCRIPT <= measured["js"] < FRAME_SCRIPT + PAGE_SCRIPT + 2000
    assert measured["foreign"] == 0


def test_a_frame_on_the_site_s_other_host_is_its_own_not_another_s(fixture_site):
    """With H5P_ORIGIN the player's frame comes from a second host name of the same site:
    counted as the site's when that origin is named, as another host's otherwise."""
    from playwright.sync_api import sync_playwright

    base, root = fixture_site
    other = base.replace("127.0.0.1", "localhost")
    (root / "index.html").write_text(
        f'<!doctype html><title>page</title><iframe src="{other}/frame.html"></iframe>'
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            alone = weigh(browser.new_context(), f"{base}/index.html")
            named = weigh(browser.new_context(), f"{base}/index.html", also=(other,))
        finally:
            browser.close()
    assert alone["foreign"] == 2  # the frame's document and its script
    assert named["foreign"] == 0
    assert named["frame_requests"] == 2


WORKER_KEEPS = 20_000  # bytes: a file the worker fetches when it installs
WORKER_LATER = 7_000  # and one it fetches once the page tells it the page has loaded


def test_a_service_worker_s_own_requests_are_counted(fixture_site):
    """The offline worker's script, the files it fetches when it installs and those it
    fetches after the page has loaded (as static/js/sw.js keeps a module page) are the
    visit's bytes; on a repeat visit, a file the worker answers from its cache costs 0."""
    from playwright.sync_api import sync_playwright

    base, root = fixture_site
    (root / "index.html").write_text(
        '<!doctype html><title>page</title><script src="/page.js"></script><script>'
        'navigator.serviceWorker.register("/sw.js").then(() => navigator.serviceWorker.ready)'
        '.then((registration) => registration.active.postMessage("loaded"));</script>'
    )
    (root / "sw.js").write_text(
        "const keep = (path) => caches.open('kept').then((cache) => cache.add(path));\n"
        "self.addEventListener('install', (event) => event.waitUntil(keep('/kept.js')));\n"
        "self.addEventListener('activate', (event) => event.waitUntil(clients.claim()));\n"
        "self.addEventListener('message', (event) => event.waitUntil(keep('/later.js')));\n"
        "self.addEventListener('fetch', (event) => {\n"
        "  if (new URL(event.request.url).pathname === '/kept.js')\n"
        "    event.respondWith(caches.match('/kept.js'));\n"
        "});\n"
    )
    (root / "kept.js").write_bytes(script(WORKER_KEEPS))
    (root / "later.js").write_bytes(script(WORKER_LATER))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(service_workers="allow")
            first = weigh(context, f"{base}/index.html")
            # The page now names the kept file: the worker answers it from its cache.
            (root / "index.html").write_text(
                '<!doctype html><title>page</title><script src="/kept.js"></script>'
            )
            repeat = weigh(context, f"{base}/index.html")
        finally:
            browser.close()

    worker_script = (root / "sw.js").stat().st_size
    assert worker_script < first["by_url"][f"{base}/sw.js"] < worker_script + 1000
    assert WORKER_KEEPS < first["by_url"][f"{base}/kept.js"] < WORKER_KEEPS + 1000
    assert WORKER_LATER < first["by_url"][f"{base}/later.js"] < WORKER_LATER + 1000
    page_bodies = PAGE_SCRIPT + (root / "index.html").stat().st_size
    worker_bodies = worker_script + WORKER_KEEPS + WORKER_LATER
    assert first["js"] >= PAGE_SCRIPT + worker_bodies
    assert page_bodies + worker_bodies < first["bytes"] < page_bodies + worker_bodies + 3000
    assert repeat["by_url"][f"{base}/kept.js"] == 0
    assert repeat["bytes"] < 2000  # the page itself (not cached by this server) and headers
