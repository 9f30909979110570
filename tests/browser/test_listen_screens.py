"""Listen on every learner screen, in French and in Dutch: one button, and a tap plays audio.

Headless Chromium here has no speech voice (tests/browser/test_listen.py checks it), so each
tap must end in the server's voice: an <audio> element playing a real file, whose duration
and size are read. A device voice is shown taking the tap in test_listen.py; the editor's
recording in test_step_recording.py.
"""

import pytest
from playwright.sync_api import expect
from wagtail.models import Locale

from lms.demo.builder import DEMO_CARD_TOKEN

from .conftest import SIZES, screenshot
from .test_learner import new_learner
from .test_listen import NO_VOICE_SCRIPT, PLAYING_SCRIPT
from .test_outcome import module_page

pytestmark = pytest.mark.browser

LANGUAGES = {
    # locale: (Listen, Stop, voice language, Django language)
    "fr-BE": ("Écouter", "Arrêter", "fr", "fr-be"),
    "nl-BE": ("Luisteren", "Stoppen", "nl", "nl-be"),
}


def listen_plays(page, name: str, locale: str) -> float:
    """Taps the screen's one Listen button; returns the seconds of audio that played."""
    listen, stop, language, _django = LANGUAGES[locale]
    expect(page.locator("button[data-listen]"), name).to_have_count(1)
    button = page.locator("button[data-listen]")
    expect(button, name).to_have_accessible_name(listen)
    button.click()
    page.wait_for_function(PLAYING_SCRIPT, timeout=20000)
    expect(button, name).to_have_accessible_name(stop)
    audio = page.locator("audio[data-listen-audio]")
    source = audio.evaluate("audio => audio.currentSrc")
    assert f"/voix/{language}/" in source, name
    duration = audio.evaluate("audio => audio.duration")
    size = len(page.request.get(source).body())
    assert duration > 0.5 and size > 1000, (name, duration, size)
    button.click()
    expect(button, name).to_have_accessible_name(listen)
    assert audio.evaluate("audio => audio.paused"), name
    return duration


@pytest.mark.parametrize("locale", LANGUAGES)
def test_every_learner_screen_has_one_listen_that_plays(browser, demo_server, locale):
    from courses.models import CatalogueIndexPage

    _listen, _stop, language, django_language = LANGUAGES[locale]
    width, height = SIZES["phone"]
    # The site's own Content-Security-Policy, as a learner gets it.
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale=locale, base_url=demo_server.url
    )
    context.route(lambda url: not url.startswith(demo_server.url), lambda route: route.abort())
    page = context.new_page()
    asked = []
    page.on("request", lambda request: "/voix/" in request.url and asked.append(request.url))
    played = {}

    def visit(name: str, address: str | None = None) -> None:
        if address:
            page.goto(address)
        assert page.locator("html").get_attribute("lang").lower().startswith(language), name
        assert asked == [], name  # nothing asked of the voice before the tap
        played[name] = listen_plays(page, name, locale)
        asked.clear()

    # Before signing in: the card's secret code and pictures, the card code, help places.
    page.goto(f"/c/{DEMO_CARD_TOKEN}/")
    assert page.evaluate(NO_VOICE_SCRIPT, language) == 0  # no device voice: the server's
    visit("card-secret")
    visit("card-pictures", "/carte/images/")
    visit("card-code", "/carte/code/")
    visit("help", "/ou-trouver-de-l-aide/")

    # A card locked after five wrong secret codes.
    locked = new_learner(f"Lock {language}")
    page.goto(f"/c/{locked.token}/")
    for _attempt in range(5):
        page.locator("#pin").fill("0000")
        page.locator("form:has(#pin) button[type=submit]").click()
    visit("card-locked")

    # Signed in with a card: Mon parcours (its words fetched on tap), the catalogue, the
    # question before a module, a step, and "Bravo".
    card = new_learner(f"Listen {language}")
    card.learner.preferred_language = django_language
    card.learner.save(update_fields=["preferred_language"])
    page.goto(f"/c/{card.token}/")
    page.locator("#pin").fill("2468")
    page.locator("form:has(#pin) button[type=submit]").click()
    page.wait_for_url("**/mon-parcours/")
    visit("my-path")
    assert "/mon-parcours/ecouter/" in " ".join(
        page.evaluate("performance.getEntries().map(e => e.name)")
    )
    catalogue = CatalogueIndexPage.objects.live().get(
        locale=Locale.objects.get(language_code=django_language)
    )
    visit("catalogue", catalogue.url)
    module = module_page()
    visit("outcome", f"/apprendre/{module.pk}/avant/")
    page.goto(f"/apprendre/{module.pk}/etape/1/")
    # The player holds every step; the one on screen has its own Listen.
    step_button = page.locator("[data-step]:not([hidden]) button[data-listen]")
    expect(step_button).to_have_count(1)
    step_button.click()
    page.wait_for_function(PLAYING_SCRIPT, timeout=20000)
    played["step"] = page.locator("audio[data-listen-audio]").evaluate("a => a.duration")
    step_button.click()
    asked.clear()
    visit("bravo", f"/apprendre/{module.pk}/bravo/")
    screenshot(page, f"listen-bravo-{language}")
    assert all(seconds > 0.5 for seconds in played.values()), played
    context.close()
