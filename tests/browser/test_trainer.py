"""A trainer on a tablet: three new learners, their cards, a session with validations."""

import re

import pytest
from playwright.sync_api import expect

from lms.logbook.models import Group, TrainingSession

from .conftest import axe_violations, screenshot, sign_in

pytestmark = pytest.mark.browser
NAMES = ["Zineb", "Gaston", "Irina"]  # not among the demo names: no "already exists" warning


def assert_accessible(page, name: str) -> None:
    screenshot(page, name)
    assert axe_violations(page) == [], name


def test_a_trainer_registers_learners_and_logs_a_session_on_a_tablet(new_page):
    group = Group.objects.get(association__slug="les-tilleuls", name="Groupe lundi 1")
    page = new_page("tablet")
    sign_in(page, "formateur")
    assert_accessible(page, "trainer-workspace")

    for index, name in enumerate(NAMES):
        page.goto(f"/formateur/groupes/{group.pk}/")
        page.get_by_role("link", name="Nouvel·le apprenant·e").click()
        page.get_by_label("Prénom ou surnom").fill(name)
        page.get_by_label("La personne accepte").check()
        if index == 0:
            assert_accessible(page, "trainer-learner-new")
        page.get_by_role("button", name="Créer l'apprenant·e").click()
        page.get_by_label("Code secret de 4 chiffres (si vous en voulez un)").fill(
            f"{index + 1}{index + 1}47"
        )
        if index == 0:
            assert_accessible(page, "trainer-learner-card")
        page.get_by_role("button", name="Faire la carte").click()
        expect(page.get_by_text("La carte est prête")).to_be_visible()
        card_pdf = page.get_by_role("link", name="Imprimer la carte").get_attribute("href")
        response = page.request.get(card_pdf)
        assert response.headers["content-type"] == "application/pdf"
    assert_accessible(page, "trainer-learner-detail")

    # The group's cards: the members without a card are named before theirs are made.
    page.goto(f"/formateur/groupes/{group.pk}/")
    page.get_by_role("link", name="Imprimer les cartes du groupe").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Imprimer les cartes du groupe")
    without = group.learners.exclude(sign_in_cards__is_active=True)
    for learner in without:
        expect(page.locator(".person-list").get_by_text(learner.public_name).first).to_be_visible()
    for name in NAMES:  # their cards are made already
        expect(page.locator(".person-list").get_by_text(name)).to_have_count(0)
    assert_accessible(page, "trainer-group-cards-confirm")
    token = page.locator("#main input[name=csrfmiddlewaretoken]").input_value()
    sheet = page.request.post(page.url, form={"csrfmiddlewaretoken": token})
    assert sheet.body().startswith(b"%PDF")
    assert not group.learners.exclude(sign_in_cards__is_active=True).exists()
    page.goto(f"/formateur/groupes/{group.pk}/")

    # Logging the session: the group page, two screens, and back to the group page.
    screens = 1
    page.get_by_role("link", name="Noter une séance").first.click()
    screens += 1
    assert_accessible(page, "trainer-session-form")
    for name in NAMES:
        # The name comes first, then what tells homonyms apart (year of birth, card, ...).
        # Nobody is ticked until the trainer says who came.
        expect(page.get_by_role("checkbox", name=re.compile(rf"^{name} "))).not_to_be_checked()
    page.get_by_role("button", name="Tout le monde est venu").click()
    for name in NAMES:
        expect(page.get_by_role("checkbox", name=re.compile(rf"^{name} "))).to_be_checked()
    page.get_by_role("button", name="Continuer", exact=True).click()
    screens += 1
    assert_accessible(page, "trainer-session-validations")
    checkpoint = page.locator("[data-checkpoint]").first
    checkpoint.get_by_role("radiogroup", name="Zineb").get_by_role("radio", name="Seul·e").check()
    checkpoint.get_by_role("radiogroup", name="Gaston").get_by_role(
        "radio", name="Avec un peu d'aide"
    ).check()
    page.get_by_role("button", name="Enregistrer la séance").click()
    screens += 1
    assert screens <= 4
    expect(page.get_by_text("Séance enregistrée")).to_be_visible()
    assert_accessible(page, "trainer-group-view")
    row = page.get_by_role("row", name="Zineb")
    expect(row.get_by_text("Montré au formateur")).to_be_visible()

    session = TrainingSession.objects.filter(group=group).order_by("-created_at").first()
    assert session.attendances.filter(learner__display_name__in=NAMES).count() == 3
    assert group.learners.filter(display_name__in=NAMES).count() == 3

    # The learner sees the validation in their own Mon parcours and in the module.
    from lms.accounts.models import SignInCard

    card = SignInCard.objects.get(learner__display_name="Zineb", is_active=True)
    learner_page = new_page("phone")
    learner_page.goto(f"/c/{card.token}/")
    learner_page.get_by_label("Tapez votre code secret (4 chiffres)").fill("1147")
    learner_page.get_by_role("button", name="Entrer").click()
    learner_page.wait_for_url("**/mon-parcours/")
    learner_page.get_by_role("link", name="Continuer").click()
    checkpoint = learner_page.locator("[data-kind=checkpoint]")
    expect(checkpoint.get_by_text("Votre formateur a validé cette étape.")).to_have_count(1)
    screenshot(learner_page, "learner-sees-validation")


def test_a_trainer_sees_best_scores_in_the_group_view_on_a_tablet(new_page):
    """Best scores per learner and module; the H5P ones say they are self-reported."""
    import uuid

    from django.utils import timezone

    from lms.learning.models import Statement, Verb
    from lms.logbook.selectors import best_scores

    group = Group.objects.get(association__slug="les-tilleuls", name="Groupe lundi 1")
    module = group.learning_path.path_modules.order_by("sort_order").first().module.specific
    first, second = group.learners.order_by("display_name", "pk")[:2]
    now = timezone.now()
    for learner, kind, scaled in (
        (first, "quiz", 0.75),
        (first, "h5p", 0.5),
        (second, "h5p", 1.0),
    ):
        Statement.objects.create(
            learner=learner,
            learner_pseudonym=learner.pseudonym,
            verb=Verb.ANSWERED,
            object_iri=f"{module.iri}/steps/{uuid.uuid4()}",
            object_kind=kind,
            module_iri=module.iri,
            is_self_reported=kind == "h5p",
            score_scaled=scaled,
            association=group.association,
            timestamp=now,
        )

    # The demo may hold better tries already: the page shows the best, as the records say.
    best = best_scores([first.pk, second.pk], [module.iri])
    page = new_page("tablet")
    sign_in(page, "formateur")
    page.goto(f"/formateur/groupes/{group.pk}/")
    cell = page.get_by_role("row", name=first.public_name).get_by_role("cell").first
    expect(cell).to_contain_text(f"Score\u202f: {best[(first.pk, module.iri, False)]} %")
    expect(cell).to_contain_text(f"Score H5P\u202f: {best[(first.pk, module.iri, True)]} % *")
    expect(cell).to_contain_text("(auto-déclaré)")
    cell = page.get_by_role("row", name=second.public_name).get_by_role("cell").first
    expect(cell).to_contain_text(f"Score H5P\u202f: {best[(second.pk, module.iri, True)]} %")
    expect(page.get_by_text("il est auto-déclaré")).to_be_visible()
    assert_accessible(page, "trainer-group-view-scores")
