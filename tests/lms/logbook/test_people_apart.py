"""Telling people apart: names come with what distinguishes homonyms, wherever a trainer lists
or picks learners; homonyms are flagged at creation and at import; long lists are searched."""

import datetime
import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from lms.accounts.models import LearnerProfile, User
from lms.accounts.services import card_issue
from lms.logbook.people import homonym_ids
from lms.logbook.transfer_services import transfer_preview
from tests.factories import AssociationFactory, GroupFactory, learner_in, trainer_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting():
    tilleuls = AssociationFactory(name="Les Tilleuls")
    fil = AssociationFactory(name="Le Fil")
    trainer = trainer_in(tilleuls, display_name="Thomas")
    trainer.memberships.create(association=fil, role="trainer", joined_on=timezone.localdate())
    monday = GroupFactory(association=tilleuls, name="Groupe lundi 1")
    monday.trainers.add(trainer)
    GroupFactory(association=fil, name="Groupe lundi 1").trainers.add(trainer)
    andre_1 = learner_in(tilleuls, display_name="André")
    LearnerProfile.objects.create(user=andre_1, family_name="Dubois", year_of_birth=1958)
    andre_2 = learner_in(tilleuls, display_name="Andre")
    LearnerProfile.objects.create(user=andre_2, year_of_birth=1991)
    User.objects.filter(pk=andre_2.pk).update(
        last_login=datetime.datetime(2026, 10, 12, 10, 0, tzinfo=datetime.UTC)
    )
    card = card_issue(learner=andre_2, association=tilleuls, pin="1234")
    monday.learners.add(andre_1)
    return {
        "tilleuls": tilleuls,
        "fil": fil,
        "trainer": trainer,
        "monday": monday,
        "andre_1": andre_1,
        "andre_2": andre_2,
        "card": card,
    }


@pytest.fixture
def trainer_client(client, setting):
    client.force_login(setting["trainer"])
    return client


def text_of(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def test_the_learner_list_tells_two_andres_apart(trainer_client, setting):
    text = text_of(trainer_client.get(reverse("logbook:learners")))
    assert "André Dubois né·e en 1958 · Les Tilleuls · Groupe lundi 1 · jamais connecté·e" in text
    code_end = setting["card"].short_code[-4:]
    assert f"Andre né·e en 1991 · Les Tilleuls · carte …{code_end} · dernière connexion le" in text
    assert text.count("même prénom qu'une autre personne") == 2  # André and Andre


def test_the_learner_list_takes_the_same_number_of_queries_for_many_learners(
    trainer_client, setting
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    trainer_client.get(reverse("logbook:learners"))  # the first page fills the session's cache
    with CaptureQueriesContext(connection) as few:
        trainer_client.get(reverse("logbook:learners"))
    for index in range(30):
        learner = learner_in(setting["fil"], display_name=f"Ana {index}")
        card_issue(learner=learner, association=setting["fil"], pin="1234")
        GroupFactory(association=setting["fil"], name=f"Groupe {index}").learners.add(learner)
    with CaptureQueriesContext(connection) as many:
        response = trainer_client.get(reverse("logbook:learners"))
    assert len(many) == len(few)
    assert text_of(response).count("Le Fil · Groupe") == 30


def test_homonyms_are_found_whatever_the_case_accents_and_spaces():
    people = [User(pk=1, display_name="André"), User(pk=2, display_name=" andre "), User(pk=3)]
    people[2].display_name = "Fatima"
    assert homonym_ids(people) == {1, 2}


def test_a_new_learner_with_a_known_name_written_without_accent_is_flagged_with_details(
    trainer_client, setting
):
    response = trainer_client.post(
        reverse("logbook:learner_new"),
        {"display_name": "ANDRE", "association": setting["tilleuls"].pk},
    )
    text = text_of(response)
    assert "existe déjà" in text
    assert "André Dubois né·e en 1958" in text and "Andre né·e en 1991" in text
    assert not User.objects.filter(display_name="ANDRE").exists()


def test_the_group_choice_of_a_new_learner_names_each_groups_association(trainer_client):
    html = unescape(trainer_client.get(reverse("logbook:learner_new")).content.decode())
    assert ">Groupe lundi 1 – Le Fil</option>" in html
    assert ">Groupe lundi 1 – Les Tilleuls</option>" in html


def test_the_workspace_lists_groups_under_their_association(trainer_client):
    html = unescape(trainer_client.get(reverse("logbook:workspace")).content.decode())
    assert "<h3>Le Fil</h3>" in html and "<h3>Les Tilleuls</h3>" in html
    assert html.index("<h3>Le Fil</h3>") < html.index("<h3>Les Tilleuls</h3>")


def test_who_else_came_is_ticked_in_a_searchable_list_with_details_not_a_multi_select(
    trainer_client, setting
):
    response = trainer_client.get(reverse("logbook:session_new", args=[setting["monday"].pk]))
    html = unescape(response.content.decode())
    assert "<select" not in html.split('name="others"')[0][-300:]
    assert 'data-filter-list="typed"' in html and "filter-list.js" in html
    others = re.findall(
        r'<li data-filter-item><label[^>]*><input type="checkbox" name="others"[^>]*>(.*?)</label>',
        html,
    )
    assert len(others) == 1  # André of the group is ticked above; Andre is the other one
    assert "Andre" in others[0] and "1991" in others[0]
    present = re.search(
        rf'name="present" value="{setting["andre_1"].pk}"[^>]*>(.*?)</label>', html, re.S
    )
    assert "Dubois" in present.group(1) and "1958" in present.group(1)


def test_the_other_record_to_merge_is_picked_in_a_searchable_list_of_people(
    trainer_client, setting
):
    url = reverse("logbook:learner_merge", args=[setting["andre_1"].pk])
    html = unescape(trainer_client.get(url).content.decode())
    assert f'type="radio" name="duplicate" value="{setting["andre_2"].pk}"' in html
    assert "1991" in html
    response = trainer_client.post(url, {})
    assert response.status_code == 200
    assert "Choisissez l'autre fiche." in unescape(response.content.decode())


def test_the_matrix_tells_learners_of_a_group_apart(trainer_client, setting):
    text = text_of(trainer_client.get(reverse("logbook:group", args=[setting["monday"].pk])))
    assert "André Dubois né·e en 1958 · jamais connecté·e" in text


def test_an_import_flags_new_learners_whose_first_name_is_already_known(setting):
    rows = ["Prénom ou surnom;Année de naissance", "Andre;1975", "Zoé;1980", "zoe;1990", "Rosa;"]
    file = SimpleUploadedFile("learners.csv", "\r\n".join(rows).encode("utf-8-sig"))
    preview = transfer_preview(
        kind="learners", file=file, association=setting["tilleuls"], user=setting["trainer"]
    )
    assert not preview.has_errors, preview.messages
    warnings = " ".join(preview.warnings)
    assert "Ligne 2\u202f: «\u202fAndre\u202f» a le même prénom que " in warnings
    assert "André Dubois (né·e en 1958" in warnings and "Andre (né·e en 1991" in warnings
    assert "Ligne 3\u202f: «\u202fZoé\u202f» a le même prénom que la ligne 4 du fichier" in warnings
    assert "Rosa" not in warnings
    assert preview.totals["new"] == 4  # a warning, not a refusal
