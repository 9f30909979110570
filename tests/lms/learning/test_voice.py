"""Listen on learner screens: the server voice made at publication, the button's signed text."""

import html
import re
import shutil

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from courses.voice import voice_key, voice_signature, voice_storage_name
from lms.learning.voice import listen_texts
from tests.factories import AssociationFactory, learner_in
from tests.lms.databases import missing_service

pytestmark = pytest.mark.django_db


def _listen_buttons(page: str) -> list[dict]:
    return [
        {
            name: html.unescape(value)
            for name, value in re.findall(r'(data-listen-[a-z]+)="([^"]*)"', tag)
        }
        for tag in re.findall(r"<button[^>]*\bdata-listen\b[^>]*>", page)
    ]


def test_publishing_a_module_makes_the_voice_its_step_screens_ask_for(
    catalogue, settings, client, django_capture_on_commit_callbacks
):
    if not (shutil.which("espeak-ng") and shutil.which("lame")):
        missing_service("espeak-ng and lame (make test installs them)", FileNotFoundError())
    settings.VOICE_ON_PUBLISH = True
    module = catalogue.get(slug="reconnaitre-une-arnaque-par-e-mail").specific
    with django_capture_on_commit_callbacks(execute=True):
        module.save_revision().publish()

    client.force_login(learner_in(AssociationFactory()))
    page = client.get(reverse("learning:step", args=[module.pk, 1])).content.decode()
    buttons = _listen_buttons(page)
    assert len(buttons) == len(module.steps)  # one per step (the player holds them all)
    for button in buttons:
        text, language = button["data-listen-text"], button["data-listen-language"]
        assert language == "fr"
        assert button["data-listen-signature"] == voice_signature(text, language)
        assert default_storage.exists(voice_storage_name(voice_key(text, language), language))


def test_listen_texts_reads_each_button():
    page = (
        '<button data-listen data-listen-text="Seule ou seul" data-listen-language="fr"></button>'
        '<button data-listen data-listen-text="Hij of zij" data-listen-language="nl"></button>'
        '<button data-other data-listen-text="x" data-listen-language="fr"></button>'
    )
    assert listen_texts(page) == [("Seule ou seul", "fr"), ("Hij of zij", "nl")]


@pytest.mark.parametrize(
    ("name", "signed_in"),
    [
        ("accounts:login", False),
        ("accounts:card_code", False),
        ("accounts:find_help", False),
        ("learning:outcome_start", True),
    ],
)
def test_learner_screens_have_one_listen_button_with_their_words(
    catalogue, client, name, signed_in
):
    module = catalogue.get(slug="reconnaitre-une-arnaque-par-e-mail")
    if signed_in:
        client.force_login(learner_in(AssociationFactory()))
    url = reverse(name, args=[module.pk] if name == "learning:outcome_start" else [])
    page = client.get(url).content.decode()
    buttons = _listen_buttons(page)
    assert len(buttons) == 1
    text = buttons[0]["data-listen-text"]
    assert len(text.split()) >= 3
    assert buttons[0]["data-listen-language"] == "fr"
    assert buttons[0]["data-listen-signature"] == voice_signature(text, "fr")
    assert buttons[0]["data-listen-server"] == reverse("voice:request")


def test_mon_parcours_fetches_its_words_only_when_the_learner_taps(catalogue, client):
    """Mon parcours is built at each visit: its button carries no words, the tap asks the
    screen's text URL, which reads the page as this learner sees it, signed for the voice."""
    learner = learner_in(AssociationFactory(), display_name="Amina")
    client.force_login(learner)
    page = client.get(reverse("learning:my_path")).content.decode()
    [button] = _listen_buttons(page)
    assert "data-listen-text" not in button and "data-listen-signature" not in button
    assert button["data-listen-source"] == reverse("voice:screen_text")

    answer = client.get(reverse("voice:screen_text"), {"page": reverse("learning:my_path")})
    assert answer.status_code == 200
    assert answer["Cache-Control"] == "private, no-store"  # it holds the learner's name
    data = answer.json()
    assert "Bonjour Amina" in data["text"] and "Écouter" not in data["text"]
    assert data["language"] == "fr"
    assert data["signature"] == voice_signature(data["text"], "fr")


@pytest.mark.parametrize(
    ("page", "signed_in"),
    [
        ("/mon-parcours/", False),  # signed out: the page is not theirs to read
        ("/formateur/", True),  # not a screen whose words are fetched on tap
        ("/nulle-part/", True),
        ("", True),
    ],
)
def test_the_screen_text_url_reads_only_the_pages_it_is_for(catalogue, client, page, signed_in):
    if signed_in:
        client.force_login(learner_in(AssociationFactory()))
    answer = client.get(reverse("voice:screen_text"), {"page": page})
    assert answer.status_code == 404
    assert answer.json()["error"] == "Ce texte ne peut pas être lu à voix haute."


def test_a_template_part_can_fetch_its_words_on_tap_too(rf):
    """{% listen on_tap=True %}: the same button as Mon parcours', for a template."""
    from django.template import engines

    html = (
        engines["django"]
        .from_string("{% load voice_tags %}{% listen on_tap=True %}<p>Bonjour</p>{% endlisten %}")
        .render({})
    )
    [button] = _listen_buttons(html)
    assert button["data-listen-source"] == reverse("voice:screen_text")
    assert "data-listen-text" not in button
    assert "<!--listen--><p>Bonjour</p><!--/listen-->" in html
