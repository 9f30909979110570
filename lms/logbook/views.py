"""Trainer and coordinator screens."""

from django.shortcuts import render

from lms.accounts.access import (
    STAFF_ROLES,
    associations_for_staff,
    learners_for_trainer,
    role_required,
)

from .selectors import groups_for_trainer, recent_sessions


@role_required(*STAFF_ROLES)
def workspace(request):
    """The trainer's home: their associations, groups and latest sessions."""
    associations = list(associations_for_staff(request.user))
    return render(
        request,
        "logbook/workspace.html",
        {
            "associations": associations,
            "groups": groups_for_trainer(request.user, associations),
            "sessions": recent_sessions(associations),
            "learner_count": learners_for_trainer(request.user).count(),
        },
    )
