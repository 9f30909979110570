"""On a tablet (820 by 1180): a card made by tapping the sign-in pictures; people told apart and
found by typing a few letters of their name."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from lms.accounts.models import SignInCard
from lms.logbook.models import Group
from tests.factories import learner_in

from .conftest import axe_violations, screenshot, sign_in

pytestmark = pytest.mark.browser
TABLET = {"width": 820, "height": 1180}
PICTURES = ["chat", "soleil", "poisson"]


def assert_accessible(page, name: str) -> None:
    screenshot(page, name)
    assert axe_violations(page) == [], name


def tablet_of(new_page, username: str):
    page = new_page("tablet")
    page.set_viewport_size(TABLET)
    sign_in(page, username)
    return page


def test_a_card_is_made_by_tapping_pictures_and_the_learner_signs_in_with_them(new_page):
    group = Group.objects.get(association__slug="les-tilleuls", name="Groupe lundi 1")
    learner = group.learners.exclude(sign_in_cards__is_active=True).order_by("pk").first()
    page = tablet_of(new_page, "formateur")
    page.goto(reverse("logbook:learner_card", args=[learner.pk]))
    steps = page.locator("[data-picture-step]")
    expect(steps.nth(0)).to_be_visible()
    expect(steps.nth(1)).to_be_hidden()  # one picture at a time, as at sign-in
    assert_accessible(page, "trainer-card-pictures")
    for position, picture in enumerate(PICTURES):
        expect(steps.nth(position)).to_be_visible()
        for taken in PICTURES[:position]:  # a picture already chosen is not offered again
            expect(steps.nth(position).get_by_role("radio", name=taken)).to_have_count(0)
        steps.nth(position).get_by_role("radio", name=picture).click()
    expect(page.locator("[data-picture-chosen]")).to_be_visible()
    assert_accessible(page, "trainer-card-pictures-chosen")
    page.get_by_role("button", name="Faire la carte").click()
    expect(page.get_by_text("La carte est prête")).to_be_visible()

    card = SignInCard.objects.get(learner=learner, is_active=True)
    phone = new_page("phone")
    phone.goto(f"/c/{card.token}/")
    for picture in PICTURES:
        phone.get_by_role("button", name=picture).click()
    phone.wait_for_url("**/mon-parcours/")


def test_people_are_told_apart_and_found_by_typing_their_name(new_page):
    group = Group.objects.get(association__slug="les-tilleuls", name="Groupe lundi 1")
    # A learner of the association from outside the group, with an accent in her name.
    other = learner_in(group.association, username="leocadie-browser", display_name="Léocadie")
    page = tablet_of(new_page, "formateur")
    page.goto(reverse("logbook:learners"))
    expect(page.locator(".person__details").first).to_contain_text("né·e en")
    assert_accessible(page, "trainer-learners-told-apart")

    page.goto(reverse("logbook:session_new", args=[group.pk]))
    others = page.get_by_role("group", name="Sont aussi venus (hors du groupe)")
    expect(others.get_by_role("checkbox")).to_have_count(0)  # none shown before typing
    search = others.get_by_label("Tapez un nom pour trouver la personne")
    search.press_sequentially("leoc")  # lower case, no accent: found all the same
    person = others.get_by_role("checkbox", name=re.compile(rf"^{re.escape(other.public_name)} "))
    expect(person.first).to_be_visible()
    person.first.check()
    search.fill("")
    expect(others.get_by_role("checkbox")).to_have_count(1)  # the ticked one stays in view
    assert_accessible(page, "trainer-session-others-found")
