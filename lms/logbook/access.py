"""Who may see which groups and training sessions: the logbook's part of the access funnel.

Built on lms/accounts/access.py (associations where the person works); views fetch groups
and sessions only through these functions.
"""

from django.core.exceptions import PermissionDenied

from lms.accounts.access import associations_for_staff
from lms.accounts.models import User

from .models import Group, TrainingSession


def groups_for_staff(user: User):
    return Group.objects.filter(association__in=associations_for_staff(user))


def group_get_for_trainer(user: User, group_id: int):
    try:
        return (
            groups_for_staff(user).select_related("association", "learning_path").get(pk=group_id)
        )
    except Group.DoesNotExist as missing:
        raise PermissionDenied from missing


def session_get_for_trainer(user: User, session_id: int):
    try:
        return (
            TrainingSession.objects.filter(association__in=associations_for_staff(user))
            .select_related("association", "group")
            .get(pk=session_id)
        )
    except TrainingSession.DoesNotExist as missing:
        raise PermissionDenied from missing
