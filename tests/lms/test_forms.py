"""Text typed into the site (lms/forms.py): a NUL character is dropped wherever it comes in.

PostgreSQL refuses NUL in text, so on it each of these requests answered a server error
before the field dropped it; on SQLite the NUL was searched for, or stored, as it came. Each
test sends a word cut by a NUL and expects what the word without it gives.
"""

import pytest
from django.urls import reverse

from lms.accounts.models import Role
from lms.forms import SearchForm, TypedTextField, search_query
from tests.factories import AssociationFactory, MembershipFactory, learner_in, trainer_in

pytestmark = pytest.mark.django_db


def test_typed_text_loses_its_nul_characters_then_its_spaces_then_its_tail():
    field = TypedTextField(cut_at=5)
    assert field.clean(" \x00Na\x00mur\x00 ") == "Namur"
    assert field.clean("Charleroi") == "Charl"
    assert field.clean("\x00") == ""
    assert TypedTextField().clean("x" * 300) == "x" * 300


def test_a_search_box_gives_what_was_asked_or_nothing():
    assert search_query({"q": "4\x0000\x000"}, cut_at=60) == "4000"
    assert search_query({}, cut_at=60) == ""
    # Each form its own length: the field is not shared between forms.
    assert SearchForm({"q": "abcdef"}, cut_at=2).fields["q"].cut_at == 2
    assert search_query({"q": "abcdef"}, cut_at=4) == "abcd"


def test_find_help_searches_the_municipality_without_the_nul(client):
    AssociationFactory(name="EPN Namur", postcode="5000", municipality="Namur")
    response = client.get(reverse("accounts:find_help"), {"q": "Na\x00mur"})
    assert response.status_code == 200
    assert "EPN Namur" in response.content.decode()


def test_the_learners_list_searches_the_name_without_the_nul(client):
    association = AssociationFactory()
    learner_in(association, display_name="Nulbertine")
    client.force_login(trainer_in(association, display_name="Nulfried"))
    response = client.get(reverse("logbook:learners"), {"q": "Nul\x00bertine"})
    assert response.status_code == 200
    assert "Nulbertine" in response.content.decode()


def test_a_new_group_is_named_without_the_nul(client):
    association = AssociationFactory()
    coordinator = MembershipFactory(association=association, role=Role.COORDINATOR).user
    client.force_login(coordinator)
    response = client.post(reverse("logbook:group_new"), {"name": "Groupe\x00 du mardi"})
    assert response.status_code == 302
    assert list(association.groups.values_list("name", flat=True)) == ["Groupe du mardi"]


def test_the_catalogue_searches_without_the_nul(client, catalogue):
    module = catalogue.get(slug="utiliser-un-ecran-tactile")
    word = module.title.split()[-1]
    cut = f"{word[:2]}\x00{word[2:]}"
    response = client.get("/catalogue/", {"q": cut})
    assert response.status_code == 200
    assert module.title in response.content.decode()
