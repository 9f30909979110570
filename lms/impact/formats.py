"""Numbers, dates and months as a reader of the report's language writes them.

"4 872,5" (a narrow no-break space between thousands, a decimal comma) and "1er juin 2026"
in French, "4.872,5" and "1 juni 2026" in Dutch, "4,872.5" and "June 1, 2026" in English.
"""

from datetime import date

from django.utils import formats
from django.utils.text import capfirst
from django.utils.translation import get_language

# French typography puts a narrow no-break space between groups of thousands; Django's
# French format has a wider one.
FRENCH_THOUSANDS = "\u202f"


def is_french() -> bool:
    return (get_language() or "").startswith("fr")


def number_text(value) -> str:
    """A figure with the language's separators; a whole float loses its ".0"."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = formats.number_format(value, use_l10n=True, force_grouping=True)
    if is_french():
        text = text.replace("\xa0", FRENCH_THOUSANDS)
    return text


def date_text(day: date) -> str:
    """ "1er juin 2026": French writes the first day of a month as an ordinal; English
    spells the month out ("June 1, 2026"), where Django's format abbreviates it."""
    if (get_language() or "").startswith("en"):
        return formats.date_format(day, "F j, Y")
    text = formats.date_format(day, "DATE_FORMAT")
    if is_french() and day.day == 1:
        text = "1er" + text[1:]
    return text


def month_text(key: str) -> str:
    """ "Mai 2026" for "2026-05": the files keep the sortable form, people read this one."""
    try:
        return capfirst(formats.date_format(date.fromisoformat(f"{key}-01"), "F Y"))
    except ValueError:
        return key


def spreadsheet_number(value):
    """A figure for a spreadsheet that reads a decimal comma (Excel in Belgium): the digits
    without thousands separators, which it would take for text."""
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value).replace(".", ",")
    return value
