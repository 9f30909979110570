"""People's names as typed or imported: one written form for one name.

A name is shown to trainers, printed on cards and compared to find homonyms. Unicode lets
the same visible name be written many ways: decomposed accents ("E" + U+0301), invisible
zero-width characters ("A\u200bm\u200bi\u200bna" looks like "Amina"), and bidirectional
controls that reorder what is displayed (U+202E shows "animA" as "Amina"). Names are kept in
NFC with those characters removed, so that what a trainer sees is what is stored and compared.
"""

import re
import unicodedata

from django import forms

# Bidirectional embeddings and overrides (U+202A-U+202E) and isolates (U+2066-U+2069),
# the left-to-right and right-to-left marks (U+200E, U+200F, U+061C), zero-width space,
# non-joiner and joiner (U+200B-U+200D), word joiner (U+2060), invisible operators
# (U+2061-U+2064), the soft hyphen (U+00AD) and the byte order mark / zero-width
# no-break space (U+FEFF).
INVISIBLE_CHARACTERS = re.compile(
    "[\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
# Tabs, line breaks and other control characters become spaces, then spaces are collapsed.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def person_name_clean(text: str) -> str:
    """A name in NFC, without invisible or reordering characters, spaces collapsed."""
    text = unicodedata.normalize("NFC", text)
    text = INVISIBLE_CHARACTERS.sub("", text)
    text = CONTROL_CHARACTERS.sub(" ", text)
    return " ".join(text.split())


class PersonNameField(forms.CharField):
    """A first or family name: cleaned as person_name_clean() says before it is checked."""

    def to_python(self, value):
        value = super().to_python(value)
        return person_name_clean(value) if value else value


def person_name_comparable(text: str) -> str:
    """The form two names are compared in to find homonyms: cleaned, then case, accents and
    spaces ignored ("Andre", "andré " and "ANDRÉ" are the same name)."""
    decomposed = unicodedata.normalize("NFKD", person_name_clean(text).casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())
