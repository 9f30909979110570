"""The public “Où trouver de l'aide ?” page."""

import pytest
from django.urls import reverse

from tests.factories import AssociationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def associations():
    return [
        AssociationFactory(name="EPN Liège", postcode="4000", municipality="Liège"),
        AssociationFactory(name="EPN Charleroi", postcode="6000", municipality="Charleroi"),
        AssociationFactory(name="Caché", postcode="4000", is_listed_publicly=False),
    ]


def test_anyone_can_search_by_postcode(client, associations):
    content = client.get(reverse("accounts:find_help"), {"q": "4000"}).content.decode()
    assert "EPN Liège" in content
    assert "EPN Charleroi" not in content
    assert "Caché" not in content


def test_anyone_can_search_by_municipality(client, associations):
    content = client.get(reverse("accounts:find_help"), {"q": "charleroi"}).content.decode()
    assert "EPN Charleroi" in content


def test_an_unknown_postcode_shows_the_nearest_associations(client, associations):
    content = client.get(reverse("accounts:find_help"), {"q": "5000"}).content.decode()
    assert "EPN Liège" in content and "EPN Charleroi" in content
    assert "les plus proches" in content
