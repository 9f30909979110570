"""The voice's URLs: ask for a screen's audio, fetch it or an editor's recording (with range
requests)."""

import re

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .recordings import RECORDING_TYPES, recording_storage_name
from .voice import (
    MAX_TEXT_CHARACTERS,
    VoiceUnavailable,
    voice_audio_get_or_make,
    voice_key,
    voice_language,
    voice_signature_valid,
    voice_storage_name,
)

ONE_YEAR_SECONDS = 365 * 24 * 60 * 60
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


# No CSRF token: the sign-in screens have none to send, and this changes nothing for anyone
# (it fills a cache); the signature restricts it to texts the site wrote.
@csrf_exempt
@require_POST
def voice_audio_request(request):
    """The URL of a signed text's audio, made on demand when the page's publication did not
    make it already. Answers JSON: {"url": ...}, or {"error": ...} said to the learner."""
    text = request.POST.get("text", "")
    language = voice_language(request.POST.get("language", ""))
    if (
        not text
        or len(text) > MAX_TEXT_CHARACTERS
        or not voice_signature_valid(text, language, request.POST.get("signature", ""))
    ):
        return JsonResponse({"error": _("This text cannot be read aloud.")}, status=400)
    try:
        voice_audio_get_or_make(text=text, language=language)
    except VoiceUnavailable:
        return JsonResponse(
            {"error": _("No voice is available on this device or on the server.")}, status=503
        )
    url = reverse("voice:audio", args=[language, voice_key(text, language)])
    return JsonResponse({"url": url})


def _byte_range(header: str, size: int) -> tuple[int, int] | bool | None:
    """(first, last) byte asked for; None for the whole file; False when unsatisfiable.

    One range only: that is what audio elements ask for; several ranges get the whole file,
    which RFC 9110 allows."""
    match = _RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":  # "bytes=-500": the last 500 bytes
        length = int(last)
        if length == 0:
            return False
        return max(0, size - length), size - 1
    first = int(first)
    last = min(int(last), size - 1) if last else size - 1
    if first >= size or last < first:
        return False
    return first, last


def stored_file_response(request, name: str, *, content_type: str, etag: str):
    """A stored file whose name says its content: cached for a year, ranges honoured.

    Audio elements ask for ranges (Safari insists on them before it plays anything)."""
    if not default_storage.exists(name):
        raise Http404
    headers = {
        "Accept-Ranges": "bytes",
        "Cache-Control": f"public, max-age={ONE_YEAR_SECONDS}, immutable",
        "ETag": f'"{etag}"',
    }
    if request.headers.get("If-None-Match") == headers["ETag"]:
        return HttpResponse(status=304, headers=headers)
    size = default_storage.size(name)
    wanted = _byte_range(request.headers.get("Range", ""), size)
    if wanted is False:
        return HttpResponse(status=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    if wanted is None:
        response = FileResponse(default_storage.open(name, "rb"), content_type=content_type)
        for header, value in headers.items():
            response[header] = value
        return response
    first, last = wanted
    with default_storage.open(name, "rb") as stored:
        stored.seek(first)
        part = stored.read(last - first + 1)
    return HttpResponse(
        part,
        status=206,
        content_type=content_type,
        headers={**headers, "Content-Range": f"bytes {first}-{last}/{size}"},
    )


@require_GET
def voice_audio(request, language: str, key: str):
    """A made audio file: cached for a year (its URL names its content), ranges honoured."""
    if language != voice_language(language) or not re.fullmatch(r"[0-9a-f]{64}", key):
        raise Http404
    name = voice_storage_name(key, language)
    return stored_file_response(request, name, content_type="audio/mpeg", etag=key)


@require_GET
def recording_audio(request, digest: str, extension: str):
    """An editor's recording of a step (courses/recordings.py), named by its SHA-256."""
    if extension not in RECORDING_TYPES or not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise Http404
    name = recording_storage_name(digest, extension)
    return stored_file_response(request, name, content_type=RECORDING_TYPES[extension], etag=digest)
