"""A coordinator on a laptop: a learner's consents, data export, correction, then erasure."""

import datetime
import json

import pytest
from playwright.sync_api import expect

from lms.accounts.models import Association, User
from lms.learning.models import Statement, Verb
from lms.logbook.models import Attendance, TrainingSession
from lms.logbook.services import learner_create

from .conftest import DEMO_TODAY, axe_violations, screenshot, sign_in

pytestmark = pytest.mark.browser


def assert_accessible(page, name: str) -> None:
    screenshot(page, name)
    assert axe_violations(page) == [], name


def test_a_coordinator_exports_then_erases_a_learner_on_a_laptop(new_page):
    tilleuls = Association.objects.get(slug="les-tilleuls")
    coordinator = User.objects.get(username="coordinateur")
    # A person of our own, not one the other browser tests use.
    learner = learner_create(
        association=tilleuls,
        display_name="Gisèle",
        created_by=coordinator,
        consent=True,
        family_name="Dupont",
        year_of_birth=1958,
        postcode="4000",
    )
    session = TrainingSession.objects.filter(association=tilleuls).first()
    Attendance.objects.create(session=session, learner=learner)
    Statement.objects.create(
        learner=learner,
        learner_pseudonym=learner.pseudonym,
        verb=Verb.COMPLETED,
        object_iri="https://pasapas.be/xapi/test/gisele",
        association=tilleuls,
        timestamp=datetime.datetime.combine(DEMO_TODAY, datetime.time(10), datetime.UTC),
    )

    page = new_page("laptop")
    sign_in(page, "coordinateur")
    page.goto(f"/formateur/apprenants/{learner.pk}/")
    expect(page.get_by_role("heading", name="Accords")).to_be_visible()
    page.get_by_role("button", name="La personne est d'accord : Photos").click()
    expect(page.get_by_text("L'accord est noté.")).to_be_visible()
    assert_accessible(page, "gdpr-learner-detail")

    # The printable page, and the same data as a file.
    page.get_by_role("link", name="Voir toutes ses données (à imprimer)").click()
    expect(page.get_by_role("heading", name="Données gardées sur Gisèle")).to_be_visible()
    expect(page.get_by_role("cell", name="Dupont", exact=True)).to_be_visible()
    assert_accessible(page, "gdpr-learner-data")
    href = page.get_by_role("link", name="Télécharger ses données (fichier JSON)").get_attribute(
        "href"
    )
    exported = json.loads(page.request.get(href).body())
    assert exported["profile"]["family_name"] == "Dupont"
    assert {c["purpose"] for c in exported["consents"]} >= {"photos"}

    # A correction.
    page.get_by_role("link", name="Retour à la fiche").click()
    page.get_by_role("link", name="Corriger ses données").click()
    assert_accessible(page, "gdpr-learner-edit")
    page.get_by_label("Code postal").fill("4020")
    page.get_by_role("button", name="Enregistrer les changements").click()
    expect(page.get_by_text("Les changements sont enregistrés.")).to_be_visible()

    # The erasure: a wrong name first, then the right one.
    page.get_by_role("link", name="Effacer les données de cette personne").click()
    expect(page.get_by_role("heading", name="Ce qui est effacé")).to_be_visible()
    assert_accessible(page, "gdpr-learner-erase")
    field = page.get_by_label("Écrivez le prénom de la personne pour confirmer")
    field.fill("Gisela")
    page.get_by_role("button", name="Effacer pour toujours").click()
    expect(page.get_by_text("Ce n'est pas le prénom de la personne")).to_be_visible()
    assert_accessible(page, "gdpr-learner-erase-wrong-name")
    page.get_by_label("Écrivez le prénom de la personne pour confirmer").fill("gisele")
    page.get_by_role("button", name="Effacer pour toujours").click()
    expect(page.get_by_text("Les données personnelles de Gisèle sont effacées.")).to_be_visible()
    assert_accessible(page, "gdpr-after-erasure")

    learner.refresh_from_db()
    assert learner.erased_at is not None and learner.display_name == ""
    assert Statement.objects.get(object_iri__endswith="/gisele").learner_id is None
    assert Attendance.objects.filter(learner=learner).count() == 1

    # The history says who did what; the person's name is gone from it.
    page.goto("/formateur/journal/")
    expect(page.get_by_role("heading", name="Historique des modifications")).to_be_visible()
    expect(
        page.get_by_text("Claire a effacé les données personnelles d'un·e apprenant·e").first
    ).to_be_visible()
    assert "Dupont" not in page.content()
    assert_accessible(page, "gdpr-audit-log")

    page.goto("/formateur/registre/")
    expect(page.get_by_role("heading", name="Registre des traitements")).to_be_visible()
    assert_accessible(page, "gdpr-register")
