"""Reads shared by learner views: progress with the pages it points at."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    BooleanField,
    CharField,
    Count,
    DateTimeField,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import ExpressionWrapper
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse
from django.utils.translation import get_language
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Locale

from courses.caching import content_key, shared_content
from courses.models import LearningPathPage, ModulePage, PathModule
from lms.accounts.models import Association, Role, User

from .compiled import CompiledQuery
from .models import (
    ActivityProgress,
    ModuleProgress,
    PathEnrollment,
    ProgressStatus,
    Statement,
    Verb,
)
from .progress import ModuleState, module_state_of
from .services import SelfAssessmentLevel, SelfAssessmentPhase, self_assessments_of


def module_progress_for_learner(learner: User) -> QuerySet[ModuleProgress]:
    """The learner's modules, most recently used first, with their pages and pictures.

    Not the pictures' renditions: templates show them with `{% card_picture %}`, whose
    cached <img> tag needs no rendition query.
    """
    return (
        ModuleProgress.objects.filter(learner=learner)
        # For `module_state`: steps waiting for a trainer, whether one validated a step.
        .annotate(**module_trainer_annotations())
        .select_related("module", "module__picture")
        # The steps (a large JSON document per module) are not shown on these pages.
        .defer("module__steps")
        .order_by("-updated_at")
    )


def module_row_state(row) -> ModuleState:
    """The state of a ModuleProgress row annotated with `module_trainer_annotations()`."""
    return module_state_of(
        completed_at=row.completed_at,
        steps_completed=row.steps_completed,
        steps_total=row.steps_total,
        steps_awaiting_trainer=row.steps_awaiting_trainer,
        validated=row.is_validated_by_trainer,
    )


@dataclass
class ModuleRow:
    """One of the learner's modules on Mon parcours (`card` is set by the view)."""

    module_id: int
    completed_at: datetime | None
    steps_completed: int
    steps_total: int
    updated_at: datetime
    steps_awaiting_trainer: int = 0
    is_validated_by_trainer: bool = False
    card: object = None

    @property
    def state(self) -> ModuleState:
        return module_row_state(self)


def _module_steps(**filters):
    """The learner's step rows of the outer query's module (a correlated subquery)."""
    return ActivityProgress.objects.filter(
        learner_id=OuterRef("learner_id"), module_iri=OuterRef("module_iri"), **filters
    )


def module_trainer_annotations() -> dict:
    """For ModuleProgress rows: how many steps wait for a trainer, whether one validated a step."""
    return {
        "steps_awaiting_trainer": Coalesce(
            Subquery(
                _module_steps(status=ProgressStatus.AWAITING_TRAINER)
                .order_by()
                .values("module_iri")
                .annotate(count=Count("pk"))
                .values("count"),
                output_field=IntegerField(),
            ),
            0,
        ),
        "is_validated_by_trainer": Exists(_module_steps(is_validated_by_trainer=True)),
    }


def _my_path_query(learner_id):
    modules = ModuleProgress.objects.filter(learner_id=learner_id, module__isnull=False)
    paths = PathEnrollment.objects.filter(learner_id=learner_id)
    return (
        modules.annotate(kind=Value("module", output_field=CharField()))
        .annotate(**module_trainer_annotations())
        .values_list(
            "kind",
            "module_id",
            "completed_at",
            "steps_completed",
            "steps_total",
            "updated_at",
            "steps_awaiting_trainer",
            "is_validated_by_trainer",
        )
        .union(
            paths.annotate(
                kind=Value("path", output_field=CharField()),
                no_time=Value(None, output_field=DateTimeField()),
                zero=Value(0, output_field=IntegerField()),
                no=Value(False, output_field=BooleanField()),
            ).values_list("kind", "path_id", "no_time", "zero", "zero", "no_time", "zero", "no"),
            all=True,
        )
    )


_MY_PATH = CompiledQuery(ModuleProgress, _my_path_query, learner_id=0)


def my_path_rows(learner: User) -> tuple[list[ModuleRow], set[int]]:
    """The learner's module rows, most recently used first, and the ids of the paths they
    follow: one query (Mon parcours takes titles and pictures from courses/cards.py)."""
    modules, paths = [], set()
    for kind, item_id, *summary in _MY_PATH.rows(learner_id=learner.pk):
        if kind == "path":
            paths.add(item_id)
        else:
            completed_at, done, total, updated_at, awaiting, validated = summary
            modules.append(
                ModuleRow(item_id, completed_at, done, total, updated_at, awaiting, bool(validated))
            )
    modules.sort(key=lambda row: row.updated_at, reverse=True)
    return modules, paths


def module_get_live(module_id: int) -> ModulePage:
    """A published module, in the visitor's language when translated."""
    module = ModulePage.objects.live().select_related("locale").filter(pk=module_id).first()
    if module is None:
        raise Http404
    if module.locale.language_code == get_supported_content_language_variant(get_language()):
        return module  # the common case costs no query for translations
    localized = module.localized
    return localized.specific if localized.live else module


@dataclass(frozen=True)
class LiveModule:
    """What the step page shows of a published module, the same for every learner.

    Cached per content version and language (courses/caching.py), so a publication shows
    at once. The page itself is loaded only to render a step that is not cached yet.
    """

    pk: int
    title: str
    live_revision_id: int | None
    iri: str
    steps: tuple[tuple[str, str], ...]  # (block type, block id), in order
    step_iris: tuple[str, ...]
    # Mon parcours, each step's address, then the question after the last step.
    urls: tuple[str, ...]
    # The language the module is written in (its Wagtail locale), for its `lang`; a default,
    # so that a summary cached before this field existed still reads.
    language: str = ""

    def step_iri(self, step_id: str) -> str:
        return self.step_iris[[block_id for _type, block_id in self.steps].index(step_id)]


def _live_module(module_id: int) -> LiveModule:
    module = module_get_live(module_id)
    # The raw stream: block types and ids without loading the pictures, documents and H5P
    # packages the blocks point at.
    steps = tuple((raw["type"], raw.get("id")) for raw in module.steps.raw_data)
    return LiveModule(
        pk=module.pk,
        title=module.title,
        live_revision_id=module.live_revision_id,
        iri=module.iri,
        steps=steps,
        step_iris=tuple(module.step_iri(block_id) for _type, block_id in steps),
        urls=(
            reverse("learning:my_path"),
            *(reverse("learning:step", args=[module.pk, n]) for n in range(1, len(steps) + 1)),
            reverse("learning:outcome_end", args=[module.pk]),
        ),
        language=module.locale.language_code,
    )


def module_live_summary(module_id: int) -> LiveModule:
    """`module_get_live(module_id)` as the step page needs it; no query once cached."""
    return shared_content(content_key("live-module", module_id), lambda: _live_module(module_id))


def _step_state_query(learner_id, module_iri):
    steps = ActivityProgress.objects.filter(learner_id=learner_id, module_iri=module_iri)
    module = ModuleProgress.objects.filter(learner_id=learner_id, module_iri=module_iri)
    return steps.values_list("activity_iri", "status", "is_validated_by_trainer").union(
        module.annotate(
            # No status: the module's own row is told apart by its IRI (a step's differs).
            no_status=Value("", output_field=CharField()),
            done=ExpressionWrapper(Q(completed_at__isnull=False), output_field=BooleanField()),
        ).values_list("module_iri", "no_status", "done"),
        all=True,
    )


_STEP_STATE = CompiledQuery(ActivityProgress, _step_state_query, learner_id=0, module_iri="")


@dataclass(frozen=True)
class StepState:
    """A learner's progress in one module, as the step page shows it."""

    module_done: bool
    steps: dict[str, tuple[str, bool]]  # activity IRI -> (status, validated by a trainer)


def module_step_state(learner: User, module_iri: str) -> StepState:
    """`module_state` in one query: whether the module is done, each step's status."""
    module_done, steps = False, {}
    for iri, status, flag in _STEP_STATE.rows(learner_id=learner.pk, module_iri=module_iri):
        if iri == module_iri:
            module_done = bool(flag)
        else:
            steps[iri] = (status, bool(flag))
    return StepState(module_done=module_done, steps=steps)


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


def next_module(learner: User, module: ModulePage) -> ModulePage | None:
    """The module to propose once `module` is done: the one after it in a path the learner
    follows, else the next one of its theme; None at the end of both."""
    for path in paths_for_learner(learner):
        modules = [item.module for item in path.path_modules.all()]
        ids = [item.pk for item in modules]
        if module.pk in ids and ids.index(module.pk) + 1 < len(ids):
            following = modules[ids.index(module.pk) + 1]
            if following.live:
                return following
    return (
        ModulePage.objects.live()
        .sibling_of(module, inclusive=False)
        .filter(path__gt=module.path)
        .select_related("picture")
        .defer("steps")
        .order_by("path")
        .first()
    )


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
                .defer("module__steps")
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


# --- "Pouvez-vous le faire seul·e ?": when to ask, and the answers given ------------------
#
# The start question is asked once, when the learner begins a module: no start answer yet
# and no step of it done (someone already half-way through, or back on a module finished
# before the question existed, is not asked a "before" they are past). Skipping stores
# nothing, so a learner who skipped is asked again if they come back before doing a step.
# The end question is asked on leaving the last step, unless the learner already gave an
# end answer since their latest start answer (so going through a finished module again
# does not ask again; skipping it asks again next time). Skipping is always possible.


def outcome_start_due(learner: User, module: ModulePage, progress: ModuleProgress | None) -> bool:
    """Whether to ask "Can you do it on your own?" before step 1 (`progress`: module_state's)."""
    if progress is not None and progress.last_activity_iri:
        return False  # already begun: too late for a "before" answer
    return (
        not self_assessments_of(learner, module)
        .filter(response__phase=SelfAssessmentPhase.START)
        .exists()
    )


def outcome_end_due(learner: User, module: ModulePage) -> bool:
    """Whether to ask the question again after the last step, before the "Well done" page."""
    latest = self_assessments_of(learner, module).last()
    return not (
        latest is not None
        and isinstance(latest.response, dict)
        and latest.response.get("phase") == SelfAssessmentPhase.END
    )


@dataclass(frozen=True)
class OutcomeAnswers:
    """A learner's answers about one module: the latest start, and the end that follows it.

    `end_level` is None while the latest attempt has no end answer yet, even if an earlier
    attempt had one: a start and an end are only shown together when they belong together.
    """

    module_iri: str
    module: ModulePage | None  # None once the page is deleted; the answers remain
    start_level: str | None = None
    start_at: datetime | None = None
    end_level: str | None = None
    end_at: datetime | None = None

    @property
    def start_label(self) -> str:
        return SelfAssessmentLevel(self.start_level).label if self.start_level else ""

    @property
    def end_label(self) -> str:
        return SelfAssessmentLevel(self.end_level).label if self.end_level else ""


def outcome_answers(learner: User) -> dict[str, OutcomeAnswers]:
    """Per module IRI, the learner's latest start level and the end level after it.

    Modules most recently answered first; one query whatever the number of modules.
    """
    rows = (
        Statement.objects.filter(learner=learner, verb=Verb.ASSESSED)
        .exclude(module_iri="")
        .select_related("module")
        .order_by("timestamp", "stored_at")
    )
    current: dict[str, dict] = {}
    for row in rows:
        response = row.response if isinstance(row.response, dict) else {}
        phase, level = response.get("phase"), response.get("level")
        if phase not in SelfAssessmentPhase.values or level not in SelfAssessmentLevel.values:
            continue
        # Popped and put back: the module answered most recently ends up last.
        answers = current.pop(row.module_iri, {"module": None})
        if row.module is not None:
            answers["module"] = row.module
        if phase == SelfAssessmentPhase.START:
            answers.update(start_level=level, start_at=row.timestamp, end_level=None, end_at=None)
        else:
            answers.update(end_level=level, end_at=row.timestamp)
        current[row.module_iri] = answers
    return {
        iri: OutcomeAnswers(module_iri=iri, **answers) for iri, answers in reversed(current.items())
    }


@dataclass(frozen=True)
class TrainerValidation:
    """What a trainer last recorded for a learner's module: how much help, when, who."""

    module_iri: str
    help_level: str  # "alone", "little_help" or "lot_of_help" (logbook's HelpLevel)
    validated_at: datetime
    trainer_name: str


def trainer_validations(learner: User, module_iris) -> dict[str, TrainerValidation]:
    """Per module IRI, the learner's latest validation by a trainer, in one query.

    The latest one: a trainer who corrects a level records a new statement after the first.
    """
    latest = {}
    rows = (
        Statement.objects.filter(
            learner=learner, verb=Verb.VALIDATED, module_iri__in=list(module_iris)
        )
        .select_related("instructor")
        .order_by("timestamp", "stored_at")
    )
    for row in rows:
        response = row.response if isinstance(row.response, dict) else {}
        latest[row.module_iri] = TrainerValidation(
            module_iri=row.module_iri,
            help_level=response.get("help", ""),
            validated_at=row.timestamp,
            trainer_name=row.instructor.public_name if row.instructor else "",
        )
    return latest
