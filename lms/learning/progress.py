"""How statements become progress: the completion rules, the fold of statements into each
step's and module's summary rows, and the rebuild of every row from the records.

The one writer (lms/learning/services.py `statements_store`, through which the module player,
trainers' validations and the demo builder all write) applies these functions to new
statements; `progress_rebuild` folds the whole log again with the same ones, so rebuilt rows
equal the rows written as statements came. A step's summary changes status only through
`step_status_after`; `module_state_of` says where a learner is in a module, for Mon parcours
and the trainer's matrix.
"""

from collections.abc import Iterable, Mapping
from enum import StrEnum

from django.db import transaction
from wagtail.models import Locale

from courses.models import ModulePage

from .models import ActivityProgress, ModuleProgress, ProgressStatus, Statement, Verb

# The step kind of "Montrez à votre formateur" (courses/blocks.py CheckpointBlock), as
# statements name it in `object_kind`; trainers' validations use it too.
CHECKPOINT_KIND = "checkpoint"


def step_status_after(
    *, current: str, verb: str, object_kind: str, success, completion, is_self_reported: bool
) -> str:
    """The status of a step's summary once this statement is applied to it.

    - A trainer's validation finishes any step.
    - A checkpoint is finished only by a trainer's validation: the learner's own "Next"
      on it says they reached it, and the step waits for the trainer (AWAITING_TRAINER),
      so the module is not done until a trainer saw it. The learner can move on.
    - Any other step is finished by "completed", or by an answer that succeeded; an H5P
      activity is finished when it reports its end, whatever the score.
    A finished step stays finished, and a step waiting for the trainer keeps waiting.
    """
    if current == ProgressStatus.COMPLETED or verb == Verb.VALIDATED:
        return ProgressStatus.COMPLETED
    if object_kind == CHECKPOINT_KIND:
        if verb in (Verb.COMPLETED, Verb.ANSWERED):
            return ProgressStatus.AWAITING_TRAINER
        return current
    if verb == Verb.ANSWERED:
        finished = completion and (success is None or is_self_reported)
        return ProgressStatus.COMPLETED if success or finished else current
    if verb == Verb.COMPLETED:
        return ProgressStatus.COMPLETED
    return current


class ModuleState(StrEnum):
    """Where a learner is in a module, as Mon parcours and the trainer's matrix say it."""

    NEW = "new"
    STARTED = "started"
    # Every other step done; a "show your trainer" step waits for a trainer's validation.
    AWAITING_TRAINER = "awaiting_trainer"
    # Done, and no trainer validated any of its steps: done alone, online.
    DONE_ONLINE = "completed"
    # Done, and a trainer validated at least one of its steps in person.
    VALIDATED = "validated"


def module_state_of(
    *,
    completed_at,
    steps_completed: int,
    steps_total: int,
    steps_awaiting_trainer: int,
    validated: bool,
) -> ModuleState:
    """The state of a learner's module from its summary row and its steps' counts."""
    if completed_at is not None:
        return ModuleState.VALIDATED if validated else ModuleState.DONE_ONLINE
    if steps_awaiting_trainer and steps_completed + steps_awaiting_trainer >= steps_total:
        return ModuleState.AWAITING_TRAINER
    return ModuleState.STARTED


# --- Statements folded into summary rows -------------------------------------------------


def progress_fold(
    statements: Iterable[Statement], *, steps_by_module: dict[str, int]
) -> tuple[dict[tuple[int, str], ActivityProgress], dict[tuple[int, str], ModuleProgress]]:
    """Fold statements, oldest first, into unsaved summary rows keyed by learner and IRI."""
    activity_rows: dict[tuple[int, str], ActivityProgress] = {}
    module_rows: dict[tuple[int, str], ModuleProgress] = {}
    for statement in statements:
        statement_apply_to_rows(
            statement, activity_rows, module_rows, steps_by_module=steps_by_module
        )
    return activity_rows, module_rows


def statement_apply_to_rows(
    statement: Statement,
    activities: dict[tuple[int, str], ActivityProgress],
    modules: dict[tuple[int, str], ModuleProgress],
    *,
    steps_by_module: Mapping[str, int],
) -> None:
    """Apply one statement to its step's row and its module's row in `activities` and
    `modules` (keyed by learner and IRI), starting either row when it is missing."""
    learner_id, module_iri = statement.learner_id, statement.module_iri
    activity = activities.get((learner_id, statement.object_iri))
    if activity is None:
        activity = activities[(learner_id, statement.object_iri)] = ActivityProgress(
            learner_id=learner_id,
            activity_iri=statement.object_iri,
            module_iri=module_iri,
            status=ProgressStatus.STARTED,
            updated_at=statement.timestamp,
        )
    newly_completed = activity_progress_apply(activity, statement)
    if not module_iri:
        return
    module_progress = modules.get((learner_id, module_iri))
    if module_progress is None:
        module_progress = modules[(learner_id, module_iri)] = ModuleProgress(
            learner_id=learner_id,
            module_iri=module_iri,
            module_id=statement.module_id,
            started_at=statement.timestamp,
            updated_at=statement.timestamp,
        )
    module_progress_apply(
        module_progress,
        statement,
        newly_completed=newly_completed,
        steps_total=steps_by_module.get(module_iri, 0),
    )


def activity_progress_apply(progress: ActivityProgress, statement: Statement) -> bool:
    """Apply one statement to a step's summary; returns True when the step becomes done."""
    was_completed = progress.status == ProgressStatus.COMPLETED
    if statement.verb == Verb.ANSWERED:
        progress.attempts += 1
        if progress.first_response is None and progress.attempts == 1:
            progress.first_response = statement.response
            progress.first_success = statement.success
    if statement.verb == Verb.VALIDATED:
        progress.is_validated_by_trainer = True
    # Which statements finish a step (a checkpoint only by a trainer): step_status_after.
    progress.status = step_status_after(
        current=progress.status,
        verb=statement.verb,
        object_kind=statement.object_kind,
        success=statement.success,
        completion=statement.completion,
        is_self_reported=statement.is_self_reported,
    )
    # Scores come with answers, and with the "completed" of activities such as H5P sets.
    if statement.score_scaled is not None:
        best = progress.best_score_scaled
        progress.best_score_scaled = (
            statement.score_scaled if best is None else max(best, statement.score_scaled)
        )
    if progress.status == ProgressStatus.COMPLETED and progress.completed_at is None:
        progress.completed_at = statement.timestamp
    progress.updated_at = max(progress.updated_at, statement.timestamp)
    return progress.status == ProgressStatus.COMPLETED and not was_completed


def module_progress_apply(
    progress: ModuleProgress, statement: Statement, *, newly_completed: bool, steps_total: int
) -> None:
    """Apply one statement to a module's summary; the completion time is set once."""
    if statement.object_iri != statement.module_iri:
        progress.last_activity_iri = statement.object_iri
    if newly_completed and statement.object_iri != statement.module_iri:
        progress.steps_completed += 1
    progress.steps_total = max(steps_total, progress.steps_total)
    if (
        progress.completed_at is None
        and progress.steps_total
        and progress.steps_completed >= progress.steps_total
    ):
        progress.completed_at = statement.timestamp
    progress.started_at = min(progress.started_at, statement.timestamp)
    progress.updated_at = max(progress.updated_at, statement.timestamp)


@transaction.atomic
def progress_rebuild(*, learner_ids: Iterable[int] | None = None, batch_size: int = 5000) -> int:
    """Recompute every progress row from the statements; returns the number of statements read."""
    statements = Statement.objects.filter(learner__isnull=False).order_by(
        "learner_id", "timestamp", "stored_at"
    )
    # Erased people's statements no longer name them, so their progress cannot be rebuilt:
    # their rows stay as they were, and their completions keep counting in the figures.
    activities = ActivityProgress.objects.exclude(learner__erased_at__isnull=False)
    modules = ModuleProgress.objects.exclude(learner__erased_at__isnull=False)
    if learner_ids is not None:
        learner_ids = list(learner_ids)
        statements = statements.filter(learner_id__in=learner_ids)
        activities = activities.filter(learner_id__in=learner_ids)
        modules = modules.filter(learner_id__in=learner_ids)
    # Translations share the module's IRI; the default locale's page is the reference.
    steps_by_module = {
        page.iri: len(page.steps)
        for page in ModulePage.objects.filter(locale=Locale.get_default()).only(
            "id", "steps", "translation_key"
        )
    }
    activities.delete()
    modules.delete()

    count = 0

    def counted(rows):
        nonlocal count
        for row in rows:
            count += 1
            yield row

    activity_rows, module_rows = progress_fold(
        counted(statements.iterator(chunk_size=batch_size)), steps_by_module=steps_by_module
    )
    ActivityProgress.objects.bulk_create(activity_rows.values(), batch_size=batch_size)
    ModuleProgress.objects.bulk_create(module_rows.values(), batch_size=batch_size)
    return count
