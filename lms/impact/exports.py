"""Labelled tables built from suppressed figures, and their CSV and XLSX files.

The dashboard, the CSV and the XLSX all go through `tables`, so a hidden count is hidden
everywhere the same way; nothing here ever sees an unsuppressed figure.
"""

import csv
import io
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.html import escape
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
from reportlab.platypus import Table as PdfTable

from .definitions import (
    BREAKDOWN_COLUMNS,
    BREAKDOWNS,
    DEFINITIONS_VERSION,
    KEY_FIGURES,
    SUPPRESSION_RULE,
    TARGET_COLUMNS,
    TREND_COLUMNS,
)


@dataclass
class Table:
    key: str
    title: str
    sentence: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    # False for a table a frozen report was closed without (an older definitions version).
    available: bool = True


def hidden_label() -> str:
    return f"< {settings.IMPACT_MIN_COUNT}"


def not_available() -> str:
    """What a report shows for a figure it does not hold (closed before it existed)."""
    return str(_("not available"))


def no_data() -> str:
    """What a report shows for an average or a share of nothing: there is no figure."""
    return str(_("no data"))


def figure_value(figures: dict, key: str):
    """A key figure as shown: a number, None when hidden, or a text saying why there is none."""
    values = figures.get("key_figures") or {}
    if key not in values:
        return not_available()
    value = values[key]
    if value is None and any(values.get(base) == 0 for base in KEY_FIGURES[key].hidden_with):
        return no_data()
    return value


def cell(value):
    """What a file shows for a figure: the number, or "< 5" when it is suppressed.

    Text typed by people (a first language) must not run as a spreadsheet formula.
    """
    if value is None:
        return hidden_label()
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
                    item["value"],
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
            [cell(labels.get(code) or definition.label(code)), value]
            for code, value in breakdown["rows"]
        ]
        if breakdown["total"] is not None or key in ("age", "gender", "region", "language"):
            rows.append([str(_("Total")), breakdown["total"]])
        result.append(Table(key, str(definition.title), str(definition.sentence), columns, rows))
    result.append(
        Table(
            "trend",
            str(_("By month")),
            str(_("The main figures month by month.")),
            [str(label) for label in TREND_COLUMNS.values()],
            [
                [row.get(column, not_available()) for column in TREND_COLUMNS]
                for row in figures.get("trend") or []
            ],
        )
    )
    return result


def percent(value, target) -> float | None:
    if value is None or not target:
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


def as_csv(figures: dict, area_labels: dict[str, str] | None = None) -> str:
    """One CSV file: each table under its title, separated by a blank line."""
    out = io.StringIO()
    writer = csv.writer(out)
    for table in tables(figures, area_labels):
        writer.writerow([table.title])
        writer.writerow(table.columns)
        for row in table.rows:
            writer.writerow([cell(value) for value in row])
        writer.writerow([])
    return out.getvalue()


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


def as_pdf(figures: dict, area_labels: dict[str, str] | None = None, heading: str = "") -> bytes:
    """A printable A4 report: every table with its sentence, then the definitions."""
    styles = getSampleStyleSheet()
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, title=str(_("Impact report"))
    )

    def grid(rows):
        table = PdfTable(
            [[Paragraph(escape(str(value)), styles["BodyText"]) for value in row] for row in rows],
            repeatRows=1,
        )
        table.setStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3f6f9")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
        return table

    story = [Paragraph(escape(str(_("Impact report"))), styles["Title"])]
    if heading:
        story.append(Paragraph(escape(heading), styles["Heading3"]))
    for table in tables(figures, area_labels):
        story += [
            Paragraph(escape(table.title), styles["Heading2"]),
            Paragraph(escape(table.sentence), styles["BodyText"]),
            Spacer(1, 2 * mm),
            grid([table.columns, *([cell(value) for value in row] for row in table.rows)]),
        ]
    story += [
        Paragraph(escape(str(_("Definitions"))), styles["Heading2"]),
        grid([[str(_("Indicator")), str(_("Definition")), str(_("Unit"))], *definition_rows()]),
    ]
    document.build(story)
    return out.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE_KINDS = ("csv", "xlsx", "pdf")


def as_file(
    figures: dict, area_labels: dict[str, str], label: str, kind: str, stem: str
) -> tuple[bytes, str, str]:
    """(content, content type, file name) of the figures as a CSV, XLSX or PDF file."""
    if kind == "csv":
        return (
            as_csv(figures, area_labels).encode("utf-8"),
            "text/csv; charset=utf-8",
            f"{stem}.csv",
        )
    if kind == "xlsx":
        return as_xlsx(figures, area_labels, label), XLSX, f"{stem}.xlsx"
    if kind == "pdf":
        return as_pdf(figures, area_labels, label), "application/pdf", f"{stem}.pdf"
    raise ValueError(kind)
