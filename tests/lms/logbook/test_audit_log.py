"""The change log reads as sentences with names and labels, the raw values behind "Détails"."""

import re
from html import unescape

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from courses.models import LearningPathPage
from lms.accounts.models import AuditEntry, Job, Role
from lms.accounts.services import audit_record
from lms.logbook.models import TrainingSession
from lms.logbook.services import group_learners_add
from lms.privacy.erasure import learner_erase
from tests.factories import (
    AssociationFactory,
    GroupFactory,
    MembershipFactory,
    UserFactory,
    learner_in,
    trainer_in,
)

pytestmark = pytest.mark.django_db

NNBSP = "\u202f"  # French puts a narrow no-break space before ":"


@pytest.fixture
def setting(catalogue):
    association = AssociationFactory(name="Les Tilleuls", slug="les-tilleuls")
    trainer = trainer_in(association, display_name="Thomas")
    coordinator = MembershipFactory(
        association=association, role=Role.COORDINATOR, user=UserFactory(display_name="Claire")
    ).user
    path = LearningPathPage.objects.live().first()
    group = GroupFactory(association=association, learning_path=path, name="Lundi matin")
    group.trainers.add(trainer)
    amina = learner_in(association, display_name="Amina")
    karim = learner_in(association, display_name="Karim")
    group.learners.add(amina, karim)
    # The log names modules in the order they were recorded: by id.
    modules = sorted(
        (link.module.specific for link in path.path_modules.all()[:2]), key=lambda m: m.pk
    )
    return {
        "association": association,
        "trainer": trainer,
        "coordinator": coordinator,
        "group": group,
        "amina": amina,
        "karim": karim,
        "modules": modules,
    }


def log_session(client, setting, **changes):
    data = {
        "held_on": "2026-12-07",
        "starts_at": "09:30",
        "ends_at": "12:00",
        "place": "Rue Haute 1",
        "modules": [str(m.pk) for m in setting["modules"]],
        "present": [str(setting["amina"].pk), str(setting["karim"].pk)],
        **changes,
    }
    client.force_login(setting["trainer"])
    response = client.post(reverse("logbook:session_new", args=[setting["group"].pk]), data)
    assert response.status_code == 302
    return TrainingSession.objects.latest("pk")


def entries_of(client, user, query="") -> list[str]:
    """The log's entries as the coordinator reads them: each entry's visible text."""
    client.force_login(user)
    response = client.get(reverse("logbook:audit_log") + query)
    assert response.status_code == 200
    page = response.content.decode()
    items = re.findall(r'<li class="audit-log__entry">(.*?)</details>\s*</li>', page, re.S)
    return [
        unescape(re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", item))).strip()
        for item in items
    ]


def sentence_of(client, user) -> list[str]:
    client.force_login(user)
    page = client.get(reverse("logbook:audit_log")).content.decode()
    return [unescape(text) for text in re.findall(r'class="audit-log__text">(.*?)</p>', page)]


def test_a_logged_session_reads_as_a_french_sentence_with_the_number_present_and_the_modules(
    client, setting
):
    log_session(client, setting)
    first, second = (m.title for m in setting["modules"])
    assert sentence_of(client, setting["coordinator"])[0] == (
        f"Thomas a noté la séance du 7 décembre 2026{NNBSP}: 2 présent·es, "
        f"modules {first} et {second}"
    )


def test_the_raw_values_stay_behind_details_and_no_id_or_list_shows_in_the_sentence(
    client, setting
):
    log_session(client, setting)
    client.force_login(setting["coordinator"])
    page = client.get(reverse("logbook:audit_log")).content.decode()
    sentence = re.search(r'class="audit-log__text">(.*?)</p>', page).group(1)
    assert "[" not in sentence and str(setting["amina"].pk) not in sentence.split(":")[-1]
    details = re.search(r"<details.*?</details>", page, re.S).group(0)
    assert "<summary>Détails</summary>" in details
    # The raw after-values are there: the ids of the people present, as they were recorded.
    assert f"{min(setting['amina'].pk, setting['karim'].pk)}, " in details


def test_validations_name_the_learner_and_the_help_they_needed(client, setting):
    session = log_session(client, setting)
    module = setting["modules"][0]
    checkpoint = next(step for step in module.steps if step.block_type == "checkpoint")
    client.post(
        reverse("logbook:session_validations", args=[session.pk]),
        {f"v-{setting['amina'].pk}-{module.pk}-{checkpoint.id}": "alone"},
    )
    entry = entries_of(client, setting["coordinator"])[0]
    assert (
        f"Thomas a noté 1 validation à la séance du 7 décembre 2026 "
        f"Validations{NNBSP}: Amina – Seul·e ({module.title})"
    ) in entry


def test_a_corrected_session_says_what_changed_and_who_was_added_or_removed(client, setting):
    session = log_session(client, setting)
    client.post(
        reverse("logbook:session_edit", args=[session.pk]),
        {
            "held_on": "2026-12-07",
            "starts_at": "09:30",
            "ends_at": "12:30",
            "place": "Rue Haute 1",
            "modules": [str(m.pk) for m in setting["modules"]],
            "present": [str(setting["amina"].pk)],
        },
    )
    entry = entries_of(client, setting["coordinator"])[0]
    assert (
        f"Thomas a corrigé la séance du 7 décembre 2026{NNBSP}: heure de fin et présence" in entry
    ), entry
    assert f"Retiré·es des présences{NNBSP}: Karim" in entry


def test_the_log_reads_in_english_for_an_english_reader(client, setting):
    log_session(client, setting)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    first, second = (m.title for m in setting["modules"])
    assert sentence_of(client, setting["coordinator"])[0] == (
        f"Thomas logged the session of Dec. 7, 2026: 2 present, modules {first} and {second}"
    )


def test_an_erased_learner_is_no_longer_named_in_the_entries_that_mentioned_them(client, setting):
    group_learners_add(group=setting["group"], learners=[setting["amina"]], by=setting["trainer"])
    assert "Thomas a ajouté Amina au groupe Lundi matin" in sentence_of(
        client, setting["coordinator"]
    )
    learner_erase(learner=setting["amina"], by=setting["coordinator"])
    sentences = sentence_of(client, setting["coordinator"])
    assert "Thomas a ajouté Personne effacée au groupe Lundi matin" in sentences
    assert not any("Amina" in sentence for sentence in sentences)


def test_an_import_is_in_the_log_with_its_counts_and_a_link_to_its_job_for_who_ran_it(
    client, setting
):
    upload = SimpleUploadedFile(
        "apprenants.csv", "first_name\r\nZoé\r\nYasmine\r\n".encode("utf-8-sig")
    )
    client.force_login(setting["coordinator"])
    response = client.post(
        reverse("transfer:import"),
        {"association": setting["association"].pk, "kind": "learners", "file": upload},
    )
    token = response.context["preview"].token
    client.post(
        reverse("transfer:confirm"),
        {"association": setting["association"].pk, "kind": "learners", "token": token},
    )
    job = Job.objects.get(kind="transfer-import")
    entry = AuditEntry.objects.get(action="transfer_import")
    assert entry.actor == setting["coordinator"] and entry.object_id == str(job.pk)
    text = entries_of(client, setting["coordinator"])[0]
    assert (
        f"Claire a importé un fichier (apprenant·es){NNBSP}: 2 lignes ajoutées, "
        "0 ligne mise à jour, 0 ligne inchangée" in text
    ), text
    client.force_login(setting["coordinator"])
    page = client.get(reverse("logbook:audit_log")).content.decode()
    assert f'href="{reverse("accounts:job", args=[job.pk])}"' in page
    assert client.get(reverse("accounts:job", args=[job.pk])).status_code == 200
    # Another coordinator of the association reads the entry, without a link they could not open.
    other = MembershipFactory(association=setting["association"], role=Role.COORDINATOR).user
    client.force_login(other)
    page = client.get(reverse("logbook:audit_log")).content.decode()
    assert "a importé un fichier" in unescape(page)
    assert reverse("accounts:job", args=[job.pk]) not in page


def test_an_export_is_in_the_log(client, setting):
    client.force_login(setting["trainer"])
    response = client.get(
        reverse("transfer:download", args=["groups", "xlsx"])
        + f"?association={setting['association'].pk}"
    )
    assert response.status_code == 200
    assert sentence_of(client, setting["coordinator"])[0] == (
        "Thomas a téléchargé la liste (groupes, XLSX)"
    )


def test_a_page_mixing_every_kind_of_entry_costs_the_same_queries_with_more_entries(
    client, setting, django_assert_max_num_queries
):
    def one_of_each():
        log_session(client, setting)
        client.force_login(setting["trainer"])
        client.get(
            reverse("transfer:download", args=["learners", "csv"])
            + f"?association={setting['association'].pk}"
        )
        client.post(reverse("logbook:learner_new"), {"display_name": "Zoé", "confirm_new": "1"})

    one_of_each()
    client.force_login(setting["coordinator"])
    client.get(reverse("logbook:audit_log"))
    connection.queries_log.clear()  # the catalogue fills it: its window would drop these
    with django_assert_max_num_queries(40) as few:
        client.get(reverse("logbook:audit_log"))
    baseline = len(few)
    assert baseline > 5
    for _round in range(4):
        one_of_each()
    client.force_login(setting["coordinator"])
    client.get(reverse("logbook:audit_log"))  # the same warm session as the first time
    connection.queries_log.clear()
    with django_assert_max_num_queries(baseline):
        client.get(reverse("logbook:audit_log"))


def test_an_xapi_export_names_the_association_and_the_period(client, setting):
    audit_record(
        actor=setting["coordinator"],
        action="xapi_export",
        obj=setting["association"],
        association=setting["association"],
        after={"start": "2026-09-01", "end": "2026-11-30"},
    )
    assert sentence_of(client, setting["coordinator"])[0] == (
        "Claire a téléchargé les traces d'apprentissage de l'association Les Tilleuls (xAPI), "
        "du 1 septembre 2026 au 30 novembre 2026"
    )


def test_an_action_no_app_describes_still_says_who_and_what(client, setting):
    audit_record(
        actor=setting["trainer"],
        action="group_create_v2",
        obj=setting["association"],
        association=setting["association"],
    )
    assert sentence_of(client, setting["coordinator"])[0] == f"Thomas{NNBSP}: group_create_v2"
