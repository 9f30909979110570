"""A Dutch-speaking learner follows a module of the starter catalogue in Dutch on a phone."""

import pytest
from django.utils.translation import gettext, override
from playwright.sync_api import expect
from wagtail.models import Locale

from lms.learning.models import ModuleProgress

from .conftest import axe_violations, screenshot
from .test_learner import current_step, new_learner

pytestmark = pytest.mark.browser
MODULE_SLUG = "se-connecter-au-wi-fi"


def answer_in_any_language(page, module_step) -> None:
    """Answer the visible step right, through the markup rather than the buttons' words."""
    step = current_step(page)
    kind = module_step.block_type
    if kind == "quiz":
        right = next(i for i, a in enumerate(module_step.value["answers"]) if a["is_correct"])
        step.locator(f"input[name=answer][value='{right}']").check()
    elif kind == "practice_form":
        for index, field in enumerate(module_step.value["fields"]):
            locator = step.locator(f"[name=field-{index}]")
            if field["kind"] == "choice":
                locator.select_option(field["expected"])
            else:
                locator.fill(field["expected"] or "Marie")
    if kind in ("quiz", "practice_form"):
        step.locator("button[data-check]").click()
        step.locator("a[data-after-check]").click()
    else:
        step.locator(".step-nav__next").click()


def test_a_dutch_learner_follows_a_dutch_module_on_a_phone(new_page):
    from courses.models import ModulePage

    module = ModulePage.objects.get(slug=MODULE_SLUG, locale__language_code="fr-be")
    dutch = module.get_translation(Locale.objects.get(language_code="nl-be"))
    card = new_learner("Annelies")
    card.learner.preferred_language = "nl-be"
    card.learner.save(update_fields=["preferred_language"])
    page = new_page("phone", locale="nl-BE")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/c/{card.token}/")
    page.locator("#pin").fill("2468")
    page.locator("form:has(#pin) button[type=submit]").click()
    page.wait_for_url("**/mon-parcours/")

    page.goto(f"/apprendre/{module.pk}/etape/1/")
    assert page.locator("html").get_attribute("lang").lower().startswith("nl")
    for number, step in enumerate(dutch.steps, start=1):
        with override("nl-be"):
            where = gettext("Step %(number)s of %(total)s") % {
                "number": number,
                "total": len(dutch.steps),
            }
        expect(current_step(page).get_by_text(where)).to_be_visible()
        title = step.value.get("title") or step.value.get("question") or step.value.get("text")
        expect(current_step(page).get_by_text(title, exact=False).first).to_be_visible()
        french = module.steps[number - 1].value
        french_title = french.get("title") or french.get("question") or french.get("text")
        assert french_title not in current_step(page).inner_text()
        if number in (1, 4, 6):
            screenshot(page, f"dutch-step-{number}-{step.block_type}")
            assert axe_violations(page) == [], number
        answer_in_any_language(page, step)

    page.wait_for_url("**/apres/")
    progress = ModuleProgress.objects.get(learner=card.learner)
    assert progress.module_iri == module.iri
    # Every step done in Dutch; the "show your trainer" step waits for the trainer.
    assert progress.completed_at is None
    assert progress.steps_completed == len(module.steps) - sum(
        step.block_type == "checkpoint" for step in module.steps
    )
