"""Printable sign-in cards: one card, or an A4 sheet of ten with cut lines."""

from io import BytesIO

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from django.utils.translation import gettext as _
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

CARD_WIDTH, CARD_HEIGHT = 85 * mm, 54 * mm  # a bank card
COLUMNS, ROWS = 2, 5


def card_url(card) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse(
        "accounts:card_start", args=[card.token]
    )


QR_SIZE = 34 * mm
# Nothing is drawn closer than this to the cut line: cutting a little off stays harmless.
INNER_MARGIN = 4 * mm
GAP = 3 * mm  # between the text column and the QR code's own white border


def _card_name(card) -> str:
    """The learner's name and family initial ("Ahmed B."): cards of a group are told apart."""
    try:
        family_name = card.learner.learner_profile.family_name
    except ObjectDoesNotExist:
        family_name = ""
    name = card.learner.public_name
    return f"{name} {family_name[:1].upper()}." if family_name else name


def _fit(text: str, font: str, size: float, width: float, *, smallest: float) -> tuple[str, float]:
    """The text at the largest size from `size` down to `smallest` that fits `width`; cut
    with an ellipsis when even the smallest does not fit."""
    while size > smallest and stringWidth(text, font, size) > width:
        size -= 0.5
    while stringWidth(text, font, size) > width and len(text) > 1:
        text = text[:-2] + "…"
    return text, size


def _draw_lines(pdf, lines, font, size, x, top, leading) -> float:
    pdf.setFont(font, size)
    for line in lines:
        top -= leading
        pdf.drawString(x, top, line)
    return top


def card_origin(slot: int) -> tuple[float, float]:
    """The bottom-left corner of the card in this slot of an A4 page (0 to 9), in points."""
    page_width, page_height = A4
    margin_x = (page_width - COLUMNS * CARD_WIDTH) / 2
    margin_y = (page_height - ROWS * CARD_HEIGHT) / 2
    column, row = slot % COLUMNS, slot // COLUMNS
    return margin_x + column * CARD_WIDTH, page_height - margin_y - (row + 1) * CARD_HEIGHT


def qr_box(x: float, y: float) -> tuple[float, float, float, float]:
    """Left, bottom, right, top of the QR code (its white border included) on the card at x, y."""
    left = x + CARD_WIDTH - INNER_MARGIN - QR_SIZE
    bottom = y + CARD_HEIGHT - INNER_MARGIN - QR_SIZE
    return left, bottom, left + QR_SIZE, bottom + QR_SIZE


def _draw_card(pdf: canvas.Canvas, card, x: float, y: float) -> None:
    """Text in a left column, the QR code on the right with the short code under it: no text
    ever runs over the QR code, whatever the length of a name."""
    qr_left, qr_bottom, _right, _top = qr_box(x, y)
    text_left = x + INNER_MARGIN + 1 * mm
    text_width = qr_left - GAP - text_left
    top = y + CARD_HEIGHT - INNER_MARGIN
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(text_left, top - 4 * mm, "Pas à pas")
    name, size = _fit(_card_name(card), "Helvetica-Bold", 16, text_width, smallest=10)
    pdf.setFont("Helvetica-Bold", size)
    pdf.drawString(text_left, top - 12 * mm, name)
    association = simpleSplit(card.association.name, "Helvetica", 8, text_width)[:2]
    _draw_lines(pdf, association, "Helvetica", 8, text_left, top - 13 * mm, 3.4 * mm)
    instructions = simpleSplit(
        f"{_('Scan the square')} {_('with your phone camera.')}", "Helvetica", 9, text_width
    )[:3]
    leading = 3.8 * mm
    _draw_lines(
        pdf,
        instructions,
        "Helvetica",
        9,
        text_left,
        y + INNER_MARGIN + len(instructions) * leading,
        leading,
    )
    widget = QrCodeWidget(card_url(card), barLevel="M")
    left, bottom, right, top_bound = widget.getBounds()
    drawing = Drawing(
        QR_SIZE,
        QR_SIZE,
        transform=[QR_SIZE / (right - left), 0, 0, QR_SIZE / (top_bound - bottom), 0, 0],
    )
    drawing.add(widget)
    renderPDF.draw(drawing, pdf, qr_left, qr_bottom)
    # The short code under the QR code, centred on it, above the bottom margin.
    code, size = _fit(card.short_code, "Courier-Bold", 13, QR_SIZE, smallest=9)
    pdf.setFont("Courier-Bold", size)
    pdf.drawCentredString(qr_left + QR_SIZE / 2, y + INNER_MARGIN + 1 * mm, code)


def cards_pdf(cards) -> bytes:
    """Ten cards per A4 page, with dashed cut lines around each card."""
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(_("Sign-in cards"))
    for index, card in enumerate(list(cards)):
        slot = index % (COLUMNS * ROWS)
        if index and slot == 0:
            pdf.showPage()
        x, y = card_origin(slot)
        pdf.setDash(3, 3)
        pdf.setLineWidth(0.5)
        pdf.rect(x, y, CARD_WIDTH, CARD_HEIGHT)
        pdf.setDash()
        _draw_card(pdf, card, x, y)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
