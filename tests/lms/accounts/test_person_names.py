"""Names are stored in one written form: NFC, no invisible or reordering characters.

"A\u200bm\u200bi\u200bna" looks like "Amina" on screen; it must not become a second Amina
that the homonym check cannot see, whichever way the name comes in.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lms.accounts.models import LearnerProfile, User
from lms.accounts.names import person_name_clean
from lms.logbook.transfer_learners import LearnerResource
from lms.logbook.transfer_services import transfer_confirm, transfer_preview
from lms.privacy.rectification import learner_rectify
from tests.factories import AssociationFactory, GroupFactory, learner_in, trainer_in

pytestmark = pytest.mark.django_db

HIDDEN = [
    "A\u200bm\u200bi\u200bna",  # zero-width spaces
    "Am\u200cin\u200da",  # zero-width non-joiner and joiner
    "\ufeffAmi\u2060na",  # byte order mark, word joiner
    "\u202aAmina\u202c",  # left-to-right embedding ... pop
    "\u2066Amina\u2069",  # left-to-right isolate ... pop isolate
    "\u202eAmina",  # right-to-left override
    " Amina\u200f ",  # right-to-left mark, spaces around
]


@pytest.mark.parametrize("typed", HIDDEN)
def test_invisible_and_reordering_characters_are_removed(typed):
    assert person_name_clean(typed) == "Amina"


def test_names_are_kept_in_nfc_so_one_accent_is_one_character():
    decomposed = "E\u0301lise Franc\u0327ois"
    assert person_name_clean(decomposed) == "Élise François"
    assert len(person_name_clean(decomposed)) == len("Élise François")


def test_line_breaks_and_runs_of_spaces_become_one_space():
    assert person_name_clean("Jean\n\tPierre   Dupont") == "Jean Pierre Dupont"


@pytest.fixture
def setting():
    association = AssociationFactory()
    trainer = trainer_in(association, display_name="Thomas")
    group = GroupFactory(association=association)
    group.trainers.add(trainer)
    amina = learner_in(association, display_name="Amina")
    group.learners.add(amina)
    return {"association": association, "trainer": trainer, "amina": amina}


@pytest.mark.parametrize("typed", HIDDEN)
def test_the_homonym_check_sees_through_hidden_characters(client, setting, typed):
    client.force_login(setting["trainer"])
    response = client.post(reverse("logbook:learner_new"), {"display_name": typed})
    assert response.status_code == 200
    assert "existe déjà" in response.content.decode()
    assert User.objects.filter(display_name__contains="mina").count() == 1


def test_a_confirmed_second_amina_is_stored_without_the_hidden_characters(client, setting):
    client.force_login(setting["trainer"])
    client.post(
        reverse("logbook:learner_new"),
        {
            "display_name": "A\u200bm\u200bi\u200bna",
            "family_name": "Ben\u202eali",
            "confirm_new": "1",
        },
    )
    second = User.objects.exclude(pk=setting["amina"].pk).get(display_name__contains="mina")
    assert second.display_name == "Amina"
    assert second.first_name == "Amina"
    assert second.learner_profile.family_name == "Benali"


def test_a_name_made_only_of_hidden_characters_is_refused_as_empty(client, setting):
    client.force_login(setting["trainer"])
    before = User.objects.count()
    response = client.post(reverse("logbook:learner_new"), {"display_name": "\u200b\u202e"})
    assert response.status_code == 200
    assert response.context["form"].errors["display_name"]
    assert User.objects.count() == before


def test_a_rectified_name_is_cleaned_too(setting):
    learner_rectify(
        learner=setting["amina"],
        by=setting["trainer"],
        display_name="Ami\u200bna",
        family_name="E\u0301lise",
        association=setting["association"],
    )
    amina = User.objects.get(pk=setting["amina"].pk)
    assert amina.display_name == "Amina"
    assert LearnerProfile.objects.get(user=amina).family_name == "Élise"


def test_an_imported_name_is_cleaned_too(setting):
    header = ";".join(str(label) for label in LearnerResource.labels())
    row = ";".join(["", "Jo\u200bs\u00e9\u202e", "Ma\u0300rtin"] + [""] * 6)
    data = f"{header}\r\n{row}\r\n".encode()
    preview = transfer_preview(
        kind="learners",
        file=SimpleUploadedFile("learners.csv", data, content_type="text/csv"),
        association=setting["association"],
        user=setting["trainer"],
    )
    assert not preview.has_errors, preview.messages
    transfer_confirm(
        kind="learners",
        token=preview.token,
        association=setting["association"],
        user=setting["trainer"],
    )
    imported = User.objects.get(display_name__startswith="Jo")
    assert imported.display_name == "José"
    assert imported.learner_profile.family_name == "Màrtin"


def test_names_stored_before_the_rule_are_cleaned_by_the_data_migration(setting):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("lms.accounts.migrations.0006_person_names_cleaned")
    hidden = learner_in(
        setting["association"], display_name="A\u200bmi\u202ena", first_name="A\u200bmi\u202ena"
    )
    LearnerProfile.objects.create(user=hidden, family_name="Ben\u2066ali  ")
    plain = User.objects.get(pk=setting["amina"].pk)

    migration.clean_names(apps, None)

    hidden.refresh_from_db()
    assert (hidden.display_name, hidden.first_name) == ("Amina", "Amina")
    assert hidden.learner_profile.family_name == "Benali"
    assert User.objects.get(pk=plain.pk).display_name == "Amina"
    assert User.objects.filter(display_name="Amina").count() == 2  # now the homonyms they are
