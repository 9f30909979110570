"""Every string the interface shows has its French translation (French is the first language).

The strings are extracted as `make messages` extracts them, from a copy of the sources into
a copy of the French catalogue: makemessages writes beside the files it reads, and the
project's own catalogue must stay as it is.
"""

import shutil
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from tests.lms.databases import missing_service

ROOT = Path(settings.BASE_DIR)
SOURCES = ["lms", "courses", "cms", "templates"]


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


def test_every_interface_string_has_a_french_translation(tmp_path, monkeypatch):
    if shutil.which("xgettext") is None:
        missing_service("GNU gettext (xgettext, msgattrib)", FileNotFoundError("xgettext"))
    for name in SOURCES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    catalogue = tmp_path / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    catalogue.parent.mkdir(parents=True)
    shutil.copy(ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po", catalogue)
    monkeypatch.chdir(tmp_path)
    with override_settings(LOCALE_PATHS=[tmp_path / "locale"]):
        call_command("makemessages", locale=["fr"], no_obsolete=True, verbosity=0)
    extracted = catalogue.read_text()
    assert "lms/learning/views.py" in extracted  # the copy was read, not an empty folder
    assert msgattrib("--untranslated", po=catalogue) == []
    assert msgattrib("--only-fuzzy", po=catalogue) == []
