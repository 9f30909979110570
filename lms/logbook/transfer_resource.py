"""What every import/export resource shares: one association, columns, row checks.

Each resource works inside ONE association, given to its constructor: it only reads, creates
or updates that association's objects, and a row that names a learner, a group or a session
of another association is an error for that row. Every column and its label are declared
once (``columns``) and reused by CSV, XLSX, ODS, the template and the preview table.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

import tablib
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import resources
from import_export.instance_loaders import BaseInstanceLoader

from lms.accounts.models import Association, Role, User

from .transfer_cells import (
    LIST_SEPARATORS,
    SetField,
    cell_text,
    normalise_header,
    parse_uuid,
)

Columns = tuple[tuple[str, Promise], ...]


# A hidden column carrying each row's number in the spreadsheet (the header is row 1), so
# messages name the row a person sees even when blank rows were left out.
ROW_COLUMN = "__row__"
LOOKUP_CHUNK = 2000
# The column a file of refused rows adds, with what to correct in each row; importing the
# corrected file leaves it out without a word.
REASONS_LABEL = gettext_lazy("What to correct")
REASONS_KEY = "__reasons__"


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
                names[normalise_header(REASONS_LABEL)] = REASONS_KEY
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
            if key == REASONS_KEY:
                key = f"__ignored_{position}"
            elif key is None:
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
        """Column labels and rows in the person's language, as text."""
        dataset = self.export(self.export_queryset())
        return self.labels(), [
            ["" if cell is None else str(cell) for cell in row] for row in dataset
        ]

    # The template: an empty file to fill

    template_skipped: ClassVar[tuple[str, ...]] = ("id",)

    def template_columns(self) -> list[tuple[str, str]]:
        """The columns to fill for new rows: identifiers come from an export."""
        return [
            (key, str(label)) for key, label in self.columns if key not in self.template_skipped
        ]

    def template_choices(self) -> dict[str, tuple[list[str], bool]]:
        """Column → the values its drop-down list offers, and whether only those are allowed."""
        return {}

    def export_learner_pseudonyms(self, pairs) -> dict[int, list[str]]:
        found: dict[int, list[str]] = {}
        for owner_id, pseudonym in pairs:
            found.setdefault(owner_id, []).append(str(pseudonym))
        return {owner_id: sorted(names) for owner_id, names in found.items()}
