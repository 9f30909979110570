"""Reads shared by learner views: progress with the pages it points at."""

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import get_language
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Locale

from courses.models import LearningPathPage, ModulePage, PathModule
from lms.accounts.models import Association, Role, User

from .models import ActivityProgress, ModuleProgress, PathEnrollment, Statement


def module_progress_for_learner(learner: User) -> QuerySet[ModuleProgress]:
    """The learner's modules, most recently used first, with their pages and pictures."""
    return (
        ModuleProgress.objects.filter(learner=learner)
        .select_related("module", "module__picture")
        .prefetch_related("module__picture__renditions")
        .order_by("-updated_at")
    )


def module_get_live(module_id: int) -> ModulePage:
    """A published module, in the visitor's language when translated."""
    module = ModulePage.objects.live().select_related("locale").filter(pk=module_id).first()
    if module is None:
        raise Http404
    if module.locale.language_code == get_supported_content_language_variant(get_language()):
        return module  # the common case costs no query for translations
    localized = module.localized
    return localized.specific if localized.live else module


def module_state(learner: User, module: ModulePage) -> tuple[ModuleProgress | None, dict]:
    """The module's summary row and the learner's row for each of its steps, by IRI."""
    progress = ModuleProgress.objects.filter(learner=learner, module_iri=module.iri).first()
    steps = {
        row.activity_iri: row
        for row in ActivityProgress.objects.filter(learner=learner, module_iri=module.iri)
    }
    return progress, steps


def statement_for_feedback(learner: User, statement_id) -> Statement | None:
    return Statement.objects.filter(pk=statement_id, learner=learner).first()


def learner_association(learner: User, session) -> Association | None:
    """The association the learner is working with now: the card's, else the first one."""
    association_id = session.get("association_id")
    memberships = learner.memberships.filter(role=Role.LEARNER, is_active=True)
    if association_id:
        memberships = memberships.filter(association_id=association_id)
    membership = memberships.select_related("association").order_by("joined_on").first()
    return membership.association if membership else None


def paths_for_learner(learner: User) -> list[LearningPathPage]:
    """The learning paths the learner follows, with their modules and pictures."""
    return list(
        LearningPathPage.objects.live()
        .filter(pk__in=PathEnrollment.objects.filter(learner=learner).values("path_id"))
        .select_related("picture")
        .prefetch_related(
            Prefetch(
                "path_modules",
                queryset=PathModule.objects.select_related("module", "module__picture")
                .prefetch_related("module__picture__renditions")
                .order_by("sort_order"),
            )
        )
    )


def scores_for_learner(learner: User) -> list[dict]:
    """Each scored step of the learner's modules: best score, and whether the browser computed it.

    H5P activities grade themselves in the learner's browser: their scores are
    self-reported, weaker evidence than the server's grading or a trainer's validation.
    """
    rows = ActivityProgress.objects.filter(learner=learner, best_score_scaled__isnull=False)
    by_iri = {row.activity_iri: row for row in rows}
    if not by_iri:
        return []
    modules = ModulePage.objects.filter(
        translation_key__in={iri.split("/modules/")[1].split("/")[0] for iri in by_iri}
    ).filter(locale=Locale.get_default())  # the original holds every step id
    scores = []
    for module in modules:
        for number, step in enumerate(module.steps, start=1):
            row = by_iri.get(module.step_iri(step.id))
            if row is not None:
                scores.append(
                    {
                        "module": module,
                        "number": number,
                        "kind": step.block_type,
                        "percent": round(100 * row.best_score_scaled),
                        "attempts": row.attempts,
                        "is_self_reported": step.block_type == "h5p",
                        "is_validated_by_trainer": row.is_validated_by_trainer,
                    }
                )
    return scores
