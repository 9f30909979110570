"""Recording statements: append-only, idempotent, progress kept in step and rebuildable."""

import datetime
import uuid

import pytest
from django.utils import timezone

from lms.learning.models import ActivityProgress, ModuleProgress, Statement, Verb
from lms.learning.progress import progress_rebuild
from lms.learning.services import (
    Result,
    StatementConflict,
    statement_record,
    timestamp_clamp,
)
from tests.factories import AssociationFactory, learner_in

pytestmark = pytest.mark.django_db
MODULE_SLUG = "utiliser-un-ecran-tactile"  # every step can be done here (see conftest.py)


@pytest.fixture
def learner():
    return learner_in(AssociationFactory())


def record(learner, module, step, verb=Verb.COMPLETED, **kwargs):
    kwargs.setdefault("statement_id", uuid.uuid4())
    return statement_record(
        learner=learner,
        verb=verb,
        object_iri=module.step_iri(step.id),
        object_kind=step.block_type,
        module=module,
        **kwargs,
    )


def test_second_identical_statement_is_stored_once(learner, module):
    statement_id = uuid.uuid4()
    first, created = record(learner, module, module.steps[0], statement_id=statement_id)
    again, created_again = record(learner, module, module.steps[0], statement_id=statement_id)
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert Statement.objects.count() == 1
    assert ModuleProgress.objects.get().steps_completed == 1


def test_a_statement_id_reused_for_another_learner_is_refused(learner, module):
    statement_id = uuid.uuid4()
    record(learner, module, module.steps[0], statement_id=statement_id)
    with pytest.raises(StatementConflict):
        record(learner_in(AssociationFactory()), module, module.steps[0], statement_id=statement_id)


def test_a_quiz_keeps_the_first_answer_and_completes_on_the_right_one(learner, module):
    quiz = next(step for step in module.steps if step.block_type == "quiz")
    record(
        learner,
        module,
        quiz,
        Verb.ANSWERED,
        result=Result(success=False, score_scaled=0, response=2),
    )
    record(
        learner,
        module,
        quiz,
        Verb.ANSWERED,
        result=Result(success=True, score_scaled=1, response=0),
    )
    progress = ActivityProgress.objects.get()
    assert progress.first_response == 2
    assert progress.first_success is False
    assert progress.best_score_scaled == 1
    assert progress.attempts == 2
    assert progress.status == "completed"


def test_a_module_is_done_when_every_step_is_done_and_the_time_is_set_once(learner, module):
    for step in module.steps:
        # A checkpoint is done by the trainer's validation, not by the learner's "Next".
        record(
            learner,
            module,
            step,
            Verb.VALIDATED if step.block_type == "checkpoint" else Verb.COMPLETED,
        )
    progress = ModuleProgress.objects.get()
    assert progress.steps_completed == len(module.steps)
    done_at = progress.completed_at
    assert done_at is not None
    record(learner, module, module.steps[0])
    progress.refresh_from_db()
    assert progress.completed_at == done_at
    assert progress.steps_completed == len(module.steps)


def test_rebuilding_progress_from_statements_gives_the_same_rows(learner, module):
    quiz = next(step for step in module.steps if step.block_type == "quiz")
    record(learner, module, module.steps[0])
    record(learner, module, quiz, Verb.ANSWERED, result=Result(success=False, score_scaled=0))
    record(learner, module, quiz, Verb.ANSWERED, result=Result(success=True, score_scaled=1))

    def rows():
        return (
            sorted(
                ActivityProgress.objects.values_list(
                    "activity_iri", "status", "attempts", "best_score_scaled", "completed_at"
                )
            ),
            list(
                ModuleProgress.objects.values_list(
                    "module_iri",
                    "steps_completed",
                    "steps_total",
                    "completed_at",
                    "last_activity_iri",
                )
            ),
        )

    before = rows()
    assert progress_rebuild() == 3
    assert rows() == before


def test_timestamps_from_a_wrong_clock_are_clamped():
    now = timezone.now()
    assert timestamp_clamp(now + datetime.timedelta(days=2), now=now) == now
    assert timestamp_clamp(now - datetime.timedelta(days=400), now=now) == now - datetime.timedelta(
        days=30
    )
    an_hour_ago = now - datetime.timedelta(hours=1)
    assert timestamp_clamp(an_hour_ago, now=now) == an_hour_ago


def test_the_rebuild_command_recomputes_progress_after_it_was_lost(learner, module):
    from django.core.management import call_command

    for step in module.steps:
        record(learner, module, step)
        if step.block_type == "checkpoint":
            record(learner, module, step, Verb.VALIDATED)
    ModuleProgress.objects.all().delete()
    ActivityProgress.objects.all().delete()
    call_command("rebuild_progress", verbosity=0)
    progress = ModuleProgress.objects.get(learner=learner)
    assert progress.steps_completed == len(module.steps)
    assert progress.completed_at is not None
