"""`lang` tells the truth: the editors' text in another language than the interface says so."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from courses.languages import differs_from_interface, in_language, lang_attribute
from tests.factories import AssociationFactory, learner_in

pytestmark = pytest.mark.django_db


def test_only_another_language_than_the_interfaces_gets_a_lang():
    with translation.override("nl-be"):
        assert differs_from_interface("fr-be")
        assert not differs_from_interface("nl-be")
        assert not differs_from_interface("nl")  # the same language, another region
        assert not differs_from_interface("")
        assert lang_attribute("fr-be") == ' lang="fr-be"'
        assert in_language("<b>Arnaque</b>", "fr-be") == (
            '<span lang="fr-be">&lt;b&gt;Arnaque&lt;/b&gt;</span>'
        )
    with translation.override("fr-be"):
        assert lang_attribute("fr-be") == ""
        assert in_language("Arnaque & co", "fr-be") == "Arnaque &amp; co"


@pytest.fixture
def module(module):
    # The scam module (conftest.py) as if not translated yet: its Dutch page is taken offline.
    for dutch_page in module.get_translations():
        dutch_page.unpublish()
    return module


def step_page(module, language: str) -> str:
    learner = learner_in(AssociationFactory(), preferred_language=language)
    browser = Client()
    browser.force_login(learner)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    url = reverse("learning:step", args=[module.pk, 1])
    return browser.get(url).content.decode()


def test_a_french_module_in_a_dutch_interface_says_its_text_is_french(module):
    page = step_page(module, "nl-be")
    assert '<html lang="nl-be"' in page
    assert "Stap 1 van" in page
    title = re.search(r'<h1 id="step-title-1"[^>]*>', page).group(0)
    assert 'lang="fr-be"' in title
    assert re.search(r'<p class="player__module" lang="fr-be">', page)


def test_a_french_module_in_a_french_interface_needs_no_lang_of_its_own(module):
    page = step_page(module, "fr-be")
    assert '<html lang="fr-be"' in page
    title = re.search(r'<h1 id="step-title-1"[^>]*>', page).group(0)
    assert "lang=" not in title


def test_mon_parcours_in_dutch_says_each_french_module_card_is_french(catalogue, module):
    import uuid

    learner = learner_in(AssociationFactory(), preferred_language="nl-be")
    browser = Client()
    browser.force_login(learner)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl-be"
    other = catalogue.exclude(pk=module.pk).first()
    for started in (other, module):  # two modules started: Mon parcours lists their cards
        step = reverse("learning:step", args=[started.pk, 1])
        browser.post(step, {"statement_id": str(uuid.uuid4())})
    page = browser.get(reverse("learning:my_path")).content.decode()
    card = re.search(rf'<a href="{reverse("learning:module", args=[module.pk])}"[^>]*>', page)
    assert card is not None, page[-3000:]
    assert 'lang="fr-be"' in card.group(0)
