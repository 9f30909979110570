"""Spreadsheet columns and import/export resources for learners, groups and sessions.

Each resource works inside ONE association, given to its constructor: it only reads, creates
or updates that association's objects, and a row that names a learner, a group or a session
of another association is an error for that row. Every column and its label are declared
once (``*_COLUMNS``) and reused by CSV, XLSX, ODS and the preview table.
"""

from __future__ import annotations

import copy
import csv
import datetime
import io
import logging
import re
import secrets
import string
import uuid
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

import tablib
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet, TextChoices
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets
from import_export.instance_loaders import BaseInstanceLoader
from wagtail.models import Locale

from courses.models import LearningPathPage
from lms.accounts.backends import forget_users
from lms.accounts.models import (
    Association,
    Gender,
    LearnerProfile,
    Membership,
    Role,
    Situation,
    User,
)
from lms.accounts.names import person_name_clean

from .models import Attendance, Group, TrainingSession

logger = logging.getLogger(__name__)

Columns = tuple[tuple[str, Promise], ...]

# The one place where each column and its label are declared.
LEARNER_COLUMNS: Columns = (
    ("id", gettext_lazy("Identifier")),
    ("first_name", gettext_lazy("First name or nickname")),
    ("family_name", gettext_lazy("Family name")),
    ("year_of_birth", gettext_lazy("Year of birth")),
    ("gender", gettext_lazy("Gender")),
    ("postcode", gettext_lazy("Postcode")),
    ("first_language", gettext_lazy("First language")),
    ("situations", gettext_lazy("Situations")),
    ("consent_on", gettext_lazy("Consent date")),
)
GROUP_COLUMNS: Columns = (
    ("name", gettext_lazy("Group name")),
    ("learning_path", gettext_lazy("Learning path")),
    ("learners", gettext_lazy("Learners (identifiers)")),
)
SESSION_COLUMNS: Columns = (
    ("id", gettext_lazy("Identifier")),
    ("held_on", gettext_lazy("Date")),
    ("starts_at", gettext_lazy("Start time")),
    ("ends_at", gettext_lazy("End time")),
    ("place", gettext_lazy("Place")),
    ("group", gettext_lazy("Group")),
    ("present", gettext_lazy("Present learners (identifiers)")),
)

# A hidden column carrying each row's number in the spreadsheet (the header is row 1), so
# messages name the row a person sees even when blank rows were left out.
ROW_COLUMN = "__row__"
# What makes a spreadsheet read a cell as a formula (OWASP "CSV injection"): tab and
# carriage return too, as some programs skip them before looking for "=".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
USERNAME_ALPHABET = string.ascii_lowercase + string.digits
LOOKUP_CHUNK = 2000
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


def normalise_header(text: Any) -> str:
    return " ".join(cell_text(text).casefold().split())


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


def choice_names(choices) -> dict[str, str]:
    """Codes and their labels in every language, folded, each naming its code."""
    names = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            names.update({str(label).casefold(): code for code, label in choices.choices})
    names.update({code.casefold(): code for code in choices.values})
    return names


class ChoicesWidget(widgets.Widget):
    """Accepts a code or a label; the names are read once per import, not once per row."""

    choices: ClassVar[type[TextChoices]]
    _names: dict[str, str] | None = None

    def names(self) -> dict[str, str]:
        if self._names is None:
            self._names = choice_names(self.choices)
        return self._names


class GenderWidget(ChoicesWidget):
    choices = Gender

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return ""
        code = self.names().get(text.casefold())
        if code is None:
            raise ValueError(
                _("the gender “%(value)s” is unknown (use %(codes)s)")
                % {"value": text, "codes": ", ".join(Gender.values)}
            )
        return code


class SituationsWidget(ChoicesWidget):
    """A comma-separated list of situation codes, kept in the order given, without repeats."""

    choices = Situation

    def clean(self, value, row=None, **kwargs):
        names = self.names()
        codes, unknown = [], []
        for part in SITUATION_SEPARATORS.split(cell_text(value)):
            if not part:
                continue
            code = names.get(part.casefold())
            if code is None:
                unknown.append(part)
            elif code not in codes:
                codes.append(code)
        if unknown:
            raise ValueError(
                _("the situation %(values)s is unknown (use %(codes)s)")
                % {"values": quoted(unknown), "codes": ", ".join(Situation.values)}
            )
        return codes

    def render(self, value, obj=None, **kwargs):
        return ", ".join(value or [])


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


# --- Resources ---------------------------------------------------------------------------


class ScopedInstanceLoader(BaseInstanceLoader):
    """Finds each row's object among those the resource loaded for its association."""

    def get_instance(self, row):
        return self.resource.existing.get(self.resource.row_key(row))


class ScopedResource(resources.ModelResource):
    """What every kind shares: one association, labels, row checks, change detection."""

    columns: ClassVar[Columns] = ()
    required_columns: ClassVar[tuple[str, ...]] = ()

    class Meta:
        instance_loader_class = ScopedInstanceLoader
        use_transactions = True
        # Unchanged rows are reported as such and not written: a file exported then
        # imported again changes nothing.
        skip_unchanged = True
        report_skipped = True
        # Change detection compares snapshots itself: no deep copy and no HTML diff per row.
        skip_diff = True
        skip_html_diff = True

    def __init__(self, *, association: Association, user: User | None = None, progress=None):
        super().__init__()
        self.association = association
        self.user = user
        # Called with (rows done, rows in the file) as the import goes (a background job's).
        self.progress = progress
        self.rows_done = 0
        self.rows_total = 0
        self.existing: dict[Any, Any] = {}
        self.repeats: dict[int, str] = {}
        self.learner_ids: dict[uuid.UUID, int] = {}
        self.current_sets: dict[str, dict[int, frozenset[int]]] = {}

    # Columns and files

    @classmethod
    def labels(cls) -> list[str]:
        return [str(label) for _key, label in cls.columns]

    @classmethod
    def header_names(cls) -> dict[str, str]:
        """Every name a column may have in a file: its key and its label in each language."""
        names = {}
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                names.update({normalise_header(label): key for key, label in cls.columns})
        names.update({key: key for key, _label in cls.columns})
        return names

    def dataset_build(
        self, *, headers: Sequence[Any], rows: Iterable[tuple[int, Sequence[Any]]]
    ) -> tuple[tablib.Dataset | None, list[str], list[str]]:
        """Name the file's columns by key; returns the dataset, errors and warnings."""
        names = self.header_names()
        keys, errors, warnings, seen = [], [], [], set()
        for position, header in enumerate(headers):
            key = names.get(normalise_header(header))
            if key is None:
                if cell_text(header):
                    warnings.append(
                        _("The column “%(column)s” is not known and will be ignored.")
                        % {"column": cell_text(header)}
                    )
                key = f"__ignored_{position}"
            elif key in seen:
                errors.append(
                    _("The column “%(column)s” appears more than once.")
                    % {"column": cell_text(header)}
                )
            seen.add(key)
            keys.append(key)
        labels = dict(self.columns)
        errors.extend(
            _("The column “%(column)s” is missing.") % {"column": labels[key]}
            for key in self.required_columns
            if key not in seen
        )
        if errors:
            return None, errors, warnings
        dataset = tablib.Dataset(headers=[*keys, ROW_COLUMN])
        for number, cells in rows:
            dataset.append([*cells, number])
        return dataset, errors, warnings

    # Import: what exists, and what each row changes

    def row_key(self, row) -> Any:
        raise NotImplementedError

    def repeat_key(self, row) -> tuple[Any, str] | None:
        """What makes two rows the same, and the message for the second (with %(first)s
        for the first one's number); None when the row may appear any number of times."""
        raise NotImplementedError

    def load_existing(self, dataset) -> dict[Any, Any]:
        raise NotImplementedError

    def after_import_row(self, row, row_result, **kwargs):
        super().after_import_row(row, row_result, **kwargs)
        self.rows_done += 1
        if self.progress is not None:
            self.progress(self.rows_done, self.rows_total)

    def before_import(self, dataset, **kwargs):
        self.rows_total = len(dataset)
        first_rows: dict[Any, int] = {}
        for row in dataset.dict:
            found = self.repeat_key(row)
            if found is None:
                continue
            key, message = found
            if key in first_rows:
                self.repeats[row[ROW_COLUMN]] = message.replace("%(first)s", str(first_rows[key]))
            else:
                first_rows[key] = row[ROW_COLUMN]
        self.existing = self.load_existing(dataset)

    def learner_ids_load(self, texts: Iterable[str]) -> None:
        """Pseudonym → id of the association's learners named in the file (past ones too)."""
        wanted = sorted({found for text in texts if (found := parse_uuid(text))})
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            self.learner_ids.update(
                User.objects.filter(
                    pseudonym__in=wanted[start : start + LOOKUP_CHUNK],
                    memberships__association=self.association,
                    memberships__role=Role.LEARNER,
                ).values_list("pseudonym", "pk")
            )

    def learner_list_clean(self, value) -> tuple[frozenset[int], list[str]]:
        ids, messages = set(), []
        for text in LIST_SEPARATORS.split(cell_text(value)):
            if not text:
                continue
            pseudonym = parse_uuid(text)
            if pseudonym in self.learner_ids:
                ids.add(self.learner_ids[pseudonym])
            else:
                messages.append(
                    _("no learner has the identifier “%(value)s” in this association")
                    % {"value": text}
                )
        return frozenset(ids), messages

    def get_instance(self, instance_loader, row):
        return instance_loader.get_instance(row)

    def after_init_instance(self, instance, new, row, **kwargs):
        instance._transfer_new = new
        instance._transfer_sets = {}
        instance._transfer_before = None if new else self.snapshot(instance)

    def set_fields(self) -> list[str]:
        return [key for key, field in self.fields.items() if isinstance(field, SetField)]

    def import_instance(self, instance, row, **kwargs):
        errors: dict[str, list] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        messages = []
        for key in self.set_fields():
            if key in row:
                instance._transfer_sets[key], unknown = self.learner_list_clean(row[key])
                messages.extend(unknown)
        messages.extend(self.row_check(instance, row))
        if row[ROW_COLUMN] in self.repeats:
            messages.insert(0, self.repeats[row[ROW_COLUMN]])
        if messages:
            errors = ValidationError(messages).update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def row_check(self, instance, row) -> list[str]:
        """Checks across columns; returns messages."""
        return []

    def snapshot(self, instance, *, pending: bool = False) -> dict[str, Any]:
        values = {
            key: copy.copy(field.get_value(instance))
            for key, field in self.fields.items()
            if field.attribute and not field.readonly
        }
        for key in self.set_fields():
            current = self.current_sets.get(key, {}).get(instance.pk, frozenset())
            values[key] = instance._transfer_sets.get(key, current) if pending else current
        return values

    def skip_row(self, instance, original, row, import_validation_errors=None):
        before = instance._transfer_before
        if import_validation_errors or before is None:
            return False
        return before == self.snapshot(instance, pending=True)

    def after_import(self, dataset, result, **kwargs):
        # Primary keys come from the database, never from the file: no sequence to reset
        # (ModelResource's reset could move a PostgreSQL sequence back under a busy site).
        pass

    # Export

    def export_queryset(self) -> QuerySet:
        raise NotImplementedError

    def iter_queryset(self, queryset):
        # One query (plus the maps filled in before_export), whatever the number of rows.
        yield from queryset

    def export_table(self) -> tuple[list[str], list[list[str]]]:
        dataset = self.export(self.export_queryset())
        return self.labels(), [[cell_out(cell) for cell in row] for row in dataset]

    def export_learner_pseudonyms(self, pairs) -> dict[int, list[str]]:
        found: dict[int, list[str]] = {}
        for owner_id, pseudonym in pairs:
            found.setdefault(owner_id, []).append(str(pseudonym))
        return {owner_id: sorted(names) for owner_id, names in found.items()}


class LearnerResource(ScopedResource):
    columns = LEARNER_COLUMNS
    required_columns = ("first_name",)
    labels_by_key = dict(LEARNER_COLUMNS)

    id = fields.Field(attribute="pseudonym", widget=IdentifierWidget(), readonly=True)
    first_name = fields.Field(
        attribute="display_name",
        # Required in row_check: a learner recorded without one may stay so.
        widget=TextWidget(label=labels_by_key["first_name"], max_length=80, person_name=True),
    )
    family_name = fields.Field(
        attribute="learner_profile__family_name",
        widget=TextWidget(label=labels_by_key["family_name"], max_length=80, person_name=True),
    )
    year_of_birth = fields.Field(attribute="learner_profile__year_of_birth", widget=YearWidget())
    gender = fields.Field(attribute="learner_profile__gender", widget=GenderWidget())
    postcode = fields.Field(attribute="learner_profile__postcode", widget=PostcodeWidget())
    first_language = fields.Field(
        attribute="learner_profile__first_language",
        widget=TextWidget(label=labels_by_key["first_language"], max_length=40),
    )
    situations = fields.Field(attribute="learner_profile__situations", widget=SituationsWidget())
    consent_on = ConsentField(attribute="learner_profile__consent_given_at", widget=DateWidget())

    PROFILE_FIELDS = (
        "family_name",
        "year_of_birth",
        "gender",
        "postcode",
        "first_language",
        "situations",
        "consent_given_at",
        "consent_recorded_by",
    )

    class Meta:
        model = User
        fields = [key for key, _label in LEARNER_COLUMNS]
        # 10,000 learners in one file: users, profiles and memberships go in by batches.
        use_bulk = True
        batch_size = 1000

    def __init__(self, *, association: Association, user: User | None = None):
        super().__init__(association=association, user=user)
        self.fields["consent_on"].recorded_by = user

    def row_key(self, row):
        return parse_uuid(cell_text(row.get("id")))

    def repeat_key(self, row):
        text = cell_text(row.get("id"))
        if text:
            return ("id", text.casefold()), identifier_repeated(text)
        values = tuple(cell_text(row.get(key)).casefold() for key, _label in self.columns)
        return ("row", values), _("this row repeats row %(first)s")

    def learners_queryset(self) -> QuerySet[User]:
        return User.objects.filter(
            memberships__association=self.association,
            memberships__role=Role.LEARNER,
            memberships__is_active=True,
        )

    def load_existing(self, dataset):
        if "id" not in dataset.headers:
            return {}
        wanted = sorted({found for text in dataset["id"] if (found := parse_uuid(cell_text(text)))})
        existing = {}
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[start : start + LOOKUP_CHUNK]
            for learner in (
                self.learners_queryset()
                .filter(pseudonym__in=chunk)
                .select_related("learner_profile")
            ):
                existing[learner.pseudonym] = learner
        return existing

    def init_instance(self, row=None):
        return User(username="", display_name="")

    def after_init_instance(self, instance, new, row, **kwargs):
        try:
            instance.learner_profile  # noqa: B018 (reading it tells whether it exists)
        except LearnerProfile.DoesNotExist:
            instance.learner_profile = LearnerProfile(user=instance)
        super().after_init_instance(instance, new, row, **kwargs)

    def row_check(self, instance, row):
        messages = []
        text = cell_text(row.get("id"))
        if text and instance._transfer_new:
            messages.append(
                _("no learner has the identifier “%(value)s” in this association") % {"value": text}
            )
        before = instance._transfer_before
        had_name = instance._transfer_new or (before and before["first_name"])
        if "first_name" in row and not instance.display_name and had_name:
            messages.append(_("the first name or nickname is empty"))
        return messages

    def usernames_new(self, count: int) -> list[str]:
        """Unique usernames like a-k3x9q2mz, checked against the database in one query."""
        names: set[str] = set()
        while len(names) < count:
            batch = {
                "a-" + "".join(secrets.choice(USERNAME_ALPHABET) for _letter in range(8))
                for _name in range(count - len(names))
            }
            batch -= set(User.objects.filter(username__in=batch).values_list("username", flat=True))
            names |= batch
        return list(names)

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if not self.create_instances or not (using_transactions or not dry_run):
            return
        users = self.create_instances
        try:
            for user, username in zip(users, self.usernames_new(len(users)), strict=True):
                user.username = username
                user.set_unusable_password()
            User.objects.bulk_create(users, batch_size=batch_size)
            LearnerProfile.objects.bulk_create(
                [user.learner_profile for user in users], batch_size=batch_size
            )
            joined_on = timezone.localdate()
            Membership.objects.bulk_create(
                [
                    Membership(
                        user=user,
                        association=self.association,
                        role=Role.LEARNER,
                        joined_on=joined_on,
                    )
                    for user in users
                ],
                batch_size=batch_size,
            )
        except Exception as error:  # reported as the import's error, as the base class does
            self.handle_import_error(result, error, raise_errors)
        finally:
            self.create_instances.clear()

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if not self.update_instances or not (using_transactions or not dry_run):
            return
        users = self.update_instances
        try:
            User.objects.bulk_update(users, ["display_name"], batch_size=batch_size)
            forget_users(user.pk for user in users)  # bulk_update sends no signal
            profiles = [user.learner_profile for user in users]
            LearnerProfile.objects.bulk_update(
                [profile for profile in profiles if profile.pk],
                self.PROFILE_FIELDS,
                batch_size=batch_size,
            )
            LearnerProfile.objects.bulk_create(
                [profile for profile in profiles if not profile.pk], batch_size=batch_size
            )
        except Exception as error:  # reported as the import's error, as the base class does
            self.handle_import_error(result, error, raise_errors)
        finally:
            self.update_instances.clear()

    def export_queryset(self):
        return (
            self.learners_queryset()
            .select_related("learner_profile")
            .order_by("display_name", "pk")
        )


class GroupResource(ScopedResource):
    columns = GROUP_COLUMNS
    required_columns = ("name",)

    name = fields.Field(
        attribute="name",
        widget=TextWidget(
            label=dict(GROUP_COLUMNS)["name"],
            max_length=120,
            empty_message=gettext_lazy("the group name is empty"),
        ),
    )
    learning_path = fields.Field(attribute="learning_path", widget=LearningPathWidget())
    learners = SetField()

    class Meta:
        model = Group
        fields = [key for key, _label in GROUP_COLUMNS]

    def row_key(self, row):
        name = cell_text(row.get("name"))
        return name if name in self.existing else name.casefold()

    def repeat_key(self, row):
        name = cell_text(row.get("name"))
        if not name:
            return None
        message = _("the group “%(value)s” is already in row %(first)s")
        return name.casefold(), message.replace("%(value)s", name)

    def load_existing(self, dataset):
        groups = list(
            Group.objects.filter(association=self.association).select_related("learning_path")
        )
        self.fields["learning_path"].widget.pages = self.learning_paths(groups)
        through = Group.learners.through.objects.filter(group__in=[group.pk for group in groups])
        members: dict[int, set[int]] = {}
        for group_id, user_id in through.values_list("group_id", "user_id"):
            members.setdefault(group_id, set()).add(user_id)
        self.current_sets["learners"] = {key: frozenset(ids) for key, ids in members.items()}
        if "learners" in dataset.headers:
            self.learner_ids_load(
                text
                for cell in dataset["learners"]
                for text in LIST_SEPARATORS.split(cell_text(cell))
            )
        existing = {group.name.casefold(): group for group in groups}
        existing.update({group.name: group for group in groups})
        return existing

    def learning_paths(self, groups: list[Group]) -> dict[str, list[LearningPathPage]]:
        """Live paths by title, and those the groups follow even if no longer published."""
        pages: dict[str, list[LearningPathPage]] = {}
        followed = [group.learning_path for group in groups if group.learning_path]
        originals = LearningPathPage.objects.live().filter(locale=Locale.get_default())
        for page in [*originals.order_by("pk"), *followed]:
            same_title = pages.setdefault(page.title.casefold(), [])
            if page not in same_title:
                same_title.append(page)
        return pages

    def init_instance(self, row=None):
        return Group(association=self.association)

    def row_check(self, instance, row):
        before = instance._transfer_before
        current = before and before.get("learning_path")
        chosen = instance.learning_path
        # Two pages may share a title (translations): keep the one the group already has.
        if current and chosen and chosen.title.casefold() == current.title.casefold():
            instance.learning_path = current
        return []

    def save_m2m(self, instance, row, **kwargs):
        if not self._is_using_transactions(kwargs) and self._is_dry_run(kwargs):
            return
        if "learners" in instance._transfer_sets:
            instance.learners.set(instance._transfer_sets["learners"])
        if instance._transfer_new and self.user is not None:
            instance.trainers.add(self.user)

    def before_export(self, queryset, **kwargs):
        through = Group.learners.through.objects.filter(group__association=self.association)
        self.export_learners = self.export_learner_pseudonyms(
            through.values_list("group_id", "user__pseudonym")
        )

    def dehydrate_learners(self, group):
        return ", ".join(self.export_learners.get(group.pk, []))

    def export_queryset(self):
        return Group.objects.filter(association=self.association).select_related("learning_path")


class TrainingSessionResource(ScopedResource):
    columns = SESSION_COLUMNS
    required_columns = ("held_on", "starts_at", "ends_at")

    id = fields.Field(attribute="uuid", widget=IdentifierWidget(), readonly=True)
    held_on = fields.Field(
        attribute="held_on", widget=DateWidget(empty_message=gettext_lazy("the date is missing"))
    )
    starts_at = fields.Field(
        attribute="starts_at",
        widget=TimeWidget(empty_message=gettext_lazy("the start time is missing")),
    )
    ends_at = fields.Field(
        attribute="ends_at",
        widget=TimeWidget(empty_message=gettext_lazy("the end time is missing")),
    )
    place = fields.Field(
        attribute="place", widget=TextWidget(label=dict(SESSION_COLUMNS)["place"], max_length=150)
    )
    group = fields.Field(attribute="group", widget=GroupWidget())
    present = SetField()

    class Meta:
        model = TrainingSession
        fields = [key for key, _label in SESSION_COLUMNS]

    def row_key(self, row):
        return parse_uuid(cell_text(row.get("id")))

    def repeat_key(self, row):
        text = cell_text(row.get("id"))
        if text:
            return ("id", text.casefold()), identifier_repeated(text)
        values = []
        for key, parse in (("held_on", parse_date), ("starts_at", parse_time)):
            try:
                values.append(parse(row.get(key)))
            except ValueError:
                values.append(cell_text(row.get(key)))
        values.append(cell_text(row.get("group")).casefold())
        return ("session", tuple(values)), _(
            "this session (same date, start time and group) is already in row %(first)s"
        )

    def load_existing(self, dataset):
        groups = list(Group.objects.filter(association=self.association))
        names = {group.name.casefold(): group for group in groups}
        names.update({group.name: group for group in groups})
        self.fields["group"].widget.groups = names
        if "present" in dataset.headers:
            self.learner_ids_load(
                text
                for cell in dataset["present"]
                for text in LIST_SEPARATORS.split(cell_text(cell))
            )
        existing = {}
        if "id" in dataset.headers:
            wanted = sorted(
                {found for text in dataset["id"] if (found := parse_uuid(cell_text(text)))}
            )
            for start in range(0, len(wanted), LOOKUP_CHUNK):
                existing.update(
                    (session.uuid, session)
                    for session in TrainingSession.objects.filter(
                        association=self.association, uuid__in=wanted[start : start + LOOKUP_CHUNK]
                    ).select_related("group")
                )
        present: dict[int, set[int]] = {}
        attendances = Attendance.objects.filter(
            session__in=[session.pk for session in existing.values()]
        )
        for session_id, learner_id in attendances.values_list("session_id", "learner_id"):
            present.setdefault(session_id, set()).add(learner_id)
        self.current_sets["present"] = {key: frozenset(ids) for key, ids in present.items()}
        return existing

    def init_instance(self, row=None):
        return TrainingSession(association=self.association)

    def row_check(self, instance, row):
        messages = []
        text = cell_text(row.get("id"))
        if text and instance._transfer_new:
            messages.append(
                _("no session has the identifier “%(value)s” in this association") % {"value": text}
            )
        starts_at, ends_at = instance.starts_at, instance.ends_at
        both = isinstance(starts_at, datetime.time) and isinstance(ends_at, datetime.time)
        if both and ends_at <= starts_at:
            messages.append(
                _("the end time %(end)s is not after the start time %(start)s")
                % {"end": ends_at.strftime("%H:%M"), "start": starts_at.strftime("%H:%M")}
            )
        return messages

    def save_m2m(self, instance, row, **kwargs):
        if not self._is_using_transactions(kwargs) and self._is_dry_run(kwargs):
            return
        if "present" in instance._transfer_sets:
            wanted = instance._transfer_sets["present"]
            current = self.current_sets["present"].get(instance.pk, frozenset())
            if current - wanted:
                Attendance.objects.filter(
                    session=instance, learner_id__in=current - wanted
                ).delete()
            Attendance.objects.bulk_create(
                [Attendance(session=instance, learner_id=pk) for pk in sorted(wanted - current)]
            )
        if instance._transfer_new and self.user is not None:
            instance.trainers.add(self.user)

    def before_export(self, queryset, **kwargs):
        attendances = Attendance.objects.filter(session__association=self.association)
        self.export_present = self.export_learner_pseudonyms(
            attendances.values_list("session_id", "learner__pseudonym")
        )

    def dehydrate_present(self, session):
        return ", ".join(self.export_present.get(session.pk, []))

    def export_queryset(self):
        return (
            TrainingSession.objects.filter(association=self.association)
            .select_related("group")
            .order_by("held_on", "starts_at", "pk")
        )


# kind → (resource, label); the label also names the exported file.
KINDS: dict[str, tuple[type[ScopedResource], Promise]] = {
    "learners": (LearnerResource, gettext_lazy("Learners")),
    "groups": (GroupResource, gettext_lazy("Groups")),
    "sessions": (TrainingSessionResource, gettext_lazy("In-person sessions")),
}
