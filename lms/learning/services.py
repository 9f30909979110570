"""Writes to the learning records: record a statement and keep progress in step with it.

Why this module is longer than 500 lines: it is the one writer of learning records
(`statements_store`), and the statements, the progress rows that follow from them and the
learner's lock are written together, in one transaction, by two paths the tests hold equal
(the ORM here, plain SQL on PostgreSQL in _writer_sql.py): the lock, the rows read and
locked, the upsert and the refold of a late statement (`_progress_apply`) read top to bottom
with the SQL they stand for. How one statement changes a summary row, and the rebuild of
every row from the records, are in progress.py. The learner's self-assessment (at the end)
is a statement recorded through this writer. Steps as the learner submits them (parsing, grading) are in
submissions.py.
"""

import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import ModulePage
from lms.accounts.models import Association, Membership, Role, User

from . import _writer_sql
from .models import ActivityProgress, ModuleProgress, Statement, Verb
from .progress import progress_fold, statement_apply_to_rows
from .signals import statements_stored

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


class ModuleRef(Protocol):
    """What a statement needs of its module: a ModulePage, or the small outline the statement
    endpoint caches (lms/learning/submissions.py `ModuleOutline`)."""

    pk: int
    iri: str


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
    """Store one statement through `statements_store`; returns it and whether it is new.

    Idempotent: sending the same statement id again stores nothing and returns the
    first copy with `created=False`, so a browser may retry after a lost connection.
    Raises StatementConflict when the id names another learner's or activity's statement.
    """
    statement = statement_build(
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
    [stored] = statements_store(
        [statement], steps_by_module={module.iri: len(module.steps)} if module else {}
    )
    if stored.status == StoreStatus.CONFLICT:
        raise StatementConflict(str(statement_id))
    return stored.statement, stored.status == StoreStatus.STORED


# --- The one way in: every statement, and the progress that follows from it ---------------


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


class StoreStatus(StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"  # that id is stored already (or earlier in the call): nothing added
    CONFLICT = "conflict"  # that id names another learner's or another activity's statement


@dataclass(frozen=True)
class Stored:
    """What became of one statement given to `statements_store`."""

    status: str
    statement: Statement | None = None  # as stored: the first copy for a duplicate


# Rows per INSERT, and ids or learners per `IN (...)` list: within every database's limits
# on the number of parameters of one query (SQLite's and PostgreSQL's), for a demo build.
WRITE_BATCH = 1000


def statements_store(
    statements: Sequence[Statement],
    *,
    steps_by_module: Mapping[str, int],
    association_lookup: "LearnerAssociation | None" = None,
) -> list[Stored]:
    """Store statements and bring progress up to date: the only writer of learning records.

    Every path goes through here: the module player (one step or a batch), H5P results,
    self-assessments, trainers' validations and the demo builder. `statements` are unsaved
    instances (`statement_build`), of one learner or many; `steps_by_module` gives the
    number of steps of each module they name. Returns one `Stored` per statement, in order.

    Idempotent: an id already stored, or given twice, adds nothing (a duplicate when it is
    the same learner and activity, else a conflict). The learners are locked in the order
    of their ids, so two calls never wait on each other in a circle. Once the transaction
    that holds the rows commits, `statements_stored` is sent once with what changed
    (lms/impact/signals.py retires the cached figures from it).

    `association_lookup`, for statements of one learner, reads the learner's association
    in the query that takes the lock and gives it to every statement.
    """
    if not statements:
        return []
    # On PostgreSQL, plain SQL of fixed text: 3 round trips a request where the ORM takes
    # 6, and the ORM version lost more than a quarter of the statement throughput
    # (figures in lms/learning/_writer_sql.py). Same rows either way (test_writer_sql.py).
    sql = connection.vendor == "postgresql"
    try:
        with transaction.atomic():
            results = _statements_store(statements, steps_by_module, association_lookup, sql=sql)
    except IntegrityError:
        # An id stored by another learner between our check and our insert (the learner
        # lock does not cover other learners): once more, that id is now seen as stored.
        with transaction.atomic():
            results = _statements_store(statements, steps_by_module, association_lookup, sql=sql)
    stored = [result.statement for result in results if result.status == StoreStatus.STORED]
    if stored:
        learner_ids = {statement.learner_id for statement in stored}
        association_ids = {statement.association_id for statement in stored}
        days = {timezone.localdate(statement.timestamp) for statement in stored}
        module_iris = {statement.module_iri for statement in stored} - {""}
        # After the commit: a figure computed meanwhile from the rows of before would
        # otherwise be cached again under the new generation, stale for hours.
        transaction.on_commit(
            lambda: statements_stored.send(
                sender=Statement,
                learner_ids=learner_ids,
                association_ids=association_ids,
                days=days,
                module_iris=module_iris,
            )
        )
    return results


def _statements_store(
    statements: Sequence[Statement],
    steps_by_module: Mapping[str, int],
    association_lookup: "LearnerAssociation | None",
    *,
    sql: bool,
) -> list[Stored]:
    """`statements_store`'s work, in the caller's transaction; `sql`: the PostgreSQL path."""
    first_of: dict[uuid.UUID, Statement] = {}
    for statement in statements:
        first_of.setdefault(statement.pk, statement)
    ids = list(first_of)
    learner_ids = sorted({statement.learner_id for statement in statements})
    if association_lookup is not None and len(learner_ids) != 1:
        raise ValueError("An association is looked up for the statements of one learner.")
    any_stored, association_id = _learners_lock(learner_ids, ids, association_lookup, sql=sql)
    if association_lookup is not None:
        for statement in statements:
            statement.association_id = association_id
    existing: dict[uuid.UUID, Statement] = {}
    if any_stored:
        for chunk in _chunks(ids):
            existing.update((row.pk, row) for row in Statement.objects.filter(pk__in=chunk))

    results: list[Stored] = []
    new: list[Statement] = []
    for statement in statements:
        first = existing.get(statement.pk) or first_of[statement.pk]
        if first is statement:
            new.append(statement)
            results.append(Stored(StoreStatus.STORED, statement))
        elif (first.learner_pseudonym, first.object_iri) == (
            statement.learner_pseudonym,
            statement.object_iri,
        ):
            results.append(Stored(StoreStatus.DUPLICATE, first))
        else:
            results.append(Stored(StoreStatus.CONFLICT))
    if not new:
        return results
    if sql:
        # One statement inserts them and reads (locked) the summary rows they touch.
        rows = _writer_sql.statements_insert(new)
    else:
        Statement.objects.bulk_create(new, batch_size=WRITE_BATCH)
        rows = None
    _progress_apply(new, steps_by_module=steps_by_module, rows=rows, sql=sql)
    return results


def _chunks(values: Sequence, size: int = WRITE_BATCH):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _learners_lock(
    learner_ids: list[int],
    ids: list[uuid.UUID],
    association_lookup: "LearnerAssociation | None",
    *,
    sql: bool = False,
) -> tuple[bool, int | None]:
    """One writer per learner at a time, until the end of the current transaction.

    Two requests for the same learner (a retry while the first still runs, two tabs, a
    trainer validating meanwhile) would otherwise both create the same progress row, or
    both count one step as newly done. NO KEY UPDATE still lets other rows that point at
    the learner be written; the rows are locked in the order of their ids.

    Returns whether any of `ids` may be stored already, and the learner's association
    when `association_lookup` is given. For one learner's few statements (a page's
    answers) both are read by the query that takes the lock: no round trip of their own.
    `sql`: that query is `_writer_sql`'s fixed text (PostgreSQL), not built by the ORM.
    """
    one_learner = len(learner_ids) == 1 and len(ids) <= WRITE_BATCH
    if sql and one_learner:
        card_id = association_lookup.card_id if association_lookup is not None else None
        return _writer_sql.learner_lock(
            learner_ids[0],
            ids,
            role=Role.LEARNER.value,
            card_id=int(card_id) if card_id else None,
            lookup=association_lookup is not None,
        )
    locked = (
        User.objects.select_for_update(no_key=connection.features.has_select_for_no_key_update)
        .filter(pk__in=learner_ids)
        .order_by("pk")
    )
    if not one_learner:
        for chunk in _chunks(learner_ids):
            list(locked.filter(pk__in=chunk).values_list("pk", flat=True))
        return True, None
    columns = {"stored": Exists(Statement.objects.filter(pk__in=ids))}
    if association_lookup is not None:
        memberships = Membership.objects.filter(
            user=OuterRef("pk"), role=Role.LEARNER, is_active=True
        )
        if association_lookup.card_id:
            memberships = memberships.filter(association_id=int(association_lookup.card_id))
        columns["association"] = Subquery(
            memberships.order_by("joined_on").values("association_id")[:1]
        )
    row = locked.values(**columns).first() or {}
    return bool(row.get("stored")), row.get("association")


def _progress_apply(
    statements: list[Statement],
    *,
    steps_by_module: Mapping[str, int],
    rows: tuple[dict, dict] | None = None,
    sql: bool = False,
) -> None:
    """Apply new statements to the summaries, in the order given, with bulk writes.

    The caller holds the learners' locks, and the statements are stored. `rows`, when
    given, are the summary rows they touch, read and locked already (by (learner, IRI),
    activities then modules, as `_progress_rows` reads them); `sql` writes them with
    `_writer_sql` (PostgreSQL only). A statement
    older than a summary row it touches cannot simply be added at the end (the first
    answer and the completion times depend on the order things happened in): that
    learner's module (or activity, outside modules) is folded again from the log, which
    now holds the new statements, as `progress_rebuild` would.
    """
    if not statements:
        return
    if rows is None:
        rows = (
            _progress_rows(ActivityProgress, statements, key="activity_iri", source="object_iri"),
            _progress_rows(ModuleProgress, statements, key="module_iri", source="module_iri"),
        )
    activities, modules = rows
    refold: set[tuple[int, str, str]] = set()  # (learner, module IRI, activity IRI or "")
    changed_activities: dict[tuple[int, str], ActivityProgress] = {}
    changed_modules: dict[tuple[int, str], ModuleProgress] = {}
    for statement in statements:
        learner_id, module_iri = statement.learner_id, statement.module_iri
        scope = (learner_id, module_iri, "" if module_iri else statement.object_iri)
        if scope in refold:
            continue
        activity_key = (learner_id, statement.object_iri)
        activity = activities.get(activity_key)
        module_progress = modules.get((learner_id, module_iri)) if module_iri else None
        if any(
            row is not None and statement.timestamp < row.updated_at
            for row in (activity, module_progress)
        ):
            refold.add(scope)
            continue
        statement_apply_to_rows(statement, activities, modules, steps_by_module=steps_by_module)
        changed_activities[activity_key] = activities[activity_key]
        if module_iri:
            changed_modules[(learner_id, module_iri)] = modules[(learner_id, module_iri)]

    for learner_id, module_iri, object_iri in sorted(refold):
        # What these rows hold now is replaced by the fold of the learner's whole log.
        log = Statement.objects.filter(learner_id=learner_id, module_iri=module_iri)
        if object_iri:
            log = log.filter(object_iri=object_iri)
        folded_activities, folded_modules = progress_fold(
            log.order_by("timestamp", "stored_at"), steps_by_module=steps_by_module
        )
        changed_activities.update(folded_activities)
        changed_modules.update(folded_modules)

    # One upsert a table: new rows are inserted, existing ones updated in place (matched
    # on learner and IRI, so a row keeps its id).
    if sql:  # both tables in one statement (PostgreSQL)
        _writer_sql.progress_upsert(changed_activities.values(), changed_modules.values())
        return
    for model, changed, key in (
        (ActivityProgress, changed_activities, "activity_iri"),
        (ModuleProgress, changed_modules, "module_iri"),
    ):
        for row in changed.values():
            row.pk = None  # matched on the unique fields, never on an id
        model.objects.bulk_create(
            changed.values(),
            batch_size=WRITE_BATCH,
            update_conflicts=True,
            unique_fields=["learner", key],
            update_fields=_upsert_fields(model, key),
        )


@functools.cache
def _upsert_fields(model, key: str) -> list[str]:
    """The fields an upsert of `model` rewrites: all but the id and the unique pair."""
    return [
        field.name
        for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in ("learner", key)
    ]


def _progress_rows(model, statements: list[Statement], *, key: str, source: str) -> dict:
    """The summary rows of `model` these statements touch, locked, by (learner, IRI)."""
    learner_ids = sorted({statement.learner_id for statement in statements})
    values = sorted({getattr(statement, source) for statement in statements} - {""})
    rows = {}
    if not values:
        return rows
    for learners in _chunks(learner_ids):
        for chunk in _chunks(values):
            for row in model.objects.select_for_update().filter(
                learner_id__in=learners, **{f"{key}__in": chunk}
            ):
                rows[(row.learner_id, getattr(row, key))] = row
    return rows


def statement_build(
    *,
    statement_id: uuid.UUID,
    learner: User,
    verb: str,
    object_iri: str,
    object_kind: str = "",
    module: "ModuleRef | None" = None,
    result: Result | None = None,
    is_self_reported: bool = False,
    association: Association | None = None,
    session_uuid: uuid.UUID | None = None,
    instructor: User | None = None,
    timestamp: datetime | None = None,
    timestamp_is_trusted: bool = False,
    now: datetime | None = None,
) -> Statement:
    """A statement to give to `statements_store`: unsaved, its time checked."""
    result = result or Result()
    now = now or timezone.now()
    return Statement(
        id=statement_id,
        learner=learner,
        learner_pseudonym=learner.pseudonym,
        verb=verb,
        object_iri=object_iri,
        object_kind=object_kind,
        # A page, or its outline (the same id and IRI) when the page was not loaded.
        module_id=module.pk if module else None,
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
