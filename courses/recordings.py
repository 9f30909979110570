"""Editors' recordings of a step's text: checked, stored, found for the learner's Listen.

A recording is the first voice a learner's Listen plays (static/js/listen.js). It comes from
the Wagtail admin (courses/recording_views.py): recorded with the browser's microphone or
uploaded. Only small speech files are kept: Opus in WebM or Ogg, MP3, or AAC in MP4, at most
MAX_RECORDING_BYTES (a minute of speech at 24 to 64 kbit/s is 180 to 480 kB). The file is
named by its SHA-256 under `recordings/`, written once, and served with range requests and a
one-year cache header by courses/voice_views.py.
"""

import hashlib
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from .caching import content_key, shared_content
from .listening import text_for_listening
from .models import ModulePage, StepRecording
from .voice import voice_language

MAX_RECORDING_BYTES = 2 * 1024 * 1024
# extension -> content type, for the formats every recent browser plays (Safari plays MP3
# and MP4 everywhere, WebM/Opus from iOS 17; an unplayable one hands over to the next voice).
RECORDING_TYPES = {
    "webm": "audio/webm",
    "ogg": "audio/ogg",
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
}
# Codec ids of pictures in a WebM file's header: a video is not a recording of a text.
_VIDEO_CODECS = (b"V_VP8", b"V_VP9", b"V_AV1", b"V_MPEG4")


class RecordingInvalid(ValueError):
    """The file cannot be a step's recording; the message is for the editor."""


@dataclass(frozen=True)
class RecordingFile:
    content: bytes
    extension: str

    @property
    def content_type(self) -> str:
        return RECORDING_TYPES[self.extension]

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def storage_name(self) -> str:
        return recording_storage_name(self.digest, self.extension)


def recording_storage_name(digest: str, extension: str) -> str:
    return f"recordings/{digest[:2]}/{digest}.{extension}"


def _sniffed_extension(head: bytes) -> str | None:
    """The format by the file's first bytes, whatever its name or declared type says."""
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: WebM (MediaRecorder in Chromium, Firefox)
        return "webm"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if head[4:8] == b"ftyp":  # MP4 family: MediaRecorder in Safari, phones' voice memos
        return "m4a"
    return None


def recording_file_check(content: bytes, *, size: int | None = None) -> RecordingFile:
    """The file as a recording, or RecordingInvalid saying why not, in the editor's words.

    `size`: the whole file's, when `content` is only its beginning (an upload too big to read).
    """
    size = len(content) if size is None else size
    if not content:
        raise RecordingInvalid(_("The recording is empty. Record again, or choose a file."))
    if size > MAX_RECORDING_BYTES:
        raise RecordingInvalid(
            _(
                "This file is too big (%(size)s MB; at most %(limit)s MB). A step read aloud "
                "lasts about a minute: record it again, or save it as MP3 at 32 kbit/s."
            )
            % {
                "size": f"{size / 1024 / 1024:.1f}",
                "limit": MAX_RECORDING_BYTES // 1024 // 1024,
            }
        )
    extension = _sniffed_extension(content[:16])
    if extension is None:
        raise RecordingInvalid(
            _("This is not a sound file we can play. Choose an MP3, M4A, OGG or WebM file.")
        )
    if extension == "webm" and any(codec in content[:4096] for codec in _VIDEO_CODECS):
        raise RecordingInvalid(_("This file holds a video. Choose a sound file."))
    return RecordingFile(content=content, extension=extension)


# What an editor reads aloud, per kind of step: its own words, in the order on screen.
STEP_WORDS = ("title", "question", "intro", "situation", "text", "request", "service")


def step_words(block, language: str) -> str:
    value = block.value
    parts = [str(value.get(name) or "") for name in STEP_WORDS if hasattr(value, "get")]
    answers = value.get("answers") if hasattr(value, "get") else None
    parts += [answer["text"] for answer in answers or []]
    # A title or an answer without a full stop still ends its sentence when read aloud.
    sentences = [part if part.rstrip()[-1] in ".!?:…" else f"{part}." for part in parts if part]
    return text_for_listening(" ".join(sentences), language)


def words_digest(block, language: str) -> str:
    return hashlib.sha256(step_words(block, language).encode()).hexdigest()


def recording_says(recorded_digest: str, block, language: str) -> bool:
    """Whether a recording whose words had `recorded_digest` says the step's words as they
    are now (recordings made before the digest was kept have none, and are trusted)."""
    return not recorded_digest or recorded_digest == words_digest(block, language)


def step_recording_save(
    *, page, step_id: str, content: bytes, user, size: int | None = None
) -> StepRecording:
    """Checks and keeps `content` as the recording of step `step_id` of `page` (a module),
    replacing any earlier one. Raises RecordingInvalid."""
    block = next((block for block in page.steps if block.id == step_id), None)
    if block is None:
        raise RecordingInvalid(_("This step is no longer in the module. Reload the page."))
    recording_file = recording_file_check(content, size=size)
    name = recording_file.storage_name
    if not default_storage.exists(name):
        saved = default_storage.save(name, ContentFile(content))
        if saved != name:  # written meanwhile by another request: the same bytes
            default_storage.delete(saved)
    with transaction.atomic():
        earlier = (
            StepRecording.objects.select_for_update().filter(page=page, step_id=step_id).first()
        )
        old_name = earlier.file.name if earlier else None
        recording, _created = StepRecording.objects.update_or_create(
            page=page,
            step_id=step_id,
            defaults={
                "file": name,
                "content_type": recording_file.content_type,
                "size": len(content),
                "recorded_by": user,
                "words_digest": words_digest(block, voice_language(page.locale.language_code)),
            },
        )
        if old_name and old_name != name:
            transaction.on_commit(lambda: _file_delete_if_unused(old_name))
    return recording


def step_recording_delete(*, page, step_id: str) -> bool:
    """Removes the step's recording; False when it had none."""
    recording = StepRecording.objects.filter(page=page, step_id=step_id).first()
    if recording is None:
        return False
    name = recording.file.name
    recording.delete()
    transaction.on_commit(lambda: _file_delete_if_unused(name))
    return True


def _file_delete_if_unused(name: str) -> None:
    """Files are shared by content: one goes when no recording names it any more."""
    if not StepRecording.objects.filter(file=name).exists():
        default_storage.delete(name)


def recording_url(recording: StepRecording) -> str:
    digest, extension = recording.file.name.rsplit("/", 1)[-1].split(".")
    return reverse("voice:recording", args=[digest, extension])


def page_recordings(page) -> dict[str, StepRecording]:
    """The page's recordings by step id."""
    return {recording.step_id: recording for recording in page.step_recordings.all()}


def _recordings_played(page) -> dict[str, tuple[str, str]]:
    """Each recorded step's (URL, words digest), read from the database once per content
    version: saving or deleting a recording starts a new one (courses/apps.py), as
    publishing does. A step page renders its steps one by one, the learner's own at each
    visit: without this, a query each time."""
    return shared_content(
        content_key("step-recordings", page.pk),
        lambda: {
            recording.step_id: (recording_url(recording), recording.words_digest)
            for recording in page.step_recordings.all()
        },
    )


def step_recording_url(page, block) -> str:
    """What a step's Listen plays first: the editor's recording of it, unless its words have
    changed since, else an audio file chosen for it as a document (explanations), else
    nothing (then the device's voice or the server's reads the words as they are)."""
    played = _recordings_played(page).get(block.id)
    if played and recording_says(played[1], block, voice_language(page.locale.language_code)):
        return played[0]
    document = block.value.get("audio") if hasattr(block.value, "get") else None
    return document.url if document else ""


def module_get_for_editor(user, page_id: int) -> ModulePage:
    """The module `user` may edit, as they last saved it (they may record a draft before
    publishing it). A missing page and another's are refused alike."""
    page = ModulePage.objects.filter(pk=page_id).first()
    if page is None or not page.permissions_for_user(user).can_edit():
        raise PermissionDenied
    return page.get_latest_revision_as_object()
