"""Keep cached impact figures true: any write to what they are computed from retires them.

Figures are cached per programme, associations and period (selectors.figures_live), under a
key holding a generation number per association and one for everything else. A write to a
statement, a session, an attendance or a membership bumps its association's number; a
write to a person or their profile or enrolment bumps the common one. The old entries are never read
again and expire on their own. Bulk writes (bulk_create, update) send no signal: the code
doing them calls `figures_invalidate()` (seed_demo, imports, progress rebuild, erasure).
"""

from django.db.models.signals import post_delete, post_save

from lms.accounts.models import LearnerProfile, Membership, User
from lms.learning.models import PathEnrollment, Statement
from lms.logbook.models import Attendance, TrainingSession

from .selectors import figures_invalidate


def _association_changed(sender, instance, **kwargs):
    figures_invalidate(association_id=instance.association_id)


def _attendance_changed(sender, instance, **kwargs):
    association_id = (
        TrainingSession.objects.filter(pk=instance.session_id)
        .values_list("association_id", flat=True)
        .first()
    )
    figures_invalidate(association_id=association_id)


def _anything_changed(sender, instance, **kwargs):
    figures_invalidate()


def connect() -> None:
    for model in (Statement, TrainingSession, Membership):
        post_save.connect(_association_changed, sender=model, dispatch_uid=f"impact-{model}")
        post_delete.connect(_association_changed, sender=model, dispatch_uid=f"impact-d-{model}")
    post_save.connect(_attendance_changed, sender=Attendance, dispatch_uid="impact-attendance")
    post_delete.connect(_attendance_changed, sender=Attendance, dispatch_uid="impact-d-attendance")
    for model in (LearnerProfile, PathEnrollment, User):
        post_save.connect(_anything_changed, sender=model, dispatch_uid=f"impact-{model}")
        post_delete.connect(_anything_changed, sender=model, dispatch_uid=f"impact-d-{model}")
