"""Spreadsheet cells: reading a cell as text, dates, times and the words trainers write.

Each widget reads one kind of cell; clean() raises ValueError with a message naming the
value, which the resource turns into a row message.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import uuid
from collections.abc import Iterable
from typing import Any, ClassVar

from django.conf import settings
from django.db.models import TextChoices
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from import_export import fields, widgets

from courses.models import LearningPathPage
from lms.accounts.models import Gender, Situation, User
from lms.accounts.names import person_name_clean, person_name_comparable

from .models import Group

# What makes a spreadsheet read a cell as a formula (OWASP "CSV injection"): tab and
# carriage return too, as some programs skip them before looking for "=".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LIST_SEPARATORS = re.compile(r"[,;\s]+")
SITUATION_SEPARATORS = re.compile(r"\s*[,;\n]\s*")
DMY_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
TIME = re.compile(r"(\d{1,2})\s*[:hH.]\s*(\d{2})?(?::(\d{2}))?")


# --- Cells -------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A cell as trimmed text; spreadsheet numbers lose their '.0', the formula guard goes."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text[:1] == "'" and formula_guard_needed(text[1:]):
        return text[1:]
    return text


def formula_guard_needed(text: str) -> bool:
    """True for "=1+1", and for "'=1+1" too, so that cell_text(cell_out(x)) is always x."""
    return text.lstrip("'").startswith(FORMULA_STARTS)


def cell_out(value: Any) -> str:
    """A value for a spreadsheet cell that no spreadsheet will run as a formula.

    Control characters go: XLSX cannot hold them, and a CSV holding them is not read back.
    """
    text = "" if value is None else CONTROL_CHARACTERS.sub("", str(value))
    return f"'{text}" if formula_guard_needed(text) else text


def excel_csv(rows: Iterable[Iterable[Any]]) -> bytes:
    """Rows as a CSV file that Excel opens as Belgians have it, straight from a double click:
    semicolons between cells, UTF-8 with a byte order mark, a decimal comma ("4872,5")."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    for row in rows:
        writer.writerow(
            [str(value).replace(".", ",") if isinstance(value, float) else value for value in row]
        )
    return out.getvalue().encode("utf-8-sig")


def folded(text: Any) -> str:
    """A cell as people mean it: case, accents, apostrophes and spacing ignored, so that
    "Bénéficiaire du CPAS", "beneficiaire du cpas" and "BENEFICIAIRE  DU CPAS" are one."""
    return person_name_comparable(cell_text(text).replace("\u2019", "'"))


normalise_header = folded


def quoted(values: Iterable[str]) -> str:
    return ", ".join(f"“{value}”" for value in values)


def parse_date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = cell_text(value)
    if not text:
        return None
    if match := DMY_DATE.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
    elif match := ISO_DATE.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    else:
        raise ValueError(
            _("the date “%(value)s” is not a valid date (use DD/MM/YYYY)") % {"value": text}
        )
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ValueError(
            _("the date “%(value)s” is not a valid date (use DD/MM/YYYY)") % {"value": text}
        ) from None


def parse_time(value: Any) -> datetime.time | None:
    if isinstance(value, datetime.datetime):
        return value.time().replace(microsecond=0)
    if isinstance(value, datetime.time):
        return value.replace(microsecond=0)
    text = cell_text(value)
    if not text:
        return None
    match = TIME.fullmatch(text)
    try:
        if not match:
            raise ValueError
        hour, minute, second = (int(part or 0) for part in match.groups())
        return datetime.time(hour, minute, second)
    except ValueError:
        raise ValueError(
            _("the time “%(value)s” is not a valid time (use HH:MM)") % {"value": text}
        ) from None


def identifier_repeated(text: str) -> str:
    """The message for a second row with the same identifier; %(first)s is filled later."""
    return _("the identifier “%(value)s” is already in row %(first)s").replace("%(value)s", text)


def parse_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


# --- Widgets: one kind of cell each; clean() raises ValueError with a row message ---------


class TextWidget(widgets.Widget):
    def __init__(
        self,
        *,
        label: Promise,
        max_length: int,
        empty_message: Promise | None = None,
        person_name: bool = False,
    ):
        super().__init__()
        self.label = label
        self.max_length = max_length
        self.empty_message = empty_message
        self.person_name = person_name

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if self.person_name:
            # One written form for a name, as the trainer's forms keep it (NFC, no hidden
            # characters): "A\u200bmina" is the same Amina, for the homonym checks too.
            text = person_name_clean(text)
        if not text and self.empty_message:
            raise ValueError(str(self.empty_message))
        if len(text) > self.max_length:
            raise ValueError(
                _("“%(column)s” is too long (%(max)s characters at most)")
                % {"column": self.label, "max": self.max_length}
            )
        return text


class DateWidget(widgets.Widget):
    def __init__(self, *, empty_message: Promise | None = None):
        super().__init__()
        self.empty_message = empty_message

    def clean(self, value, row=None, **kwargs):
        day = parse_date(value)
        if day is None and self.empty_message:
            raise ValueError(str(self.empty_message))
        return day

    def render(self, value, obj=None, **kwargs):
        if isinstance(value, datetime.datetime):
            value = timezone.localtime(value).date()
        return value.strftime("%d/%m/%Y") if value else ""


class TimeWidget(widgets.Widget):
    def __init__(self, *, empty_message: Promise):
        super().__init__()
        self.empty_message = empty_message

    def clean(self, value, row=None, **kwargs):
        moment = parse_time(value)
        if moment is None:
            raise ValueError(str(self.empty_message))
        return moment

    def render(self, value, obj=None, **kwargs):
        return value.strftime("%H:%M") if value else ""


class YearWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return None
        this_year = timezone.localdate().year
        if not text.isdigit() or not 1900 <= int(text) <= this_year:
            raise ValueError(
                _("the year of birth “%(value)s” is not between 1900 and %(year)s")
                % {"value": text, "year": this_year}
            )
        return int(text)


class PostcodeWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if text and not re.fullmatch(r"\d{4}", text):
            raise ValueError(_("the postcode “%(value)s” does not have 4 digits") % {"value": text})
        return text


# The words trainers write for each choice, besides its label in each language and its code
# (compared folded: case and accents ignored). French and Dutch, as Belgian files hold.
CHOICE_WORDS: dict[str, tuple[str, ...]] = {
    Gender.WOMAN: ("f", "femme", "feminin", "v", "vrouw", "vrouwelijk", "w", "female"),
    Gender.MAN: ("h", "homme", "masculin", "m", "man", "mannelijk", "male"),
    Gender.OTHER: ("x", "autre", "non-binaire", "non binaire", "ander", "anders", "non-binair"),
    Gender.UNSAID: (
        "ne souhaite pas le dire",
        "ne veut pas le dire",
        "prefere ne pas le dire",
        "wil het niet zeggen",
        "zegt het liever niet",
    ),
    Situation.JOB_SEEKER: (
        "demandeur d'emploi",
        "demandeuse d'emploi",
        "demandeur·euse d'emploi",
        "chercheur d'emploi",
        "chomeur",
        "chomeuse",
        "werkzoekende",
        "werkzoekend",
        "werkloos",
        "werkloze",
    ),
    Situation.SENIOR: ("senior", "aine", "ainee", "personne agee", "oudere", "65+"),
    Situation.CPAS: (
        "cpas",
        "ocmw",
        "beneficiaire du cpas",
        "ris",
        "revenu d'integration",
        "leefloon",
        "client van het ocmw",
    ),
    Situation.NEWCOMER: (
        "primo-arrivant",
        "primo-arrivante",
        "primo arrivant",
        "primo arrivante",
        "nouvel arrivant",
        "nouvelle arrivante",
        "nieuwkomer",
    ),
    Situation.DISABILITY: (
        "handicap",
        "personne handicapee",
        "personne en situation de handicap",
        "persoon met een handicap",
        "persoon met een beperking",
        "beperking",
        "met een beperking",
    ),
}


def choice_names(choices) -> dict[str, str]:
    """Codes, their labels in every language and the words trainers write, folded."""
    names = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            names.update({folded(str(label)): code for code, label in choices.choices})
    for code in choices.values:
        names.update(dict.fromkeys((folded(word) for word in CHOICE_WORDS.get(code, ())), code))
        names[folded(code)] = code
    return names


def choice_labels(choices) -> str:
    """The labels a file may use, in the person's language, for a message."""
    return ", ".join(str(label) for label in choices.labels)


class ChoicesWidget(widgets.Widget):
    """Accepts a code, a label or a usual word; writes the label in the person's language.

    The names are read once per widget, not once per row.
    """

    choices: ClassVar[type[TextChoices]]
    _names: dict[str, str] | None = None

    def names(self) -> dict[str, str]:
        if self._names is None:
            self._names = choice_names(self.choices)
        return self._names

    def label(self, code: str) -> str:
        return str(self.choices(code).label) if code in self.choices.values else code


class GenderWidget(ChoicesWidget):
    choices = Gender

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return ""
        code = self.names().get(folded(text))
        if code is None:
            raise ValueError(
                _("the gender “%(value)s” is unknown (use %(codes)s)")
                % {"value": text, "codes": choice_labels(Gender)}
            )
        return code

    def render(self, value, obj=None, **kwargs):
        return self.label(value) if value else ""


class SituationsWidget(ChoicesWidget):
    """A comma-separated list of situations, kept in the order given, without repeats."""

    choices = Situation

    def clean(self, value, row=None, **kwargs):
        names = self.names()
        codes, unknown = [], []
        for part in SITUATION_SEPARATORS.split(cell_text(value)):
            if not part:
                continue
            code = names.get(folded(part))
            if code is None:
                unknown.append(part)
            elif code not in codes:
                codes.append(code)
        if unknown:
            raise ValueError(
                _("the situation %(values)s is unknown (use %(codes)s)")
                % {"values": quoted(unknown), "codes": choice_labels(Situation)}
            )
        return codes

    def render(self, value, obj=None, **kwargs):
        return ", ".join(self.label(code) for code in value or [])


class LearningPathWidget(widgets.Widget):
    """A learning path named by its title; the resource fills `pages` before importing."""

    pages: dict[str, list[LearningPathPage]]

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return None
        candidates = self.pages.get(text.casefold())
        if not candidates:
            raise ValueError(_("no learning path is called “%(value)s”") % {"value": text})
        return candidates[0]

    def render(self, value, obj=None, **kwargs):
        return value.title if value else ""


class GroupWidget(widgets.Widget):
    """A group of the association named by its name; the resource fills `groups`."""

    groups: dict[str, Group]

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return None
        group = self.groups.get(text) or self.groups.get(text.casefold())
        if group is None:
            raise ValueError(
                _("no group is called “%(value)s” in this association") % {"value": text}
            )
        return group

    def render(self, value, obj=None, **kwargs):
        return value.name if value else ""


class IdentifierWidget(widgets.Widget):
    def render(self, value, obj=None, **kwargs):
        return str(value) if value else ""


class ConsentField(fields.Field):
    """The consent date; an unchanged date keeps the recorded moment and who recorded it."""

    recorded_by: User | None = None

    def save(self, instance, row, is_m2m=False, **kwargs):
        profile = instance.learner_profile
        day = self.clean(row, **kwargs)
        current = profile.consent_given_at
        if day is None:
            profile.consent_given_at = None
            profile.consent_recorded_by = None
        elif current is None or timezone.localtime(current).date() != day:
            if day > timezone.localdate():
                raise ValueError(
                    _("the consent date “%(value)s” is in the future")
                    % {"value": day.strftime("%d/%m/%Y")}
                )
            profile.consent_given_at = timezone.make_aware(
                datetime.datetime.combine(day, datetime.time.min)
            )
            profile.consent_recorded_by = self.recorded_by


class SetField(fields.Field):
    """A list of learners (their pseudonyms); the resource reads and writes it itself."""
