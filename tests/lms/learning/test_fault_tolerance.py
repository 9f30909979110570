"""Statements that arrive late, out of order, or with a wrong clock still give true progress."""

import datetime
import random
import uuid

import pytest
from django.utils import timezone

from lms.learning.models import ActivityProgress, ModuleProgress, Statement, Verb
from lms.learning.progress import progress_rebuild
from lms.learning.services import (
    MAX_PAST_AGE,
    Result,
    statement_record,
)
from tests.factories import AssociationFactory, learner_in

pytestmark = pytest.mark.django_db
MODULE_SLUG = "utiliser-un-ecran-tactile"  # every step can be done here (see conftest.py)


def _record(learner, module, step, *, at, verb=Verb.COMPLETED, trusted=False, **kwargs):
    return statement_record(
        statement_id=kwargs.pop("statement_id", uuid.uuid4()),
        learner=learner,
        verb=verb,
        object_iri=module.step_iri(step.id),
        object_kind=step.block_type,
        module=module,
        timestamp=at,
        timestamp_is_trusted=trusted,
        **kwargs,
    )


def _progress(learner):
    """A learner's summaries, without ids, so two learners can be compared."""
    activities = sorted(
        ActivityProgress.objects.filter(learner=learner).values_list(
            "activity_iri",
            "status",
            "attempts",
            "first_response",
            "first_success",
            "best_score_scaled",
            "is_validated_by_trainer",
            "completed_at",
            "updated_at",
        )
    )
    modules = list(
        ModuleProgress.objects.filter(learner=learner).values_list(
            "module_iri",
            "steps_completed",
            "steps_total",
            "last_activity_iri",
            "started_at",
            "completed_at",
            "updated_at",
        )
    )
    return activities, modules


def _history(module, start):
    """A learner's morning: every step in turn, the quiz wrong then right."""
    quiz = next(step for step in module.steps if step.block_type == "quiz")
    events = []
    minute = 0
    for step in module.steps:
        if step is quiz:
            for success, answer in ((False, 2), (True, 0)):
                minute += 1
                events.append(
                    (
                        step,
                        start + datetime.timedelta(minutes=minute),
                        {
                            "verb": Verb.ANSWERED,
                            "result": Result(
                                success=success,
                                score_scaled=float(success),
                                response={"answer": answer},
                            ),
                        },
                    )
                )
        else:
            minute += 1
            events.append((step, start + datetime.timedelta(minutes=minute), {}))
            if step.block_type == "checkpoint":  # done once the trainer validates it
                minute += 1
                events.append(
                    (step, start + datetime.timedelta(minutes=minute), {"verb": Verb.VALIDATED})
                )
    return events


def test_statements_arriving_in_any_order_give_the_same_progress(module):
    start = timezone.now() - datetime.timedelta(hours=2)
    events = _history(module, start)
    in_order = learner_in(AssociationFactory())
    shuffled = learner_in(AssociationFactory())
    for step, at, extra in events:
        _record(in_order, module, step, at=at, **extra)
    late_first = list(events)
    random.Random(3).shuffle(late_first)
    late_first.reverse()
    for step, at, extra in late_first:
        _record(shuffled, module, step, at=at, **extra)

    assert _progress(shuffled) == _progress(in_order)
    activities, [progress] = _progress(shuffled)
    quiz = next(row for row in activities if row[2] == 2)
    # The first answer is the one given first, not the one that arrived first.
    assert quiz[3] == {"answer": 2}
    assert quiz[4] is False
    assert progress[1] == progress[2] == len(module.steps)
    assert progress[5] == events[-1][1]


def test_a_validation_for_last_weeks_session_moves_the_completion_time_back(module):
    learner = learner_in(AssociationFactory())
    today = timezone.now() - datetime.timedelta(minutes=30)
    last_week = today - datetime.timedelta(days=7)
    checkpoint = module.steps[-1]
    for offset, step in enumerate(module.steps):
        _record(learner, module, step, at=today + datetime.timedelta(minutes=offset))
    # The trainer fills in last week's session now: what was seen then happened then.
    for offset, step in enumerate(module.steps):
        _record(
            learner,
            module,
            step,
            at=last_week + datetime.timedelta(minutes=offset),
            verb=Verb.VALIDATED,
            trusted=True,
            result=Result(success=True, completion=True),
        )

    progress = ModuleProgress.objects.get(learner=learner)
    assert progress.steps_completed == len(module.steps)
    assert progress.started_at == last_week
    assert progress.completed_at == last_week + datetime.timedelta(minutes=len(module.steps) - 1)
    assert progress.updated_at == today + datetime.timedelta(minutes=len(module.steps) - 1)
    row = ActivityProgress.objects.get(learner=learner, activity_iri=module.step_iri(checkpoint.id))
    assert row.is_validated_by_trainer

    live = _progress(learner)
    progress_rebuild(learner_ids=[learner.pk])
    assert _progress(learner) == live


def test_a_timestamp_from_a_clock_in_the_future_is_not_believed(module):
    learner = learner_in(AssociationFactory())
    before = timezone.now()
    statement, _created = _record(
        learner, module, module.steps[0], at=before + datetime.timedelta(days=3)
    )
    after = timezone.now()
    assert before <= statement.timestamp <= after
    progress = ModuleProgress.objects.get(learner=learner)
    assert progress.updated_at <= after
    # The next step, sent with the right time, is not taken for a late arrival.
    _record(learner, module, module.steps[1], at=timezone.now())
    progress.refresh_from_db()
    assert progress.steps_completed == 2
    assert progress.last_activity_iri == module.step_iri(module.steps[1].id)


def test_even_a_trusted_date_cannot_be_in_the_future(module):
    learner = learner_in(AssociationFactory())
    statement, _created = _record(
        learner,
        module,
        module.steps[0],
        at=timezone.now() + datetime.timedelta(days=30),
        verb=Verb.VALIDATED,
        trusted=True,
    )
    assert statement.timestamp <= timezone.now()


def test_a_timestamp_from_long_ago_is_brought_to_the_oldest_accepted(module):
    learner = learner_in(AssociationFactory())
    statement, _created = _record(
        learner, module, module.steps[0], at=timezone.now() - datetime.timedelta(days=4000)
    )
    oldest = timezone.now() - MAX_PAST_AGE
    assert abs(statement.timestamp - oldest) < datetime.timedelta(minutes=1)
    assert ActivityProgress.objects.get(learner=learner).completed_at == statement.timestamp


def test_a_retry_arriving_after_newer_statements_changes_nothing(module):
    learner = learner_in(AssociationFactory())
    now = timezone.now()
    first_id = uuid.uuid4()
    _record(
        learner,
        module,
        module.steps[0],
        at=now - datetime.timedelta(minutes=5),
        statement_id=first_id,
    )
    _record(learner, module, module.steps[1], at=now - datetime.timedelta(minutes=1))
    before = _progress(learner)
    again, created = _record(
        learner,
        module,
        module.steps[0],
        at=now - datetime.timedelta(minutes=5),
        statement_id=first_id,
    )
    assert (again.pk, created) == (first_id, False)
    assert Statement.objects.filter(learner=learner).count() == 2
    assert _progress(learner) == before
