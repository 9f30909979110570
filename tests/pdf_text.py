"""The text a PDF shows, read back by the tests two ways.

`drawn_text`: the strings ReportLab draws with its built-in fonts (attestations, cards), read
from the page streams; no tool needed. `pdf_pages`: any PDF, embedded fonts included (the
funders' report), through poppler's pdftotext, which `make test` installs; without it the test
skips locally and fails on CI.
"""

import base64
import re
import shutil
import subprocess
import zlib

from tests.lms.databases import missing_service


def drawn_text(content: bytes) -> str:
    """The text drawn on the PDF's pages, one line a string: reportlab writes each page's
    stream as ASCII85 over Flate (`/Filter [ /ASCII85Decode /FlateDecode ]`)."""
    lines = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", content, re.S):
        stream = stream.strip()
        if not stream.endswith(b"~>"):
            continue  # not a page's text (no other stream is drawn here)
        data = zlib.decompress(base64.a85decode(stream[:-2]))
        for literal in re.findall(rb"\((.*?)(?<!\\)\) Tj", data, re.S):
            text = re.sub(
                rb"\\([0-7]{3}|.)",
                lambda m: bytes([int(m.group(1), 8)]) if len(m.group(1)) == 3 else m.group(1),
                literal,
            )
            lines.append(text.decode("cp1252"))
    return "\n".join(lines)


def pdftotext(content: bytes, folder, option: str) -> str:
    """What poppler's pdftotext prints for a PDF with `option` (-layout, -bbox)."""
    if shutil.which("pdftotext") is None:
        missing_service("poppler's pdftotext (make test installs poppler-utils)", OSError())
    path = folder / "report.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", option, str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def pdf_pages(content: bytes, folder) -> list[str]:
    """The text of each page of a PDF, as poppler's pdftotext reads it."""
    return pdftotext(content, folder, "-layout").split("\f")


def pdf_words(content: bytes, folder) -> list[list[tuple[str, float, float, float, float]]]:
    """Each page's words with their boxes (word, x min, y min, x max, y max; y from the top),
    as poppler's `pdftotext -bbox` places them."""
    html = pdftotext(content, folder, "-bbox")
    word = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
    return [
        [
            (text, float(x0), float(y0), float(x1), float(y1))
            for x0, y0, x1, y1, text in re.findall(word, page)
        ]
        for page in html.split("<page ")[1:]
    ]
