"""Rows the indicators are computed from: plain `.values()` rows, pseudonyms, no names.

`impact_rows` runs a fixed number of queries whatever the number of learners.
"""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Min
from django.db.models.functions import TruncDate
from django.utils import timezone

from courses.models import CompetenceArea, ModulePage, activity_iri
from lms.accounts.access import programmes_for_funder
from lms.accounts.models import Association, LearnerProfile, Membership, Role, Situation, User
from lms.learning.models import ModuleProgress, Statement, Verb
from lms.logbook.models import Attendance, TrainingSession

from . import indicators, privacy
from .models import FrozenReport, Programme

DIGCOMP = "digcomp-2.2"


def programmes_for_coordinator(user: User):
    """Programmes that include an association the user coordinates."""
    return (
        Programme.objects.filter(
            associations__memberships__user=user,
            associations__memberships__role=Role.COORDINATOR,
            associations__memberships__is_active=True,
        )
        .distinct()
        .select_related("funder")
        .prefetch_related("associations")
    )


def coordinated_association_ids(user: User) -> set[int]:
    return set(
        Membership.objects.filter(user=user, role=Role.COORDINATOR, is_active=True).values_list(
            "association_id", flat=True
        )
    )


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """From the start of `start` to the start of the day after `end`, local time."""
    since = timezone.make_aware(datetime.combine(start, time.min))
    until = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))
    return since, until


def impact_rows(*, association_ids: list[int], start: date, end: date) -> dict[str, list[dict]]:
    """Every row `indicators.compute` needs, for these associations and this period."""
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
    }


def module_area_rows() -> list[dict]:
    """Which DigComp area each module teaches, keyed by the module's stable IRI."""
    rows = (
        ModulePage.objects.filter(competences__framework__slug=DIGCOMP)
        .values("translation_key", "competences__area__code")
        .distinct()
    )
    return [
        {
            "module_iri": activity_iri("modules", row["translation_key"]),
            "area": row["competences__area__code"],
        }
        for row in rows
    ]


def area_labels() -> dict[str, str]:
    return {area.code: str(area) for area in CompetenceArea.objects.filter(framework__slug=DIGCOMP)}


def associations_by_id(ids) -> dict[int, Association]:
    return Association.objects.in_bulk(list(ids))


def frozen_reports_for(programme: Programme, association_id: int | None):
    return FrozenReport.objects.filter(
        programme=programme, association_id=association_id
    ).select_related("created_by")


def impact_scopes_for(user: User) -> list[tuple[Programme, list[Association]]]:
    """Each programme the user may look at, with the associations they may see in it.

    Funders see every association of their programmes; coordinators only their own
    association(s), within programmes that include them.
    """
    scopes: dict[int, tuple[Programme, list[Association]]] = {}
    for programme in programmes_for_funder(user):
        scopes[programme.pk] = (programme, list(programme.associations.all()))
    coordinated = coordinated_association_ids(user)
    if coordinated:
        for programme in programmes_for_coordinator(user):
            if programme.pk not in scopes:
                mine = [a for a in programme.associations.all() if a.pk in coordinated]
                scopes[programme.pk] = (programme, mine)
    return sorted(
        scopes.values(), key=lambda scope: (-scope[0].starts_on.toordinal(), scope[0].name)
    )


def figures_live(
    *, programme: Programme, association_ids: list[int], start: date, end: date
) -> dict:
    """The figures as anyone may see them: computed now, then suppressed."""
    raw = indicators.compute(
        impact_rows(association_ids=association_ids, start=start, end=end),
        start=start,
        end=end,
        target_learners=programme.target_learners,
        target_hours=programme.target_hours,
        situation_codes=list(Situation.values),
        as_of=timezone.localdate(),
        minimum_named=settings.IMPACT_MIN_COUNT,
    )
    return privacy.protect(raw)
