"""Every string the interface shows is translated in French (the first language), Dutch and
English, and no translation loses a placeholder or an HTML tag of the text it translates.

The strings are extracted as `make messages` extracts them, from a copy of the sources into
a copy of the catalogues: makemessages writes beside the files it reads, and the project's
own catalogues must stay as they are.
"""

import ast
import re
import shutil
import subprocess
from collections import Counter
from contextlib import chdir
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from tests.lms.databases import missing_service

ROOT = Path(settings.BASE_DIR)
SOURCES = ["lms", "courses", "cms", "templates"]
LOCALES = ["fr", "nl", "en"]


def entries(po_text: str) -> list[str]:
    """A catalogue's entries, the header (the entry whose msgid is empty) left out."""
    blocks = [block.strip() for block in po_text.split("\n\n")]
    return [block for block in blocks if "msgid" in block and "Content-Type:" not in block]


def msgattrib(*options: str, po: Path) -> list[str]:
    result = subprocess.run(
        ["msgattrib", *options, "--no-obsolete", str(po)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return entries(result.stdout)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Path:
    """A copy of the sources and of the three catalogues, brought up to date by makemessages
    (one run for the three languages: extracting is the slow part)."""
    if shutil.which("xgettext") is None:
        missing_service("GNU gettext (xgettext, msgattrib)", FileNotFoundError("xgettext"))
    copy = tmp_path_factory.mktemp("messages")
    for name in SOURCES:
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    for locale in LOCALES:
        catalogue = copy / "locale" / locale / "LC_MESSAGES" / "django.po"
        catalogue.parent.mkdir(parents=True)
        shutil.copy(ROOT / "locale" / locale / "LC_MESSAGES" / "django.po", catalogue)
    with chdir(copy), override_settings(LOCALE_PATHS=[copy / "locale"]):
        call_command("makemessages", locale=LOCALES, no_obsolete=True, verbosity=0)
    return copy / "locale"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_interface_string_is_translated(extracted, locale):
    catalogue = extracted / locale / "LC_MESSAGES" / "django.po"
    assert "lms/learning/views.py" in catalogue.read_text()  # the copy was read
    assert msgattrib("--untranslated", po=catalogue) == []
    assert msgattrib("--only-fuzzy", po=catalogue) == []


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)


def po_entries(text: str) -> list[Entry]:
    """The entries of a .po file with their strings unquoted (the header left out).

    A .po string is a C string literal; Python reads the escapes .po files use (\\n, \\",
    \\\\, \\t) the same way.
    """
    found = []
    for block in text.split("\n\n"):
        entry, target = Entry(), None
        for line in block.splitlines():
            if line.startswith("#"):
                continue
            keyword, _, rest = line.partition(" ")
            if line.startswith('"'):
                value = ast.literal_eval(line)
            elif keyword in {"msgid", "msgid_plural"} or keyword.startswith("msgstr"):
                target, value = keyword, ast.literal_eval(rest)
            else:
                continue  # msgctxt: none in this project
            if target == "msgid":
                entry.msgid += value
            elif target == "msgid_plural":
                entry.msgid_plural = (entry.msgid_plural or "") + value
            elif target is not None:
                index = int(target[7:-1]) if target != "msgstr" else 0
                entry.msgstr[index] = entry.msgstr.get(index, "") + value
        if entry.msgid:
            found.append(entry)
    return found


NAMED = re.compile(r"%\((\w+)\)[sdfr]")
POSITIONAL = re.compile(r"%[sdfr]")
BRACES = re.compile(r"\{\w*\}")
# Real HTML elements only: a message may show a word in angle brackets to the reader, such
# as the API's "Bearer <token>", which the French rightly translates to "<jeton>".
HTML_TAG = re.compile(
    r"</?(?:a|abbr|b|br|code|em|i|kbd|li|ol|p|small|span|strong|sup|time|ul)\b[^>]*>"
)


def markers(text: str) -> tuple:
    text = text.replace("%%", "")
    return (
        set(NAMED.findall(text)),
        len(POSITIONAL.findall(text)),
        set(BRACES.findall(text)),
        Counter(HTML_TAG.findall(text)),
    )


def test_markers_read_placeholders_and_tags():
    """The check below can fail: it sees a lost placeholder, brace field or tag."""
    assert markers("Hello %(name)s, <strong>%(count)s</strong> {x} %s") != markers(
        "Hallo <strong>%(count)s</strong> {x} %s"
    )
    assert markers("<strong>%(name)s</strong>") != markers("%(name)s")
    assert markers("Bearer <token>") == markers("Bearer <jeton>")
    assert markers("100%% of %(n)s") == markers("%(n)s: 100%%")


@pytest.mark.parametrize("locale", LOCALES)
def test_every_translation_keeps_the_placeholders_and_html_tags(locale):
    text = (ROOT / "locale" / locale / "LC_MESSAGES" / "django.po").read_text()
    catalogue = po_entries(text)
    assert len(catalogue) > 500  # the file was read
    broken = []
    for entry in catalogue:
        for index, translation in entry.msgstr.items():
            if not translation:
                continue  # untranslated: the test above reports it
            source = entry.msgid if index == 0 or entry.msgid_plural is None else entry.msgid_plural
            if markers(translation) != markers(source):
                broken.append((entry.msgid, index, translation))
    assert broken == []
