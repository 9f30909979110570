"""Spreadsheet files: reading CSV, XLSX and ODS into rows, and writing rows back as files.

The format is recognised by the content, never by the file name. ODS is read and written
by tablib's format (odfpy); XLSX by openpyxl (through tablib for the exports); CSV as
Excel writes it in Belgium (semicolons, UTF-8 with a byte order mark).
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import openpyxl
import tablib
from django.utils.translation import gettext as _
from odf import opendocument, teletype
from odf import table as odf_table
from odf.namespaces import TABLENS, TEXTNS
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from tablib.formats import registry

from .transfer_cells import CONTROL_CHARACTERS, cell_out, cell_text, excel_csv

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 200
# An XLSX or ODS file is a zip archive: refuse archives that unpack to far more than they
# weigh (zip bombs) before any XML is read.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_ARCHIVE_MEMBERS = 2000

ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": XLSX_MIMETYPE,
    "ods": ODS_MIMETYPE,
}
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class TransferError(Exception):
    """A problem with the whole file, told to the person as it is."""


@dataclass(frozen=True)
class Table:
    headers: list[Any]
    rows: list[tuple[int, list[Any]]]


# --- Reading files -----------------------------------------------------------------------


def not_a_spreadsheet() -> TransferError:
    return TransferError(_("This file is not a spreadsheet (CSV, XLSX or ODS)"))


def file_format(data: bytes) -> str:
    """ "csv", "xlsx" or "ods", from the first bytes (a refused file's rows go back as it came)."""
    if data.startswith(b"PK\x03\x04"):
        return "ods" if ODS_MIMETYPE.encode() in data[:200] else "xlsx"
    return "csv"


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
            return ods_rows(data)
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


# Elements of an ODS row (text between them, such as line breaks, is not a cell).
ODS_CELLS = {(TABLENS, "table-cell"), (TABLENS, "covered-table-cell")}
ODS_P = (TEXTNS, "p")


class SheetODS(registry.get_format("ods")):
    """tablib's ODS format, reading the first sheet as a spreadsheet program shows it.

    Beyond tablib's own reading: cells and rows that the file writes once with a repeat
    count are spelled out (a blank cell between two filled ones keeps its column), rows
    inside header or grouped blocks count, a cell's text is whole (spaces, styled parts,
    several lines) and each row keeps its number, put in front of its cells.
    """

    @classmethod
    def import_set(cls, dset, in_stream, headers=False, skip_lines=0):
        dset.wipe()
        sheets = opendocument.load(in_stream).spreadsheet.getElementsByType(odf_table.Table)
        rows, number = [], 0
        for row in sheets[0].getElementsByType(odf_table.TableRow) if sheets else ():
            repeat = int(row.getAttribute("numberrowsrepeated") or 1)
            cells = cls.row_cells(row)
            if not any(cell not in (None, "") for cell in cells):
                number += repeat
                continue
            for _copy in range(min(repeat, MAX_ROWS + 2)):
                number += 1
                rows.append([number, *cells])
            if len(rows) > MAX_ROWS + 1:
                break  # far enough to say the sheet is over the limit
        width = max((len(row) for row in rows), default=0)
        dset.extend(row + [""] * (width - len(row)) for row in rows)

    @classmethod
    def row_cells(cls, row) -> list[Any]:
        cells: list[Any] = []
        for cell in row.childNodes:
            if getattr(cell, "qname", None) not in ODS_CELLS:
                continue
            repeat = int(cell.getAttribute("numbercolumnsrepeated") or 1)
            cells.extend([cls.read_cell(cell)] * min(repeat, MAX_COLUMNS))
            if len(cells) >= MAX_COLUMNS:
                break
        return cells[:MAX_COLUMNS]

    @classmethod
    def read_cell(cls, cell, value_type=None):
        kind = cell.getAttribute("valuetype")
        if kind in {"float", "percentage", "currency"}:
            number = float(cell.getAttribute("value") or 0)
            return int(number) if number.is_integer() else number
        if kind in {"date", "time"}:
            try:
                return super().read_cell(cell, kind)
            except ValueError:
                pass  # a form tablib does not know: the text shown in the cell
        paragraphs = [node for node in cell.childNodes if getattr(node, "qname", None) == ODS_P]
        return "\n".join(teletype.extractText(paragraph) for paragraph in paragraphs)


def ods_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    dataset = tablib.Dataset()
    SheetODS.import_set(dataset, io.BytesIO(data))
    return ((row[0], list(row[1:])) for row in dataset)


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


# --- Writing files -----------------------------------------------------------------------


def table_write(
    *, fmt: str, headers: Sequence[Any], rows: Sequence[Sequence[Any]], title: str
) -> bytes:
    """Rows as a CSV, XLSX or ODS file; every cell as text no spreadsheet runs as a formula."""
    headers = [cell_out(cell) for cell in headers]
    rows = [[cell_out(cell) for cell in row] for row in rows]
    if fmt == "csv":
        return excel_csv([headers, *rows])
    if fmt not in CONTENT_TYPES:
        raise ValueError(f"Unknown format {fmt!r}")
    return tablib.Dataset(*rows, headers=headers, title=title[:31]).export(fmt)


def cell_display(value: Any) -> str:
    """A cell as a person reads it: dates as DD/MM/YYYY, times as HH:MM."""
    if isinstance(value, datetime.datetime):
        return value.strftime("%d/%m/%Y %H:%M") if value.time() else value.strftime("%d/%m/%Y")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    return cell_text(value)


# The rows of a template that get the drop-down lists: enough for an association's year.
TEMPLATE_ROWS = 2000


def template_write(
    *, fmt: str, headers: Sequence[str], choices: dict[int, tuple[list[str], bool]], title: str
) -> bytes:
    """An empty file to fill: the column names, and in XLSX a drop-down list for the columns
    in `choices` (column position → values, and whether only those values are allowed).
    The lists wait on a second, hidden sheet: a list written in the rule itself is cut at
    255 characters."""
    if fmt == "csv":
        return excel_csv([headers])
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(list(headers))
    sheet.freeze_panes = "A2"
    for position, header in enumerate(headers, start=1):
        sheet.cell(row=1, column=position).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(position)].width = max(14, len(header) + 4)
    lists = workbook.create_sheet(_("Lists"))
    lists.sheet_state = "hidden"
    for number, (position, (values, strict)) in enumerate(sorted(choices.items()), start=1):
        if not values:
            continue
        letter = get_column_letter(number)
        for row, value in enumerate(values, start=1):
            lists.cell(row=row, column=number, value=cell_out(value))
        validation = DataValidation(
            type="list",
            formula1=f"'{lists.title}'!${letter}$1:${letter}${len(values)}",
            allow_blank=True,
            showErrorMessage=strict,
            showInputMessage=not strict,
        )
        if strict:
            validation.error = _("Choose a value from the list.")
        else:
            validation.prompt = _("Choose from the list, or write several, separated by commas.")
        column = get_column_letter(position + 1)
        validation.add(f"{column}2:{column}{TEMPLATE_ROWS + 1}")
        sheet.add_data_validation(validation)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
