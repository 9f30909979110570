"""The server's voice: a text for listening spoken by espeak-ng, kept as MP3 in Django's storage.

Contract of this cache: one file per (voice version, language, text), named by the SHA-256 of
the three, under `voice/<language>/` in the default storage; a file is written once and never
changed, so it is served with a one-year, immutable cache header. Changing the engine's
settings bumps VOICE_VERSION, which names new files (old ones are simply no longer asked for).

Only texts the site itself wrote may be spoken: each listen button carries the text and its
signature (`voice_signature`), and the endpoint refuses a text whose signature does not match,
so nobody can use the server to speak arbitrary text.

MP3 (lame, 24 kbit/s mono at espeak-ng's 22 050 Hz: about 3 kB per second of speech) rather
than Ogg/Opus, because every browser plays MP3, Safari on older iPhones included.
"""

import hashlib
import shutil
import subprocess

from django.core.checks import Warning as CheckWarning
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.crypto import constant_time_compare, salted_hmac

VOICE_VERSION = 1
# espeak-ng's voice per interface language: Belgian French, Dutch, British English.
ESPEAK_VOICES = {"fr": "fr-be", "nl": "nl", "en": "en-gb"}
SPEED_WORDS_PER_MINUTE = 150  # espeak-ng's default is 175: a little slower for learners
MAX_TEXT_CHARACTERS = 6000  # a whole step, with room; longer is not a screen of this site
ENGINE_TIMEOUT_SECONDS = 30


class VoiceUnavailable(Exception):
    """No engine on this server, or it failed: the learner is told, the page still works."""


def _tools() -> tuple[str | None, str | None]:
    return shutil.which("espeak-ng"), shutil.which("lame")


def voice_engine_available() -> bool:
    return all(_tools())


def voice_language(language: str) -> str:
    """The voice's language for an interface or content language ("nl-be" → "nl")."""
    primary = (language or "").lower().replace("_", "-").split("-")[0]
    return primary if primary in ESPEAK_VOICES else "fr"


def voice_key(text: str, language: str) -> str:
    data = f"{VOICE_VERSION}\n{voice_language(language)}\n{text}".encode()
    return hashlib.sha256(data).hexdigest()


def voice_storage_name(key: str, language: str) -> str:
    return f"voice/{voice_language(language)}/{key[:2]}/{key}.mp3"


def voice_signature(text: str, language: str) -> str:
    return salted_hmac("courses.voice", f"{voice_language(language)}\n{text}").hexdigest()


def voice_signature_valid(text: str, language: str, signature: str) -> bool:
    return constant_time_compare(voice_signature(text, language), signature or "")


def voice_audio_make(text: str, language: str) -> bytes:
    """MP3 bytes of `text` spoken in `language`. Raises VoiceUnavailable."""
    espeak, lame = _tools()
    if not (espeak and lame):
        raise VoiceUnavailable("espeak-ng or lame is not installed")
    try:
        # The text on standard input, not as an argument: no length limit, no option
        # injection from a text starting with "-".
        wav = subprocess.run(  # noqa: S603 (fixed program and arguments, text on stdin)
            [espeak, "-v", ESPEAK_VOICES[voice_language(language)], "-s",
             str(SPEED_WORDS_PER_MINUTE), "-b", "1", "--stdout"],
            input=text.encode(), capture_output=True, check=True,
            timeout=ENGINE_TIMEOUT_SECONDS,
        ).stdout  # fmt: skip
        mp3 = subprocess.run(  # noqa: S603 (fixed program and arguments)
            [lame, "--quiet", "-m", "m", "-b", "24", "-", "-"],
            input=wav, capture_output=True, check=True, timeout=ENGINE_TIMEOUT_SECONDS,
        ).stdout  # fmt: skip
    except (subprocess.SubprocessError, OSError) as error:
        raise VoiceUnavailable(str(error)) from error
    if not mp3:
        raise VoiceUnavailable("the engine produced no audio")
    return mp3


def voice_audio_get_or_make(*, text: str, language: str) -> str:
    """The storage name of `text` spoken in `language`, made and stored the first time.

    Raises VoiceUnavailable when it has to be made and cannot be.
    """
    name = voice_storage_name(voice_key(text, language), language)
    if default_storage.exists(name):
        return name
    saved = default_storage.save(name, ContentFile(voice_audio_make(text, language)))
    if saved != name:
        # Another request made the same file meanwhile: the storage kept both under two
        # names; the same text gives the same audio, so the first one stays.
        default_storage.delete(saved)
    return name


def voice_engine_check(app_configs=None, **kwargs):
    """`manage.py check` says when the server voice is missing (the site works without it:
    learners then hear their device's voice, or are told that no voice is available)."""
    espeak, lame = _tools()
    missing = [name for name, path in (("espeak-ng", espeak), ("lame", lame)) if not path]
    if not missing:
        return []
    return [
        CheckWarning(
            f"The server voice is off: {' and '.join(missing)} not found on PATH.",
            hint="Install the Debian packages: apt-get install espeak-ng lame.",
            id="courses.W001",
        )
    ]
