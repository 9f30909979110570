"""Listen on a learner screen in a browser with no device voice: the server's voice plays."""

from urllib.parse import urljoin

import pytest
from playwright.sync_api import expect

from lms.demo.builder import DEMO_CARD_TOKEN

from .conftest import SIZES, axe_violations, screenshot
from .test_csp import RECORD_VIOLATIONS
from .test_learner import new_learner, sign_in_with_card
from .test_outcome import module_page

pytestmark = pytest.mark.browser

# Headless Chromium on Linux has no speech voice (speechSynthesis.getVoices() stays empty):
# checked below rather than assumed, since this test is about what happens without one.
NO_VOICE_SCRIPT = """async (language) => {
  const matching = () => speechSynthesis.getVoices().filter(
    (voice) => voice.lang.toLowerCase().startsWith(language));
  if (!speechSynthesis.getVoices().length) {
    await new Promise((resolve) => {
      speechSynthesis.addEventListener("voiceschanged", resolve, { once: true });
      setTimeout(resolve, 1500);
    });
  }
  return matching().length;
}"""

PLAYING_SCRIPT = """() => {
  const audio = document.querySelector("audio[data-listen-audio]");
  return audio && audio.currentSrc && audio.readyState >= 1 && audio.duration > 0
    && (!audio.paused || audio.ended);
}"""


@pytest.mark.parametrize(
    ("locale", "listen", "stop", "language"),
    [("fr-BE", "Écouter", "Arrêter", "fr"), ("nl-BE", "Luisteren", "Stoppen", "nl")],
)
def test_listen_plays_the_server_voice_when_the_device_has_none(
    browser, demo_server, locale, listen, stop, language
):
    # The site's Content-Security-Policy enforced (new_page bypasses it for axe-core).
    width, height = SIZES["phone"]
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale=locale, base_url=demo_server.url
    )
    context.route(lambda url: not url.startswith(demo_server.url), lambda route: route.abort())
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    asked = []
    page.on("request", lambda request: "/voix/" in request.url and asked.append(request.url))
    page.goto(f"/c/{DEMO_CARD_TOKEN}/")
    assert page.evaluate(NO_VOICE_SCRIPT, language) == 0
    assert page.locator("html").get_attribute("lang").startswith(language)
    assert asked == []  # nothing downloaded before the learner taps

    expect(page.get_by_role("button", name=listen)).to_have_count(1)
    button = page.locator("button[data-listen]")
    button.click()
    page.wait_for_function(PLAYING_SCRIPT, timeout=15000)
    expect(button).to_have_accessible_name(stop)

    audio = page.locator("audio[data-listen-audio]")
    source = audio.evaluate("audio => audio.currentSrc")
    assert f"/voix/{language}/" in source
    duration = audio.evaluate("audio => audio.duration")
    body = page.request.get(source).body()
    assert len(body) > 3000 and duration > 1  # a real file: a few seconds of speech
    assert abs(len(body) / duration - 3000) < 600  # 24 kbit/s: about 3 kB a second

    button.click()  # the same button stops the voice
    expect(button).to_have_accessible_name(listen)
    assert audio.evaluate("audio => audio.paused")
    assert page.evaluate("window.__cspViolations") == []
    context.close()


# A device with a French voice, as Chromium exposes none here: the page's speechSynthesis
# lists one and records what it is asked to say; with window.silentVoice set, the voice is
# listed but never starts (some phones do that).
DEVICE_VOICE_SCRIPT = """
window.spoken = [];
const voice = { lang: "fr-BE", name: "Device", voiceURI: "device", default: true, localService: true };
window.SpeechSynthesisUtterance = class { constructor(text) { this.text = text; } };
Object.defineProperty(speechSynthesis, "getVoices", { value: () => [voice] });
speechSynthesis.cancel = () => {};
speechSynthesis.speak = (utterance) => {
  window.spoken.push({ text: utterance.text, lang: utterance.lang });
  if (!window.silentVoice) setTimeout(() => utterance.onstart && utterance.onstart(), 10);
};
"""


def test_listen_uses_the_device_voice_and_hands_over_when_it_stays_silent(new_page):
    page = new_page("phone")
    page.add_init_script(DEVICE_VOICE_SCRIPT)
    asked = []
    page.on("request", lambda request: "/voix/" in request.url and asked.append(request.url))
    page.goto(f"/c/{DEMO_CARD_TOKEN}/")
    button = page.locator("button[data-listen]")
    button.click()
    expect(button).to_have_accessible_name("Arrêter")
    spoken = page.evaluate("window.spoken")
    assert spoken == [{"text": button.get_attribute("data-listen-text"), "lang": "fr-BE"}]
    assert "Bonjour Amina" in spoken[0]["text"] and asked == []  # the device voice only
    button.click()
    expect(button).to_have_accessible_name("Écouter")

    page.evaluate("window.silentVoice = true")
    button.click()
    page.wait_for_function(PLAYING_SCRIPT, timeout=15000)  # the server's voice took over
    assert len(page.evaluate("window.spoken")) == 2 and asked


def test_listen_on_my_path_fetches_the_learners_words_only_when_tapped(new_page):
    """Mon parcours carries no words in its page (it changes at every visit): the tap asks
    for them, and the voice reads the learner's own page."""
    page = new_page("phone")
    page.add_init_script(DEVICE_VOICE_SCRIPT)
    asked = []
    page.on("request", lambda request: "/ecouter/" in request.url and asked.append(request.url))
    sign_in_with_card(page, new_learner("Zénobie").token, "2468")
    button = page.locator("button[data-listen]")
    assert button.get_attribute("data-listen-text") == "" and asked == []
    button.click()
    expect(button).to_have_accessible_name("Arrêter")
    spoken = page.evaluate("window.spoken")
    assert len(spoken) == 1 and "Zénobie" in spoken[0]["text"] and len(asked) == 1
    button.click()
    expect(button).to_have_accessible_name("Écouter")
    button.click()  # the words are kept for the next tap
    expect(button).to_have_accessible_name("Arrêter")
    assert len(page.evaluate("window.spoken")) == 2 and len(asked) == 1


def check_listen_fits(page, name: str) -> None:
    assert page.locator("html").get_attribute("data-text-size") == "larger"
    button = page.locator("button[data-listen]:visible").first
    expect(button).to_have_accessible_name("Écouter")
    box = button.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 320 and box["height"] >= 44, name
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, name
    screenshot(page, f"listen-{name}-320-larger")


def test_listen_fits_a_small_phone_with_the_largest_text(new_page):
    """The card screen, Mon parcours and a step at 320 px with the largest text."""
    page = new_page("phone")
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(f"/c/{DEMO_CARD_TOKEN}/")
    page.context.add_cookies(
        [{"name": "pasapas_text_size", "value": "larger", "url": urljoin(page.url, "/")}]
    )
    page.reload()
    check_listen_fits(page, "card")
    assert axe_violations(page) == []
    sign_in_with_card(page, new_learner("Noor").token, "2468")
    # Signing in applies the learner's own text size (normal for a new learner).
    page.context.add_cookies(
        [{"name": "pasapas_text_size", "value": "larger", "url": urljoin(page.url, "/")}]
    )
    page.reload()
    check_listen_fits(page, "my-path")
    page.goto(f"/apprendre/{module_page().pk}/etape/1/")
    check_listen_fits(page, "step")
    assert axe_violations(page) == []
