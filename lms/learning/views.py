"""Learner screens."""

from django.shortcuts import render

from lms.accounts.access import role_required
from lms.accounts.models import Role

from .selectors import module_progress_for_learner


@role_required(Role.LEARNER)
def my_path(request):
    """Mon parcours: what the learner is doing, one big button to continue, what is done."""
    progress = list(module_progress_for_learner(request.user))
    in_progress = [row for row in progress if row.completed_at is None and row.module]
    done = [row for row in progress if row.completed_at is not None and row.module]
    return render(
        request,
        "learning/my_path.html",
        {
            "current": in_progress[0] if in_progress else None,
            "in_progress": in_progress,
            "done": done,
        },
    )
