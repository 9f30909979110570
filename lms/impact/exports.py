"""Labelled tables built from suppressed figures, and their CSV and XLSX files (the PDF is
lms/impact/report_pdf.py).

The dashboard, the CSV, the XLSX and the PDF all go through `tables`, so a hidden count is
hidden everywhere the same way, with the same label; nothing here ever sees an unsuppressed
figure.
"""

import csv
import enum
import io
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from lms.logbook.transfer_cells import excel_csv

from .definitions import (
    BREAKDOWN_COLUMNS,
    BREAKDOWNS,
    DEFINITIONS_VERSION,
    KEY_FIGURES,
    SUPPRESSION_RULE,
    TARGET_COLUMNS,
    TREND_COLUMNS,
)
from .privacy import ADDITIVE_BREAKDOWNS, TOTAL, place


class Hidden(enum.Enum):
    """Why a figure is not shown; a table holds one of these where the figures hold None."""

    # A count of 1 to IMPACT_MIN_COUNT - 1 people.
    SMALL = "small"
    # Hidden so that a small count cannot be worked out from it: it may be of any size.
    MASKED = "masked"

    @property
    def label(self) -> str:
        if self is Hidden.SMALL:
            return str(_("fewer than %(minimum)s")) % {"minimum": settings.IMPACT_MIN_COUNT}
        return str(_("masked")) + NOTE_MARK

    @property
    def note(self) -> str:
        if self is Hidden.SMALL:
            return str(_("fewer than %(minimum)s: between 1 and %(limit)s people.")) % {
                "minimum": settings.IMPACT_MIN_COUNT,
                "limit": settings.IMPACT_MIN_COUNT - 1,
            }
        return (
            NOTE_MARK
            + " "
            + str(
                _(
                    "masked: this figure is hidden so that a count of fewer than %(minimum)s people "
                    "cannot be worked out from it (by subtraction from a total, or because it is "
                    "computed over those people). It may be small or large."
                )
            )
            % {"minimum": settings.IMPACT_MIN_COUNT}
        )


NOTE_MARK = "*"


def hidden_at(figures: dict, where: str) -> Hidden:
    """How the figure at `where` (privacy.place) is labelled. A report frozen before the
    labels existed does not say which hidden figures were small: all of them are "masked",
    the one label that is true of each."""
    return Hidden.SMALL if where in (figures.get("below_minimum") or ()) else Hidden.MASKED


def shown(figures: dict, value, *where):
    return hidden_at(figures, place(*where)) if value is None else value


@dataclass
class Table:
    key: str
    title: str
    sentence: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    # False for a table a frozen report was closed without (an older definitions version).
    available: bool = True

    def notes(self) -> list[str]:
        """The footnotes the table's hidden figures need, "fewer than" first."""
        kinds = {value for row in self.rows for value in row if isinstance(value, Hidden)}
        return [kind.note for kind in Hidden if kind in kinds]


def not_available() -> str:
    """What a report shows for a figure it does not hold (closed before it existed)."""
    return str(_("not available"))


def no_data() -> str:
    """What a report shows for an average or a share of nothing: there is no figure."""
    return str(_("no data"))


def figure_value(figures: dict, key: str):
    """A key figure as shown: a number, Hidden, or a text saying why there is none."""
    values = figures.get("key_figures") or {}
    if key not in values:
        return not_available()
    value = values[key]
    if value is None and any(values.get(base) == 0 for base in KEY_FIGURES[key].hidden_with):
        return no_data()
    return shown(figures, value, "key_figures", key)


def cell(value):
    """What a file shows for a figure: the number, or the label of a hidden one.

    Text typed by people (a first language) must not run as a spreadsheet formula.
    """
    if isinstance(value, Hidden):
        return value.label
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def tables(figures: dict, area_labels: dict[str, str] | None = None) -> list[Table]:
    """Every table of a report, labelled, from already suppressed figures."""
    area_labels = area_labels or {}
    result = [
        Table(
            "key_figures",
            str(_("Key figures")),
            str(_("The main figures of the period.")),
            [str(_("Indicator")), str(_("Value")), str(_("Unit"))],
            [
                [str(item.label), figure_value(figures, key), str(item.unit)]
                for key, item in KEY_FIGURES.items()
            ],
        ),
        Table(
            "targets",
            str(_("Progress towards targets")),
            str(_("What was achieved compared with the programme's targets.")),
            [str(label) for label in TARGET_COLUMNS.values()],
            [
                [
                    str(KEY_FIGURES[key].label),
                    shown(figures, item["value"], "targets", key),
                    "" if item["target"] is None else item["target"],
                    # No percentage of a hidden figure: it would give the figure back.
                    ""
                    if percent(item["value"], item["target"]) is None
                    else percent(item["value"], item["target"]),
                ]
                for key, item in (figures.get("targets") or {}).items()
            ],
        ),
    ]
    stored = figures.get("breakdowns") or {}
    for key, definition in BREAKDOWNS.items():
        columns = [str(label) for label in BREAKDOWN_COLUMNS.values()]
        if definition.count_label:
            columns[1] = str(definition.count_label)
        breakdown = stored.get(key)
        if breakdown is None:
            result.append(
                Table(
                    key,
                    str(definition.title),
                    str(definition.sentence),
                    columns,
                    [[not_available(), ""]],
                    available=False,
                )
            )
            continue
        labels = area_labels if key == "competence_area" else {}
        rows = [
            [
                cell(labels.get(code) or definition.label(code)),
                shown(figures, value, "breakdowns", key, code),
            ]
            for code, value in breakdown["rows"]
        ]
        if breakdown["total"] is not None or key in ADDITIVE_BREAKDOWNS:
            rows.append(
                [str(_("Total")), shown(figures, breakdown["total"], "breakdowns", key, TOTAL)]
            )
        result.append(Table(key, str(definition.title), str(definition.sentence), columns, rows))
    result.append(
        Table(
            "trend",
            str(_("By month")),
            str(_("The main figures month by month.")),
            [str(label) for label in TREND_COLUMNS.values()],
            [
                [
                    shown(
                        figures, row.get(column, not_available()), "trend", row.get("month"), column
                    )
                    for column in TREND_COLUMNS
                ]
                for row in figures.get("trend") or []
            ],
        )
    )
    return result


def percent(value, target) -> float | None:
    if value is None or isinstance(value, Hidden) or not target:
        return None
    return round(100 * value / target, 1)


def definition_rows() -> list[list[str]]:
    rows = [
        [str(item.label), str(item.definition), str(item.unit)] for item in KEY_FIGURES.values()
    ]
    rows += [
        [str(item.title), str(item.sentence), str(item.unit or _("learners"))]
        for item in BREAKDOWNS.values()
    ]
    rows.append(
        [
            str(_("Hidden figures")),
            str(SUPPRESSION_RULE)
            % {"limit": settings.IMPACT_MIN_COUNT - 1, "minimum": settings.IMPACT_MIN_COUNT},
            "",
        ]
    )
    rows.append([str(_("Definitions version")), DEFINITIONS_VERSION, ""])
    return rows


def csv_rows(figures: dict, area_labels: dict[str, str] | None = None):
    """Each table under its title, its footnotes under it, then a blank line."""
    for table in tables(figures, area_labels):
        yield [table.title]
        yield table.columns
        for row in table.rows:
            yield [cell(value) for value in row]
        for note in table.notes():
            yield [note]
        yield []


def as_csv(figures: dict, area_labels: dict[str, str] | None = None) -> bytes:
    """The CSV file a person opens in Excel (semicolons, byte order mark, decimal comma)."""
    return excel_csv(csv_rows(figures, area_labels))


def as_plain_csv(figures: dict, area_labels: dict[str, str] | None = None) -> bytes:
    """The CSV file for tools: commas, plain UTF-8, decimal point."""
    out = io.StringIO()
    csv.writer(out).writerows(csv_rows(figures, area_labels))
    return out.getvalue().encode("utf-8")


def sheet_title(title: str, used: set[str]) -> str:
    """A valid, unique sheet name: at most 31 characters, none of []:*?/\\."""
    base = re.sub(r"[\[\]:*?/\\]", " ", title)[:31].strip() or "Sheet"
    name, number = base, 2
    while name in used:
        suffix = f" ({number})"
        name, number = base[: 31 - len(suffix)] + suffix, number + 1
    used.add(name)
    return name


def as_xlsx(figures: dict, area_labels: dict[str, str] | None = None, heading: str = "") -> bytes:
    """One sheet per table, then a sheet of definitions."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for table in tables(figures, area_labels):
        sheet = workbook.create_sheet(sheet_title(table.title, used))
        if heading:
            sheet.append([heading])
        sheet.append([table.sentence])
        sheet.append(table.columns)
        for header in sheet[sheet.max_row]:
            header.font = Font(bold=True)
        for row in table.rows:
            sheet.append([cell(value) for value in row])
        for note in table.notes():
            sheet.append([note])
        sheet.column_dimensions["A"].width = 40
    sheet = workbook.create_sheet(sheet_title(str(_("Definitions")), used))
    sheet.append([str(_("Indicator")), str(_("Definition")), str(_("Unit"))])
    for header in sheet[1]:
        header.font = Font(bold=True)
    for row in definition_rows():
        sheet.append(row)
    sheet.column_dimensions["A"].width = 40
    sheet.column_dimensions["B"].width = 100
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
