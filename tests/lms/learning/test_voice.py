"""Listen on learner screens: the server voice made at publication, the button's signed text."""

import html
import re
import shutil
import uuid

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
    # One per step (the player holds them all), and one in each H5P step's offline note.
    h5p_steps = [step for step in module.steps if step.block_type == "h5p"]
    assert h5p_steps
    assert len(buttons) == len(module.steps) + len(h5p_steps)
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


def test_my_path_gives_its_words_only_when_listen_is_tapped(catalogue, client):
    """Mon parcours changes at every visit: its button carries no words, and the address it
    fetches on a tap gives the learner's own words, signed for the server voice."""
    module = catalogue.get(slug="reconnaitre-une-arnaque-par-e-mail")
    learner = learner_in(AssociationFactory(), display_name="Zénobie")
    client.force_login(learner)
    client.post(reverse("learning:step", args=[module.pk, 1]), {"statement_id": str(uuid.uuid4())})
    buttons = _listen_buttons(client.get(reverse("learning:my_path")).content.decode())
    assert len(buttons) == 1
    assert buttons[0]["data-listen-text"] == ""
    assert buttons[0]["data-listen-source"] == reverse("learning:my_path_listen")
    assert buttons[0]["data-listen-language"] == "fr"
    response = client.get(buttons[0]["data-listen-source"])
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    words = response.json()
    assert "Zénobie" in words["text"]
    assert module.title in words["text"]
    assert words["language"] == "fr"
    assert words["signature"] == voice_signature(words["text"], "fr")


def test_my_path_words_are_the_learners_own(catalogue, client):
    client.force_login(learner_in(AssociationFactory(), display_name="Zénobie"))
    assert "Zénobie" in client.get(reverse("learning:my_path_listen")).json()["text"]
    client.force_login(learner_in(AssociationFactory(), display_name="Théophile"))
    text = client.get(reverse("learning:my_path_listen")).json()["text"]
    assert "Théophile" in text
    assert "Zénobie" not in text
    client.logout()
    assert client.get(reverse("learning:my_path_listen")).status_code in (302, 403)
