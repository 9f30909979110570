"""Import (preview, then confirm) and export of spreadsheets for one association."""

from __future__ import annotations

import csv
import datetime
import io
import json
import logging
import os
import re
import secrets
import tempfile
import time
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import openpyxl
import tablib
from defusedxml import ElementTree
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from import_export.results import RowResult

from lms.accounts.models import Association, Role, User
from lms.accounts.names import person_name_comparable
from lms.accounts.services import audit_record

from .people import import_homonym_warnings
from .selectors import learners_described
from .transfer import (
    CONTROL_CHARACTERS,
    KINDS,
    ROW_COLUMN,
    ScopedResource,
    cell_text,
    excel_csv,
)

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 200
# An XLSX or ODS file is a zip archive: refuse archives that unpack to far more than they
# weigh (zip bombs) before any XML is read.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_ARCHIVE_MEMBERS = 2000
PREVIEW_MAX_AGE_SECONDS = 3600
PREVIEW_SHOWN_ROWS = 300
# Uploaded files wait for confirmation here, readable by this process only, and never in
# MEDIA_ROOT, which may be served to the public.
STORE_DIR = Path(tempfile.gettempdir()) / "pasapas-transfer"
TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")

ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": XLSX_MIMETYPE,
    "ods": ODS_MIMETYPE,
}
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
STATUSES = ("new", "update", "skip", "error")


class TransferError(Exception):
    """A problem with the whole file, told to the person as it is."""


@dataclass(frozen=True)
class RowReport:
    number: int
    status: str
    messages: tuple[str, ...]
    cells: tuple[str, ...]


@dataclass
class Preview:
    kind: str
    columns: list[str]
    rows: list[RowReport] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    token: str = ""
    is_committed: bool = False

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


@dataclass(frozen=True)
class Table:
    headers: list[Any]
    rows: list[tuple[int, list[Any]]]


# --- Reading files -----------------------------------------------------------------------


def not_a_spreadsheet() -> TransferError:
    return TransferError(_("This file is not a spreadsheet (CSV, XLSX or ODS)"))


def table_read(data: bytes) -> Table:
    """Recognise the format by the content (never by the file name) and read the rows."""
    if not data:
        raise TransferError(_("The file is empty."))
    if data.startswith(b"PK\x03\x04"):
        return table_from_rows(archive_rows(data))
    if data.startswith(OLE2_SIGNATURE):
        raise TransferError(
            _("This is an old Excel file (.xls): save it as .xlsx or .csv and try again.")
        )
    return table_from_rows(csv_rows(data))


def csv_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            legacy = data.decode("cp1252")
        except UnicodeDecodeError:
            raise not_a_spreadsheet() from None
        if CONTROL_CHARACTERS.search(legacy) or not re.search(r"[;,\n]", legacy):
            raise not_a_spreadsheet() from None
        raise TransferError(
            _("This CSV file is not in UTF-8: save it again as “CSV UTF-8” and try again.")
        ) from None
    if CONTROL_CHARACTERS.search(text):
        raise not_a_spreadsheet()
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        # A record is a row, even when a quoted cell spans several lines.
        yield from enumerate(reader, start=1)
    except csv.Error:
        raise not_a_spreadsheet() from None


def archive_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise not_a_spreadsheet() from None
    if (
        len(members) > MAX_ARCHIVE_MEMBERS
        or sum(member.file_size for member in members) > MAX_UNPACKED_BYTES
    ):
        raise not_a_spreadsheet()
    names = {member.filename for member in members}
    try:
        if "mimetype" in names and archive.read("mimetype").strip() == ODS_MIMETYPE.encode():
            return ods_rows(archive.read("content.xml"))
        if "xl/workbook.xml" in names:
            return xlsx_rows(data)
    except Exception:  # any damage inside the archive means “not a spreadsheet”
        logger.info("Unreadable spreadsheet archive", exc_info=True)
        raise not_a_spreadsheet() from None
    raise not_a_spreadsheet()


def xlsx_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        rows = []
        for number, cells in enumerate(workbook.worksheets[0].iter_rows(values_only=True), 1):
            if any(cell not in (None, "") for cell in cells):
                rows.append((number, list(cells[:MAX_COLUMNS])))
            if len(rows) > MAX_ROWS + 1:
                break  # far enough to say the sheet is over the limit
    finally:
        workbook.close()
    return iter(rows)


ODS_NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}


def ods_name(prefix: str, name: str) -> str:
    return f"{{{ODS_NS[prefix]}}}{name}"


def ods_rows(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    """The first sheet of an OpenDocument spreadsheet (content.xml), row by row."""
    root = ElementTree.fromstring(content)
    sheet = root.find(".//table:table", ODS_NS)
    if sheet is None:
        return iter(())
    rows, number = [], 0
    for row in ods_table_rows(sheet):
        repeat = int(row.get(ods_name("table", "number-rows-repeated"), "1"))
        cells = ods_cells(row)
        if not any(cell not in (None, "") for cell in cells):
            number += repeat
            continue
        for _copy in range(min(repeat, MAX_ROWS + 2)):
            number += 1
            rows.append((number, list(cells)))
        if len(rows) > MAX_ROWS + 1:
            break
    return iter(rows)


def ods_table_rows(element) -> Iterator[Any]:
    for child in element:
        if child.tag == ods_name("table", "table-row"):
            yield child
        elif child.tag in {
            ods_name("table", "table-header-rows"),
            ods_name("table", "table-rows"),
            ods_name("table", "table-row-group"),
        }:
            yield from ods_table_rows(child)


def ods_cells(row) -> list[Any]:
    cells: list[Any] = []
    for cell in row:
        if cell.tag not in {
            ods_name("table", "table-cell"),
            ods_name("table", "covered-table-cell"),
        }:
            continue
        repeat = int(cell.get(ods_name("table", "number-columns-repeated"), "1"))
        cells.extend([ods_value(cell)] * min(repeat, MAX_COLUMNS))
        if len(cells) >= MAX_COLUMNS:
            break
    return cells[:MAX_COLUMNS]


def ods_value(cell) -> Any:
    kind = cell.get(ods_name("office", "value-type"))
    if kind in {"float", "percentage", "currency"}:
        number = float(cell.get(ods_name("office", "value"), "0"))
        return int(number) if number.is_integer() else number
    if kind == "date":
        return cell.get(ods_name("office", "date-value"), "")
    if kind == "time":
        match = re.fullmatch(r"PT(\d+)H(\d+)M.*", cell.get(ods_name("office", "time-value"), ""))
        if match:
            return f"{int(match[1]):02d}:{int(match[2]):02d}"
    paragraphs = cell.findall("text:p", ODS_NS)
    return "\n".join(ods_text(paragraph) for paragraph in paragraphs)


def ods_text(element) -> str:
    parts = [element.text or ""]
    for child in element:
        if child.tag == ods_name("text", "s"):
            parts.append(" " * int(child.get(ods_name("text", "c"), "1")))
        elif child.tag == ods_name("text", "tab"):
            parts.append("\t")
        elif child.tag == ods_name("text", "line-break"):
            parts.append("\n")
        else:
            parts.append(ods_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def table_from_rows(rows: Iterator[tuple[int, list[Any]]]) -> Table:
    """The first non-blank row is the header; blank rows are left out; numbers are kept."""
    headers: list[Any] | None = None
    body: list[tuple[int, list[Any]]] = []
    for number, cells in rows:
        cells = list(cells[:MAX_COLUMNS])
        while cells and cells[-1] in (None, ""):
            cells.pop()
        if not any(cell_text(cell) for cell in cells):
            continue
        if headers is None:
            headers = cells
            continue
        if len(body) >= MAX_ROWS:
            raise TransferError(
                _("The file has more than %(max)s rows: split it into several files.")
                % {"max": MAX_ROWS}
            )
        body.append((number, cells))
    if headers is None:
        raise TransferError(_("The file is empty."))
    if not body:
        raise TransferError(_("The file has a header line but no rows to import."))
    width = max(len(headers), *(len(cells) for _number, cells in body))
    headers = headers + [""] * (width - len(headers))
    return Table(
        headers=headers,
        rows=[(number, cells + [""] * (width - len(cells))) for number, cells in body],
    )


def upload_read(file) -> bytes:
    """The uploaded bytes, refused when too big before anything is parsed."""
    size = getattr(file, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise too_big()
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise too_big()
    return data


def too_big() -> TransferError:
    return TransferError(
        _("The file is larger than %(size)s MB: split it into several files.")
        % {"size": MAX_UPLOAD_BYTES // (1024 * 1024)}
    )


# --- Import ------------------------------------------------------------------------------


def resource_new(*, kind: str, association: Association, user: User | None) -> ScopedResource:
    if kind not in KINDS:
        raise ValueError(f"Unknown kind {kind!r}")
    resource_class, _label = KINDS[kind]
    return resource_class(association=association, user=user)


def cell_display(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        return value.strftime("%d/%m/%Y %H:%M") if value.time() else value.strftime("%d/%m/%Y")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    return cell_text(value)


def import_run(
    *,
    kind: str,
    data: bytes,
    association: Association,
    user: User,
    dry_run: bool,
    progress=None,
    job=None,
) -> Preview:
    """Read and import the file in one transaction, rolled back on a dry run or any error."""
    resource = resource_new(kind=kind, association=association, user=user)
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
            rollback_on_validation_errors=True,
        )
        preview.rows = row_reports(resource, dataset, result.rows)
        if kind == "learners":
            preview.warnings.extend(learner_homonyms_flag(resource, preview.rows, association))
        for error in result.base_errors:
            logger.error("Import failed", exc_info=error.error)
            preview.errors.append(_("The file could not be imported; nothing was saved."))
        preview.errors = list(dict.fromkeys(preview.errors))
        if dry_run or preview.has_errors:
            transaction.set_rollback(True)
        else:
            preview.is_committed = True
            # In the same transaction: no import without its line in the change log.
            transfer_import_record(
                job=job, association=association, user=user, kind=kind, totals=preview.totals
            )
    return preview


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
    """Check a file without keeping anything; a clean file is stored for transfer_confirm."""
    try:
        data = upload_read(file)
    except TransferError as error:
        return Preview(
            kind=kind,
            columns=resource_new(kind=kind, association=association, user=user).labels(),
            errors=[str(error)],
        )
    preview = import_run(kind=kind, data=data, association=association, user=user, dry_run=True)
    if not preview.has_errors:
        preview.token = upload_store(data=data, kind=kind, association=association, user=user)
    return preview


def transfer_confirm(
    *, kind: str, token: str, association: Association, user: User, progress=None, job=None
) -> Preview:
    """Import a previewed file for real, all or nothing; the file is checked again first."""
    data = upload_claim(token=token, kind=kind, association=association, user=user)
    if data is None:
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
        progress=progress,
        job=job,
    )


# --- Files waiting for confirmation ------------------------------------------------------


def upload_store(*, data: bytes, kind: str, association: Association, user: User) -> str:
    STORE_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    uploads_purge()
    token = secrets.token_urlsafe(24)
    meta = {"kind": kind, "association": association.pk, "user": user.pk, "at": time.time()}
    for suffix, content in ((".data", data), (".json", json.dumps(meta).encode())):
        descriptor = os.open(
            STORE_DIR / f"{token}{suffix}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600
        )
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
    return token


def upload_claim(*, token: str, kind: str, association: Association, user: User) -> bytes | None:
    """The stored bytes, once: a second confirmation of the same preview finds nothing."""
    if not TOKEN.fullmatch(token or ""):
        return None
    meta_path, data_path = STORE_DIR / f"{token}.json", STORE_DIR / f"{token}.data"
    claimed = STORE_DIR / f"{token}.claimed"
    try:
        os.replace(meta_path, claimed)  # atomic: only one request wins
    except FileNotFoundError:
        return None
    try:
        meta = json.loads(claimed.read_bytes())
        fresh = time.time() - meta["at"] < PREVIEW_MAX_AGE_SECONDS
        if not fresh or (meta["kind"], meta["association"], meta["user"]) != (
            kind,
            association.pk,
            user.pk,
        ):
            return None
        return data_path.read_bytes()
    except (OSError, ValueError, KeyError):
        return None
    finally:
        claimed.unlink(missing_ok=True)
        data_path.unlink(missing_ok=True)


def uploads_purge() -> None:
    limit = time.time() - PREVIEW_MAX_AGE_SECONDS
    for path in STORE_DIR.glob("*"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue


# --- Export ------------------------------------------------------------------------------


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
    """The association's learners, groups or sessions as CSV, XLSX or ODS."""
    if fmt not in CONTENT_TYPES:
        raise ValueError(f"Unknown format {fmt!r}")
    resource = resource_new(kind=kind, association=association, user=None)
    headers, rows = resource.export_table()
    label = str(KINDS[kind][1])
    if fmt == "csv":
        content = excel_csv([headers, *rows])
    elif fmt == "xlsx":
        dataset = tablib.Dataset(*rows, headers=headers, title=label[:31])
        content = dataset.export("xlsx")
    else:
        # tablib's ODS needs odfpy, which is not installed: a small writer is enough here.
        content = ods_write(headers=headers, rows=rows, title=label)
    filename = f"{slugify(label)}-{association.slug}-{timezone.localdate():%Y-%m-%d}.{fmt}"
    return content, CONTENT_TYPES[fmt], filename


ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
    ' manifest:version="1.2">'
    f'<manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="{ODS_MIMETYPE}"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def ods_cell_xml(value: str) -> str:
    if not value:
        return "<table:table-cell/>"
    value = CONTROL_CHARACTERS.sub("", value)
    paragraphs = []
    for line in value.split("\n"):
        # Runs of spaces would collapse in OpenDocument: write them as <text:s/>.
        text = re.sub(r" {2,}", lambda run: f' <text:s text:c="{len(run[0]) - 1}"/>', escape(line))
        paragraphs.append(f"<text:p>{text}</text:p>")
    return f'<table:table-cell office:value-type="string">{"".join(paragraphs)}</table:table-cell>'


def ods_write(*, headers: Sequence[str], rows: Sequence[Sequence[str]], title: str) -> bytes:
    body = "".join(
        "<table:table-row>{}</table:table-row>".format("".join(ods_cell_xml(cell) for cell in row))
        for row in [list(headers), *rows]
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<office:document-content xmlns:office="{ODS_NS["office"]}"'
        f' xmlns:table="{ODS_NS["table"]}" xmlns:text="{ODS_NS["text"]}" office:version="1.2">'
        "<office:body><office:spreadsheet>"
        f'<table:table table:name="{escape(title, {chr(34): "&quot;"})}">'
        f'<table:table-column table:number-columns-repeated="{max(len(headers), 1)}"/>'
        f"{body}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        # The mimetype comes first and uncompressed, so tools recognise the file.
        archive.writestr(zipfile.ZipInfo("mimetype"), ODS_MIMETYPE)
        archive.writestr("META-INF/manifest.xml", ODS_MANIFEST)
        archive.writestr("content.xml", content)
    return buffer.getvalue()
