"""Learners see a module in their language when it is translated, otherwise in French."""

import pytest
from wagtail.models import Locale

pytestmark = pytest.mark.django_db


@pytest.fixture
def translated(catalogue):
    """A module with its Dutch translation, as load_catalogue made it."""
    module = catalogue.get(slug="se-connecter-au-wi-fi")
    dutch = module.get_translation(Locale.objects.get(language_code="nl-be"))
    assert dutch.title == "Verbinden met wifi"
    return module


def test_a_dutch_speaker_gets_the_dutch_module(client, translated):
    response = client.get(translated.url, HTTP_ACCEPT_LANGUAGE="nl-BE,nl")
    assert response.status_code == 200
    assert "Verbinden met wifi" in response.content.decode()


def test_an_english_speaker_without_translation_gets_french(client, translated):
    response = client.get(translated.url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert translated.title in response.content.decode()


def test_the_catalogue_lists_the_translated_title(client, translated):
    response = client.get("/catalogue/?tous=1", HTTP_ACCEPT_LANGUAGE="nl")
    assert "Verbinden met wifi" in response.content.decode()
