"""A Dutch-speaking learner on a phone: sign-in, a whole module and Bravo in Dutch, `lang` true.

The starter catalogue is in French only: the interface speaks Dutch (the learner's own
language, kept on them) and every piece of the module's own text says it is French.
"""

import pytest
from playwright.sync_api import expect
from wagtail.models import Locale

from lms.accounts.models import Association
from lms.accounts.services import card_issue
from lms.learning.models import ModuleProgress
from tests.factories import learner_in

from .conftest import axe_violations, screenshot, sign_in
from .test_h5p import answer_picture_choice

pytestmark = pytest.mark.browser
MODULE_SLUG = "reconnaitre-une-arnaque-par-e-mail"
CONTENT = "[data-step]:not([hidden])"


def assert_dutch_and_accessible(page, name: str) -> None:
    """The page says it is Dutch, the module's text says it is French, and axe is clean."""
    assert page.evaluate("document.documentElement.lang") == "nl-be", name
    screenshot(page, f"nl-{name}")
    assert axe_violations(page) == [], name


def answer_in_dutch(page, module_step) -> None:
    step = page.locator(CONTENT)
    kind = module_step.block_type
    if kind == "quiz":
        answers = module_step.value["answers"]
        wrong = next(i for i, a in enumerate(answers) if not a["is_correct"])
        right = next(i for i, a in enumerate(answers) if a["is_correct"])
        step.locator(f"input[name=answer][value='{wrong}']").check()
        step.get_by_role("button", name="Nakijken").click()
        expect(step.get_by_text("Probeer opnieuw.").first).to_be_visible()
        step.locator(f"input[name=answer][value='{right}']").check()
        step.get_by_role("button", name="Nakijken").click()
        step.get_by_role("link", name="Volgende").click()
    elif kind == "practice_inbox":
        for index, message in enumerate(module_step.value["messages"]):
            value = "scam" if message["is_scam"] else "genuine"
            step.locator(f"input[name=message-{index}][value={value}]").check()
        expect(step.get_by_text("Het is oplichting").first).to_be_visible()
        step.get_by_role("button", name="Nakijken").click()
        step.get_by_role("link", name="Volgende").click()
    elif kind == "practice_form":
        for index, field in enumerate(module_step.value["fields"]):
            locator = step.locator(f"[name=field-{index}]")
            if field["kind"] == "choice":
                locator.select_option(field["expected"] or field["choices"].split("|")[0])
            else:
                locator.fill(field["expected"] or "Marie")
        step.get_by_role("button", name="Nakijken").click()
        step.get_by_role("link", name="Volgende").click()
    elif kind == "h5p":
        answer_picture_choice(step, module_step.value["package"])
        expect(step.locator("[data-h5p-result]")).to_be_visible()
        step.get_by_role("link", name="Volgende").click()
    else:
        step.get_by_role("button", name="Volgende").click()


def test_a_dutch_speaking_learner_follows_a_french_module_in_a_dutch_interface(new_page):
    from courses.models import ModulePage

    module = ModulePage.objects.get(slug=MODULE_SLUG, locale=Locale.get_default())
    # A module not translated yet: the starter catalogue's Dutch page is taken offline.
    for dutch_page in module.get_translations():
        dutch_page.unpublish()
    association = Association.objects.get(slug="les-tilleuls")
    learner = learner_in(association, display_name="Sanne", preferred_language="nl-be")
    card = card_issue(learner=learner, association=association, pin="2468")
    # A phone set to French: the learner's own language wins from the card onwards.
    page = new_page("phone-tall", locale="fr-BE")

    page.goto(f"/c/{card.token}/")
    assert_dutch_and_accessible(page, "card-secret")
    page.get_by_label("Typ je geheime code (4 cijfers)").fill("2468")
    page.get_by_role("button", name="Binnengaan").click()
    page.wait_for_url("**/mon-parcours/")
    expect(page.get_by_text("Hallo Sanne!")).to_be_visible()
    assert_dutch_and_accessible(page, "my-path")
    # The language switch: each language in its own language, Dutch marked as current.
    current = page.locator(".language-form__choice[aria-current=true]")
    expect(current).to_have_attribute("lang", "nl-be")
    expect(current).to_contain_text("Nederlands")
    expect(page.locator(".language-form__choice[lang=fr-be]")).to_contain_text("Français")

    page.goto(f"/apprendre/{module.pk}/")
    page.wait_for_url("**/avant/")
    assert_dutch_and_accessible(page, "outcome-before")
    page.get_by_role("link", name="Overslaan").click()
    expect(page.locator(".player__module")).to_have_attribute("lang", "fr-be")
    total = len(module.steps)
    for index, module_step in enumerate(module.steps, start=1):
        step = page.locator(CONTENT)
        expect(step.get_by_text(f"Stap {index} van {total}")).to_be_visible()
        # The editors' French text says it is French (a checkpoint's title is the interface's).
        own_text = (
            ".step__text" if module_step.block_type == "checkpoint" else f"#step-title-{index}"
        )
        expect(step.locator(own_text).first).to_have_attribute("lang", "fr-be")
        if index <= 3 or module_step.block_type in {"quiz", "practice_inbox"}:
            assert_dutch_and_accessible(page, f"step-{index}-{module_step.block_type}")
        answer_in_dutch(page, module_step)
    page.wait_for_url("**/apres/")
    page.get_by_role("link", name="Overslaan").click()
    page.wait_for_url("**/bravo/")
    expect(page.get_by_role("heading", name="Goed gedaan!")).to_be_visible()
    # Every step done, but the module's checkpoint waits for the trainer: not finished yet.
    assert "Je bent aan het einde van" in page.content()
    expect(page.locator("[data-awaiting-trainer]")).to_contain_text("begeleider")
    assert_dutch_and_accessible(page, "module-done")
    assert ModuleProgress.objects.get(learner=learner).completed_at is None


def test_a_trainer_registers_a_learner_whose_screens_will_be_in_dutch(new_page):
    from lms.accounts.models import User

    page = new_page("phone-tall")
    sign_in(page, "formateur")
    page.goto("/formateur/apprenants/nouveau/")
    page.get_by_label("Prénom ou surnom").fill("Lotte")
    choices = page.get_by_role("group", name="Langue des écrans")
    # Each language is named in its own language, and says so to a screen reader.
    expect(choices.locator("span[lang=nl-be]")).to_have_text("Nederlands")
    choices.get_by_label("Nederlands").check()
    screenshot(page, "nl-trainer-learner-new")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Créer l'apprenant·e").click()
    expect(page.get_by_text("Lotte est inscrit·e")).to_be_visible()
    assert User.objects.get(display_name="Lotte").preferred_language == "nl-be"
