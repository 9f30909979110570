"""Reads shared by learner views: progress with the pages it points at."""

from django.db.models import QuerySet

from lms.accounts.models import User

from .models import ModuleProgress


def module_progress_for_learner(learner: User) -> QuerySet[ModuleProgress]:
    """The learner's modules, most recently used first, with their pages and pictures."""
    return (
        ModuleProgress.objects.filter(learner=learner)
        .select_related("module", "module__picture")
        .order_by("-updated_at")
    )
