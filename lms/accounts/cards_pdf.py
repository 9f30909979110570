"""Printable sign-in cards: one card, or an A4 sheet of ten with cut lines."""

from io import BytesIO

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

CARD_WIDTH, CARD_HEIGHT = 85 * mm, 54 * mm  # a bank card
COLUMNS, ROWS = 2, 5


def card_url(card) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse(
        "accounts:card_start", args=[card.token]
    )


def _draw_card(pdf: canvas.Canvas, card, x: float, y: float) -> None:
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(x + 5 * mm, y + CARD_HEIGHT - 8 * mm, "Pas à pas")
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(x + 5 * mm, y + CARD_HEIGHT - 17 * mm, card.learner.public_name[:18])
    pdf.setFont("Helvetica", 8)
    pdf.drawString(x + 5 * mm, y + CARD_HEIGHT - 23 * mm, card.association.name[:40])
    pdf.setFont("Helvetica", 9)
    pdf.drawString(x + 5 * mm, y + 17 * mm, _("Scan the square"))
    pdf.drawString(x + 5 * mm, y + 13 * mm, _("with your phone camera."))
    pdf.setFont("Courier-Bold", 13)
    pdf.drawString(x + 5 * mm, y + 5 * mm, card.short_code)
    widget = QrCodeWidget(card_url(card), barLevel="M")
    left, bottom, right, top = widget.getBounds()
    size = 40 * mm
    drawing = Drawing(
        size, size, transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0]
    )
    drawing.add(widget)
    renderPDF.draw(drawing, pdf, x + CARD_WIDTH - size - 4 * mm, y + (CARD_HEIGHT - size) / 2)


def cards_pdf(cards) -> bytes:
    """Ten cards per A4 page, with dashed cut lines around each card."""
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(_("Sign-in cards"))
    page_width, page_height = A4
    margin_x = (page_width - COLUMNS * CARD_WIDTH) / 2
    margin_y = (page_height - ROWS * CARD_HEIGHT) / 2
    cards = list(cards)
    for index, card in enumerate(cards):
        slot = index % (COLUMNS * ROWS)
        if index and slot == 0:
            pdf.showPage()
        column, row = slot % COLUMNS, slot // COLUMNS
        x = margin_x + column * CARD_WIDTH
        y = page_height - margin_y - (row + 1) * CARD_HEIGHT
        pdf.setDash(3, 3)
        pdf.setLineWidth(0.5)
        pdf.rect(x, y, CARD_WIDTH, CARD_HEIGHT)
        pdf.setDash()
        _draw_card(pdf, card, x, y)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
