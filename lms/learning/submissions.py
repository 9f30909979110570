"""Steps of a module as the learner submits them: one at a time from the player's form, or
many at once from a page's queue (the same grading, one request).

What arrives is parsed and checked here (`step_submission_parse`), graded on the server where
the step has a right answer (quizzes, pretend forms; H5P reports its own score), and recorded
through lms/learning/services.py (`statement_record`, `statements_store`), the one writer of
learning records and of the progress that follows from them.
"""

import dataclasses
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import ModulePage
from lms.accounts.models import Association, User

from .grading import (
    Outcome,
    practice_eid_check,
    practice_form_check,
    practice_inbox_check,
    practice_itsme_check,
    practice_login_check,
    quiz_grade,
)
from .models import Statement, Verb
from .services import (
    LearnerAssociation,
    Result,
    StoreStatus,
    statement_build,
    statement_record,
    statements_store,
)

# --- Steps of a module, as the learner submits them --------------------------------------


# The longest time one statement may say the learner spent on a step. The page's script
# counts only the time the step is on screen, in front, without a pause of more than
# 5 minutes, and never sends more than this: a longer one is not a measurement.
MAX_STEP_SECONDS = 3 * 60 * 60


class StepSubmissionInvalid(ValueError):
    """A submission that says something impossible; `message` is for the learner."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class StepSubmission:
    """What the learner sent for one step (from a plain form or from the page's script)."""

    statement_id: uuid.UUID
    answer: int | None = None
    typed: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    h5p: dict | None = None  # what the H5P frame reported, as sent by the page
    # The pretend sign-in steps: the way of logging in picked on the pretend login page,
    # "confirm" or "refuse" on the pretend itsme request, the pretend card put in the
    # reader, and the pretend code typed (graded by its shape, never stored).
    method: str = ""
    decision: str = ""
    card_inserted: bool = False
    code: str = ""
    timestamp: datetime | None = None
    # Seconds the step was on screen, in front and in use before this was sent (measured
    # by static/js/player.js); None when nothing measured it (a plain form, no script).
    duration_seconds: int | None = None


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
    """What a step's form fields say (a plain form, or one statement of a batch).

    Raises StepSubmissionInvalid when the time spent on the step is not a whole number of
    seconds from 0 to MAX_STEP_SECONDS: that is no measurement, and storing it would make
    the funders' hours up.
    """
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
        method=fields.get("method", "")[:10],
        decision=fields.get("decision", "")[:10],
        card_inserted=fields.get("card") == "inserted",
        code=fields.get("code", "")[:20],
        timestamp=timestamp,
        duration_seconds=_duration_parse(fields.get("duration_seconds")),
    )


def _duration_parse(value: str | None) -> int | None:
    """The seconds sent with a step, checked; None when none were sent."""
    if value is None or value == "":
        return None
    # ASCII digits only, as for the answer: no sign, no decimals, no "1e9", no "²".
    if not (value.isascii() and value.isdigit() and len(value) <= 6):
        raise StepSubmissionInvalid(_("The time spent on this step could not be read."))
    seconds = int(value)
    if seconds > MAX_STEP_SECONDS:
        raise StepSubmissionInvalid(
            _("The time spent on this step is too long: at most %(hours)s hours.")
            % {"hours": MAX_STEP_SECONDS // 3600}
        )
    return seconds


# What grading reads of each kind of graded step: the list in the block's value, and the
# fields of each item that the functions of grading.py look at. Nothing else of a step
# (texts, pictures, H5P packages) is needed to grade it or to record its statement.
GRADING_FIELDS = {
    "quiz": ("answers", ("is_correct",)),
    "practice_form": ("fields", ("required", "expected")),
    "practice_inbox": ("messages", ("is_scam",)),
}
# The graded kinds whose grading reads plain fields of the value, not a list.
GRADING_VALUE_FIELDS = {
    "practice_itsme": ("started_by_learner",),
    "practice_eid": (),
    "practice_login": ("right_method",),
}
ANSWERED_KINDS = set(GRADING_FIELDS) | set(GRADING_VALUE_FIELDS)


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
    elif kind in GRADING_VALUE_FIELDS:
        value = module.steps[index].value
        grading = {name: value[name] for name in GRADING_VALUE_FIELDS[kind]}
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
        return _Graded(verb, step.iri, "h5p", _timed(result, submission), True, None)
    outcome = None
    if step.kind == "quiz":
        outcome = quiz_grade(step.grading, submission.answer)
    elif step.kind == "practice_form":
        outcome = practice_form_check(step.grading, list(submission.typed))
    elif step.kind == "practice_inbox":
        outcome = practice_inbox_check(step.grading, list(submission.choices))
    elif step.kind == "practice_itsme":
        outcome = practice_itsme_check(step.grading, submission.decision, submission.code)
    elif step.kind == "practice_eid":
        outcome = practice_eid_check(
            step.grading, submission.method, submission.card_inserted, submission.code
        )
    elif step.kind == "practice_login":
        outcome = practice_login_check(step.grading, submission.method)
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
        _timed(result, submission),
        False,
        outcome,
    )


def _timed(result: Result | None, submission: StepSubmission) -> Result | None:
    """The result with the time the learner spent on the step, when it was measured."""
    if submission.duration_seconds is None:
        return result
    return dataclasses.replace(result or Result(), duration_seconds=submission.duration_seconds)


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


def steps_submit(
    *,
    learner: User,
    items: Sequence[StepItem],
    association: Association | LearnerAssociation | None = None,
) -> list[SubmitResult]:
    """Grade steps on the server and record them with `statements_store`, in one transaction.

    One result per item, in order. Each item is graded as `step_submit` would, and
    progress ends up as if the items had been sent one by one in this order. Idempotent
    like `statements_store`: an id already stored (or twice in the batch) stores nothing
    and is a duplicate, or a conflict when that id names another learner's or another
    step's statement. A `LearnerAssociation` is read by the query that locks the learner.
    """
    now = timezone.now()
    results: list[SubmitResult | None] = [None] * len(items)
    graded_items: list[tuple[int, Statement, Outcome | None]] = []
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
        steps_by_module.setdefault(module.iri, len(module.steps))
        statement = statement_build(
            statement_id=item.submission.statement_id,
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
        )
        graded_items.append((index, statement, graded.outcome))
    if not graded_items:
        return results
    stored = statements_store(
        [statement for _index, statement, _outcome in graded_items],
        steps_by_module=steps_by_module,
        association_lookup=association if isinstance(association, LearnerAssociation) else None,
    )
    for (index, _statement, outcome), result in zip(graded_items, stored, strict=True):
        results[index] = (
            SubmitResult(SubmitStatus.CONFLICT)
            if result.status == StoreStatus.CONFLICT
            else SubmitResult(SubmitStatus(result.status), result.statement, outcome)
        )
    return results
