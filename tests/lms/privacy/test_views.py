"""Personal data screens: who may export, correct, erase; consents; register; audit trail."""

import json
import re
from html import unescape

import pytest
from django.urls import reverse

from lms.accounts.models import AuditEntry, Consent, LearnerProfile, Role, User
from lms.learning.models import Statement, Verb
from tests.factories import (
    AssociationFactory,
    AttendanceFactory,
    MembershipFactory,
    TrainingSessionFactory,
    UserFactory,
    learner_in,
    trainer_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(db):
    association = AssociationFactory()
    trainer = trainer_in(association, display_name="Thomas")
    coordinator = MembershipFactory(
        association=association, role=Role.COORDINATOR, user=UserFactory(display_name="Claire")
    ).user
    learner = learner_in(association, display_name="Rosa")
    LearnerProfile.objects.create(user=learner, family_name="Lopez", postcode="4000")
    session = TrainingSessionFactory(association=association)
    AttendanceFactory(session=session, learner=learner)
    Statement.objects.create(
        learner=learner,
        learner_pseudonym=learner.pseudonym,
        verb=Verb.COMPLETED,
        object_iri="https://example.org/step",
        association=association,
        timestamp=session.created_at,
    )
    return {
        "association": association,
        "trainer": trainer,
        "coordinator": coordinator,
        "learner": learner,
    }


def url(name, learner):
    return reverse(f"logbook:{name}", args=[learner.pk])


def test_a_trainer_downloads_a_learners_data_as_json_and_it_is_audited(client, setting):
    client.force_login(setting["trainer"])
    response = client.get(url("learner_data_json", setting["learner"]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["profile"]["family_name"] == "Lopez"
    assert len(data["attendances"]) == 1
    entry = AuditEntry.objects.get(action="learner_export")
    assert entry.actor == setting["trainer"] and entry.after == {"format": "json"}


def test_the_printable_page_reads_in_french(client, setting):
    client.force_login(setting["trainer"])
    page = client.get(url("learner_data", setting["learner"])).content.decode()
    assert "Données gardées sur Rosa" in page
    assert "Lopez" in page
    assert "Séances suivies" in page


@pytest.mark.parametrize(
    "name", ["learner_data_json", "learner_data", "learner_edit", "learner_erase"]
)
def test_staff_of_another_association_gets_nothing(client, setting, name):
    outsider = MembershipFactory(association=AssociationFactory(), role=Role.COORDINATOR).user
    client.force_login(outsider)
    assert client.get(url(name, setting["learner"])).status_code == 403


def test_a_learner_cannot_open_the_screens(client, setting):
    client.force_login(setting["learner"])
    assert client.get(url("learner_data", setting["learner"])).status_code == 403
    assert client.get(reverse("logbook:register")).status_code == 403
    assert client.get(reverse("logbook:audit_log")).status_code == 403


def test_a_correction_is_saved_and_its_before_and_after_are_shown_to_the_coordinator(
    client, setting
):
    client.force_login(setting["trainer"])
    response = client.post(
        url("learner_edit", setting["learner"]),
        {"display_name": "Rosalia", "family_name": "Lopez", "postcode": "4020"},
    )
    assert response.url == url("learner", setting["learner"])
    setting["learner"].refresh_from_db()
    assert setting["learner"].display_name == "Rosalia"
    client.force_login(setting["coordinator"])
    page = client.get(
        reverse("logbook:audit_log") + f"?apprenant={setting['learner'].pk}"
    ).content.decode()
    page = unescape(page)
    assert "Thomas a corrigé la fiche de l'apprenant·e Rosalia\u202f: " in page
    # The values before and after stay, behind "Détails".
    assert "Données de l'apprenant·e corrigées" in page
    assert "<td>4000</td><td>4020</td>" in page


def test_a_bad_postcode_is_refused_kindly(client, setting):
    client.force_login(setting["trainer"])
    response = client.post(
        url("learner_edit", setting["learner"]), {"display_name": "Rosa", "postcode": "40"}
    )
    assert response.status_code == 200
    assert "4 chiffres" in response.content.decode()


def test_a_trainer_cannot_erase(client, setting):
    client.force_login(setting["trainer"])
    assert client.get(url("learner_erase", setting["learner"])).status_code == 403
    assert (
        client.post(url("learner_erase", setting["learner"]), {"name": "Rosa"}).status_code == 403
    )
    setting["learner"].refresh_from_db()
    assert setting["learner"].erased_at is None


def test_a_coordinator_erases_after_typing_the_name_and_a_second_post_is_harmless(client, setting):
    client.force_login(setting["coordinator"])
    page = client.get(url("learner_erase", setting["learner"])).content.decode()
    assert "Ce qui est effacé" in page and "Ce qui reste" in page
    response = client.post(url("learner_erase", setting["learner"]), {"name": "rose"})
    assert "Ce n'est pas le prénom" in unescape(response.content.decode())
    setting["learner"].refresh_from_db()
    assert setting["learner"].erased_at is None

    response = client.post(url("learner_erase", setting["learner"]), {"name": " ROSA "})
    assert response.url == reverse("logbook:learners")
    learner = User.objects.get(pk=setting["learner"].pk)
    assert learner.erased_at is not None and learner.display_name == ""
    assert Statement.objects.get().learner_id is None
    response = client.post(url("learner_erase", setting["learner"]), {"name": "Rosa"})
    assert response.url == reverse("logbook:learners")
    assert AuditEntry.objects.filter(action="learner_erase").count() == 1
    # The person is gone from the lists, and their record no longer opens.
    listed = client.get(reverse("logbook:learners")).content.decode()
    assert url("learner", setting["learner"]) not in listed
    assert client.get(url("learner", setting["learner"])).status_code == 403


def test_erasing_needs_a_post(client, setting):
    client.force_login(setting["coordinator"])
    client.get(url("learner_erase", setting["learner"]) + "?name=Rosa")
    setting["learner"].refresh_from_db()
    assert setting["learner"].erased_at is None


def test_consents_are_recorded_and_withdrawn_from_the_learners_page(client, setting):
    client.force_login(setting["trainer"])
    consent_url = url("learner_consent", setting["learner"])
    client.post(consent_url, {"purpose": "photos", "action": "give"})
    client.post(consent_url, {"purpose": "photos", "action": "give"})
    assert Consent.objects.filter(purpose="photos", withdrawn_at=None).count() == 1
    page = client.get(url("learner", setting["learner"])).content.decode()
    assert "D'accord depuis le" in unescape(page)
    client.post(consent_url, {"purpose": "photos", "action": "withdraw"})
    assert not Consent.objects.filter(withdrawn_at=None).exists()
    response = client.post(consent_url, {"purpose": "marketing"}, follow=True)
    assert "pas valable" in response.content.decode()
    assert client.get(consent_url).status_code == 405


def test_the_learner_page_links_to_the_data_screens_and_erasure_only_for_coordinators(
    client, setting
):
    client.force_login(setting["trainer"])
    page = client.get(url("learner", setting["learner"])).content.decode()
    assert url("learner_data", setting["learner"]) in page
    assert url("learner_erase", setting["learner"]) not in page
    client.force_login(setting["coordinator"])
    page = client.get(url("learner", setting["learner"])).content.decode()
    assert url("learner_erase", setting["learner"]) in page
    assert reverse("logbook:register") in page


def test_the_register_is_for_coordinators_and_superusers(client, setting):
    client.force_login(setting["trainer"])
    assert client.get(reverse("logbook:register")).status_code == 403
    client.force_login(setting["coordinator"])
    page = client.get(reverse("logbook:register")).content.decode()
    assert "Registre des traitements" in page
    assert "année de naissance" in page
    client.force_login(UserFactory(is_superuser=True))
    assert client.get(reverse("logbook:register")).status_code == 200
    client.logout()
    assert client.get(reverse("logbook:register")).status_code == 302


def test_the_audit_log_shows_only_the_coordinators_associations(client, setting):
    other = AssociationFactory()
    outsider_trainer = trainer_in(other, display_name="Zorro")
    from lms.accounts.services import audit_record

    audit_record(
        actor=outsider_trainer, action="group_create", obj=other, association=other, after={}
    )
    audit_record(
        actor=setting["trainer"],
        action="group_create",
        obj=setting["association"],
        association=setting["association"],
        after={"name": "Lundi"},
    )
    client.force_login(setting["coordinator"])
    page = client.get(reverse("logbook:audit_log")).content.decode()
    assert "Thomas" in page and "Zorro" not in page
    client.force_login(setting["trainer"])
    assert client.get(reverse("logbook:audit_log")).status_code == 403


def test_the_audit_log_pins_its_queries(client, setting, django_assert_max_num_queries):
    from lms.accounts.services import audit_record

    client.force_login(setting["coordinator"])
    audit_record(
        actor=setting["trainer"],
        action="learner_create",
        obj=setting["learner"],
        association=setting["association"],
        after={"display_name": "Rosa"},
    )
    client.get(reverse("logbook:audit_log"))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("logbook:audit_log"))
    for index in range(30):
        other = learner_in(setting["association"])
        audit_record(
            actor=trainer_in(setting["association"]),
            action="learner_create",
            obj=other,
            association=setting["association"],
            after={"display_name": f"P{index}"},
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("logbook:audit_log"))
    assert response.status_code == 200


# Words a French page may share with English: the same in both languages.
SAME_IN_BOTH = {
    "association",
    "note",
    "session",
    "document",
    "image",
    "page",
    "version",
    "format",
    "situation",
    "score",
}


def test_the_register_shows_no_model_path_and_no_english_word_to_a_french_coordinator(
    client, setting
):
    from django.utils import translation

    from lms.privacy.register import register_rows

    client.force_login(setting["coordinator"])
    page = unescape(client.get(reverse("logbook:register")).content.decode())
    main = page[page.index("<main") : page.index("</main>")]
    assert not re.search(r"\b(accounts|learning|logbook|impact|wagtail\w*|courses)\.[A-Z]", main)
    assert "pseudonym," not in main and "Learner month" not in main
    # Every model and field named in French differs from its English name, unless the word
    # is the same in both languages.
    with translation.override("en"):
        english = [(name, fields) for row in register_rows() for _l, name, fields in row.models]
    with translation.override("fr-be"):
        french = [(name, fields) for row in register_rows() for _l, name, fields in row.models]
    untranslated = [
        fr
        for (en_name, en_fields), (fr_name, fr_fields) in zip(english, french, strict=True)
        for en, fr in [(en_name, fr_name), *zip(en_fields, fr_fields, strict=True)]
        if en == fr and fr.lower() not in SAME_IN_BOTH
    ]
    assert untranslated == []
    assert "<strong>Personne</strong>\u202f: nom d’utilisateur" in main
