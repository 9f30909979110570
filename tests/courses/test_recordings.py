"""Editors' recordings of a step: checked, kept once by content, served with ranges and long
caching, and played first by the step's Listen button."""

import html
import re

import pytest
from django.contrib.auth.models import Group
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from wagtail.users.models import UserProfile

from courses.models import StepRecording
from courses.recordings import (
    MAX_RECORDING_BYTES,
    RecordingInvalid,
    recording_file_check,
    recording_url,
    step_recording_save,
    step_recording_url,
)
from tests.factories import AssociationFactory, UserFactory, learner_in

pytestmark = pytest.mark.django_db

# The first bytes of each format as recorders write them, then some payload.
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01" + b"A_OPUS" + bytes(range(256)) * 8
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + bytes(2000)
M4A = b"\x00\x00\x00\x1cftypM4A " + bytes(3000)
OGG = b"OggS\x00\x02" + bytes(1500)


@pytest.mark.parametrize(
    ("content", "extension", "content_type"),
    [
        (WEBM, "webm", "audio/webm"),
        (MP3, "mp3", "audio/mpeg"),
        (M4A, "m4a", "audio/mp4"),
        (OGG, "ogg", "audio/ogg"),
    ],
)
def test_a_recording_is_known_by_its_bytes(content, extension, content_type):
    checked = recording_file_check(content)
    assert (checked.extension, checked.content_type) == (extension, content_type)


@pytest.mark.parametrize(
    ("content", "size", "message"),
    [
        (b"", None, "The recording is empty"),
        (b"%PDF-1.7 not a sound", None, "This is not a sound file"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", None, "This is not a sound file"),
        (WEBM + b"V_VP8", None, "This file holds a video"),
        (MP3, MAX_RECORDING_BYTES + 1, "This file is too big (2.0 MB; at most 2 MB)"),
    ],
)
def test_a_bad_file_is_refused_with_a_message_for_the_editor(content, size, message):
    with translation.override("en"), pytest.raises(RecordingInvalid, match=re.escape(message)):
        recording_file_check(content, size=size)


def test_the_message_is_in_the_editors_language():
    with translation.override("nl-be"), pytest.raises(RecordingInvalid) as refused:
        recording_file_check(WEBM + b"V_VP9")
    assert str(refused.value) == "Dit bestand bevat een video. Kies een geluidsbestand."


@pytest.fixture
def module(catalogue):
    return catalogue.get(slug="reconnaitre-une-arnaque-par-e-mail").specific


@pytest.fixture
def editor(client):
    """A member of Wagtail's Editors group, as the demo's "editeur": not a superuser."""
    user = UserFactory()
    user.groups.add(Group.objects.get(name="Editors"))
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "en"
    profile.save()
    client.force_login(user)
    return client


def test_a_recording_replaced_leaves_no_file_behind(module, django_capture_on_commit_callbacks):
    step_id = module.steps[0].id
    with django_capture_on_commit_callbacks(execute=True):
        first = step_recording_save(page=module, step_id=step_id, content=MP3, user=None)
    assert default_storage.exists(first.file.name)
    with django_capture_on_commit_callbacks(execute=True):
        second = step_recording_save(page=module, step_id=step_id, content=WEBM, user=None)
    assert StepRecording.objects.filter(page=module).count() == 1
    assert second.file.name.endswith(".webm") and default_storage.exists(second.file.name)
    assert not default_storage.exists(first.file.name)


def test_a_recording_is_served_with_ranges_and_a_year_of_caching(client, module):
    recording = step_recording_save(page=module, step_id=module.steps[0].id, content=MP3, user=None)
    url = recording_url(recording)
    whole = client.get(url)
    assert whole.status_code == 200
    assert b"".join(whole.streaming_content) == MP3
    assert whole["Content-Type"] == "audio/mpeg"
    assert whole["Cache-Control"] == "public, max-age=31536000, immutable"
    assert whole["Accept-Ranges"] == "bytes"
    part = client.get(url, headers={"Range": "bytes=3-9"})
    assert part.status_code == 206 and part.content == MP3[3:10]
    assert part["Content-Range"] == f"bytes 3-9/{len(MP3)}"
    assert client.get(url, headers={"Range": f"bytes={len(MP3)}-"}).status_code == 416
    assert client.get(url, headers={"If-None-Match": whole["ETag"]}).status_code == 304
    assert client.get(url.replace(".mp3", ".exe")).status_code == 404


def test_an_editor_uploads_a_recording_and_the_step_plays_it_first(editor, module, client):
    screen = editor.get(reverse("step_recordings", args=[module.pk]))
    assert screen.status_code == 200
    text = screen.content.decode()
    assert "Step 1:" in text and text.count("data-recorder") == len(module.steps)

    step = module.steps[1]
    sent = editor.post(
        reverse("step_recording", args=[module.pk, step.id]),
        {"recording": SimpleUploadedFile("step.m4a", M4A, content_type="audio/mp4")},
        follow=True,
    )
    assert "The recording is saved" in sent.content.decode()
    recording = StepRecording.objects.get(page=module, step_id=step.id)
    assert recording.size == len(M4A) and recording.content_type == "audio/mp4"

    client.force_login(learner_in(AssociationFactory()))
    page = client.get(reverse("learning:step", args=[module.pk, 2])).content.decode()
    recordings = [
        html.unescape(value) for value in re.findall(r'data-listen-recording="([^"]*)"', page)
    ]
    assert recordings[1] == recording_url(recording)  # this step's button plays it first
    assert recordings[0] == ""  # the other steps have none


def test_a_recording_of_words_since_changed_is_not_played(editor, module, client):
    """The editor changes a step's text after recording it: learners hear the new words
    (device or server voice), not the old recording, and the editor is told to record again."""
    step = module.steps[1]
    recording = step_recording_save(page=module, step_id=step.id, content=MP3, user=None)
    assert recording.words_digest
    assert step_recording_url(module, step) == recording_url(recording)
    screen = editor.get(reverse("step_recordings", args=[module.pk])).content.decode()
    assert "data-words-changed" not in screen

    field = next(name for name in ("text", "question", "title") if step.value.get(name))
    step.value[field] = f"{step.value[field]} Une phrase de plus."
    module.save_revision().publish()
    module.refresh_from_db()
    changed = module.steps[1]
    assert step_recording_url(module, changed) == ""
    screen = editor.get(reverse("step_recordings", args=[module.pk])).content.decode()
    assert screen.count("data-words-changed") == 1

    client.force_login(learner_in(AssociationFactory()))
    page = client.get(reverse("learning:step", args=[module.pk, 2])).content.decode()
    assert recording_url(recording) not in page


def test_a_bad_upload_says_why_and_keeps_nothing(editor, module):
    sent = editor.post(
        reverse("step_recording", args=[module.pk, module.steps[0].id]),
        {"recording": SimpleUploadedFile("notes.mp3", b"%PDF-1.7", content_type="audio/mpeg")},
        follow=True,
    )
    assert "This is not a sound file we can play" in sent.content.decode()
    assert not StepRecording.objects.exists()
    nothing = editor.post(reverse("step_recording", args=[module.pk, module.steps[0].id]))
    assert nothing.status_code == 302 and not StepRecording.objects.exists()


def test_only_those_who_may_edit_the_module_record_it(client, module):
    client.force_login(learner_in(AssociationFactory()))
    assert client.get(reverse("step_recordings", args=[module.pk])).status_code in (302, 403)
    answer = client.post(
        reverse("step_recording", args=[module.pk, module.steps[0].id]),
        {"recording": SimpleUploadedFile("a.mp3", MP3)},
    )
    assert answer.status_code in (302, 403) and not StepRecording.objects.exists()


def test_the_module_editor_links_to_its_recordings(editor, module):
    page = editor.get(reverse("wagtailadmin_pages:edit", args=[module.pk])).content.decode()
    assert reverse("step_recordings", args=[module.pk]) in page
