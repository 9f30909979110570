"""The real browser enforces the site's Content-Security-Policy and nothing is refused.

The other browser tests bypass the policy (they inject axe-core); here it is enforced, and
every refusal (an inline script or style, a file from elsewhere) is collected on the learner's,
trainer's, funder's and editor's screens.
"""

import pytest

from courses.models import ModulePage
from lms.demo.builder import DEMO_CARD_PIN, DEMO_CARD_TOKEN
from lms.logbook.models import Group

from .conftest import sign_in

pytestmark = pytest.mark.browser

# Runs before any script of the page; recorded violations survive until the next navigation.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} ${event.blockedURI || "inline"} ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


@pytest.fixture
def enforced_page(browser, demo_server):
    context = browser.new_context(
        viewport={"width": 1366, "height": 768}, locale="fr-BE", base_url=demo_server.url
    )
    context.route(lambda url: not url.startswith(demo_server.url), lambda route: route.abort())
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    console = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.console_refusals = console
    yield page
    context.close()


def visit(page, path: str) -> list[str]:
    """Open `path`, let its scripts run, and return what the policy refused there."""
    response = page.goto(path)
    assert response.status < 400, f"{path}: {response.status}"
    assert response.headers.get("content-security-policy"), path
    page.wait_for_load_state("networkidle")
    return page.evaluate("window.__cspViolations")


def test_a_refusal_would_be_seen(enforced_page):
    """The harness itself: an inline script and an inline style are refused and recorded."""
    page = enforced_page
    assert visit(page, "/connexion/") == []
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__ran = true";
          document.body.append(script);
          const style = document.createElement("style");
          style.textContent = "body { color: red }";
          document.head.append(style);
        }"""
    )
    page.wait_for_timeout(200)
    refused = page.evaluate("window.__cspViolations")
    assert any(line.startswith("script-src") for line in refused), refused
    assert any(line.startswith("style-src") for line in refused), refused
    assert page.evaluate("window.__ran") is None


def test_the_learners_screens_run_under_the_policy(enforced_page):
    page = enforced_page
    refused = {}
    page.goto(f"/c/{DEMO_CARD_TOKEN}/")
    page.get_by_label("Tapez votre code secret (4 chiffres)").fill(DEMO_CARD_PIN)
    page.get_by_role("button", name="Entrer").click()
    page.wait_for_url("**/mon-parcours/")
    refused["/mon-parcours/"] = visit(page, "/mon-parcours/")
    module = ModulePage.objects.live().get(
        slug="reconnaitre-une-arnaque-par-e-mail", locale__language_code="fr-be"
    )
    for number in range(1, len(module.steps) + 1):
        path = f"/apprendre/{module.pk}/etape/{number}/"
        refused[path] = visit(page, path)
    # The offline worker (static/js/sw.js) was allowed to start, and its page runs too.
    assert page.evaluate(
        "navigator.serviceWorker.ready.then((registration) => Boolean(registration.active))"
    )
    refused["/hors-ligne/"] = visit(page, "/hors-ligne/")
    assert {path: found for path, found in refused.items() if found} == {}
    assert page.console_refusals == []


def test_the_trainers_screens_run_under_the_policy(enforced_page):
    page = enforced_page
    group = Group.objects.get(association__slug="les-tilleuls", name="Groupe lundi 1")
    sign_in(page, "coordinateur")
    refused = {}
    for path in ["/formateur/", f"/formateur/groupes/{group.pk}/"]:
        refused[path] = visit(page, path)
    page.get_by_role("link", name="Noter une séance").first.click()
    page.wait_for_load_state("networkidle")
    refused["session form"] = page.evaluate("window.__cspViolations")
    assert {path: found for path, found in refused.items() if found} == {}
    assert page.console_refusals == []


def test_the_funders_screens_run_under_the_policy(enforced_page):
    page = enforced_page
    sign_in(page, "bailleur")
    assert visit(page, "/impact/") == []
    assert page.console_refusals == []


def test_the_wagtail_admin_runs_under_its_own_looser_policy(enforced_page):
    page = enforced_page
    sign_in(page, "editeur")
    refused = {path: visit(page, path) for path in ["/admin/", "/admin/documents/multiple/add/"]}
    assert {path: found for path, found in refused.items() if found} == {}
    assert page.console_refusals == []
