"""Who lands where, and who may open which pages."""

import html

import pytest
from django.contrib.auth.models import Group as PermissionGroup
from django.urls import reverse

from lms.accounts.access import home_url_name, learners_for_trainer
from lms.accounts.models import Role
from tests.factories import (
    AssociationFactory,
    FunderFactory,
    MembershipFactory,
    UserFactory,
    learner_in,
    trainer_in,
)

pytestmark = pytest.mark.django_db

PAGES = {
    "learner": reverse("learning:my_path"),
    "trainer": reverse("logbook:workspace"),
    "funder": reverse("impact:dashboard"),
}


@pytest.fixture
def people():
    association = AssociationFactory()
    funder_user = UserFactory()
    FunderFactory().members.add(funder_user)
    editor = UserFactory()
    editor.groups.add(PermissionGroup.objects.get(name="Editors"))
    return {
        "learner": learner_in(association),
        "trainer": trainer_in(association),
        "coordinator": MembershipFactory(association=association, role=Role.COORDINATOR).user,
        "funder": funder_user,
        "editor": editor,
    }


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("learner", "/mon-parcours/"),
        ("trainer", "/formateur/"),
        ("coordinator", "/formateur/"),
        ("funder", "/impact/"),
        ("editor", "/admin/"),
    ],
)
def test_after_sign_in_each_role_is_sent_to_its_own_home(client, people, role, expected):
    client.force_login(people[role])
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 302
    assert response.url == expected


def test_a_person_who_is_trainer_and_learner_lands_on_the_workspace(people):
    trainer = people["trainer"]
    MembershipFactory(user=trainer, role=Role.LEARNER)
    assert home_url_name(trainer) == "logbook:workspace"


@pytest.mark.parametrize("page", list(PAGES))
def test_anonymous_visitors_are_sent_to_sign_in(client, page):
    response = client.get(PAGES[page])
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


ALLOWED = {
    "learner": {"learner"},
    "trainer": {"trainer"},
    "coordinator": {"trainer"},
    "funder": {"funder"},
    "editor": set(),
}


@pytest.mark.parametrize("role", list(ALLOWED))
@pytest.mark.parametrize("page", list(PAGES))
def test_each_role_opens_only_its_own_pages(client, people, role, page):
    client.force_login(people[role])
    response = client.get(PAGES[page])
    expected = 200 if page in ALLOWED[role] else 403
    assert response.status_code == expected


def test_the_learner_cannot_open_the_wagtail_admin(client, people):
    client.force_login(people["learner"])
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 302
    assert "login" in response.url


def test_trainers_see_only_learners_of_their_own_associations():
    mine, other = AssociationFactory(), AssociationFactory()
    trainer = trainer_in(mine)
    my_learner = learner_in(mine)
    learner_in(other)
    assert list(learners_for_trainer(trainer)) == [my_learner]


def test_a_learner_can_belong_to_several_associations_with_one_record():
    first, second = AssociationFactory(), AssociationFactory()
    learner = learner_in(first)
    MembershipFactory(user=learner, association=second, role=Role.LEARNER)
    assert learner.memberships.count() == 2
    assert trainer_in(second) and learners_for_trainer(trainer_in(first)).get() == learner


def test_sign_in_page_speaks_french_and_gives_a_kind_message(client):
    response = client.post(reverse("accounts:login"), {"username": "nobody", "password": "x"})
    assert response.status_code == 200
    content = html.unescape(response.content.decode())
    assert "Ce nom d'utilisateur ou ce mot de passe ne marche pas" in content
