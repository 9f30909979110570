"""Import (preview, then confirm) and export of spreadsheets for one association.

A confirmed import is all or nothing, or, when the trainer chooses it, the valid rows only:
the refused rows then go back to them as a file in the format they sent, with what to
correct in each row.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from import_export.results import RowResult

from lms.accounts.models import Association, Role, User
from lms.accounts.names import person_name_comparable
from lms.accounts.services import audit_record

from .people import import_homonym_warnings, learner_details, learner_full_name
from .selectors import learners_described
from .transfer import KINDS
from .transfer_files import (
    CONTENT_TYPES,
    Table,
    TransferError,
    cell_display,
    file_format,
    table_read,
    table_write,
    template_write,
    upload_read,
)
from .transfer_learners import NEW_PERSON
from .transfer_resource import REASONS_LABEL, ROW_COLUMN, ScopedResource
from .transfer_store import upload_claim, upload_store

logger = logging.getLogger(__name__)

PREVIEW_SHOWN_ROWS = 300
STATUSES = ("new", "update", "skip", "error")
# What the trainer chose for a file with refused rows.
ALL_OR_NOTHING = "all"
VALID_ROWS = "valid"
MODES = (ALL_OR_NOTHING, VALID_ROWS)


@dataclass(frozen=True)
class RowReport:
    number: int
    status: str
    messages: tuple[str, ...]
    cells: tuple[str, ...]


@dataclass(frozen=True)
class Duplicate:
    """A row that may be a learner already recorded: the trainer says which, or nobody."""

    number: int
    name: str
    candidates: tuple[tuple[str, str], ...]  # (identifier, name and details)


@dataclass
class Preview:
    kind: str
    columns: list[str]
    rows: list[RowReport] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    token: str = ""
    is_committed: bool = False
    # The refused rows as a file to correct (set on a dry run when rows are refused).
    refused_file: bytes | None = None

    @property
    def totals(self) -> dict[str, int]:
        totals = dict.fromkeys(STATUSES, 0)
        for row in self.rows:
            totals[row.status] += 1
        return totals

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(row.status == "error" for row in self.rows)

    @property
    def messages(self) -> list[str]:
        """Every problem, file first, then row by row: “Row 4: …”."""
        lines = list(self.errors)
        for row in self.rows:
            lines.extend(
                _("Row %(number)s: %(message)s") % {"number": row.number, "message": message}
                for message in row.messages
            )
        return lines

    @property
    def shown_rows(self) -> list[RowReport]:
        """Rows with a problem first in number, then the others, up to a page a tablet shows."""
        errors = [row for row in self.rows if row.status == "error"][:PREVIEW_SHOWN_ROWS]
        others = [row for row in self.rows if row.status != "error"]
        shown = errors + others[: max(PREVIEW_SHOWN_ROWS - len(errors), 0)]
        return sorted(shown, key=lambda row: row.number)

    @property
    def hidden_count(self) -> int:
        return len(self.rows) - len(self.shown_rows)

    @property
    def valid_count(self) -> int:
        return sum(row.status != "error" for row in self.rows)

    @property
    def can_import_valid_rows(self) -> bool:
        """Some rows are refused, others could go in: the trainer may import those."""
        return bool(self.token) and self.has_errors and self.valid_count > 0


# --- Import ------------------------------------------------------------------------------


def resource_new(
    *,
    kind: str,
    association: Association,
    user: User | None,
    decisions: dict[int, str] | None = None,
) -> ScopedResource:
    if kind not in KINDS:
        raise ValueError(f"Unknown kind {kind!r}")
    resource_class, _label = KINDS[kind]
    if kind == "learners":
        return resource_class(association=association, user=user, decisions=decisions)
    return resource_class(association=association, user=user)


def import_run(
    *,
    kind: str,
    data: bytes,
    association: Association,
    user: User,
    dry_run: bool,
    mode: str = ALL_OR_NOTHING,
    decisions: dict[int, str] | None = None,
    progress=None,
    job=None,
) -> Preview:
    """Read and import the file in one transaction, rolled back on a dry run or any error;
    with `mode` VALID_ROWS, the rows with errors are left out and the others kept."""
    resource = resource_new(kind=kind, association=association, user=user, decisions=decisions)
    resource.progress = progress
    preview = Preview(kind=kind, columns=resource.labels())
    try:
        table = table_read(data)
    except TransferError as error:
        preview.errors.append(str(error))
        return preview
    dataset, errors, warnings = resource.dataset_build(headers=table.headers, rows=table.rows)
    preview.errors.extend(errors)
    preview.warnings.extend(warnings)
    if dataset is None:
        return preview
    with transaction.atomic():
        result = resource.import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=False,
            use_transactions=True,
            rollback_on_validation_errors=mode != VALID_ROWS,
        )
        preview.rows = row_reports(resource, dataset, result.rows)
        if kind == "learners":
            preview.duplicates = duplicates_listed(resource, preview.rows)
            preview.warnings.extend(learner_homonyms_flag(resource, preview.rows, association))
        # A row that failed (not a refused value) makes the engine roll everything back.
        if result.base_errors or any(row.errors for row in result.rows):
            for error in result.base_errors:
                logger.error("Import failed", exc_info=error.error)
            preview.errors.append(_("The file could not be imported; nothing was saved."))
        preview.errors = list(dict.fromkeys(preview.errors))
        refused = preview.totals["error"]
        if dry_run or preview.errors or (refused and mode != VALID_ROWS):
            transaction.set_rollback(True)
            if dry_run and refused and not preview.errors:
                preview.refused_file = refused_rows_file(kind, data, table, preview.rows)
        else:
            preview.is_committed = True
            # In the same transaction: no import without its line in the change log.
            transfer_import_record(
                job=job, association=association, user=user, kind=kind, totals=preview.totals
            )
    return preview


def refused_rows_file(kind: str, data: bytes, table: Table, rows: list[RowReport]) -> bytes:
    """The refused rows as the file had them, in its format, and what to correct in each."""
    refused = {row.number: row.messages for row in rows if row.status == "error"}
    headers = [cell_display(cell) for cell in table.headers]
    return table_write(
        fmt=file_format(data),
        headers=[*headers, str(REASONS_LABEL)],
        rows=[
            [*(cell_display(cell) for cell in cells), " ; ".join(refused[number])]
            for number, cells in table.rows
            if number in refused
        ],
        title=str(KINDS[kind][1]),
    )


def duplicates_listed(resource, rows: list[RowReport]) -> list[Duplicate]:
    """The rows that would add a learner whose names are already known with another or no
    year of birth: the trainer says whether it is the same person."""
    position = [key for key, _label in resource.columns].index("first_name")
    family = [key for key, _label in resource.columns].index("family_name")
    found = []
    for row in rows:
        people = resource.likely_duplicates.get(row.number)
        if row.status != "new" or not people:
            continue
        found.append(
            Duplicate(
                number=row.number,
                name=f"{row.cells[position]} {row.cells[family]}".strip(),
                candidates=tuple(
                    (
                        str(person.pseudonym),
                        f"{learner_full_name(person)} ({', '.join(learner_details(person))})",
                    )
                    for person in people
                ),
            )
        )
    return found


def learner_homonyms_flag(resource, rows: list[RowReport], association) -> list[str]:
    """Warnings for the learners the file would add under a first name already known."""
    position = [key for key, _label in resource.columns].index("first_name")
    new_names = [(row.number, row.cells[position]) for row in rows if row.status == "new"]
    if not new_names:
        return []
    learners = User.objects.filter(
        memberships__association=association,
        memberships__role=Role.LEARNER,
        memberships__is_active=True,
    ).distinct()
    # Two short columns for every learner, the details only for the homonyms found.
    wanted = {person_name_comparable(name) for _number, name in new_names}
    homonym_ids = [
        pk
        for pk, name in learners.values_list("pk", "display_name")
        if person_name_comparable(name) in wanted
    ]
    existing = learners_described(
        User.objects.filter(pk__in=homonym_ids), associations=[association]
    ).order_by("display_name", "pk")
    return import_homonym_warnings(new_names=new_names, existing=existing)


def row_reports(resource: ScopedResource, dataset, results: Sequence[RowResult]) -> list[RowReport]:
    headers = dataset.headers
    positions = [headers.index(key) if key in headers else None for key, _label in resource.columns]
    number_position = headers.index(ROW_COLUMN)
    reports = []
    for cells, row_result in zip(dataset, results, strict=True):
        messages: list[str] = []
        if row_result.validation_error is not None:
            messages.extend(row_result.validation_error.messages)
        for error in row_result.errors:
            logger.error("Import row failed", exc_info=error.error)
            messages.append(_("this row could not be imported"))
        status = row_result.import_type
        if status in {RowResult.IMPORT_TYPE_ERROR, RowResult.IMPORT_TYPE_INVALID}:
            status = "error"
        reports.append(
            RowReport(
                number=cells[number_position],
                status=status,
                messages=tuple(dict.fromkeys(messages)),
                cells=tuple("" if p is None else cell_display(cells[p]) for p in positions),
            )
        )
    return reports


def transfer_preview(*, kind: str, file, association: Association, user: User) -> Preview:
    """Check a file without keeping anything; a file with rows to import is stored for
    transfer_confirm, and its refused rows, if any, as a file to correct."""
    try:
        data = upload_read(file)
    except TransferError as error:
        return Preview(
            kind=kind,
            columns=resource_new(kind=kind, association=association, user=user).labels(),
            errors=[str(error)],
        )
    preview = import_run(kind=kind, data=data, association=association, user=user, dry_run=True)
    if not preview.errors and preview.valid_count:
        preview.token = upload_store(
            data=data,
            kind=kind,
            association=association,
            user=user,
            refused=preview.refused_file,
        )
    return preview


def decisions_read(values: dict[str, Any]) -> dict[int, str]:
    """The trainer's answers for likely duplicates, from the confirmation form or a job's
    parameters: row number → a learner's identifier or NEW_PERSON. Anything else is left out."""
    decisions = {}
    for name, value in values.items():
        number = str(name).removeprefix("duplicate-")
        text = str(value)
        if number.isdigit() and (text == NEW_PERSON or re.fullmatch(r"[0-9a-f-]{36}", text)):
            decisions[int(number)] = text
    return decisions


def transfer_confirm(
    *,
    kind: str,
    token: str,
    association: Association,
    user: User,
    mode: str = ALL_OR_NOTHING,
    decisions: dict[int, str] | None = None,
    progress=None,
    job=None,
) -> Preview:
    """Import a previewed file for real: all or nothing, or its valid rows only (`mode`).
    The file is checked again first."""
    data = upload_claim(token=token, kind=kind, association=association, user=user)
    if data is None or mode not in MODES:
        return Preview(
            kind=kind,
            columns=resource_new(kind=kind, association=association, user=user).labels(),
            errors=[_("This preview is no longer available: choose the file again.")],
        )
    return import_run(
        kind=kind,
        data=data,
        association=association,
        user=user,
        dry_run=False,
        mode=mode,
        decisions=decisions,
        progress=progress,
        job=job,
    )


# --- Export and template -----------------------------------------------------------------


def transfer_import_record(
    *, job=None, association: Association, user: User, kind: str, totals: dict
) -> None:
    """An import changed the association's lists: who, how many rows, and the job it ran in."""
    audit_record(
        actor=user,
        action="transfer_import",
        obj=job if job is not None else association,
        association=association,
        after={
            "kind": kind,
            "added": totals.get("new", 0),
            "updated": totals.get("update", 0),
            "unchanged": totals.get("skip", 0),
            "refused": totals.get("error", 0),
        },
    )


def transfer_export_record(*, association: Association, user: User, kind: str, fmt: str) -> None:
    """An export discloses the association's lists: it goes into the change log too."""
    audit_record(
        actor=user,
        action="transfer_export",
        obj=association,
        association=association,
        after={"kind": kind, "format": fmt},
    )


def transfer_export(*, kind: str, association: Association, fmt: str) -> tuple[bytes, str, str]:
    """The association's learners, groups or sessions as CSV, XLSX or ODS, with the column
    names and the choices (gender, situations) in the person's language."""
    if fmt not in CONTENT_TYPES:
        raise ValueError(f"Unknown format {fmt!r}")
    resource = resource_new(kind=kind, association=association, user=None)
    headers, rows = resource.export_table()
    label = str(KINDS[kind][1])
    content = table_write(fmt=fmt, headers=headers, rows=rows, title=label)
    filename = f"{slugify(label)}-{association.slug}-{timezone.localdate():%Y-%m-%d}.{fmt}"
    return content, CONTENT_TYPES[fmt], filename


TEMPLATE_FORMATS = ("xlsx", "csv")


def transfer_template(*, kind: str, association: Association, fmt: str) -> tuple[bytes, str, str]:
    """An empty file to fill for `kind`, its columns named in the person's language; in
    XLSX, drop-down lists for the columns with choices (gender, situations, group…)."""
    if fmt not in TEMPLATE_FORMATS:
        raise ValueError(f"Unknown format {fmt!r}")
    resource = resource_new(kind=kind, association=association, user=None)
    columns = resource.template_columns()
    keys = [key for key, _label in columns]
    choices = {
        keys.index(key): values
        for key, values in resource.template_choices().items()
        if key in keys
    }
    label = str(KINDS[kind][1])
    content = template_write(
        fmt=fmt, headers=[label for _key, label in columns], choices=choices, title=label
    )
    template = _("template")
    filename = f"{slugify(template)}-{slugify(label)}.{fmt}"
    return content, CONTENT_TYPES[fmt], filename
