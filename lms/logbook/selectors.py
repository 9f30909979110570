"""Reads shared by trainer views."""

from django.db.models import Count, QuerySet

from lms.accounts.models import User

from .models import Group, TrainingSession


def groups_for_trainer(user: User, associations) -> QuerySet[Group]:
    return (
        Group.objects.filter(association__in=associations, is_active=True)
        .select_related("association", "learning_path")
        .annotate(learner_count=Count("learners", distinct=True))
        .order_by("association__name", "name")
    )


def recent_sessions(associations, *, limit: int = 10) -> QuerySet[TrainingSession]:
    return (
        TrainingSession.objects.filter(association__in=associations)
        .select_related("group", "association")
        .annotate(attendance_count=Count("attendances", distinct=True))
        .order_by("-held_on", "-starts_at")[:limit]
    )
