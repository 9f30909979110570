"""The attestation a learner downloads after finishing a learning path (PDF, A4)."""

from io import BytesIO

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen import canvas

from lms.accounts.languages import language_supported


def attestation_pdf(*, learner, path, modules, association) -> bytes:
    """One page: who, which path, each module with its date and competences, where.

    Written in the learner's own language when they have one (the one kept on them, the
    same whoever prints it and on whichever device), else in the page's.
    """
    language = language_supported(learner.preferred_language) or translation.get_language()
    with translation.override(language):
        return _attestation_pdf(
            learner=learner, path=path, modules=modules, association=association
        )


def _attestation_pdf(*, learner, path, modules, association) -> bytes:
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(_("Attestation: %(path)s") % {"path": path.title})
    width, height = A4
    x, y = 25 * mm, height - 30 * mm

    def line(text, size=12, gap=7 * mm, bold=False):
        nonlocal y
        font = "Helvetica-Bold" if bold else "Helvetica"
        for part in simpleSplit(text, font, size, width - 2 * x):
            pdf.setFont(font, size)
            pdf.drawString(x, y, part)
            y -= gap

    line(_("Attestation of learning"), size=24, gap=14 * mm, bold=True)
    line(_("Pas à pas certifies that"), size=13)
    line(learner.public_name, size=20, gap=10 * mm, bold=True)
    line(_("has completed the learning path"), size=13)
    line(path.title, size=16, gap=8 * mm, bold=True)
    line(path.goal, size=12, gap=10 * mm)
    for module, completed_at in modules:
        date = formats.date_format(timezone.localtime(completed_at).date(), "DATE_FORMAT")
        line(f"• {module.title} ({date})", size=12, bold=True)
        for competence in module.competences.all():
            line(f"    {competence.code} {competence.name}", size=10, gap=5 * mm)
    y -= 6 * mm
    if association:
        line(_("With the help of %(association)s.") % {"association": association.name}, size=12)
    line(
        _("Issued on %(date)s.")
        % {"date": formats.date_format(timezone.localdate(), "DATE_FORMAT")},
        size=12,
    )
    pdf.setFont("Helvetica", 9)
    pdf.drawString(
        x, 15 * mm, _("Competences: DigComp 2.2, the European digital competence framework.")
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
