"""French typography of the coordinator pages lives in the French catalogue: a narrow no-break
space before : ; ? ! and inside « », so that no line starts with a lone colon or guillemet.

Coordinator pages are the entries used by the logbook and the personal data screens (their
reference lines); the change log's own sentences have no reference lines yet (they are added
by hand, see the helpers' brief) and are checked by name.
"""

import re
from pathlib import Path

from django.conf import settings

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"
# The personal data screens' strings: lms/privacy/ and templates/privacy/, the declarations
# each app makes to them (personal_data.py), consents and the audit trail's values in
# accounts. The reference lines are those `make messages` writes (CI checks they are current).
COORDINATOR_PAGES = re.compile(
    r"(templates/logbook/|templates/privacy/|lms/logbook/|lms/privacy/|personal_data\.py"
    r"|lms/accounts/consents\.py|lms/accounts/audit_values\.py)"
)
NNBSP = "\u202f"


def entries() -> list[tuple[str, list[str]]]:
    """(reference lines, translations) of each entry, plural forms included."""
    found = []
    for block in CATALOGUE.read_text(encoding="utf-8").split("\n\n"):
        references = " ".join(line for line in block.splitlines() if line.startswith("#:"))
        texts, current = [], None
        for line in block.splitlines():
            start = re.match(r'^msgstr(?:\[\d\])? "(.*)"$', line)
            if start:
                current = [start.group(1)]
                texts.append(current)
            elif current is not None and line.startswith('"'):
                current.append(line[1:-1])
            else:
                current = None
        found.append((references, ["".join(parts) for parts in texts]))
    return found


def badly_spaced(text: str) -> bool:
    return bool(re.search(r"[ \u00a0][:;?!»]|«[ \u00a0]|«[^\u202f]|[^\u202f]»", text))


def test_coordinator_pages_have_a_narrow_no_break_space_before_high_punctuation():
    coordinator = [
        text
        for references, texts in entries()
        if COORDINATOR_PAGES.search(references)
        for text in texts
    ]
    assert len(coordinator) > 100  # the catalogue was read
    assert [text for text in coordinator if badly_spaced(text)] == []


def test_the_check_finds_an_ordinary_space():
    assert badly_spaced("Score : 90") and badly_spaced("« Détails »")
    assert not badly_spaced(f"Score{NNBSP}: 90") and not badly_spaced(f"«{NNBSP}Détails{NNBSP}»")


def test_the_change_log_sentences_follow_it():
    translations = {text for _references, texts in entries() for text in texts}
    assert f"%(event)s{NNBSP}: %(details)s" in translations
    assert f"Validations{NNBSP}: %(name)s – %(help)s (%(module)s)" in translations
