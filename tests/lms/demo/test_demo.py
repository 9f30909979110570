"""seed_demo: deterministic, idempotent, and careful with real installations."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F, Q

from lms.accounts.models import Membership, User
from lms.demo import builder as demo_module
from lms.demo.builder import DEMO_ACCOUNTS, demo_build
from lms.learning.models import ActivityProgress, ModuleProgress, Statement, Verb
from lms.learning.progress import progress_rebuild
from lms.learning.submissions import h5p_result
from lms.logbook.models import Attendance, Group, TrainingSession

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 6, 15)


def snapshot():
    return {
        "users": list(User.objects.order_by("username").values_list("username", "pseudonym")),
        "memberships": Membership.objects.count(),
        "sessions": sorted(TrainingSession.objects.values_list("uuid", "held_on")),
        "attendances": Attendance.objects.count(),
        "statements": sorted(
            Statement.objects.values_list("id", "verb", "timestamp", "duration_seconds")
        ),
        "activity_progress": sorted(
            ActivityProgress.objects.values_list(
                "learner__username", "activity_iri", "status", "completed_at"
            )
        ),
        "module_progress": sorted(
            ModuleProgress.objects.values_list(
                "learner__username", "module_iri", "steps_completed", "completed_at"
            )
        ),
    }


@pytest.fixture
def demo(catalogue):
    demo_build(learners=30, today=TODAY)
    return snapshot()


def test_the_demo_has_every_documented_account_with_password_demo(demo, client):
    for account in DEMO_ACCOUNTS:
        assert client.login(username=account.username, password="demo"), account.username


def test_the_demo_has_months_of_sessions_and_progress(demo):
    assert len(demo["sessions"]) > 20
    months = {held_on.month for _uuid, held_on in demo["sessions"]}
    assert len(months) >= 5
    assert len(demo["statements"]) > 500
    assert any(row[3] is not None for row in demo["module_progress"])


def test_running_the_demo_twice_changes_nothing(demo):
    demo_build(learners=30, today=TODAY)
    assert snapshot() == demo


def test_the_demo_is_the_same_when_built_again_from_nothing(demo):
    Statement.objects.all().delete()
    TrainingSession.objects.all().delete()
    User.objects.all().delete()
    demo_build(learners=30, today=TODAY)
    assert snapshot() == demo


def test_seed_demo_refuses_to_run_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", learners=5)


def progress_rows():
    return (
        sorted(
            ActivityProgress.objects.values_list(
                "learner_id",
                "activity_iri",
                "module_iri",
                "status",
                "attempts",
                "first_success",
                "best_score_scaled",
                "is_validated_by_trainer",
                "completed_at",
                "updated_at",
            )
        ),
        sorted(
            ModuleProgress.objects.values_list(
                "learner_id",
                "module_iri",
                "module_id",
                "steps_completed",
                "steps_total",
                "last_activity_iri",
                "started_at",
                "completed_at",
            )
        ),
    )


def test_the_progress_written_is_what_a_rebuild_from_the_statements_gives(demo):
    written = progress_rows()
    assert written[0] and written[1]
    progress_rebuild()
    assert progress_rows() == written


def test_the_demo_does_not_depend_on_how_many_groups_are_built_at_once(demo, monkeypatch):
    Statement.objects.all().delete()
    TrainingSession.objects.all().delete()
    User.objects.all().delete()
    Group.objects.all().delete()
    monkeypatch.setattr(demo_module, "GROUPS_PER_CHUNK", 1)
    demo_build(learners=30, today=TODAY)
    assert snapshot() == demo


def test_learners_answer_the_outcome_question_at_the_start_and_end_of_a_module(demo):
    answers = Statement.objects.filter(verb=Verb.ASSESSED)
    assert answers.exists()
    levels = ["not_yet", "with_help", "alone"]
    by_module = {}
    for answer in answers:
        assert answer.object_kind == "module"
        assert answer.object_iri == answer.module_iri
        assert answer.is_self_reported
        assert answer.response["level"] in levels
        key = (answer.learner_id, answer.module_iri, answer.response["phase"])
        assert key not in by_module, "one answer per phase and module"
        by_module[key] = answer
    completed = ModuleProgress.objects.exclude(completed_at=None)
    assert completed.exists()
    for progress in completed:
        start = by_module[(progress.learner_id, progress.module_iri, "start")]
        end = by_module[(progress.learner_id, progress.module_iri, "end")]
        assert start.timestamp <= progress.started_at < end.timestamp
        # Nobody says they went backwards.
        assert levels.index(end.response["level"]) >= levels.index(start.response["level"])
    # The end question comes after the last step: every step is done, or (a "show your
    # trainer" step no trainer validated yet) waits for the trainer.
    steps = {}
    for learner_id, module_iri, status in ActivityProgress.objects.exclude(
        activity_iri=F("module_iri")
    ).values_list("learner_id", "module_iri", "status"):
        steps.setdefault((learner_id, module_iri), []).append(status)
    for (learner_id, module_iri, phase), _answer in by_module.items():
        if phase == "end":
            progress = ModuleProgress.objects.get(learner_id=learner_id, module_iri=module_iri)
            statuses = steps[(learner_id, module_iri)]
            assert set(statuses) <= {"completed", "awaiting_trainer"}
            assert len(statuses) == progress.steps_total
            assert (progress.completed_at is not None) == ("awaiting_trainer" not in statuses)


def test_h5p_answers_have_the_shape_the_player_records(demo):
    answers = Statement.objects.filter(object_kind="h5p")
    assert answers.exists()
    for answer in answers:
        verb, result = h5p_result(
            {
                "verb": answer.verb,
                "raw": answer.score_raw,
                "min": answer.score_min,
                "max": answer.score_max,
                "scaled": answer.score_scaled,
                "success": str(answer.success).lower(),
            }
        )
        assert verb == answer.verb == Verb.ANSWERED
        assert answer.is_self_reported
        assert answer.completion is result.completion
        assert answer.score_scaled == round(answer.score_raw / answer.score_max, 2)
    done = ActivityProgress.objects.filter(activity_iri__in=answers.values("object_iri"))
    assert done.exists() and all(row.status == "completed" for row in done)


def test_steps_take_plausible_times_as_the_player_measures_them(demo):
    """Each step a learner does in the player carries its seconds: 20 s to 3 minutes,
    most of them short; trying again after feedback takes 10 s to a minute. The outcome
    question and a trainer's validation are not timed by the player: they carry none."""
    steps = Statement.objects.filter(verb__in=[Verb.ANSWERED, Verb.COMPLETED])
    seconds = sorted(steps.values_list("duration_seconds", flat=True))
    assert len(seconds) > 500 and None not in seconds
    assert seconds[0] >= 10 and seconds[-1] <= 180
    first_tries = sorted(
        steps.filter(Q(success=None) | Q(score_scaled__lt=1))
        .exclude(object_kind="h5p")
        .values_list("duration_seconds", flat=True)
    )
    assert first_tries[0] >= 20
    median, mean = seconds[len(seconds) // 2], sum(seconds) / len(seconds)
    assert 30 < median < mean < 100  # skewed: a long tail of slower steps
    untimed = Statement.objects.filter(verb__in=[Verb.ASSESSED, Verb.VALIDATED])
    assert untimed.exists()
    assert not untimed.filter(duration_seconds__isnull=False).exists()


def test_what_a_learner_did_in_a_session_they_attended(demo):
    attended = set(Attendance.objects.values_list("session__uuid", "learner_id"))
    in_session = Statement.objects.exclude(session_uuid=None)
    assert in_session.exists()
    for session_uuid, learner_id in in_session.values_list("session_uuid", "learner_id"):
        assert (session_uuid, learner_id) in attended
    # Some work is done at home, between sessions: online learning time.
    assert Statement.objects.filter(session_uuid=None).exists()


def test_the_demo_accounts_stay_as_documented(demo):
    amina = User.objects.get(username="apprenant")
    group = Group.objects.get(association__slug="les-tilleuls", name="Groupe lundi 1")
    assert group.learners.filter(pk=amina.pk).exists()
    assert Statement.objects.filter(learner=amina).exists()
    assert not User.objects.get(username="demo-000001").has_usable_password()
