"""Writes to the learning records: record a statement and keep progress in step with it."""

import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Exists
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.models import Locale

from courses.models import ModulePage
from lms.accounts.models import Association, User

from .grading import Outcome, practice_form_check, practice_inbox_check, quiz_grade
from .models import ActivityProgress, ModuleProgress, ProgressStatus, Statement, Verb

# A device clock may be wrong, and a queued statement may arrive days later: timestamps
# are accepted within this window and clamped to it otherwise.
MAX_FUTURE_SKEW = timedelta(minutes=5)
MAX_PAST_AGE = timedelta(days=30)

# Verbs that finish a step.
COMPLETING_VERBS = {Verb.COMPLETED, Verb.VALIDATED}


class StatementConflict(Exception):
    """A statement id that is already used for another learner or activity."""


@dataclass(frozen=True)
class Result:
    score_raw: float | None = None
    score_min: float | None = None
    score_max: float | None = None
    score_scaled: float | None = None
    success: bool | None = None
    completion: bool | None = None
    response: object = None
    duration_seconds: int | None = None


def timestamp_clamp(timestamp: datetime | None, *, now: datetime) -> datetime:
    """The time an event happened, as far as the server is willing to believe the device."""
    if timestamp is None or timestamp > now + MAX_FUTURE_SKEW:
        return now
    return max(timestamp, now - MAX_PAST_AGE)


def statement_record(
    *,
    statement_id: uuid.UUID,
    learner: User,
    verb: str,
    object_iri: str,
    object_kind: str = "",
    module: ModulePage | None = None,
    result: Result | None = None,
    is_self_reported: bool = False,
    association: Association | None = None,
    session_uuid: uuid.UUID | None = None,
    instructor: User | None = None,
    timestamp: datetime | None = None,
    timestamp_is_trusted: bool = False,
) -> tuple[Statement, bool]:
    """Store one statement and update progress in the same transaction.

    Idempotent: sending the same statement id again stores nothing and returns the
    first copy with `created=False`, so a browser may retry after a lost connection.
    """
    statement = _statement_build(
        statement_id=statement_id,
        learner=learner,
        verb=verb,
        object_iri=object_iri,
        object_kind=object_kind,
        module=module,
        result=result,
        is_self_reported=is_self_reported,
        association=association,
        session_uuid=session_uuid,
        instructor=instructor,
        timestamp=timestamp,
        timestamp_is_trusted=timestamp_is_trusted,
        now=timezone.now(),
    )
    try:
        with transaction.atomic():
            # A retry is found in the same round trip as the lock: a new statement, the
            # common case, costs no query of its own before its insert.
            if _learner_lock(learner, statement_id=statement_id):
                existing = Statement.objects.get(pk=statement_id)
                return _same_statement_or_conflict(existing, learner, object_iri), False
            statement.save(force_insert=True)
            _progress_update(statement, steps_total=len(module.steps) if module else 0)
    except IntegrityError:
        # The same id stored between our check and our insert: by another learner, or by
        # a copy of this one that held the lock while we waited for it (the check is
        # read as the lock is requested, so it may not see that copy).
        existing = Statement.objects.filter(pk=statement_id).first()
        if existing is None:
            raise
        return _same_statement_or_conflict(existing, learner, object_iri), False
    return statement, True


def _learner_lock(learner: User, *, statement_id: uuid.UUID | None = None) -> bool:
    """One writer per learner at a time, until the end of the current transaction.

    Two requests for the same learner (a retry while the first still runs, two tabs, a
    trainer validating meanwhile) would otherwise both create the same progress row, or
    both count one step as newly done. NO KEY UPDATE still lets other rows that point at
    the learner be written. Returns whether `statement_id` is already stored.
    """
    locked = User.objects.select_for_update(
        no_key=connection.features.has_select_for_no_key_update
    ).filter(pk=learner.pk)
    if statement_id is None:
        locked.exists()
        return False
    stored = Exists(Statement.objects.filter(pk=statement_id))
    return bool(locked.values_list(stored, flat=True).first())


def _statement_build(
    *,
    statement_id: uuid.UUID,
    learner: User,
    verb: str,
    object_iri: str,
    object_kind: str,
    module: ModulePage | None,
    result: Result | None,
    is_self_reported: bool,
    association: Association | None,
    session_uuid: uuid.UUID | None,
    instructor: User | None,
    timestamp: datetime | None,
    timestamp_is_trusted: bool,
    now: datetime,
) -> Statement:
    """The row to store, unsaved (shared by single statements and batches)."""
    result = result or Result()
    return Statement(
        id=statement_id,
        learner=learner,
        learner_pseudonym=learner.pseudonym,
        verb=verb,
        object_iri=object_iri,
        object_kind=object_kind,
        module=module,
        module_iri=module.iri if module else "",
        score_raw=result.score_raw,
        score_min=result.score_min,
        score_max=result.score_max,
        score_scaled=result.score_scaled,
        success=result.success,
        completion=result.completion,
        response=result.response,
        duration_seconds=result.duration_seconds,
        is_self_reported=is_self_reported,
        association=association,
        session_uuid=session_uuid,
        instructor=instructor,
        # A trainer's session date is trusted; a device's clock is not.
        timestamp=(
            min(timestamp, now)
            if timestamp_is_trusted and timestamp
            else timestamp_clamp(timestamp, now=now)
        ),
    )


def _same_statement_or_conflict(existing: Statement, learner: User, object_iri: str) -> Statement:
    if existing.learner_pseudonym != learner.pseudonym or existing.object_iri != object_iri:
        raise StatementConflict(str(existing.pk))
    return existing


def _progress_update(statement: Statement, *, steps_total: int) -> None:
    """Apply a new statement to the summaries; the caller holds the learner's lock."""
    activity = (
        ActivityProgress.objects.select_for_update()
        .filter(learner_id=statement.learner_id, activity_iri=statement.object_iri)
        .first()
    )
    module_progress = None
    if statement.module_iri:
        module_progress = (
            ModuleProgress.objects.select_for_update()
            .filter(learner_id=statement.learner_id, module_iri=statement.module_iri)
            .first()
        )
    # A statement older than what the summaries already hold (a trainer's validation for
    # last week's session, a queued retry) cannot simply be added at the end: the first
    # answer and the completion times depend on the order things happened in.
    if any(
        row is not None and statement.timestamp < row.updated_at
        for row in (activity, module_progress)
    ):
        _progress_refold(statement, steps_total=steps_total)
        return
    if activity is None:
        activity = ActivityProgress(
            learner_id=statement.learner_id,
            activity_iri=statement.object_iri,
            module_iri=statement.module_iri,
            status=ProgressStatus.STARTED,
            updated_at=statement.timestamp,
        )
    newly_completed = activity_progress_apply(activity, statement)
    activity.save()
    if not statement.module_iri:
        return
    if module_progress is None:
        module_progress = ModuleProgress(
            learner_id=statement.learner_id,
            module_iri=statement.module_iri,
            module_id=statement.module_id,
            started_at=statement.timestamp,
            updated_at=statement.timestamp,
        )
    module_progress_apply(
        module_progress, statement, newly_completed=newly_completed, steps_total=steps_total
    )
    module_progress.save()


def _progress_refold(statement: Statement, *, steps_total: int) -> None:
    """Recompute the summaries this statement touches from the log, in time order.

    Only this learner's statements for the module (or for the activity, outside modules)
    are read: a few dozen rows. The result is what `progress_rebuild` would give.
    """
    statements = Statement.objects.filter(learner_id=statement.learner_id)
    if statement.module_iri:
        statements = statements.filter(module_iri=statement.module_iri)
    else:
        statements = statements.filter(module_iri="", object_iri=statement.object_iri)
    activity_rows, module_rows = _progress_fold(
        statements.order_by("timestamp", "stored_at"),
        steps_by_module={statement.module_iri: steps_total},
    )
    for model, rows, field in (
        (ActivityProgress, activity_rows, "activity_iri"),
        (ModuleProgress, module_rows, "module_iri"),
    ):
        ids = dict(
            model.objects.filter(
                learner_id=statement.learner_id,
                **{f"{field}__in": [key for _learner, key in rows]},
            ).values_list(field, "pk")
        )
        for (_learner, key), row in rows.items():
            # Same primary key: the row is updated in place, never deleted and re-made.
            row.pk = ids.get(key)
            row.save()


def _progress_fold(
    statements: Iterable[Statement], *, steps_by_module: dict[str, int]
) -> tuple[dict[tuple[int, str], ActivityProgress], dict[tuple[int, str], ModuleProgress]]:
    """Fold statements, oldest first, into unsaved summary rows keyed by learner and IRI."""
    activity_rows: dict[tuple[int, str], ActivityProgress] = {}
    module_rows: dict[tuple[int, str], ModuleProgress] = {}
    for statement in statements:
        key = (statement.learner_id, statement.object_iri)
        activity = activity_rows.get(key)
        if activity is None:
            activity = activity_rows[key] = ActivityProgress(
                learner_id=statement.learner_id,
                activity_iri=statement.object_iri,
                module_iri=statement.module_iri,
                status=ProgressStatus.STARTED,
                updated_at=statement.timestamp,
            )
        newly_completed = activity_progress_apply(activity, statement)
        if statement.module_iri:
            module_key = (statement.learner_id, statement.module_iri)
            module_progress = module_rows.get(module_key)
            if module_progress is None:
                module_progress = module_rows[module_key] = ModuleProgress(
                    learner_id=statement.learner_id,
                    module_iri=statement.module_iri,
                    module_id=statement.module_id,
                    started_at=statement.timestamp,
                    updated_at=statement.timestamp,
                )
            module_progress_apply(
                module_progress,
                statement,
                newly_completed=newly_completed,
                steps_total=steps_by_module.get(statement.module_iri, 0),
            )
    return activity_rows, module_rows


def activity_progress_apply(progress: ActivityProgress, statement: Statement) -> bool:
    """Apply one statement to a step's summary; returns True when the step becomes done."""
    was_completed = progress.status == ProgressStatus.COMPLETED
    if statement.verb == Verb.ANSWERED:
        progress.attempts += 1
        if progress.first_response is None and progress.attempts == 1:
            progress.first_response = statement.response
            progress.first_success = statement.success
        # An H5P activity counts as done when it reports its end, whatever the score.
        finished = statement.completion and (
            statement.success is None or statement.is_self_reported
        )
        if statement.success or finished:
            progress.status = ProgressStatus.COMPLETED
    elif statement.verb in COMPLETING_VERBS:
        progress.status = ProgressStatus.COMPLETED
        if statement.verb == Verb.VALIDATED:
            progress.is_validated_by_trainer = True
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

    activity_rows, module_rows = _progress_fold(
        counted(statements.iterator(chunk_size=batch_size)), steps_by_module=steps_by_module
    )
    ActivityProgress.objects.bulk_create(activity_rows.values(), batch_size=batch_size)
    ModuleProgress.objects.bulk_create(module_rows.values(), batch_size=batch_size)
    return count


# --- Steps of a module, as the learner submits them --------------------------------------

ANSWERED_KINDS = {"quiz", "practice_form", "practice_inbox"}


@dataclass(frozen=True)
class StepSubmission:
    """What the learner sent for one step (from a plain form or from the page's script)."""

    statement_id: uuid.UUID
    answer: int | None = None
    typed: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    h5p: dict | None = None  # what the H5P frame reported, as sent by the page
    timestamp: datetime | None = None


def h5p_result(reported: dict | None) -> tuple[str, Result]:
    """Check the score an H5P activity computed in the browser (self-reported, bounded)."""
    if not reported:
        raise ValueError("No H5P result.")
    verb = {"answered": Verb.ANSWERED, "completed": Verb.COMPLETED}.get(reported.get("verb"))

    def number(name):
        value = float(reported.get(name, "nan"))
        if not math.isfinite(value):
            raise ValueError(name)
        return value

    raw, low, high, scaled = number("raw"), number("min"), number("max"), number("scaled")
    if verb is None or high <= low or not low <= raw <= high or not -1 <= scaled <= 1:
        raise ValueError("H5P result out of bounds.")

    def flag(name):
        return {"true": True, "false": False}.get(str(reported.get(name, "")).lower())

    return verb, Result(
        score_raw=raw,
        score_min=low,
        score_max=high,
        score_scaled=scaled,
        success=flag("success"),
        completion=True,
    )


def step_submission_parse(
    fields: Mapping[str, str], *, statement_id: uuid.UUID, timestamp: datetime | None = None
) -> StepSubmission:
    """What a step's form fields say (a plain form, or one statement of a batch)."""
    answer = fields.get("answer")
    h5p = None
    if "h5p_verb" in fields:
        h5p = {
            key: fields.get(f"h5p_{key}", "")
            for key in ("verb", "raw", "min", "max", "scaled", "success", "completion")
        }
    return StepSubmission(
        h5p=h5p,
        statement_id=statement_id,
        # ASCII digits only, and short: "²" is a digit to isdigit() but not to int().
        answer=int(answer)
        if answer and answer.isascii() and answer.isdigit() and len(answer) <= 4
        else None,
        typed=tuple(
            fields.get(f"field-{i}", "")[:200] for i in range(20) if f"field-{i}" in fields
        ),
        choices=tuple(
            fields.get(f"message-{i}", "") for i in range(20) if f"message-{i}" in fields
        ),
        timestamp=timestamp,
    )


@dataclass(frozen=True)
class _Graded:
    """A step graded on the server: what its statement says, before it is stored."""

    verb: str
    object_iri: str
    object_kind: str
    result: Result | None
    is_self_reported: bool
    outcome: Outcome | None


def _step_grade(module: ModulePage, step_index: int, submission: StepSubmission) -> _Graded:
    """Grade one step (never trusting the browser); ValueError when there is nothing to grade."""
    # The stored kind and id are enough for most steps: the block's value is only made
    # (with its queries: an H5P package, pictures) for the kinds graded from it.
    raw = module.steps.raw_data[step_index]
    kind, step_id = raw["type"], raw.get("id")
    if kind == "h5p":
        verb, result = h5p_result(submission.h5p)
        return _Graded(verb, module.step_iri(step_id), "h5p", result, True, None)
    outcome = None
    if kind in ANSWERED_KINDS:
        value = module.steps[step_index].value
        if kind == "quiz":
            outcome = quiz_grade(value, submission.answer)
        elif kind == "practice_form":
            outcome = practice_form_check(value, list(submission.typed))
        else:
            outcome = practice_inbox_check(value, list(submission.choices))
    result = None
    if outcome is not None:
        result = Result(
            score_raw=outcome.score_raw,
            score_min=0.0,
            score_max=outcome.score_max,
            score_scaled=outcome.score_scaled,
            success=outcome.success,
            completion=True,
            response=outcome.response,
        )
    return _Graded(
        Verb.ANSWERED if outcome is not None else Verb.COMPLETED,
        module.step_iri(step_id),
        kind,
        result,
        False,
        outcome,
    )


def step_submit(
    *,
    learner: User,
    module: ModulePage,
    step_index: int,
    submission: StepSubmission,
    association: Association | None = None,
) -> tuple[Statement, Outcome | None]:
    """Grade the step on the server (never trusting the browser) and record the statement."""
    graded = _step_grade(module, step_index, submission)
    statement, _created = statement_record(
        statement_id=submission.statement_id,
        learner=learner,
        verb=graded.verb,
        object_iri=graded.object_iri,
        object_kind=graded.object_kind,
        module=module,
        result=graded.result,
        is_self_reported=graded.is_self_reported,
        association=association,
        timestamp=submission.timestamp,
    )
    return statement, graded.outcome


# --- Many steps at once: a page's queued statements, sent in one request -----------------


class SubmitStatus(StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"  # that id is stored already: nothing added
    INVALID = "invalid"  # nothing to grade (no answer, an H5P result out of bounds)
    CONFLICT = "conflict"  # that id names another learner's or another step's statement


@dataclass(frozen=True)
class StepItem:
    """One statement of a batch: a step of a module, and what the learner sent for it."""

    module: ModulePage
    step_index: int
    submission: StepSubmission


@dataclass(frozen=True)
class SubmitResult:
    status: str
    statement: Statement | None = None
    outcome: Outcome | None = None


def steps_submit(
    *,
    learner: User,
    items: Sequence[StepItem],
    association: Association | None = None,
) -> list[SubmitResult]:
    """Grade and record many steps in one transaction; one result per item, in order.

    Each item is graded and stored as `step_submit` would, and progress ends up as if the
    items had been sent one by one in this order. Idempotent like `statement_record`: an
    id already stored (or twice in the batch) stores nothing and is a duplicate, or a
    conflict when that id names another learner's or another step's statement. Rows are
    written with a few bulk queries whatever the number of items.
    """
    now = timezone.now()
    results: list[SubmitResult | None] = [None] * len(items)
    candidates: dict[uuid.UUID, tuple[int, Statement, Outcome | None]] = {}
    repeats: list[tuple[int, str, Outcome | None]] = []
    steps_by_module: dict[str, int] = {}
    for index, item in enumerate(items):
        try:
            graded = _step_grade(item.module, item.step_index, item.submission)
        except ValueError:
            results[index] = SubmitResult(SubmitStatus.INVALID)
            continue
        statement_id = item.submission.statement_id
        if statement_id in candidates:
            repeats.append((index, graded.object_iri, graded.outcome))
            continue
        steps_by_module.setdefault(item.module.iri, len(item.module.steps))
        candidates[statement_id] = (
            index,
            _statement_build(
                statement_id=statement_id,
                learner=learner,
                verb=graded.verb,
                object_iri=graded.object_iri,
                object_kind=graded.object_kind,
                module=item.module,
                result=graded.result,
                is_self_reported=graded.is_self_reported,
                association=association,
                session_uuid=None,
                instructor=None,
                timestamp=item.submission.timestamp,
                timestamp_is_trusted=False,
                now=now,
            ),
            graded.outcome,
        )
    if not candidates:
        return results

    with transaction.atomic():
        _learner_lock(learner)
        # ON CONFLICT DO NOTHING: an id stored already (a replay, or another learner's
        # statement) adds no row. One read then tells what this request wrote: its rows
        # carry the insert time set on our objects, and no other request of this learner
        # runs meanwhile (we hold the lock).
        batch = [statement for _index, statement, _outcome in candidates.values()]
        Statement.objects.bulk_create(batch, ignore_conflicts=True)
        found = {
            pk: rest
            for pk, *rest in Statement.objects.filter(pk__in=list(candidates)).values_list(
                "pk", "learner_id", "stored_at", "learner_pseudonym", "object_iri"
            )
        }
        stored = [
            statement
            for statement in batch
            if found.get(statement.pk, [None, None])[:2] == [learner.pk, statement.stored_at]
        ]
        _progress_update_many(stored, learner_id=learner.pk, steps_by_module=steps_by_module)

    ours = {statement.pk for statement in stored}
    for pk, (index, statement, outcome) in candidates.items():
        if pk in ours:
            results[index] = SubmitResult(SubmitStatus.STORED, statement, outcome)
        elif found.get(pk, [None] * 4)[2:] == [learner.pseudonym, statement.object_iri]:
            results[index] = SubmitResult(SubmitStatus.DUPLICATE, statement, outcome)
        else:
            results[index] = SubmitResult(SubmitStatus.CONFLICT)
    for index, object_iri, outcome in repeats:
        first = results[candidates[items[index].submission.statement_id][0]]
        same_step = first.statement is not None and first.statement.object_iri == object_iri
        results[index] = (
            SubmitResult(SubmitStatus.DUPLICATE, first.statement, outcome)
            if same_step
            else SubmitResult(SubmitStatus.CONFLICT)
        )
    return results


def _progress_update_many(
    statements: list[Statement], *, learner_id: int, steps_by_module: dict[str, int]
) -> None:
    """Apply new statements of one learner to the summaries, in order, with bulk writes.

    The same rules as `_progress_update`, one statement after the other, on rows held in
    memory: a statement older than a row it touches means the whole module is folded
    again from the log (which now holds the batch), as `_progress_refold` does.
    The caller holds the learner's lock.
    """
    if not statements:
        return
    activities = {
        row.activity_iri: row
        for row in ActivityProgress.objects.select_for_update().filter(
            learner_id=learner_id, activity_iri__in={s.object_iri for s in statements}
        )
    }
    modules = {
        row.module_iri: row
        for row in ModuleProgress.objects.select_for_update().filter(
            learner_id=learner_id, module_iri__in={s.module_iri for s in statements}
        )
    }
    refold: set[str] = set()
    changed_activities: dict[str, ActivityProgress] = {}
    changed_modules: dict[str, ModuleProgress] = {}
    for statement in statements:
        if statement.module_iri in refold:
            continue
        activity = activities.get(statement.object_iri)
        module_progress = modules.get(statement.module_iri)
        if any(
            row is not None and statement.timestamp < row.updated_at
            for row in (activity, module_progress)
        ):
            refold.add(statement.module_iri)
            continue
        if activity is None:
            activity = activities[statement.object_iri] = ActivityProgress(
                learner_id=learner_id,
                activity_iri=statement.object_iri,
                module_iri=statement.module_iri,
                status=ProgressStatus.STARTED,
                updated_at=statement.timestamp,
            )
        newly_completed = activity_progress_apply(activity, statement)
        changed_activities[statement.object_iri] = activity
        if module_progress is None:
            module_progress = modules[statement.module_iri] = ModuleProgress(
                learner_id=learner_id,
                module_iri=statement.module_iri,
                module_id=statement.module_id,
                started_at=statement.timestamp,
                updated_at=statement.timestamp,
            )
        module_progress_apply(
            module_progress,
            statement,
            newly_completed=newly_completed,
            steps_total=steps_by_module[statement.module_iri],
        )
        changed_modules[statement.module_iri] = module_progress

    if refold:
        # What these modules' rows hold now is replaced by the fold of the whole log.
        folded_activities, folded_modules = _progress_fold(
            Statement.objects.filter(learner_id=learner_id, module_iri__in=refold).order_by(
                "timestamp", "stored_at"
            ),
            steps_by_module=steps_by_module,
        )
        changed_activities.update((iri, row) for (_l, iri), row in folded_activities.items())
        changed_modules.update((iri, row) for (_l, iri), row in folded_modules.items())

    # One upsert a table: new rows are inserted, existing ones updated in place (same id).
    for model, rows, key in (
        (ActivityProgress, changed_activities.values(), "activity_iri"),
        (ModuleProgress, changed_modules.values(), "module_iri"),
    ):
        rows = list(rows)
        for row in rows:
            row.pk = None  # matched on (learner, IRI), which the constraint makes unique
        model.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["learner", key],
            update_fields=[
                field.name
                for field in model._meta.concrete_fields
                if not field.primary_key and field.name not in ("learner", key)
            ],
        )


# --- The learner's own view: "Pouvez-vous le faire seul·e ?" before and after a module ------


class SelfAssessmentPhase(models.TextChoices):
    START = "start", _("Before the module")
    END = "end", _("After the module")


class SelfAssessmentLevel(models.TextChoices):
    """From "cannot do it yet" to "can do it alone"; the order is the scale."""

    NOT_YET = "not_yet", _("Not yet")
    WITH_HELP = "with_help", _("With help")
    ALONE = "alone", _("Alone")


class SelfAssessmentInvalid(ValueError):
    """A phase or level outside the fixed vocabulary."""


# Fixed forever: statement ids of answers are derived from it (see self_assessment_record).
SELF_ASSESSMENT_NAMESPACE = uuid.UUID("9baf5298-b051-46b7-975e-f369a5dad1dd")


def self_assessments_of(learner: User, module: ModulePage):
    """The learner's answers about one module (every language), oldest first."""
    return Statement.objects.filter(
        learner=learner, module_iri=module.iri, verb=Verb.ASSESSED
    ).order_by("timestamp", "stored_at")


def self_assessment_record(
    *,
    learner: User,
    module: ModulePage,
    phase: str,
    level: str,
    association: Association | None = None,
) -> tuple[Statement, bool]:
    """Record the learner's answer to "Can you do it on your own?" before or after a module.

    One statement per answer (verb "self-assessed", object the module itself, response
    `{"phase": ..., "level": ...}`, self-reported); `created` is False when nothing new was
    stored.

    Attempts: a start answer opens an attempt, the end answer closes it. An answer whose
    phase is the same as the learner's latest answer for this module belongs to the same
    attempt and is not stored again: the first answer is kept and returned (a double tap,
    the back button, a retried form). So "start, start" keeps one start, "start, end,
    start" opens a second attempt, and an end without any start is kept on its own.

    Two requests racing each other derive the same statement id from the learner, the
    module, the phase and the answer before it, so `statement_record`'s idempotency stores
    one of them only.
    """
    if not getattr(learner, "is_authenticated", False) or learner.pk is None:
        raise PermissionDenied("Only a signed-in learner can answer for themself.")
    if phase not in SelfAssessmentPhase.values:
        raise SelfAssessmentInvalid(
            f"Unknown phase {phase!r}: expected one of {', '.join(SelfAssessmentPhase.values)}."
        )
    if level not in SelfAssessmentLevel.values:
        raise SelfAssessmentInvalid(
            f"Unknown level {level!r}: expected one of {', '.join(SelfAssessmentLevel.values)}."
        )
    latest = self_assessments_of(learner, module).last()
    if (
        latest is not None
        and isinstance(latest.response, dict)
        and latest.response.get("phase") == phase
    ):
        return latest, False
    after = str(latest.pk) if latest is not None else "none"
    statement_id = uuid.uuid5(
        SELF_ASSESSMENT_NAMESPACE, f"{learner.pseudonym} {module.iri} {phase} after {after}"
    )
    return statement_record(
        statement_id=statement_id,
        learner=learner,
        verb=Verb.ASSESSED,
        object_iri=module.iri,
        object_kind="module",
        module=module,
        result=Result(response={"phase": phase, "level": level}),
        is_self_reported=True,
        association=association,
    )
