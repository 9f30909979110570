"""What an uploaded file really is, read from its content rather than from its name.

An editor's upload is served from this site's origin, so a web page, an SVG or a program
renamed "lesson.pdf" must be refused when it is uploaded, not merely made inert when served
(lms.accounts.security.media_headers does that too). Binary formats are recognised by their
signature with `filetype`, the library Wagtail's own image checks (Willow) rely on; text
formats by being UTF-8 without NUL bytes and not starting like markup a browser would render.
"""

import codecs
import re

import filetype
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# File extension -> what `filetype` may recognise its content as. An extension missing here
# (and from TEXT_EXTENSIONS) is refused: a type nobody thought about is not checked blindly.
BINARY_KINDS: dict[str, frozenset[str]] = {
    "pdf": frozenset({"pdf"}),
    "mp3": frozenset({"mp3"}),
    "ogg": frozenset({"ogg"}),
    # Many M4A files carry the generic MP4 brand ("mp42", "isom") rather than "M4A ".
    "m4a": frozenset({"m4a", "mp4"}),
    "mp4": frozenset({"mp4", "m4v"}),
    "webm": frozenset({"webm"}),
    "docx": frozenset({"docx"}),
    "xlsx": frozenset({"xlsx"}),
    "pptx": frozenset({"pptx"}),
    "odt": frozenset({"odt"}),
    "ods": frozenset({"ods"}),
    "odp": frozenset({"odp"}),
}
TEXT_EXTENSIONS = frozenset({"vtt", "txt", "csv"})
CHECKED_EXTENSIONS = frozenset(BINARY_KINDS) | TEXT_EXTENSIONS

# What a browser sniffing a text file would take for a page or an image it renders
# (the HTML tags of the WHATWG MIME sniffing standard, plus XML and SVG).
MARKUP_START = re.compile(
    rb"\A\s*<(?:!doctype\s+html|html|head|body|script|iframe|svg|\?xml|!--|"
    rb"h1|div|font|table|a|style|title|b|br|p)[\s>/]",
    re.IGNORECASE,
)
# A WebVTT file starts with "WEBVTT", alone or followed by a space, tab or line break.
WEBVTT_START = re.compile(rb"\AWEBVTT(?:[ \t\r\n]|\Z)")
HEAD_BYTES = 8192
CHUNK_BYTES = 1024 * 1024
UTF8_BOM = codecs.BOM_UTF8


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _is_mpeg_audio_frame(head: bytes) -> bool:
    """An MP3 without ID3 tag starts with a frame header: 11 sync bits, layer III.

    `filetype` knows only three of the valid second bytes (0xFB, 0xF3, 0xF2).
    """
    if len(head) < 2 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version = (head[1] >> 3) & 0b11
    layer = (head[1] >> 1) & 0b11
    return version != 0b01 and layer == 0b01


def _chunks(file):
    file.seek(0)
    while chunk := file.read(CHUNK_BYTES):
        yield chunk
    file.seek(0)


def _check_text(file, name: str, extension: str) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    head = b""
    try:
        is_text = True
        for chunk in _chunks(file):
            # NUL is valid UTF-8 but no text editor writes it: a binary file in disguise.
            if b"\x00" in chunk:
                is_text = False
                break
            decoder.decode(chunk)
            if len(head) < HEAD_BYTES:
                head += chunk[: HEAD_BYTES - len(head)]
        else:
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        is_text = False
    file.seek(0)
    if not is_text:
        raise ValidationError(
            _(
                "“%(name)s” is not a text file encoded in UTF-8. Save it again as UTF-8 "
                "text (.%(extension)s) and add it again."
            ),
            code="not_text",
            params={"name": name, "extension": extension},
        )
    head = head.removeprefix(UTF8_BOM)
    if MARKUP_START.match(head):
        raise ValidationError(
            _(
                "“%(name)s” contains a web page, an image or a script, not %(kind)s text. "
                "It cannot be added."
            ),
            code="markup",
            params={"name": name, "kind": extension.upper()},
        )
    if extension == "vtt" and not WEBVTT_START.match(head):
        raise ValidationError(
            _("“%(name)s” is not a WebVTT caption file: its first line must be “WEBVTT”."),
            code="not_webvtt",
            params={"name": name},
        )


def upload_content_check(file, name: str | None = None) -> None:
    """Refuse a file whose content is not what its extension says (a ValidationError).

    `file` is a readable, seekable file object (an UploadedFile); its position is restored.
    """
    name = name or getattr(file, "name", "") or ""
    extension = _extension(name)
    if extension not in CHECKED_EXTENSIONS:
        raise ValidationError(
            _("Files of type “%(extension)s” cannot be checked, so they are not accepted."),
            code="unchecked_type",
            params={"extension": extension or "?"},
        )
    if extension in TEXT_EXTENSIONS:
        _check_text(file, name, extension)
        return
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    kind = filetype.guess(head)
    if kind is not None and kind.extension in BINARY_KINDS[extension]:
        return
    if extension == "mp3" and kind is None and _is_mpeg_audio_frame(head):
        return
    raise ValidationError(
        _(
            "The content of “%(name)s” is not a %(kind)s file, whatever its name says. "
            "Export it again as %(kind)s, or choose the right file."
        ),
        code="content_mismatch",
        params={"name": name, "kind": extension.upper()},
    )
