"""An editor records a step with the microphone in the Wagtail admin; the learner's Listen on
that step then plays the recording, before any device or server voice.

Chromium's fake microphone (--use-fake-device-for-media-stream, a steady beep) stands in
for a person reading; --use-fake-ui-for-media-stream answers the permission prompt.
"""

import pytest
from playwright.sync_api import expect

from .conftest import CHROMIUM, SIZES, axe_violations, screenshot
from .test_learner import new_learner
from .test_listen import PLAYING_SCRIPT

pytestmark = pytest.mark.browser

# Modules other browser tests play through: their steps keep the server's voice.
OTHER_TESTS_MODULES = ("reconnaitre-une-arnaque-par-e-mail", "se-connecter-au-wi-fi")


@pytest.fixture
def fake_microphone_browser(browser):
    microphone = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            "--autoplay-policy=no-user-gesture-required",
        ],
    )
    yield microphone
    microphone.close()


def test_an_editor_records_a_step_and_the_learner_hears_it(fake_microphone_browser, demo_server):
    from courses.models import ModulePage, StepRecording

    module = (
        ModulePage.objects.live()
        .filter(locale__language_code="fr-be")
        .exclude(slug__in=OTHER_TESTS_MODULES)
        .order_by("path")
        .first()
    )
    editor = fake_microphone_browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="fr-BE", base_url=demo_server.url
    )
    editor.route(lambda url: not url.startswith(demo_server.url), lambda route: route.abort())
    page = editor.new_page()
    page.goto("/admin/login/")
    page.locator("input[name=username]").fill("editeur")
    page.locator("input[name=password]").fill("demo")
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/admin/")

    # From the module's editor: its header's "…" menu, then "Record the steps".
    page.goto(f"/admin/pages/{module.pk}/edit/")
    page.locator("#w-slim-header-buttons button").first.click()
    page.get_by_role("link", name="Enregistrer les étapes").click()
    page.wait_for_url(f"**/admin/enregistrements/{module.pk}/")
    first = page.locator("[data-recording-step]").first
    record = first.locator("[data-record]")
    expect(record).to_be_visible()
    record.click()
    expect(first.locator("[data-record-status]")).not_to_be_empty()
    page.wait_for_timeout(2500)  # about two seconds of the fake microphone's beep
    record.click()
    preview = first.locator("audio[data-record-preview]")
    expect(preview).to_be_visible()
    recorded = first.locator("input[type=file]").evaluate("input => input.files[0].size")
    assert recorded > 1000  # a real file went into the form
    screenshot(page, "editor-step-recorded")
    assert axe_violations(page) == []
    first.locator("button[type=submit].button-primary").click()
    expect(page.locator(".messages")).to_contain_text("enregistrement")
    saved = StepRecording.objects.get(page=module, step_id=module.steps[0].id)
    assert saved.size == recorded and saved.content_type == "audio/webm"
    # 32 kbit/s asked of the recorder: about 4 kB a second, far from a WAV's 88 kB.
    assert saved.size < 2.5 * 8000
    expect(page.locator("audio[data-recording-current]").first).to_be_attached()
    screenshot(page, "editor-step-recordings")

    # The learner's Listen on that step plays the recording: no server voice asked.
    learner = fake_microphone_browser.new_context(
        viewport=dict(zip(("width", "height"), SIZES["phone"], strict=True)),
        locale="fr-BE",
        base_url=demo_server.url,
    )
    learner.route(lambda url: not url.startswith(demo_server.url), lambda route: route.abort())
    screen = learner.new_page()
    asked = []
    screen.on("request", lambda request: "/voix/" in request.url and asked.append(request.url))
    card = new_learner("Recording")
    screen.goto(f"/c/{card.token}/")
    screen.locator("#pin").fill("2468")
    screen.locator("form:has(#pin) button[type=submit]").click()
    screen.wait_for_url("**/mon-parcours/")
    asked.clear()
    screen.goto(f"/apprendre/{module.pk}/etape/1/")
    button = screen.locator("[data-step]:not([hidden]) button[data-listen]")
    button.click()
    screen.wait_for_function(PLAYING_SCRIPT, timeout=15000)
    audio = screen.locator("audio[data-listen-audio]")
    assert "/voix/enregistrement/" in audio.evaluate("audio => audio.currentSrc")
    # A recorder's WebM does not say its length: known once it has played to its end.
    screen.wait_for_function("() => document.querySelector('audio[data-listen-audio]').ended")
    duration = audio.evaluate("audio => audio.duration")
    assert 1.5 < duration < 4, duration
    assert all("/voix/enregistrement/" in url for url in asked) and asked
    expect(button).to_have_accessible_name("Écouter")  # back to idle once it ended

    StepRecording.objects.filter(page=module).delete()  # the other tests' steps as before
    editor.close()
    learner.close()
