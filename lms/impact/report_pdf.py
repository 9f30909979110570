"""The impact report as a PDF a funder can attach to a grant report.

A title page (programme, associations, period, when it was made, definitions version), then
the key figures, the targets, the months and each breakdown, every chart drawn with
ReportLab's own graphics above its table, the footnotes of hidden figures under it, and the
definitions. Numbers, dates and months are written as the reader's language writes them.
"""

import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import reportlab
from django.utils import formats as django_formats
from django.utils.html import escape
from django.utils.translation import gettext as _
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer
from reportlab.platypus import Table as PdfTable

from . import exports
from .formats import date_text, month_text, number_text


@dataclass
class ReportInfo:
    """What the title page says about the figures."""

    programme: str
    associations: list[str]
    start: date
    end: date
    definitions_version: str
    generated_at: datetime
    # Months after this one are "to come"; None for a closed period (all of it is past).
    today: date | None = None
    closed_at: datetime | None = None

    @property
    def label(self) -> str:
        return f"{self.programme} – {', '.join(self.associations)}"


# DejaVu (Debian's fonts-dejavu-core) has every character a report writes, the narrow no-break
# space of French thousands included; ReportLab's own Vera, the fallback, lacks it.
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
VERA = Path(reportlab.__file__).parent / "fonts"
BAR = colors.HexColor("#1f5f8b")
FUTURE = colors.HexColor("#8a8a8a")
PAGE_WIDTH = A4[0] - 36 * mm


def fonts() -> tuple[str, str, bool]:
    """(regular, bold, has the narrow no-break space), registered once."""
    if "Report" not in pdfmetrics.getRegisteredFontNames():
        if (DEJAVU / "DejaVuSans.ttf").exists():
            regular, bold = DEJAVU / "DejaVuSans.ttf", DEJAVU / "DejaVuSans-Bold.ttf"
        else:
            regular, bold = VERA / "Vera.ttf", VERA / "VeraBd.ttf"
        pdfmetrics.registerFont(TTFont("Report", str(regular)))
        pdfmetrics.registerFont(TTFont("Report-Bold", str(bold)))
    face = pdfmetrics.getFont("Report").face
    return "Report", "Report-Bold", 0x202F in face.charToGlyph


def text_of(value, narrow_space: bool) -> str:
    text = exports.cell(value)
    text = number_text(text) if isinstance(text, int | float) else str(text)
    return text if narrow_space else text.replace("\u202f", "\xa0").replace("→", "->")


def text_fitted(text: str, font: str, size: float, width: float) -> str:
    """`text`, cut short with an ellipsis where it would be wider than `width` (the footer's
    programme and associations, which would otherwise run under the page number)."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip(" ,–") + "…"


def bar_chart(rows: list[tuple[str, object, bool]], font: str, narrow_space: bool) -> Drawing:
    """Horizontal bars: (label, value, to come) per row; a hidden value has no bar but its
    label, a month to come says so."""
    line, label_width, value_width = 16, 62 * mm, 30 * mm
    bar_width = PAGE_WIDTH - label_width - value_width
    numbers = [value for _label, value, _future in rows if isinstance(value, int | float)]
    largest = max(numbers, default=0) or 1
    drawing = Drawing(PAGE_WIDTH, line * len(rows) + 4)
    for index, (label, value, future) in enumerate(rows):
        y = drawing.height - (index + 1) * line
        drawing.add(String(0, y + 4, label[:42], fontName=font, fontSize=9))
        if future:
            drawing.add(
                String(
                    label_width, y + 4, _("to come"), fontName=font, fontSize=9, fillColor=FUTURE
                )
            )
            continue
        width = bar_width * value / largest if isinstance(value, int | float) else 0
        if width:
            drawing.add(Rect(label_width, y + 2, width, line - 5, fillColor=BAR, strokeColor=None))
        drawing.add(
            String(
                label_width + width + 4,
                y + 4,
                text_of(value, narrow_space),
                fontName=font,
                fontSize=9,
            )
        )
    return drawing


def as_pdf(figures: dict, area_labels: dict[str, str], info: ReportInfo) -> bytes:
    """The report: a title page, then each table with its chart and notes, then definitions."""
    font, bold, narrow_space = fonts()
    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["BodyText"], fontName=font, fontSize=9.5)
    small = ParagraphStyle("small", parent=body, fontSize=8.5, textColor=colors.HexColor("#444"))
    heading = ParagraphStyle("heading", parent=styles["Heading2"], fontName=bold)
    title = ParagraphStyle("title", parent=styles["Title"], fontName=bold, fontSize=24, leading=30)
    big = ParagraphStyle("big", parent=body, fontSize=13, leading=19, spaceAfter=6)
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        title=f"{_('Impact report')} – {info.programme}",
    )

    def para(text, style=body):
        return Paragraph(escape(text if narrow_space else text.replace("\u202f", "\xa0")), style)

    def grid(columns, rows, widths=None):
        share = widths or {2: [0.6, 0.4], 3: [0.5, 0.25, 0.25], 4: [0.4, 0.2, 0.2, 0.2]}.get(
            len(columns), [0.2] + [0.8 / (len(columns) - 1)] * (len(columns) - 1)
        )
        table = PdfTable(
            [
                [para(str(column), small) for column in columns],
                *([para(text_of(value, narrow_space)) for value in row] for row in rows),
            ],
            repeatRows=1,
            colWidths=[PAGE_WIDTH * part for part in share],
        )
        table.setStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3f6f9")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
        return table

    generated = django_formats.time_format(info.generated_at, "H:i")
    story = [
        Spacer(1, 40 * mm),
        para(str(_("Impact report")), title),
        Spacer(1, 10 * mm),
        para(str(_("Programme: %(name)s")) % {"name": info.programme}, big),
        para(str(_("Associations: %(names)s")) % {"names": ", ".join(info.associations)}, big),
        para(
            str(_("Period: from %(start)s to %(end)s"))
            % {"start": date_text(info.start), "end": date_text(info.end)},
            big,
        ),
    ]
    if info.closed_at:
        story.append(
            para(
                str(_("Period closed on %(day)s.")) % {"day": date_text(info.closed_at.date())}, big
            )
        )
    story += [
        para(
            str(_("Generated on %(day)s at %(time)s."))
            % {"day": date_text(info.generated_at.date()), "time": generated},
            big,
        ),
        para(
            str(_("Definitions version %(version)s.")) % {"version": info.definitions_version}, big
        ),
        Spacer(1, 8 * mm),
        para(
            str(
                _(
                    "Figures only, never a person. A figure that counts fewer than %(minimum)s "
                    "people is hidden, and so is any figure that would let someone work it out."
                )
            )
            % {"minimum": exports.settings.IMPACT_MIN_COUNT},
            body,
        ),
        PageBreak(),
    ]
    current = info.today.strftime("%Y-%m") if info.today else None
    for table in exports.tables(figures, area_labels):
        block = [para(table.title, heading), para(table.sentence), Spacer(1, 2 * mm)]
        rows = table.rows
        if table.key == "trend":
            rows = [[month_text(row[0]), *row[1:]] for row in table.rows]
            future = [current is not None and row[0] > current for row in table.rows]
            block += [
                para(str(_("Learners reached each month.")), small),
                bar_chart(
                    [(row[0], row[1], to_come) for row, to_come in zip(rows, future, strict=True)],
                    font,
                    narrow_space,
                ),
                Spacer(1, 3 * mm),
            ]
            rows = [
                [row[0], *([_("to come")] * (len(row) - 1))] if to_come else row
                for row, to_come in zip(rows, future, strict=True)
            ]
        elif table.key not in ("key_figures", "targets") and table.available:
            charted = [row for row in rows if row[0] != _("Total")]
            block += [bar_chart([(row[0], row[1], False) for row in charted], font, narrow_space)]
            block.append(Spacer(1, 3 * mm))
        block.append(grid(table.columns, rows))
        block += [para(note, small) for note in table.notes()]
        block.append(Spacer(1, 6 * mm))
        story.append(KeepTogether(block) if len(rows) < 20 else block[0])
        if len(rows) >= 20:
            story += block[1:]
    story += [
        PageBreak(),
        para(str(_("Definitions")), heading),
        grid(
            [_("Indicator"), _("Definition"), _("Unit")],
            exports.definition_rows(),
            widths=[0.3, 0.55, 0.15],
        ),
    ]

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 8)
        number = str(_("Page %(number)s")) % {"number": doc.page}
        room = PAGE_WIDTH - stringWidth(number, font, 8) - 6 * mm
        canvas.drawString(18 * mm, 10 * mm, text_fitted(info.label, font, 8, room))
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, number)
        canvas.restoreState()

    document.build(story, onLaterPages=footer)
    return out.getvalue()
