"""A person's language is kept on them and used at every sign-in, whatever the device says."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from lms.accounts.models import User
from lms.accounts.services import card_issue, person_language_set
from lms.learning.attestation import attestation_pdf
from lms.logbook.services import learner_create
from tests.factories import learner_in, trainer_in
from tests.pdf_text import drawn_text

pytestmark = pytest.mark.django_db
COOKIE = settings.LANGUAGE_COOKIE_NAME


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


@pytest.fixture
def dutch_card(association):
    learner = learner_in(association, display_name="Sanne", preferred_language="nl-be")
    return card_issue(learner=learner, association=association, pin="2468")


def test_a_scanned_card_asks_for_the_secret_in_the_learners_own_language(client, dutch_card):
    client.cookies[COOKIE] = "fr-be"  # the association's computer is set to French
    response = client.get(reverse("accounts:card_start", args=[dutch_card.token]), follow=True)
    page = response.content.decode()
    assert html_lang(response) == "nl-be"
    assert "Typ je geheime code (4 cijfers)" in page


def test_signing_in_with_the_card_opens_mon_parcours_in_the_learners_language(client, dutch_card):
    client.get(reverse("accounts:card_start", args=[dutch_card.token]))
    client.cookies[COOKIE] = "en"  # someone changed the device's language in between
    response = client.post(reverse("accounts:card_secret"), {"pin": "2468"})
    assert response.cookies[COOKIE].value == "nl-be"
    page = client.get(response.url)
    assert html_lang(page) == "nl-be"
    assert "Hallo Sanne!" in page.content.decode()


def test_a_learner_without_a_language_keeps_the_devices_own(client, association):
    learner = learner_in(association, display_name="Yusuf")
    card = card_issue(learner=learner, association=association, pin="1357")
    client.cookies[COOKIE] = "en"
    client.get(reverse("accounts:card_start", args=[card.token]))
    response = client.post(reverse("accounts:card_secret"), {"pin": "1357"})
    assert COOKIE not in response.cookies
    assert html_lang(client.get(response.url)) == "en"


def test_a_password_sign_in_uses_the_persons_language(client, association):
    trainer_in(association, username="griet", preferred_language="nl-be")
    response = client.post(reverse("accounts:login"), {"username": "griet", "password": "demo"})
    assert response.status_code == 302
    assert response.cookies[COOKIE].value == "nl-be"


def test_a_session_a_trainer_opens_for_a_learner_speaks_the_learners_language(
    client, association, dutch_card
):
    trainer = trainer_in(association, preferred_language="fr-be")
    client.force_login(trainer)
    response = client.post(reverse("logbook:learner_open_session", args=[dutch_card.learner.pk]))
    assert response.cookies[COOKIE].value == "nl-be"


def test_the_language_a_signed_in_person_chooses_is_kept_on_them(client, association):
    learner = learner_in(association)
    client.force_login(learner)
    response = client.post(reverse("set_language"), {"language": "nl-be", "next": "/"})
    assert response.cookies[COOKIE].value == "nl-be"
    learner.refresh_from_db()
    assert learner.preferred_language == "nl-be"
    # A language the site does not offer changes nothing.
    client.post(reverse("set_language"), {"language": "de", "next": "/"})
    learner.refresh_from_db()
    assert learner.preferred_language == "nl-be"


def test_a_visitor_can_choose_a_language_without_an_account(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.cookies[COOKIE].value == "en"


def test_the_language_switch_names_each_language_in_its_own_language(client):
    client.cookies[COOKIE] = "nl-be"
    page = client.get(reverse("accounts:find_help")).content.decode()
    assert '<select id="language-select"' not in page
    for code, name in (("fr-be", "Français"), ("nl-be", "Nederlands"), ("en", "English")):
        button = re.search(rf'<button[^>]*value="{code}"[^>]*>.*?</button>', page).group(0)
        assert f'lang="{code}"' in button and name in button
    current = re.search(r'<button[^>]*aria-current="true"[^>]*>', page).group(0)
    assert 'value="nl-be"' in current


def test_person_language_set_refuses_a_language_the_site_does_not_offer(association):
    learner = learner_in(association)
    with pytest.raises(ValueError):
        person_language_set(person=learner, language="de")
    assert person_language_set(person=learner, language="NL-BE") is True
    assert User.objects.get(pk=learner.pk).preferred_language == "nl-be"
    assert person_language_set(person=learner, language="nl-be") is False


def test_the_trainer_registers_a_learner_with_the_language_of_their_screens(client, association):
    trainer = trainer_in(association)
    client.force_login(trainer)
    form = client.get(reverse("logbook:learner_new")).content.decode()
    assert '<span lang="nl-be">Nederlands</span>' in form
    response = client.post(
        reverse("logbook:learner_new"),
        {"display_name": "Joke", "preferred_language": "nl-be", "association": association.pk},
    )
    assert response.status_code == 302, response.content.decode()[-1500:]
    learner = User.objects.get(display_name="Joke")
    assert learner.preferred_language == "nl-be"


def test_the_trainer_corrects_a_learners_language_and_the_change_is_audited(client, association):
    from lms.accounts.models import AuditEntry

    trainer = trainer_in(association)
    learner = learner_create(association=association, display_name="Ilse", created_by=trainer)
    assert learner.preferred_language == ""
    client.force_login(trainer)
    response = client.post(
        reverse("logbook:learner_edit", args=[learner.pk]),
        {"display_name": "Ilse", "preferred_language": "nl-be"},
    )
    assert response.status_code == 302, response.content.decode()[-1500:]
    learner.refresh_from_db()
    assert learner.preferred_language == "nl-be"
    entry = AuditEntry.objects.filter(action="learner_update").latest("at")
    assert entry.before == {"preferred_language": ""}
    assert entry.after == {"preferred_language": "nl-be"}


def test_learner_create_refuses_a_language_the_site_does_not_offer(association):
    trainer = trainer_in(association)
    with pytest.raises(ValueError):
        learner_create(
            association=association, display_name="X", created_by=trainer, preferred_language="de"
        )


def test_the_attestation_is_written_in_the_learners_language(catalogue, association):
    from courses.models import LearningPathPage

    path = LearningPathPage.objects.live().first()
    learner = learner_in(association, display_name="Sanne", preferred_language="nl-be")
    pdf = attestation_pdf(learner=learner, path=path, modules=[], association=association)
    assert "Attest van opleiding" in drawn_text(pdf)
    learner.preferred_language = ""
    pdf = attestation_pdf(learner=learner, path=path, modules=[], association=association)
    assert "Attestation de formation" in drawn_text(pdf)  # the page's language: French
