"""Writes to the learning records: record a statement and keep progress in step with it."""

import functools
import json
import math
import operator
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
from lms.accounts.models import Association, Membership, Role, User

from .compiled import sql_cursor
from .grading import Outcome, practice_form_check, practice_inbox_check, quiz_grade
from .models import ActivityProgress, ModuleProgress, ProgressStatus, Statement, Verb
from .progress import step_status_after

# A device clock may be wrong, and a queued statement may arrive days later: timestamps
# are accepted within this window and clamped to it otherwise.
MAX_FUTURE_SKEW = timedelta(minutes=5)
MAX_PAST_AGE = timedelta(days=30)


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
    module: "ModulePage | ModuleOutline | None",
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
    values = {
        "id": statement_id,
        "learner_id": learner.pk,
        "learner_pseudonym": learner.pseudonym,
        "verb": verb,
        "object_iri": object_iri,
        "object_kind": object_kind,
        # A page, or its outline (the same id and IRI) when the page was not loaded.
        "module_id": module.pk if module else None,
        "module_iri": module.iri if module else "",
        "score_raw": result.score_raw,
        "score_min": result.score_min,
        "score_max": result.score_max,
        "score_scaled": result.score_scaled,
        "success": result.success,
        "completion": result.completion,
        "response": result.response,
        "duration_seconds": result.duration_seconds,
        "is_self_reported": is_self_reported,
        "association_id": association.pk if association else None,
        "session_uuid": session_uuid,
        "instructor_id": instructor.pk if instructor else None,
        # A trainer's session date is trusted; a device's clock is not.
        "timestamp": (
            min(timestamp, now)
            if timestamp_is_trusted and timestamp
            else timestamp_clamp(timestamp, now=now)
        ),
    }
    # Positional values, as `from_db` gives them: a batch makes many of these, and the
    # keyword form costs several times more. Any other field gets its default.
    statement = Statement(
        *[
            values[name] if name in values else field.get_default()
            for name, field in _statement_fields()
        ]
    )
    # As the keyword form does, the related objects given are kept on the instance.
    cache = statement._state.fields_cache
    cache["learner"], cache["association"], cache["instructor"] = learner, association, instructor
    return statement


@functools.cache
def _statement_fields() -> tuple:
    return tuple((field.attname, field) for field in Statement._meta.concrete_fields)


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
    if statement.verb == Verb.VALIDATED:
        progress.is_validated_by_trainer = True
    # Which statements finish a step (a checkpoint only by a trainer): progress.py.
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

    activity_rows, module_rows = _progress_fold(
        counted(statements.iterator(chunk_size=batch_size)), steps_by_module=steps_by_module
    )
    ActivityProgress.objects.bulk_create(activity_rows.values(), batch_size=batch_size)
    ModuleProgress.objects.bulk_create(module_rows.values(), batch_size=batch_size)
    return count


# --- Steps of a module, as the learner submits them --------------------------------------


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


# What grading reads of each kind of graded step: the list in the block's value, and the
# fields of each item that the functions of grading.py look at. Nothing else of a step
# (texts, pictures, H5P packages) is needed to grade it or to record its statement.
GRADING_FIELDS = {
    "quiz": ("answers", ("is_correct",)),
    "practice_form": ("fields", ("required", "expected")),
    "practice_inbox": ("messages", ("is_scam",)),
}
ANSWERED_KINDS = set(GRADING_FIELDS)


@dataclass(frozen=True)
class StepOutline:
    """What grading and recording need of one step: its kind, IRI and grading data."""

    id: str
    kind: str
    iri: str
    grading: dict | None = None  # for ANSWERED_KINDS: what grading.py reads of the value


@dataclass(frozen=True)
class ModuleOutline:
    """A published module as the statement endpoint sees it: small, plain, cacheable.

    Made from the page (`module_outline`) once per revision; the same id and IRI as the
    page, so a statement made from it is the one the page would have made.
    """

    pk: int
    iri: str
    steps: tuple[StepOutline, ...]


def _step_outline(module: ModulePage, index: int) -> StepOutline:
    # The stored kind and id are enough for most steps: the block's value is only made
    # (with its queries: an H5P package, pictures) for the kinds graded from it.
    raw = module.steps.raw_data[index]
    kind, step_id = raw["type"], raw.get("id")
    grading = None
    if kind in GRADING_FIELDS:
        items, fields = GRADING_FIELDS[kind]
        value = module.steps[index].value
        grading = {items: [{name: item[name] for name in fields} for item in value[items]]}
    return StepOutline(step_id, kind, module.step_iri(step_id), grading)


def module_outline(module: ModulePage) -> ModuleOutline:
    """The outline of a module page: every step's kind, IRI and grading data."""
    return ModuleOutline(
        module.pk,
        module.iri,
        tuple(_step_outline(module, index) for index in range(len(module.steps.raw_data))),
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


def _step_grade(step: StepOutline, submission: StepSubmission) -> _Graded:
    """Grade one step (never trusting the browser); ValueError when there is nothing to grade."""
    if step.kind == "h5p":
        verb, result = h5p_result(submission.h5p)
        return _Graded(verb, step.iri, "h5p", result, True, None)
    outcome = None
    if step.kind == "quiz":
        outcome = quiz_grade(step.grading, submission.answer)
    elif step.kind == "practice_form":
        outcome = practice_form_check(step.grading, list(submission.typed))
    elif step.kind == "practice_inbox":
        outcome = practice_inbox_check(step.grading, list(submission.choices))
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
        step.iri,
        step.kind,
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
    """Grade the step on the server (never trusting the browser) and record the statement.

    One statement through `statement_record`; the step endpoint uses `steps_submit`, which
    gives the same rows with fewer queries.
    """
    graded = _step_grade(_step_outline(module, step_index), submission)
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

    module: ModulePage | ModuleOutline
    step_index: int
    submission: StepSubmission


@dataclass(frozen=True)
class SubmitResult:
    status: str
    statement: Statement | None = None
    outcome: Outcome | None = None


@dataclass(frozen=True)
class LearnerAssociation:
    """The association the learner works with now, looked up as the statements are stored.

    As `selectors.learner_association` picks it: with the card the learner signed in
    with (`card_id`, the session's "association_id"), that association if the learner is
    an active learner there, else none; without a card, the association of the learner's
    oldest active learner membership. Read by the query that takes the learner's lock, so
    it costs no round trip of its own (tests compare it with the selector).
    """

    card_id: int | None = None


def steps_submit(
    *,
    learner: User,
    items: Sequence[StepItem],
    association: Association | LearnerAssociation | None = None,
) -> list[SubmitResult]:
    """Grade and record steps in one transaction; one result per item, in order.

    Each item is graded and stored as `step_submit` would, and progress ends up as if the
    items had been sent one by one in this order. Idempotent like `statement_record`: an
    id already stored (or twice in the batch) stores nothing and is a duplicate, or a
    conflict when that id names another learner's or another step's statement. Rows are
    written with a few queries whatever the number of items: the learner's lock (which
    also reads the association), the insert of the statements with, on PostgreSQL, the
    read of the progress rows they touch, and the upsert of those rows.
    """
    now = timezone.now()
    results: list[SubmitResult | None] = [None] * len(items)
    candidates: dict[uuid.UUID, tuple[int, Statement, Outcome | None]] = {}
    repeats: list[tuple[int, str, Outcome | None]] = []
    steps_by_module: dict[str, int] = {}
    outlines: dict[int, ModuleOutline] = {}
    for index, item in enumerate(items):
        module = item.module
        if not isinstance(module, ModuleOutline):
            if id(module) not in outlines:
                outlines[id(module)] = module_outline(module)
            module = outlines[id(module)]
        try:
            graded = _step_grade(module.steps[item.step_index], item.submission)
        except ValueError:
            results[index] = SubmitResult(SubmitStatus.INVALID)
            continue
        statement_id = item.submission.statement_id
        if statement_id in candidates:
            repeats.append((index, graded.object_iri, graded.outcome))
            continue
        steps_by_module.setdefault(module.iri, len(module.steps))
        candidates[statement_id] = (
            index,
            _statement_build(
                statement_id=statement_id,
                learner=learner,
                verb=graded.verb,
                object_iri=graded.object_iri,
                object_kind=graded.object_kind,
                module=module,
                result=graded.result,
                is_self_reported=graded.is_self_reported,
                association=association if isinstance(association, Association) else None,
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

    batch = [statement for _index, statement, _outcome in candidates.values()]
    with transaction.atomic(), sql_cursor() as cursor:
        association_id = _learner_lock_sql(
            learner,
            association if isinstance(association, LearnerAssociation) else None,
            cursor=cursor,
        )
        if isinstance(association, LearnerAssociation):
            for statement in batch:
                statement.association_id = association_id
        # ON CONFLICT DO NOTHING: an id stored already (a replay, or another learner's
        # statement) adds no row; RETURNING names the rows this request wrote.
        inserted, progress = _statements_insert(batch, learner_id=learner.pk, cursor=cursor)
        stored = [statement for statement in batch if statement.pk in inserted]
        found = {}
        if len(stored) < len(batch):
            found = {
                pk: (pseudonym, object_iri)
                for pk, pseudonym, object_iri in Statement.objects.filter(
                    pk__in=[pk for pk in candidates if pk not in inserted]
                ).values_list("pk", "learner_pseudonym", "object_iri")
            }
        _progress_update_many(
            stored,
            learner_id=learner.pk,
            steps_by_module=steps_by_module,
            rows=progress,
            cursor=cursor,
        )

    for pk, (index, statement, outcome) in candidates.items():
        if pk in inserted:
            results[index] = SubmitResult(SubmitStatus.STORED, statement, outcome)
        elif found.get(pk) == (learner.pseudonym, statement.object_iri):
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


# The hot path of the statement endpoint writes with plain SQL made from the models' own
# field definitions: the same rows as the ORM's, without compiling a query at each
# request. Only table and column names and types of the models are formatted into these
# queries (S608); values are parameters.
#
# On PostgreSQL each of these statements has one fixed text, whatever the number of rows:
# the rows travel as one JSON parameter, read back into typed columns by
# `json_to_recordset`. The statements are bound and prepared on the server (`sql_cursor`),
# so each connection parses and plans them once, and a request sends values only.
# Elsewhere (SQLite) the rows are written as `VALUES (...), (...)` with the ORM's values.


@functools.cache
def _q(name: str) -> str:
    return connection.ops.quote_name(name)


@functools.cache
def _columns(fields: tuple) -> str:
    return ", ".join(_q(field.column) for field in fields)


def _for_update(of: str) -> str:
    """The row lock clause where the database has one (SQLite locks the whole file)."""
    if not connection.features.has_select_for_update:
        return ""
    strength = "NO KEY UPDATE" if connection.features.has_select_for_no_key_update else "UPDATE"
    return f" FOR {strength} OF {of}" if connection.features.has_select_for_update_of else ""


def _learner_lock_sql(
    learner: User, association: LearnerAssociation | None, *, cursor=None
) -> int | None:
    """`_learner_lock` in one plain query, which also reads the learner's association id.

    The association is read in the same statement, before the lock is granted if the
    lock had to wait: memberships are not what the lock protects, so that is no matter.
    """
    user = _q(User._meta.db_table)
    if association is None:
        sql, params = f"SELECT NULL FROM {user} u WHERE u.id = %s", [learner.pk]  # noqa: S608
    else:
        membership = Membership._meta
        card = ""
        params = [Role.LEARNER, True]
        if association.card_id:
            card = " AND m.association_id = %s"
            params.append(int(association.card_id))
        sql = (
            f"SELECT (SELECT m.association_id FROM {_q(membership.db_table)} m"  # noqa: S608
            f" WHERE m.user_id = u.id AND m.role = %s AND m.is_active = %s{card}"
            f" ORDER BY m.joined_on LIMIT 1) FROM {user} u WHERE u.id = %s"
        )
        params.append(learner.pk)
    if cursor is None:
        with sql_cursor() as cursor:
            cursor.execute(sql + _for_update("u"), params)
            row = cursor.fetchone()
    else:
        cursor.execute(sql + _for_update("u"), params)
        row = cursor.fetchone()
    return row[0] if row else None


def _values_sql(model, rows: Sequence[models.Model], fields) -> tuple[str, list]:
    """`VALUES (...), (...)` for these rows and fields, with the ORM's prepared values."""
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params = [
        field.get_db_prep_save(getattr(row, field.attname), connection)
        for row in rows
        for field in fields
    ]
    return ", ".join([one] * len(rows)), params


def _json_identity(value):
    return value


def _json_text(value):
    return None if value is None else str(value)


def _json_time(value):
    return None if value is None else value.isoformat()


@functools.cache
def _json_layout(model, fields: tuple) -> tuple[str, tuple]:
    """How rows of `model` travel as JSON: `json_to_recordset`'s column list, and for each
    field its attribute and the function that makes its value JSON (as the field would
    prepare it for the database: text for UUIDs, ISO 8601 for aware datetimes)."""
    columns = ", ".join(f"{_q(field.column)} {field.db_type(connection)}" for field in fields)
    converters = []
    for field in fields:
        kind = field.get_internal_type()
        if kind == "UUIDField":
            convert = _json_text
        elif kind == "DateTimeField":
            convert = _json_time
        elif kind in _JSON_AS_IS and getattr(field, "encoder", None) is None:
            convert = _json_identity
        else:
            # A decimal or a date, say, would need its own conversion to stay exact.
            raise TypeError(f"{model.__name__}.{field.name}: no JSON form for a {kind} here.")
        converters.append((field.column, field.attname, convert))
    return columns, tuple(converters)


# Field kinds whose Python value is already what JSON carries (a foreign key: its id;
# a JSONField without its own encoder: the value `json.dumps` gives the ORM too).
_JSON_AS_IS = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "FloatField",
    "ForeignKey",
    "IntegerField",
    "JSONField",
    "PositiveIntegerField",
    "TextField",
}


def _rows_json(model, rows: Sequence[models.Model], fields: tuple) -> str:
    """These rows as one JSON text: a list of objects keyed by column."""
    columns, attnames, read, converted = _json_plan(model, fields)
    made = []
    for row in rows:
        try:
            values = read(row.__dict__)  # every field is loaded: the quick way
        except KeyError:
            values = [getattr(row, attname) for attname in attnames]
        data = dict(zip(columns, values, strict=True))
        for column, convert in converted:
            data[column] = convert(data[column])
        made.append(data)
    return json.dumps(made, separators=(",", ":"))


@functools.cache
def _json_plan(model, fields: tuple) -> tuple:
    """Columns and attributes of `_json_layout`, a reader of the attributes from an
    instance's `__dict__`, and the columns whose value is converted."""
    _columns_typed, converters = _json_layout(model, fields)
    attnames = tuple(attname for _column, attname, _convert in converters)
    return (
        tuple(column for column, _attname, _convert in converters),
        attnames,
        operator.itemgetter(*attnames),
        tuple(
            (column, convert)
            for column, _attname, convert in converters
            if convert is not _json_identity
        ),
    )


@functools.cache
def _statements_insert_pg_sql() -> str:
    """The insert of new statements and the read of the summary rows they touch (fixed text)."""
    meta = Statement._meta
    fields = tuple(meta.concrete_fields)
    typed, _converters = _json_layout(Statement, fields)
    pk, columns = _q(meta.pk.column), _columns(fields)
    reads = []
    for model, key, source in (
        (ActivityProgress, "activity_iri", "object_iri"),
        (ModuleProgress, "module_iri", "module_iri"),
    ):
        model_meta = model._meta
        reads.append(
            f"SELECT {_columns(tuple(model_meta.concrete_fields))} FROM {_q(model_meta.db_table)} t"  # noqa: S608
            f" WHERE t.{_q('learner_id')} = %s AND t.{_q(model_meta.get_field(key).column)}"
            f" IN (SELECT {_q(source)} FROM new)" + _for_update("t")
        )
    return (
        f"WITH new AS MATERIALIZED (SELECT * FROM json_to_recordset(%s::json) AS r({typed}))"  # noqa: S608
        f", ins AS (INSERT INTO {_q(meta.db_table)} ({columns}) SELECT {columns} FROM new"
        f" ON CONFLICT ({pk}) DO NOTHING RETURNING {pk})"
        f" SELECT (SELECT COALESCE(json_agg(ins.{pk}), '[]') FROM ins), "
        + ", ".join(f"(SELECT COALESCE(json_agg(r), '[]') FROM ({read}) r)" for read in reads)  # noqa: S608 (names only, see above)
    )


def _statements_insert(
    statements: Sequence[Statement], *, learner_id: int, cursor=None
) -> tuple[set[uuid.UUID], tuple[dict, dict] | None]:
    """Insert new statements, skipping ids already stored; returns the ids inserted.

    On PostgreSQL the learner's summary rows that these statements touch are read (and
    locked) by the same statement, and returned as `_progress_rows` would give them;
    elsewhere the second item is None and they are read afterwards.
    """
    if cursor is None:
        with sql_cursor() as cursor:
            return _statements_insert(statements, learner_id=learner_id, cursor=cursor)
    meta = Statement._meta
    stored_at = timezone.now()
    for statement in statements:
        statement.stored_at = stored_at  # auto_now_add, as save() would set it
    fields = tuple(meta.concrete_fields)
    convert = meta.pk.to_python
    if connection.vendor != "postgresql":
        values, params = _values_sql(Statement, statements, fields)
        pk = _q(meta.pk.column)
        cursor.execute(
            f"INSERT INTO {_q(meta.db_table)} ({_columns(fields)})"  # noqa: S608
            f" VALUES {values} ON CONFLICT ({pk}) DO NOTHING RETURNING {pk}",
            params,
        )
        return {convert(row[0]) for row in cursor.fetchall()}, None
    # The rows read are those of before the insert (one snapshot): the insert adds none.
    cursor.execute(
        _statements_insert_pg_sql(),
        [_rows_json(Statement, statements, fields), learner_id, learner_id],
    )
    inserted, activities, modules = cursor.fetchone()
    return {convert(value) for value in inserted}, (
        _rows_from_json(ActivityProgress, activities, key="activity_iri"),
        _rows_from_json(ModuleProgress, modules, key="module_iri"),
    )


def _rows_from_json(model, rows: list[dict], *, key: str) -> dict:
    """Model instances from rows read as JSON objects (`json_agg`), keyed by `key`."""
    fields = model._meta.concrete_fields
    names = [field.attname for field in fields]
    times = {field.column for field in fields if isinstance(field, models.DateTimeField)}
    made = {}
    for data in rows:
        values = [
            datetime.fromisoformat(data[field.column])
            if field.column in times and data[field.column] is not None
            else data[field.column]
            for field in fields
        ]
        row = model.from_db(connection.alias, names, values)
        made[getattr(row, key)] = row
    return made


def _progress_rows_sql(model, *, learner_id: int, key: str, values: set[str]) -> tuple[str, list]:
    meta = model._meta
    sql = (
        f"SELECT * FROM {_q(meta.db_table)} t WHERE t.{_q('learner_id')} = %s"  # noqa: S608
        f" AND t.{_q(meta.get_field(key).column)} IN ({', '.join(['%s'] * len(values))})"
    )
    return sql + _for_update("t"), [learner_id, *values]


def _progress_rows_of(statements: list[Statement], *, learner_id: int) -> tuple[dict, dict]:
    """The learner's step and module rows that these statements touch, by IRI."""
    return (
        _progress_rows(
            ActivityProgress,
            learner_id=learner_id,
            key="activity_iri",
            values={s.object_iri for s in statements},
        ),
        _progress_rows(
            ModuleProgress,
            learner_id=learner_id,
            key="module_iri",
            values={s.module_iri for s in statements},
        ),
    )


def _progress_rows(model, *, learner_id: int, key: str, values: set[str]) -> dict:
    """The learner's summary rows of `model` whose `key` (an IRI field) is in `values`."""
    sql, params = _progress_rows_sql(model, learner_id=learner_id, key=key, values=values)
    return {getattr(row, key): row for row in model.objects.raw(sql, params)}


@functools.cache
def _updates(fields: tuple) -> str:
    return ", ".join(f"{_q(field.column)} = EXCLUDED.{_q(field.column)}" for field in fields)


@functools.cache
def _upsert_parts(model, *, key: str) -> tuple[tuple, str, str]:
    """The fields written (all but the id), the conflict target, and the SET list."""
    meta = model._meta
    fields = tuple(field for field in meta.concrete_fields if not field.primary_key)
    unique = f"{_q(meta.get_field('learner').column)}, {_q(meta.get_field(key).column)}"
    updates = _updates(tuple(field for field in fields if field.name not in ("learner", key)))
    return fields, unique, updates


def _progress_upsert_sql(model, rows: list, *, key: str) -> tuple[str, list]:
    """Insert new summary rows, update existing ones in place (matched on learner and IRI)."""
    fields, unique, updates = _upsert_parts(model, key=key)
    values, params = _values_sql(model, rows, fields)
    sql = (
        f"INSERT INTO {_q(model._meta.db_table)} ({_columns(fields)})"  # noqa: S608
        f" VALUES {values} ON CONFLICT ({unique}) DO UPDATE SET {updates}"
    )
    return sql, params


@functools.cache
def _progress_upsert_pg_sql() -> str:
    """Both tables' upserts in one statement of fixed text, each table's rows as JSON."""
    writes = []
    for model, key in ((ActivityProgress, "activity_iri"), (ModuleProgress, "module_iri")):
        fields, unique, updates = _upsert_parts(model, key=key)
        typed, _converters = _json_layout(model, fields)
        columns = _columns(fields)
        writes.append(
            f"INSERT INTO {_q(model._meta.db_table)} ({columns})"  # noqa: S608
            f" SELECT {columns} FROM json_to_recordset(%s::json) AS r({typed})"
            f" ON CONFLICT ({unique}) DO UPDATE SET {updates}"
        )
    first, second = writes
    # The first insert as a data-modifying WITH of the second.
    return f"WITH changed AS ({first}) {second}"


def _progress_upsert(
    activities: list[ActivityProgress], modules: list[ModuleProgress], *, cursor=None
) -> None:
    """Write the changed summary rows: one statement for both tables where it can be."""
    if cursor is None:
        with sql_cursor() as cursor:
            return _progress_upsert(activities, modules, cursor=cursor)
    if connection.vendor == "postgresql":
        params = [
            _rows_json(model, rows, _upsert_parts(model, key=key)[0])
            for model, rows, key in (
                (ActivityProgress, activities, "activity_iri"),
                (ModuleProgress, modules, "module_iri"),
            )
        ]
        cursor.execute(_progress_upsert_pg_sql(), params)
        return None
    for model, rows, key in (
        (ActivityProgress, activities, "activity_iri"),
        (ModuleProgress, modules, "module_iri"),
    ):
        if rows:
            cursor.execute(*_progress_upsert_sql(model, rows, key=key))
    return None


def _progress_update_many(
    statements: list[Statement],
    *,
    learner_id: int,
    steps_by_module: dict[str, int],
    rows: tuple[dict, dict] | None = None,
    cursor=None,
) -> None:
    """Apply new statements of one learner to the summaries, in order, with bulk writes.

    The same rules as `_progress_update`, one statement after the other, on rows held in
    memory: a statement older than a row it touches means the whole module is folded
    again from the log (which now holds the batch), as `_progress_refold` does.
    The caller holds the learner's lock, and may give the rows, read since it took it.
    """
    if not statements:
        return
    if rows is not None:
        activities, modules = rows
    else:
        activities, modules = _progress_rows_of(statements, learner_id=learner_id)
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
    _progress_upsert(
        list(changed_activities.values()), list(changed_modules.values()), cursor=cursor
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
