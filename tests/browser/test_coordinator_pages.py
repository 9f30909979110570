"""The demo coordinator on a tablet: the register in French, and removing a trainer asks once."""

import re

import pytest
from playwright.sync_api import expect

from lms.accounts.models import Association, Membership, Role
from lms.logbook.services import trainer_add

from .conftest import axe_violations, screenshot, sign_in

pytestmark = pytest.mark.browser

NNBSP = "\u202f"


def tablet(new_page):
    page = new_page("tablet")
    page.set_viewport_size({"width": 820, "height": 1180})
    sign_in(page, "coordinateur")
    return page


def test_the_register_reads_in_french_without_model_paths_on_a_tablet(new_page):
    page = tablet(new_page)
    page.goto("/formateur/registre/")
    expect(page.get_by_role("heading", name="Registre des traitements")).to_be_visible()
    text = page.locator("main").inner_text()
    assert not re.search(r"\b(accounts|learning|logbook|impact|wagtail\w*)\.[A-Z]", text)
    assert "pseudonym," not in text and "Learner month" not in text
    assert f"Personne{NNBSP}: nom d’utilisateur" in text
    screenshot(page, "register-tablet")
    assert axe_violations(page) == []


def test_removing_a_trainer_says_what_will_happen_and_asks_once_on_a_tablet(new_page):
    tilleuls = Association.objects.get(slug="les-tilleuls")
    coordinator = Membership.objects.get(
        association=tilleuls, role=Role.COORDINATOR, user__username="coordinateur"
    ).user
    trainer = trainer_add(
        association=tilleuls,
        by=coordinator,
        display_name="Jeanne",
        username="jeanne-test-retrait",
        password="un-long-mot-de-passe",
    )
    page = tablet(new_page)
    page.goto("/formateur/formateurs/")
    row = page.get_by_role("row").filter(has_text="jeanne-test-retrait")
    row.get_by_role("button", name="Retirer des formateur·rices").click()

    expect(
        page.get_by_role("heading", name=f"Retirer Jeanne des formateur·rices{NNBSP}?")
    ).to_be_visible()
    expect(
        page.get_by_text(
            "Jeanne ne pourra plus se connecter comme formateur·rice de l'association "
            f"{tilleuls.name}."
        )
    ).to_be_visible()
    screenshot(page, "trainer-remove-confirm-tablet")
    assert axe_violations(page) == []
    # Nothing has happened yet.
    assert Membership.objects.get(user=trainer, association=tilleuls).is_active

    page.get_by_role("button", name="Oui, retirer Jeanne").click()
    expect(page.get_by_text("Jeanne n'est plus formateur·rice ici.")).to_be_visible()
    assert not Membership.objects.get(user=trainer, association=tilleuls).is_active
    screenshot(page, "trainer-removed-tablet")
