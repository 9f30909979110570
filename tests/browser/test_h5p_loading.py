"""What an H5P activity costs a learner's page: nothing until its step is shown, and on the
player's own host (H5P_ORIGIN) nothing but the frame's document at a repeat visit."""

import threading
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.signals import request_started
from django.test import override_settings
from playwright.sync_api import expect

from courses.caching import bump_content_version
from courses.h5p.services import h5p_package_store
from courses.models import ModulePage
from lms.learning.models import Statement

from .test_h5p import (
    FRAME,
    PHISHING,
    PIN,
    h5p_step_number,
    module_showing,
    probe_package,
    wait_for,
)
from .test_learner import new_learner, sign_in_with_card

pytestmark = pytest.mark.browser


class ServerRequests:
    """The requests the live server received, by host (the learner's page and the frames
    alike, whatever process the browser runs each frame in)."""

    def __init__(self):
        self.seen: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def __call__(self, sender, environ, **_kwargs):
        with self.lock:
            self.seen.append((environ.get("HTTP_HOST", ""), environ.get("PATH_INFO", "")))

    def take(self) -> list[tuple[str, str]]:
        with self.lock:
            seen, self.seen = self.seen, []
        return seen


@pytest.fixture
def server_requests():
    requests = ServerRequests()
    request_started.connect(requests)
    yield requests
    request_started.disconnect(requests)


@pytest.fixture
def player_host(demo_server):
    """The player on its own origin: the live server under its other name, 127.0.0.1."""
    origin = f"http://127.0.0.1:{urlsplit(demo_server.url).port}"
    policy = settings.CONTENT_SECURITY_POLICY
    directives = {**policy["DIRECTIVES"], "frame-src": [*policy["DIRECTIVES"]["frame-src"], origin]}
    with override_settings(
        H5P_ORIGIN=origin,
        WAGTAILADMIN_BASE_URL=demo_server.url,
        CONTENT_SECURITY_POLICY={**policy, "DIRECTIVES": directives},
    ):
        bump_content_version()  # the module's cached steps name the frame's address
        yield origin
    bump_content_version()


@pytest.fixture
def learner_page(browser, demo_server):
    """A phone-sized page of a signed-in learner, in a context whose HTTP cache works
    (Playwright turns the cache off in a context that routes requests) and whose every
    request, in any frame, is counted with its size."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="fr-BE", base_url=demo_server.url
    )
    page = context.new_page()
    page.transferred = []

    def finished(request):
        sizes = request.sizes()
        page.transferred.append(
            (request.url, sizes["responseHeadersSize"] + sizes["responseBodySize"])
        )

    context.on("requestfinished", finished)
    card = new_learner("Héloïse")
    sign_in_with_card(page, card.token, PIN)
    yield page
    context.close()


def phishing_module():
    module = ModulePage.objects.get(slug=PHISHING, locale__language_code="fr-be")
    number, _step = h5p_step_number(module)
    return module, number


def test_an_activity_s_frame_loads_only_when_its_step_is_shown(learner_page, server_requests):
    module, number = phishing_module()
    page = learner_page
    page.goto(f"/apprendre/{module.pk}/etape/{number - 1}/")
    page.wait_for_load_state("networkidle")
    assert [path for _host, path in server_requests.take() if path.startswith("/h5p/")] == []
    assert page.locator(f"{FRAME}[src]").count() == 0

    page.locator(f"[data-step='{number - 1}'] .step-nav__next").click()
    frame = page.frame_locator(f"[data-step='{number}'] {FRAME}")
    expect(frame.locator(".h5p-content")).to_be_attached(timeout=20000)
    assert any(path.startswith("/h5p/frame/") for _host, path in server_requests.take())


def test_on_its_own_host_the_player_is_reused_at_the_next_visit(
    learner_page, server_requests, player_host
):
    module, number = phishing_module()
    page = learner_page
    asked, sizes = {}, {}
    for visit in ("first", "repeat"):
        server_requests.take()
        page.transferred.clear()
        page.goto(f"/apprendre/{module.pk}/etape/{number}/")
        frame = page.frame_locator(f"[data-step='{number}'] {FRAME}")
        expect(frame.locator(".h5p-content")).to_be_attached(timeout=20000)
        page.wait_for_load_state("networkidle")
        asked[visit] = [path for host, path in server_requests.take() if player_host.endswith(host)]
        # What the browser saw, in every frame: bytes actually received, 0 from its cache.
        sizes[visit] = {url: size for url, size in page.transferred if url.startswith(player_host)}

    frame_document = f"/h5p/frame/{module.steps[number - 1].value['package'].pk}/"
    assert frame_document in asked["first"]
    assert "/static/h5p-standalone/frame.bundle.js" in asked["first"]
    assert len(asked["first"]) >= 10, asked["first"]
    # At the repeat visit only the frame's document (never cached: it is 1.5 KB) is asked for;
    # the player, the package's libraries and pictures come from the browser's cache.
    assert asked["repeat"] == [frame_document]
    assert len(sizes["repeat"]) == len(sizes["first"])
    assert {url for url, size in sizes["repeat"].items() if size} == {player_host + frame_document}


def test_on_its_own_host_an_activity_still_cannot_reach_the_learner_s_page_or_session(
    learner_page, server_requests, player_host, demo_server
):
    """The sandbox test of test_h5p.py, with the frame on the player's own origin and given
    allow-same-origin there: that origin is not the site's, so it gets nothing more."""
    site_paths = ["/api/statements/", "/api/v1/xapi/statements", "/impact/", "/deconnexion/"]
    targets = [demo_server.url + path for path in site_paths] + site_paths
    package = h5p_package_store(file=probe_package(targets))
    module = module_showing(package, slug="essai-h5p-sonde-hote")
    number, _step = h5p_step_number(module)
    page = learner_page
    page.add_init_script(
        "window.addEventListener('message', (event) => {"
        "  if (event.data && event.data.type === 'pasapas:probe') window.__probe = event.data.report;"
        "});"
    )
    page.evaluate("localStorage.setItem('pasapas-test-marker', 'the learner page')")
    statements_before = Statement.objects.count()
    server_requests.take()
    page.goto(f"/apprendre/{module.pk}/etape/{number}/")
    assert page.locator(FRAME).get_attribute("src").startswith(player_host)
    # Polled: wait_for_function evaluates text, which this page's own policy refuses.
    report = wait_for(lambda: page.evaluate("() => window.__probe"), page=page)

    # Its own origin holds no cookie, and the page around it is another origin.
    assert report["cookie"] == {"threw": False, "value": ""}
    for name in ("parentDocument", "parentCsrf", "topLocation", "parentLocalStorage"):
        assert report[name]["threw"] is True, (name, report[name])
    assert report["pageStorage"] == {"threw": False, "value": "null"}
    assert page.evaluate("localStorage.getItem('probe-was-here')") is None
    # The learner's address is not given to another origin.
    assert report["referrer"] == ""
    for request in report["requests"]:
        if request["url"].startswith(demo_server.url):
            # The frame's policy lets it fetch from its own origin only.
            assert "error" in request, request
        else:
            # Its own origin, the player's host, has none of the site's pages.
            assert request["status"] == 404, request

    page.wait_for_timeout(500)  # let the server finish any request still on its way
    site_host = urlsplit(demo_server.url).netloc
    reached = [path for host, path in server_requests.take() if host == site_host]
    assert not [path for path in reached if path in site_paths], reached
    assert Statement.objects.count() == statements_before
    page.goto("/mon-parcours/")
    assert page.url.endswith("/mon-parcours/")
