"""The player measures the time a learner spends on each step, and sends it with the step.

Time is driven by Playwright's page clock (nothing here sleeps): the page's own Date,
timers and performance.now() move only when the test says so. Focus is real: the page is
put behind another one, with Playwright's focus emulation turned off. Visibility cannot be
made real in headless Chromium (a minimised window, another tab or a frozen page all stay
"visible"), so the page is told it is hidden as a browser tells it: `document.visibilityState`
changes and a `visibilitychange` event is fired; the player's code that reacts is the real one.
"""

import datetime
import re

import pytest
from playwright.sync_api import expect
from wagtail.models import Locale

from courses.models import ModulePage
from lms.learning.models import Statement

from .conftest import axe_violations, screenshot
from .test_h5p import PHISHING, PIN, frame_of, h5p_step_number, step_statements, wait_for
from .test_learner import current_step, expect_text, new_learner, sign_in_with_card

pytestmark = pytest.mark.browser

MODULE = "utiliser-un-ecran-tactile"  # steps 1-4 explanations, 5 a quiz
SECOND = 1000
MINUTE = 60 * SECOND


def visibility_set(page, state: str) -> None:
    page.evaluate(
        """(state) => {
            Object.defineProperty(document, "visibilityState", {configurable: true, get: () => state});
            Object.defineProperty(document, "hidden", {configurable: true, get: () => state === "hidden"});
            document.dispatchEvent(new Event("visibilitychange"));
        }""",
        state,
    )


def stored_seconds(learner) -> list:
    return list(
        Statement.objects.filter(learner=learner)
        .order_by("stored_at")
        .values_list("object_iri", "duration_seconds")
    )


def test_the_time_sent_is_the_time_the_step_was_in_front_and_in_use(new_page):
    module = ModulePage.objects.get(slug=MODULE, locale=Locale.get_default())
    card = new_learner("Gisèle")
    page = new_page("phone")
    elsewhere = page.context.new_page()  # another window to put in front of the player
    sign_in_with_card(page, card.token, "2468")
    page.bring_to_front()
    start = datetime.datetime.now(datetime.UTC)
    page.clock.install(time=start)
    page.clock.pause_at(start + datetime.timedelta(seconds=1))
    page.goto(f"/apprendre/{module.pk}/etape/1/")
    page.context.new_cdp_session(page).send(
        "Emulation.setFocusEmulationEnabled", {"enabled": False}
    )
    page.bring_to_front()
    page.mouse.move(10, 10)
    expect_text(current_step(page), "Étape 1 sur")

    def next_step(number: int) -> None:
        current_step(page).get_by_role("button", name="Suivant").click()
        expect_text(current_step(page), f"Étape {number} sur")

    def iri(number: int) -> str:
        return module.step_iri(module.steps[number - 1].id)

    # Step 1: 40 seconds of reading.
    page.clock.run_for(40 * SECOND)
    next_step(2)

    # Step 2: 20 s, then the phone's screen is off for 10 minutes, 10 s more, then another
    # window in front for 2 minutes, and 15 s more: 45 s.
    page.clock.run_for(20 * SECOND)
    visibility_set(page, "hidden")
    page.clock.run_for(10 * MINUTE)
    visibility_set(page, "visible")
    page.clock.run_for(10 * SECOND)
    elsewhere.bring_to_front()
    page.wait_for_function("!document.hasFocus()")
    page.clock.run_for(2 * MINUTE)
    page.bring_to_front()
    page.wait_for_function("document.hasFocus()")
    page.clock.run_for(15 * SECOND)
    next_step(3)

    # Step 3: 30 s, a 4-minute read without touching (counted), then 6 minutes away from
    # the phone, the screen still on (left out whole), then 25 s: 295 s.
    page.clock.run_for(30 * SECOND)
    page.mouse.move(20, 20)
    page.clock.run_for(4 * MINUTE)
    page.mouse.move(30, 30)
    page.clock.run_for(6 * MINUTE)
    page.mouse.move(40, 40)
    page.clock.run_for(25 * SECOND)
    next_step(4)
    assert wait_for(lambda: len(stored_seconds(card.learner)) == 3, page=page)

    # Step 4, without a connection: 50 s. The statement waits on the phone with its 50 s
    # while the learner spends 3 minutes on step 5; it is sent when the connection returns,
    # and sent again (a lost answer), it still counts once.
    page.context.set_offline(True)
    page.clock.run_for(50 * SECOND)
    next_step(5)
    page.clock.run_for(3 * MINUTE)
    queued = page.evaluate("localStorage.getItem('pasapas-queue')")
    assert '"duration_seconds":"50"' in queued
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("[data-connection-status]")).to_contain_text("La connexion est revenue")
    assert wait_for(lambda: len(stored_seconds(card.learner)) == 4, page=page)
    page.evaluate("(queued) => localStorage.setItem('pasapas-queue', queued)", queued)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function("localStorage.getItem('pasapas-queue') === '[]'")

    # Step 5, a quiz: a wrong answer after those 3 minutes, the right one 12 s later.
    quiz = module.steps[4].value["answers"]
    right = next(i for i, a in enumerate(quiz) if a["is_correct"])
    wrong = next(i for i, a in enumerate(quiz) if not a["is_correct"])
    step = current_step(page)
    step.locator(f"input[name=answer][value='{wrong}']").check()
    step.get_by_role("button", name="Vérifier").click()
    expect_text(step, "Essayez encore")
    page.clock.run_for(12 * SECOND)
    step.locator(f"input[name=answer][value='{right}']").check()
    step.get_by_role("button", name="Vérifier").click()
    expect(step.get_by_role("link", name="Suivant")).to_be_visible()
    assert wait_for(lambda: len(stored_seconds(card.learner)) == 6, page=page)
    assert stored_seconds(card.learner) == [
        (iri(1), 40),
        (iri(2), 45),
        (iri(3), 295),
        (iri(4), 50),
        (iri(5), 180),
        (iri(5), 12),
    ]
    # axe-core waits on the page's timers: time flows again for it.
    page.clock.resume()
    screenshot(page, "learner-step-time-quiz")
    assert axe_violations(page) == []


def test_time_in_an_h5p_activity_counts_while_the_learner_uses_it(new_page):
    """Tapping inside the sandboxed H5P frame moves the focus out of the page and is out of
    its sight: the frame says the learner is still there, and the time keeps counting."""
    module = ModulePage.objects.get(slug=PHISHING, locale=Locale.get_default())
    number, step = h5p_step_number(module)
    card = new_learner("Yvette")
    page = new_page("phone")
    sign_in_with_card(page, card.token, PIN)
    start = datetime.datetime.now(datetime.UTC)
    # Time flows while the H5P player starts (it waits on its own timers), then stops.
    page.clock.install(time=start)
    page.goto(f"/apprendre/{module.pk}/etape/{number}/")
    frame = frame_of(page, number)
    page.clock.pause_at(start + datetime.timedelta(minutes=3))
    page.context.new_cdp_session(page).send(
        "Emulation.setFocusEmulationEnabled", {"enabled": False}
    )
    page.bring_to_front()

    def statements():
        return step_statements(card, module, step)

    # A first, wrong answer: its time includes the player's start, not checked here.
    frame.get_by_role("radio", name=re.compile("photos de la fête")).check()
    frame.get_by_role("button", name="Vérifier").click()
    expect(frame.locator(".pasapas-pc__feedback")).to_contain_text("Pas tout à fait.")
    assert page.evaluate("document.activeElement.matches('iframe[data-h5p-frame]')")
    page.clock.run_for(1 * SECOND)  # the page sends H5P statements a second later
    wait_for(lambda: len(statements()) == 1, page=page)

    # Try again: 4 minutes thinking, a tap on a picture, 4 minutes more, then "Vérifier":
    # no pause is over 5 minutes, so all of it counts, with the second above.
    frame.get_by_role("button", name="Essayer encore").click()
    page.clock.run_for(4 * MINUTE)
    frame.get_by_role("radio", name=re.compile("Votre colis attend")).check()
    page.clock.run_for(4 * MINUTE)
    frame.get_by_role("button", name="Vérifier").click()
    expect(page.locator(f"[data-step='{number}'] [data-h5p-result]")).to_be_visible()
    page.clock.run_for(1 * SECOND)
    wait_for(lambda: len(statements()) == 2, page=page)
    second = max(statements(), key=lambda statement: statement.stored_at)
    assert (second.score_scaled, second.duration_seconds) == (1.0, 8 * 60 + 1)
