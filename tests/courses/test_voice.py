"""The server voice: a signed text's audio made once, served with ranges and long caching."""

import shutil

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from courses.voice import voice_engine_check, voice_key, voice_signature, voice_storage_name
from tests.lms.databases import missing_service


@pytest.fixture
def needs_engine():
    """Skips without espeak-ng and lame locally; fails on CI, where make test installs them."""
    if not (shutil.which("espeak-ng") and shutil.which("lame")):
        missing_service("espeak-ng and lame (make test installs them)", FileNotFoundError())


def _ask(client, text, language, signature=None):
    return client.post(
        reverse("voice:request"),
        {
            "text": text,
            "language": language,
            "signature": signature or voice_signature(text, language),
        },
    )


@pytest.mark.usefixtures("needs_engine")
def test_a_signed_text_is_spoken_once_and_served_with_long_caching(client):
    text = "Touchez votre carte pour entrer. Écoutez bien."
    first = _ask(client, text, "fr")
    assert first.status_code == 200
    url = first.json()["url"]
    assert url == reverse("voice:audio", args=["fr", voice_key(text, "fr")])
    name = voice_storage_name(voice_key(text, "fr"), "fr")
    made_at = default_storage.get_modified_time(name)

    response = client.get(url)
    assert response.status_code == 200
    audio = b"".join(response.streaming_content)
    assert audio[:3] == b"ID3" or audio[0] == 0xFF  # an MP3 stream
    assert len(audio) > 2000  # about 3 kB per second of speech
    assert response["Content-Type"] == "audio/mpeg"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"

    # Asked again (another learner, the same screen): the stored file, not made again.
    assert _ask(client, text, "fr").json()["url"] == url
    assert default_storage.get_modified_time(name) == made_at
    assert client.get(url, headers={"If-None-Match": response["ETag"]}).status_code == 304


@pytest.mark.usefixtures("needs_engine")
def test_a_range_request_gets_that_part_of_the_audio(client):
    text = "Bonjour, ceci est un essai de voix."
    url = _ask(client, text, "fr").json()["url"]
    whole = b"".join(client.get(url).streaming_content)

    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == whole[100:200]
    assert part["Content-Range"] == f"bytes 100-199/{len(whole)}"
    assert part["Cache-Control"] == "public, max-age=31536000, immutable"

    end = client.get(url, headers={"Range": "bytes=-50"})
    assert end.status_code == 206 and end.content == whole[-50:]
    open_ended = client.get(url, headers={"Range": f"bytes={len(whole) - 10}-"})
    assert open_ended.content == whole[-10:]

    beyond = client.get(url, headers={"Range": f"bytes={len(whole)}-"})
    assert beyond.status_code == 416
    assert beyond["Content-Range"] == f"bytes */{len(whole)}"


@pytest.mark.usefixtures("needs_engine")
def test_the_same_text_in_another_language_is_another_voice(client):
    text = "Open je e-mail."
    dutch = _ask(client, text, "nl-be").json()["url"]
    french = _ask(client, text, "fr").json()["url"]
    assert dutch.startswith("/voix/nl/") and french.startswith("/voix/fr/")
    assert dutch != french
    dutch_audio = b"".join(client.get(dutch).streaming_content)
    french_audio = b"".join(client.get(french).streaming_content)
    assert dutch_audio != french_audio


def test_a_text_the_site_did_not_sign_is_refused(client):
    response = _ask(client, "Achetez maintenant !", "fr", signature="0" * 64)
    assert response.status_code == 400
    assert response.json()["error"]
    # Signed for French, asked in Dutch: refused too.
    text = "Bonjour"
    assert _ask(client, text, "nl", signature=voice_signature(text, "fr")).status_code == 400


@pytest.mark.django_db  # the 404 page reads the site's settings
def test_audio_never_made_is_not_found(client):
    assert client.get(reverse("voice:audio", args=["fr", "a" * 64])).status_code == 404
    assert client.get(reverse("voice:audio", args=["xx", "a" * 64])).status_code == 404


def test_without_an_engine_the_learner_is_told_and_check_warns(client, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    response = _ask(client, "Bonjour tout le monde", "fr")
    assert response.status_code == 503
    assert (
        response.json()["error"]
        == "Aucune voix n’est disponible sur cet appareil ni sur le serveur."
    )
    warnings = voice_engine_check()
    assert [warning.id for warning in warnings] == ["courses.W001"]
    assert "espeak-ng and lame" in warnings[0].msg
