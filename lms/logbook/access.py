"""Who may see which groups and training sessions: the logbook's part of the access funnel.

Built on lms/accounts/access.py (associations where the person works); views fetch groups
and sessions only through these functions.
"""

from lms.accounts.access import associations_for_staff, one_or_denied
from lms.accounts.models import User

from .models import Group, TrainingSession


def groups_for_staff(user: User):
    return Group.objects.filter(association__in=associations_for_staff(user))


def group_get_for_trainer(user: User, group_id: int) -> Group:
    return one_or_denied(
        groups_for_staff(user).select_related("association", "learning_path"), group_id
    )


def session_get_for_trainer(user: User, session_id: int) -> TrainingSession:
    return one_or_denied(
        TrainingSession.objects.filter(association__in=associations_for_staff(user)).select_related(
            "association", "group"
        ),
        session_id,
    )
