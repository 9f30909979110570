"""The outcome question on a phone: before step 1, after the last step, skipped, without script."""

import pytest
from playwright.sync_api import expect

from lms.learning.models import Statement, Verb

from .conftest import SIZES, axe_violations, screenshot
from .test_learner import answer_current_step, current_step, new_learner, sign_in_with_card

pytestmark = pytest.mark.browser
MODULE_SLUG = "utiliser-un-ecran-tactile"  # seven short steps, none of them H5P


def module_page():
    from courses.models import ModulePage

    return ModulePage.objects.get(slug=MODULE_SLUG, locale__language_code="fr-be")


def answers_of(learner) -> list[dict]:
    rows = Statement.objects.filter(learner=learner, verb=Verb.ASSESSED)
    return [row.response for row in rows.order_by("timestamp", "stored_at")]


def assert_accessible(page, name: str) -> None:
    screenshot(page, name)
    assert axe_violations(page) == [], name


def assert_choices_fit_the_screen(page) -> None:
    """Three big buttons, each at least 44 px high, none wider than the phone."""
    width = page.viewport_size["width"]
    buttons = page.locator(".outcome__choice")
    expect(buttons).to_have_count(3)
    for index in range(3):
        box = buttons.nth(index).bounding_box()
        assert box["height"] >= 88 and box["x"] >= 0 and box["x"] + box["width"] <= width
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_learner_answers_before_and_after_a_module_on_a_phone(new_page):
    module = module_page()
    card = new_learner("Fatima")
    page = new_page("phone")
    sign_in_with_card(page, card.token, "2468")

    page.goto(f"/apprendre/{module.pk}/")
    page.wait_for_url("**/avant/")
    expect(page.get_by_role("heading", name="Pouvez-vous le faire seul·e ?")).to_be_visible()
    expect(page.get_by_text("Avant de commencer")).to_be_visible()
    expect(page.get_by_role("button", name="Écouter")).to_be_visible()
    for label in ("Pas encore", "Avec de l'aide", "Seul·e"):
        expect(page.get_by_role("button", name=label, exact=True)).to_be_visible()
    assert_choices_fit_the_screen(page)
    assert_accessible(page, "outcome-start-phone")

    page.get_by_role("button", name="Pas encore").click()
    page.wait_for_url(f"**/apprendre/{module.pk}/etape/1/")
    assert answers_of(card.learner) == [{"phase": "start", "level": "not_yet"}]

    for number, module_step in enumerate(module.steps, start=1):
        expect(current_step(page)).to_contain_text(f"Étape {number} sur {len(module.steps)}")
        answer_current_step(page, module_step, wrong_first=False)
    page.wait_for_url("**/apres/")
    expect(page.get_by_text("Vous avez fait toutes les étapes.")).to_be_visible()
    assert_choices_fit_the_screen(page)
    assert_accessible(page, "outcome-end-phone")

    page.get_by_role("button", name="Seul·e").click()
    page.wait_for_url("**/bravo/")
    expect(page.locator("[data-awaiting-trainer]")).to_contain_text("attend votre formateur")
    assert answers_of(card.learner) == [
        {"phase": "start", "level": "not_yet"},
        {"phase": "end", "level": "alone"},
    ]

    # The back button does not ask again: the question, answered, sends on to "Bravo".
    page.go_back()
    page.wait_for_url("**/bravo/")
    expect(page.locator("[data-awaiting-trainer]")).to_contain_text("attend votre formateur")
    assert len(answers_of(card.learner)) == 2


def test_a_learner_may_skip_the_question(new_page):
    module = module_page()
    card = new_learner("Gérard")
    page = new_page("phone")
    sign_in_with_card(page, card.token, "2468")
    page.goto(f"/apprendre/{module.pk}/")
    page.wait_for_url("**/avant/")
    page.get_by_role("link", name="Passer").click()
    page.wait_for_url(f"**/apprendre/{module.pk}/etape/1/")
    expect(current_step(page)).to_contain_text("Étape 1 sur")
    assert answers_of(card.learner) == []


def test_the_question_works_without_javascript_and_with_the_largest_text(browser, demo_server):
    module = module_page()
    card = new_learner("Henri")
    width, height = SIZES["phone"]
    context = browser.new_context(
        viewport={"width": width, "height": height},
        locale="fr-BE",
        base_url=demo_server.url,
        java_script_enabled=False,
    )
    context.route(lambda url: not url.startswith(demo_server.url), lambda route: route.abort())
    try:
        page = context.new_page()
        page.goto(f"/c/{card.token}/")
        page.get_by_label("Tapez votre code secret (4 chiffres)").fill("2468")
        page.get_by_role("button", name="Entrer").click()
        page.wait_for_url("**/mon-parcours/")
        page.goto(f"/apprendre/{module.pk}/")
        page.wait_for_url("**/avant/")
        page.get_by_role("button", name="Très grand texte").click()
        page.wait_for_url("**/avant/")
        assert page.locator("html").get_attribute("data-text-size") == "larger"
        # Without script there is no voice to offer: the Listen button stays hidden.
        expect(page.get_by_role("button", name="Écouter")).to_be_hidden()
        assert_choices_fit_the_screen(page)
        screenshot(page, "outcome-start-phone-larger-text-no-script")
        page.get_by_role("button", name="Avec de l'aide").click()
        page.wait_for_url(f"**/apprendre/{module.pk}/etape/1/")
        assert answers_of(card.learner) == [{"phase": "start", "level": "with_help"}]
    finally:
        context.close()


def test_the_three_answers_sit_side_by_side_on_a_tablet(new_page):
    module = module_page()
    card = new_learner("Irène")
    page = new_page("tablet")
    sign_in_with_card(page, card.token, "2468")
    page.goto(f"/apprendre/{module.pk}/avant/")
    tops = {round(page.locator(".outcome__choice").nth(i).bounding_box()["y"]) for i in range(3)}
    assert len(tops) == 1
    assert_accessible(page, "outcome-start-tablet")
