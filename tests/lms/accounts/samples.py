"""Small files with the first bytes real ones have, and disguised files to refuse."""

import io
import zipfile

from reportlab.pdfgen import canvas


def pdf() -> bytes:
    """A real one-page PDF, as reportlab (already a dependency) writes it."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Fiche : prendre le bus")
    page.save()
    return buffer.getvalue()


# ID3v2.4 tag header, then an MPEG-1 layer III frame header (128 kbit/s, 44.1 kHz).
MP3_ID3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + b"\x00" * 413
# No tag, a frame with CRC (0xFFFA): valid MP3 that `filetype` alone does not know.
MP3_FRAME_WITH_CRC = b"\xff\xfa\x90\x64" + b"\x00" * 413
# First Ogg page of a Vorbis stream.
OGG = (
    b"OggS\x00\x02" + b"\x00" * 8 + b"\x01\x00\x00\x00" + b"\x00" * 8 + b"\x01\x1e"
    b"\x01vorbis\x00\x00\x00\x00\x01\x44\xac\x00\x00" + b"\x00" * 16
)


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    size = 16 + 4 * len(compatible)
    return size.to_bytes(4, "big") + b"ftyp" + major + b"\x00\x00\x02\x00" + b"".join(compatible)


MP4 = _ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41") + b"\x00\x00\x00\x08free"
M4A = _ftyp(b"M4A ", b"M4A ", b"mp42", b"isom") + b"\x00\x00\x00\x08free"
# An M4A as many phones write it: the generic MP4 brand.
M4A_MP42 = _ftyp(b"mp42", b"mp42", b"isom") + b"\x00\x00\x00\x08free"
# EBML header of a WebM file (DocType "webm"), as ffmpeg writes it.
WEBM = (
    b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08"
    b"\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02" + b"\x00" * 32
)
VTT = "WEBVTT\n\n00:00.000 --> 00:02.000\nBonjour, je m’appelle Awa.\n".encode()


def ooxml(folder: str) -> bytes:
    """An Office Open XML package as Office writes it: [Content_Types].xml, then the parts."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr(f"{folder}/document.xml", "<document/>")
    return buffer.getvalue()


def odf(mimetype: str) -> bytes:
    """An OpenDocument file: an uncompressed "mimetype" entry first, as the standard requires."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


HTML = b"<!DOCTYPE html><html><body><script>fetch('/formateur/')</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"></svg>'
SCRIPT = b"alert(document.cookie);\n"
WINDOWS_PROGRAM = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48 + b"PE\x00\x00"
)
LINUX_PROGRAM = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
ZIP = ooxml("unknown")
