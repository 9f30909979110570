"""Keep cached impact figures true: any write to what they are computed from retires them.

Figures are cached per programme, associations and period (selectors.figures_live), under a
key holding a generation number per association and one for everything else. A write to a
statement, a session, an attendance or a membership bumps its association's number; a
write to a person or their profile or enrolment bumps the common one. The old entries are never read
again and expire on their own. Statements come in through one writer only
(`lms.learning.services.statements_store`), which sends `statements_stored` once per call
after its commit. Other bulk writes (bulk_create, update) send no signal: the code doing
them calls `figures_invalidate()` (seed_demo, imports, progress rebuild, erasure).
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from wagtail.signals import page_published

from courses.models import LearningPathPage, ModulePage, activity_iri
from lms.accounts.models import LearnerProfile, Membership, User
from lms.learning.models import PathEnrollment, Statement
from lms.learning.signals import statements_stored
from lms.logbook.models import Attendance, TrainingSession
from lms.logbook.signals import learners_merged

from .models import PathCompletion
from .rollups import attendees_mark_stale, learners_mark_stale
from .selectors import figures_invalidate


def _association_changed(sender, instance, **kwargs):
    figures_invalidate(association_id=instance.association_id)


def _statements_stored(sender, association_ids, **kwargs):
    # Every programme holding one of these associations has its figures retired with it
    # (the key holds each association's number). A statement without an association may
    # count anywhere: every figure is retired.
    for association_id in association_ids:
        figures_invalidate(association_id=association_id)


def _attendance_changed(sender, instance, **kwargs):
    association_id = (
        TrainingSession.objects.filter(pk=instance.session_id)
        .values_list("association_id", flat=True)
        .first()
    )
    figures_invalidate(association_id=association_id)


def _anything_changed(sender, instance, **kwargs):
    figures_invalidate()


# --- Rollups (lms/impact/rollups.py): mark the learners whose rows must be rebuilt ----------


def _attendance_rollups(sender, instance, **kwargs):
    learners_mark_stale(
        User.objects.filter(pk=instance.learner_id).values_list("pseudonym", flat=True)
    )


def _session_rollups(sender, instance, **kwargs):
    # Attendances are often written in bulk right after the session (no signal): look at
    # who attended once the transaction holding both is committed.
    session_id = instance.pk
    transaction.on_commit(lambda: attendees_mark_stale([session_id]))


def _user_rollups(sender, instance, **kwargs):
    learners_mark_stale([instance.pseudonym])


def _merge_rollups(sender, keep, duplicate, **kwargs):
    learners_mark_stale([keep.pseudonym, duplicate.pseudonym])
    figures_invalidate()


def _module_rollups(sender, instance, **kwargs):
    # A module's competences (DigComp areas) or a path's modules may have changed.
    from lms.learning.models import ModuleProgress, Statement, Verb

    page = instance.specific
    if isinstance(page, LearningPathPage):
        iris = [item.module.iri for item in page.path_modules.select_related("module")]
        learners_mark_stale(
            ModuleProgress.objects.filter(module_iri__in=iris, completed_at__isnull=False)
            .values_list("learner__pseudonym", flat=True)
            .order_by()
            .distinct()
        )
        learners_mark_stale(
            PathCompletion.objects.filter(path_id=page.pk).values_list("pseudonym", flat=True)
        )
        figures_invalidate()
    if isinstance(page, ModulePage):
        iri = activity_iri("modules", instance.translation_key)
        learners_mark_stale(
            Statement.objects.filter(verb=Verb.VALIDATED, module_iri=iri)
            .values_list("learner_pseudonym", flat=True)
            .order_by()
            .distinct()
        )
        figures_invalidate()


def connect() -> None:
    statements_stored.connect(_statements_stored, dispatch_uid="impact-statements")
    # Statements are only deleted outside the writer (erasure, a merge's tidying).
    post_delete.connect(_association_changed, sender=Statement, dispatch_uid="impact-d-statement")
    for model in (TrainingSession, Membership):
        post_save.connect(_association_changed, sender=model, dispatch_uid=f"impact-{model}")
        post_delete.connect(_association_changed, sender=model, dispatch_uid=f"impact-d-{model}")
    post_save.connect(_attendance_changed, sender=Attendance, dispatch_uid="impact-attendance")
    post_delete.connect(_attendance_changed, sender=Attendance, dispatch_uid="impact-d-attendance")
    for model in (LearnerProfile, PathEnrollment, User):
        post_save.connect(_anything_changed, sender=model, dispatch_uid=f"impact-{model}")
        post_delete.connect(_anything_changed, sender=model, dispatch_uid=f"impact-d-{model}")
    post_save.connect(_attendance_rollups, sender=Attendance, dispatch_uid="rollups-attendance")
    post_delete.connect(_attendance_rollups, sender=Attendance, dispatch_uid="rollups-d-attendance")
    post_save.connect(_session_rollups, sender=TrainingSession, dispatch_uid="rollups-session")
    post_delete.connect(_user_rollups, sender=User, dispatch_uid="rollups-d-user")
    learners_merged.connect(_merge_rollups, dispatch_uid="rollups-merge")
    page_published.connect(_module_rollups, dispatch_uid="rollups-module")
