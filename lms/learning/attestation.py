"""The attestation a learner downloads after finishing a learning path (PDF, A4)."""

from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen import canvas

from lms.accounts.languages import language_supported
from lms.accounts.naming import with_the_help_of

# The frameworks a competence may come from (fixtures/competences/): DigComp 2.2 is the
# European framework; "level-0" is Pas à pas's own layer of first steps below it.
DIGCOMP_SLUG = "digcomp-2.2"
LEVEL_0_SLUG = "level-0"


def help_label(help_level: str) -> str:
    """How much help the learner needed when the trainer saw them (logbook's HelpLevel)."""
    return {
        "alone": _("without help"),
        "little_help": _("with a little help"),
        "lot_of_help": _("with a lot of help"),
    }.get(help_level, "")


def learner_full_name(learner) -> str:
    """The learner's name as they are known, with their family name when it was given."""
    if learner.erased_at:
        return learner.public_name
    profile = getattr(learner, "learner_profile", None)
    family = profile.family_name.strip() if profile else ""
    name = learner.public_name
    return f"{name} {family}" if family and family not in name else name


@dataclass(frozen=True)
class AttestedModule:
    """One module of the path: when it was done, and how (a trainer's validation, or not)."""

    module: object  # ModulePage
    completed_at: datetime
    validation: object = None  # selectors.TrainerValidation, or None: done alone online


def _framework_label(competence) -> str:
    slug = competence.framework.slug
    if slug == LEVEL_0_SLUG:
        return _("level 0, Pas à pas's own framework")
    if slug == DIGCOMP_SLUG:
        return "DigComp 2.2"
    return competence.framework.name


def _day(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment).date(), "DATE_FORMAT")


def attestation_pdf(*, learner, path, modules: list[AttestedModule], association) -> bytes:
    """Who, which path, each module with its date, how it was done and its competences, where.

    Written in the learner's own language when they have one (the one kept on them, the
    same whoever prints it and on whichever device), else in the page's.
    """
    language = language_supported(learner.preferred_language) or translation.get_language()
    with translation.override(language):
        return _attestation_pdf(
            learner=learner, path=path, modules=modules, association=association
        )


def _attestation_pdf(*, learner, path, modules: list[AttestedModule], association) -> bytes:
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(_("Attestation: %(path)s") % {"path": path.title})
    width, height = A4
    x, y = 25 * mm, height - 30 * mm
    bottom = 30 * mm  # above the footer

    def line(text, size=12, gap=7 * mm, bold=False, indent=0.0):
        nonlocal y
        font = "Helvetica-Bold" if bold else "Helvetica"
        for part in simpleSplit(text, font, size, width - 2 * x - indent):
            if y < bottom:
                footer()
                pdf.showPage()
                y = height - 25 * mm
            pdf.setFont(font, size)
            pdf.drawString(x + indent, y, part)
            y -= gap

    frameworks = set()

    def footer():
        pdf.setFont("Helvetica", 9)
        notes = []
        if DIGCOMP_SLUG in frameworks or not frameworks:
            notes.append(_("DigComp 2.2: the European digital competence framework."))
        if LEVEL_0_SLUG in frameworks:
            notes.append(
                _(
                    "Level 0: first steps before DigComp level 1, a framework of Pas à pas "
                    "(not part of DigComp 2.2)."
                )
            )
        footer_y = 20 * mm
        for note in notes:
            for part in simpleSplit(note, "Helvetica", 9, width - 2 * x):
                pdf.drawString(x, footer_y, part)
                footer_y -= 4.5 * mm

    line(_("Attestation of learning"), size=24, gap=14 * mm, bold=True)
    line(_("Pas à pas certifies that"), size=13)
    line(learner_full_name(learner), size=20, gap=10 * mm, bold=True)
    line(_("has completed the learning path"), size=13)
    line(path.title, size=16, gap=8 * mm, bold=True)
    if path.goal:
        line(path.goal, size=12, gap=10 * mm)
    line(_("What was done"), size=14, gap=8 * mm, bold=True)
    for item in modules:
        line(
            _("%(module)s, finished on %(date)s")
            % {"module": item.module.title, "date": _day(item.completed_at)},
            size=12,
            gap=6 * mm,
            bold=True,
        )
        validation = item.validation
        if validation is not None:
            how = _("Validated in person by a trainer on %(date)s, %(help)s.") % {
                "date": _day(validation.validated_at),
                "help": help_label(validation.help_level),
            }
        else:
            how = _("Done online, alone.")
        line(how, size=11, gap=5.5 * mm, indent=5 * mm)
        for competence in item.module.competences.select_related("framework"):
            frameworks.add(competence.framework.slug)
            mark = (
                _("validated by a trainer, %(help)s") % {"help": help_label(validation.help_level)}
                if validation is not None
                else _("practised online")
            )
            line(
                _("%(code)s %(name)s (%(framework)s): %(mark)s")
                % {
                    "code": competence.code,
                    "name": competence.name,
                    "framework": _framework_label(competence),
                    "mark": mark,
                },
                size=10,
                gap=5 * mm,
                indent=5 * mm,
            )
        y -= 2 * mm
    y -= 4 * mm
    if association:
        line(
            _("With the help %(of_association)s.")
            % {"of_association": with_the_help_of(association.name)},
            size=12,
        )
    line(
        _("Issued on %(date)s.")
        % {"date": formats.date_format(timezone.localdate(), "DATE_FORMAT")},
        size=12,
    )
    footer()
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
