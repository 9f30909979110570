"""The reference rows: one anonymous `.values()` row per record the figures count.

`impact_rows` reads every session, attendance, statement and completion of a scope and
period, for `reference_indicators.compute`. The application does not read them (it counts
over rollups: `lms.impact.selectors.rollup_rows`); the tests compare the two.
It runs a fixed number of queries whatever the number of learners.
"""

from datetime import date

from django.db.models import Min, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from lms.accounts.models import LearnerProfile, Membership, Role, User
from lms.impact.catalogue import module_area_rows, path_module_rows
from lms.impact.selectors import day_bounds, modules_awaiting_trainer
from lms.learning.models import ModuleProgress, PathEnrollment, Statement, Verb
from lms.logbook.models import Attendance, TrainingSession


def impact_rows(*, association_ids: list[int], start: date, end: date) -> dict[str, list[dict]]:
    """Every row `reference_indicators.compute` needs, for these associations and this period."""
    sessions = TrainingSession.objects.filter(
        association_id__in=association_ids, held_on__range=(start, end)
    )
    since, until = day_bounds(start, end)
    # Aware bounds rather than __date lookups, so the (association, timestamp) index is used.
    statements = Statement.objects.filter(
        association_id__in=association_ids, timestamp__gte=since, timestamp__lt=until
    )
    learner_ids = Membership.objects.filter(
        association_id__in=association_ids, role=Role.LEARNER
    ).values("user_id")
    # Min over the raw timestamp, turned into a local date here: no per-row date cast.
    statement_first = (
        Statement.objects.filter(association_id__in=association_ids, timestamp__lt=until)
        .values("learner_pseudonym")
        .annotate(first_at=Min("timestamp"))
        .values("learner_pseudonym", "first_at")
    )
    attendance_first = (
        Attendance.objects.filter(
            session__association_id__in=association_ids, session__held_on__lte=end
        )
        .values("learner__pseudonym")
        .annotate(first_on=Min("session__held_on"))
        .values("learner__pseudonym", "first_on")
    )
    enrollments = PathEnrollment.objects.filter(learner_id__in=learner_ids)
    return {
        "sessions": list(
            sessions.values("id", "association_id", "held_on", "starts_at", "ends_at")
        ),
        "attendances": [
            {
                "session_id": row["session_id"],
                "held_on": row["session__held_on"],
                "association_id": row["session__association_id"],
                "pseudonym": row["learner__pseudonym"],
            }
            for row in Attendance.objects.filter(session__in=sessions).values(
                "session_id", "session__held_on", "session__association_id", "learner__pseudonym"
            )
        ],
        "statement_days": [
            {
                "pseudonym": row["learner_pseudonym"],
                "association_id": row["association_id"],
                "day": row["day"],
            }
            for row in statements.annotate(day=TruncDate("timestamp"))
            .values("learner_pseudonym", "association_id", "day")
            .distinct()
        ],
        "first_seen": [
            {
                "pseudonym": row["learner_pseudonym"],
                "first_on": timezone.localdate(row["first_at"]),
            }
            for row in statement_first
        ]
        + [
            {"pseudonym": row["learner__pseudonym"], "first_on": row["first_on"]}
            for row in attendance_first
        ],
        "validations": [
            {
                "pseudonym": row["learner_pseudonym"],
                "module_iri": row["module_iri"],
                "response": row["response"],
                "day": timezone.localdate(row["timestamp"]),
            }
            for row in statements.filter(verb=Verb.VALIDATED, is_self_reported=False).values(
                "learner_pseudonym", "module_iri", "response", "timestamp"
            )
        ],
        "completions": [
            {
                "pseudonym": row["learner__pseudonym"],
                "module_iri": row["module_iri"],
                "completed_on": row["day"],
            }
            for row in ModuleProgress.objects.filter(
                learner_id__in=learner_ids, completed_at__gte=since, completed_at__lt=until
            )
            .annotate(day=TruncDate("completed_at"))
            .values("learner__pseudonym", "module_iri", "day")
        ],
        "awaiting_trainer": [
            {"pseudonym": row["learner__pseudonym"], "module_iri": row["module_iri"]}
            for row in modules_awaiting_trainer(learner_ids, since, until).values(
                "learner__pseudonym", "module_iri"
            )
        ],
        # Every trainer validation of these learners, wherever and whenever, in the order
        # recorded: whether a module completed was validated by the end of the period, and
        # the help the trainer recorded last.
        "module_validations": [
            {
                "pseudonym": row["learner_pseudonym"],
                "module_iri": row["module_iri"],
                "response": row["response"],
                "day": timezone.localdate(row["timestamp"]),
            }
            for row in Statement.objects.filter(
                verb=Verb.VALIDATED,
                is_self_reported=False,
                association_id__isnull=False,
                learner_pseudonym__in=User.objects.filter(pk__in=learner_ids).values("pseudonym"),
            )
            .order_by("timestamp", "stored_at", "id")
            .values("learner_pseudonym", "module_iri", "response", "timestamp")
        ],
        "profiles": [
            {
                "pseudonym": row["user__pseudonym"],
                "year_of_birth": row["year_of_birth"],
                "gender": row["gender"],
                "postcode": row["postcode"],
                "first_language": row["first_language"],
                "situations": row["situations"],
            }
            for row in LearnerProfile.objects.filter(user_id__in=learner_ids).values(
                "user__pseudonym",
                "year_of_birth",
                "gender",
                "postcode",
                "first_language",
                "situations",
            )
        ],
        "module_areas": module_area_rows(),
        # Summed per learner in the database: one row per learner, not per statement.
        "online_time": [
            {"pseudonym": row["learner_pseudonym"], "seconds": row["seconds"]}
            for row in statements.filter(duration_seconds__isnull=False)
            .values("learner_pseudonym")
            .annotate(seconds=Sum("duration_seconds"))
            .values("learner_pseudonym", "seconds")
        ],
        # Every answer of the learners who answered here: a pair may start elsewhere.
        "self_assessments": [
            {
                "pseudonym": row["learner_pseudonym"],
                "module_iri": row["module_iri"],
                "response": row["response"],
                "timestamp": row["timestamp"],
                "association_id": row["association_id"],
            }
            for row in Statement.objects.filter(
                verb=Verb.ASSESSED,
                association_id__isnull=False,
                learner_pseudonym__in=Statement.objects.filter(
                    verb=Verb.ASSESSED, association_id__in=association_ids
                ).values("learner_pseudonym"),
            ).values("learner_pseudonym", "module_iri", "response", "timestamp", "association_id")
        ],
        "association_ids": list(association_ids),
        "scores": [
            {
                "pseudonym": row["learner_pseudonym"],
                "verb": row["verb"],
                "object_kind": row["object_kind"],
                "is_self_reported": row["is_self_reported"],
                "score_scaled": row["score_scaled"],
            }
            for row in statements.filter(
                verb__in=[Verb.ANSWERED, Verb.COMPLETED], score_scaled__isnull=False
            ).values("learner_pseudonym", "verb", "object_kind", "is_self_reported", "score_scaled")
        ],
        "path_enrollments": [
            {"pseudonym": row["learner__pseudonym"], "path_id": row["path_id"]}
            for row in enrollments.values("learner__pseudonym", "path_id")
        ],
        "path_modules": path_module_rows(),
        # Every module the enrolled learners completed up to the end of the period: a path
        # counts in the period its last missing module was completed in.
        "path_completions": [
            {
                "pseudonym": row["learner__pseudonym"],
                "module_iri": row["module_iri"],
                "completed_on": row["day"],
            }
            for row in ModuleProgress.objects.filter(
                learner_id__in=enrollments.values("learner_id"), completed_at__lt=until
            )
            .annotate(day=TruncDate("completed_at"))
            .values("learner__pseudonym", "module_iri", "day")
        ],
    }
