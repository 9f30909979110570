"""seed_demo: deterministic, idempotent, and careful with real installations."""

import datetime

import pytest
from django.core.management import CommandError, call_command

from lms.accounts.models import Membership, User
from lms.impact.demo import DEMO_ACCOUNTS, demo_build
from lms.learning.models import ActivityProgress, ModuleProgress, Statement
from lms.logbook.models import Attendance, TrainingSession

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 6, 15)


def snapshot():
    return {
        "users": list(User.objects.order_by("username").values_list("username", "pseudonym")),
        "memberships": Membership.objects.count(),
        "sessions": sorted(TrainingSession.objects.values_list("uuid", "held_on")),
        "attendances": Attendance.objects.count(),
        "statements": sorted(Statement.objects.values_list("id", "verb", "timestamp")),
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
