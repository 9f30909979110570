"""Retention: learners inactive for longer than LEARNER_RETENTION_DAYS, to be anonymised.

What counts as activity is declared by each app (`active_since` in lms/personal_data.py): a
statement, an attendance, a sign-in with the card.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from lms.accounts.access import STAFF_ROLES
from lms.accounts.models import Role, User
from lms.personal_data import personal_data_providers


def learners_inactive(*, days: int, now: datetime | None = None) -> QuerySet[User]:
    """Learners with no statement, attendance or sign-in for more than `days` days.

    Someone who works in an association or funds programmes is never listed: their
    account is not only a learner's. Already erased learners are not listed either.
    """
    since = (now or timezone.now()) - timedelta(days=days)
    learners = (
        User.objects.filter(memberships__role=Role.LEARNER, erased_at__isnull=True)
        .filter(date_joined__lt=since, is_staff=False, is_superuser=False)
        .filter(Q(last_login__isnull=True) | Q(last_login__lt=since))
        .exclude(memberships__role__in=STAFF_ROLES)
        .exclude(funders__isnull=False)
    )
    for provider in personal_data_providers():
        for active in provider.active_since(since):
            learners = learners.exclude(active)
    return learners.distinct().order_by("pk")


def retention_days() -> int:
    return int(getattr(settings, "LEARNER_RETENTION_DAYS", 1095))
