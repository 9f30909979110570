"""Rows the indicators are computed from: plain `.values()` rows, no personal data."""

from datetime import date

from lms.accounts.models import Role
from lms.learning.models import ModuleProgress, Statement
from lms.logbook.models import Attendance, TrainingSession

from .models import Programme


def session_rows(programme: Programme, start: date, end: date) -> list[dict]:
    return list(
        TrainingSession.objects.filter(
            association__in=programme.associations.all(), held_on__range=(start, end)
        ).values("id", "association_id", "held_on", "starts_at", "ends_at")
    )


def attendance_rows(programme: Programme, start: date, end: date) -> list[dict]:
    return list(
        Attendance.objects.filter(
            session__association__in=programme.associations.all(),
            session__held_on__range=(start, end),
        ).values("session_id", "learner__pseudonym")
    )


def statement_learner_rows(programme: Programme, start: date, end: date) -> list[dict]:
    return list(
        Statement.objects.filter(
            association__in=programme.associations.all(),
            timestamp__date__range=(start, end),
        )
        .values("learner_pseudonym")
        .distinct()
    )


def module_completion_rows(programme: Programme, start: date, end: date) -> list[dict]:
    return list(
        ModuleProgress.objects.filter(
            learner__memberships__association__in=programme.associations.all(),
            learner__memberships__role=Role.LEARNER,
            completed_at__date__range=(start, end),
        )
        .values("learner__pseudonym", "module_iri")
        .distinct()
    )
