"""What the funders' figures are computed from, and the scopes a user may see them for.

`rollup_rows` makes the database count over the rollups (plain values, no names);
`figures_compute` turns the counts into suppressed figures (`indicators.compute_from_counts`,
then `privacy.protect`), and `figures_live` caches them until their data changes.
"""

import hashlib
import json
import time as time_module
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from courses.models import CompetenceArea
from lms.accounts.models import Association, Membership, Role, Situation
from lms.learning.models import (
    ActivityProgress,
    ModuleProgress,
    PathEnrollment,
    ProgressStatus,
    Statement,
    Verb,
)
from lms.logbook.models import Attendance, TrainingSession

from . import indicators, privacy, rollup_queries
from .catalogue import DIGCOMP
from .definitions import DEFINITIONS_VERSION
from .models import FrozenReport, LearnerMonth, ModuleValidation, PathCompletion, Programme
from .rollups import rollups_refresh


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """From the start of `start` to the start of the day after `end`, local time."""
    since = timezone.make_aware(datetime.combine(start, time.min))
    until = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))
    return since, until


def rollup_rows(
    *, association_ids: list[int], start: date, end: date, as_of: date | None = None
) -> dict:
    """What `indicators.compute_from_counts` needs: counts the database makes from rollups.

    Whole months come from the rollups; the days of a month cut by the period's start or
    end are summed from the records themselves (a few days of rows, by index).
    `as_of` is today: "active in the last 30 days" ends then when the period is not over.
    """
    since, until = day_bounds(start, end)
    rollups = LearnerMonth.objects.filter(
        association_id__in=association_ids, month__range=(start.replace(day=1), end.replace(day=1))
    )
    learner_ids = Membership.objects.filter(
        association_id__in=association_ids, role=Role.LEARNER
    ).values("user_id")
    whole = rollups.filter(
        month__in=[
            m for m in _month_starts(start, end) if m >= start and indicators.month_end(m) <= end
        ]
    )
    cut = indicators.cut_months(start, end)
    recent_end = min(end, as_of) if as_of else end

    def sums_and_hours():
        sums, hours = _whole_month_sums(whole)
        return (
            _cut_sums(association_ids, cut, sums),
            _cut_learner_hours(association_ids, cut, hours),
        )

    # Independent counts, shared out between two connections: the longest first.
    (
        learners,
        (completions, kinds),
        awaiting,
        paths_completed,
        outcome,
        areas,
        (sums, hours),
        sessions,
    ) = rollup_queries.in_parallel(
        lambda: rollup_queries.learner_counts(association_ids, start, end, recent_end),
        lambda: _module_completions(learner_ids, since, until, end),
        lambda: modules_awaiting_trainer(learner_ids, since, until).count(),
        lambda: _paths_completed(learner_ids, start, end),
        lambda: rollup_queries.outcome_counts(association_ids, start, end),
        lambda: rollup_queries.area_counts(association_ids, start, end),
        sums_and_hours,
        lambda: _session_months(association_ids, start, end),
    )
    return {
        "learners": learners,
        "profiles": learners["profiles"],
        "areas": areas,
        "sums": sums,
        "learner_hours": hours,
        "sessions": sessions,
        "completions": completions,
        "completion_kinds": kinds,
        "modules_awaiting_trainer": awaiting,
        "paths_completed": paths_completed,
        "outcome": outcome,
    }


def _month_starts(start: date, end: date) -> list[date]:
    return [date.fromisoformat(f"{month}-01") for month in indicators.months_between(start, end)]


SUMMED = ["h5p_answers", "h5p_score_sum", "quiz_answers", "quiz_score_sum", "online_seconds"]


def _whole_month_sums(whole_months) -> tuple[dict, dict[str, float]]:
    """The period's sums and learner-hours by month, over the whole months' rollup rows.

    One pass: at 100,000 learners these are some 400,000 rows, read once for both.
    """
    sums = dict.fromkeys(SUMMED, 0)
    hours: dict[str, float] = {}
    rows = whole_months.values("month").annotate(
        learner_hours=Sum("learner_hours"), **{key: Sum(key) for key in SUMMED}
    )
    for row in rows:
        hours[row["month"].strftime("%Y-%m")] = row["learner_hours"] or 0.0
        for key in SUMMED:
            sums[key] += row[key] or 0
    return sums, hours


def _cut_sums(association_ids, cut, sums: dict) -> dict:
    """Add to `sums` those of the days of months cut by the period, from the statements."""
    scored = Q(score_scaled__isnull=False)
    h5p = scored & Q(
        verb__in=[Verb.ANSWERED, Verb.COMPLETED], object_kind="h5p", is_self_reported=True
    )
    quiz = scored & Q(verb=Verb.ANSWERED, is_self_reported=False)
    for low, high in cut:
        since, until = day_bounds(low, high)
        part = Statement.objects.filter(
            association_id__in=association_ids, timestamp__gte=since, timestamp__lt=until
        ).aggregate(
            h5p_answers=Count("id", filter=h5p),
            h5p_score_sum=Sum("score_scaled", filter=h5p),
            quiz_answers=Count("id", filter=quiz),
            quiz_score_sum=Sum("score_scaled", filter=quiz),
            online_seconds=Sum("duration_seconds"),
        )
        for key, value in part.items():
            sums[key] += value or 0
    return sums


def _cut_learner_hours(association_ids, cut, hours: dict[str, float]) -> dict[str, float]:
    """Add to `hours` the learner-hours (attendance x duration) of the months cut."""
    for low, high in cut:
        attended = (
            Attendance.objects.filter(
                session__association_id__in=association_ids, session__held_on__range=(low, high)
            )
            .values("session__starts_at", "session__ends_at")
            .annotate(count=Count("id"))
        )
        month = low.strftime("%Y-%m")
        for row in attended:
            length = indicators.hours_between(row["session__starts_at"], row["session__ends_at"])
            hours[month] = hours.get(month, 0.0) + row["count"] * length
    return hours


def _session_months(association_ids, start: date, end: date) -> list[dict]:
    """Sessions and hours by month: sessions share a few time slots, so few rows."""
    rows = (
        TrainingSession.objects.filter(
            association_id__in=association_ids, held_on__range=(start, end)
        )
        .annotate(month=TruncMonth("held_on"))
        .values("month", "starts_at", "ends_at")
        .annotate(count=Count("id"))
    )
    return [
        {
            "month": row["month"].strftime("%Y-%m"),
            "sessions": row["count"],
            "hours": row["count"] * indicators.hours_between(row["starts_at"], row["ends_at"]),
        }
        for row in rows
    ]


def _module_completions(
    learner_ids, since: datetime, until: datetime, end: date
) -> tuple[dict[str, int], dict[str, int]]:
    """Modules completed by the associations' learners: by month, and by how (online, or
    validated by a trainer by the end of the period, with the help recorded last)."""
    validation = ModuleValidation.objects.filter(
        pseudonym=OuterRef("learner__pseudonym"),
        module_iri=OuterRef("module_iri"),
        first_on__lte=end,
    ).values(
        kind=Case(When(help__in=indicators.HELP_LEVELS, then=F("help")), default=Value("unknown"))
    )[:1]
    rows = (
        ModuleProgress.objects.filter(
            learner_id__in=learner_ids, completed_at__gte=since, completed_at__lt=until
        )
        .annotate(
            month=TruncMonth("completed_at"),
            kind=Coalesce(Subquery(validation), Value("online")),
        )
        .values("month", "kind")
        .annotate(count=Count("id"))
    )
    by_month: dict[str, int] = {}
    by_kind: dict[str, int] = {}
    for row in rows:
        month = row["month"].strftime("%Y-%m")
        by_month[month] = by_month.get(month, 0) + row["count"]
        by_kind[row["kind"]] = by_kind.get(row["kind"], 0) + row["count"]
    return by_month, by_kind


def modules_awaiting_trainer(learner_ids, since: datetime, until: datetime):
    """The associations' learners' modules waiting for a trainer today, last worked on in
    the period: every step done but a "show your trainer" step no trainer validated yet
    (`ModuleState.AWAITING_TRAINER`, as Mon parcours and the group matrix say it)."""
    awaiting = (
        ActivityProgress.objects.filter(
            learner_id=OuterRef("learner_id"),
            module_iri=OuterRef("module_iri"),
            status=ProgressStatus.AWAITING_TRAINER,
        )
        .order_by()
        .values("learner_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        ModuleProgress.objects.filter(
            learner_id__in=learner_ids,
            completed_at__isnull=True,
            updated_at__gte=since,
            updated_at__lt=until,
        )
        .annotate(awaiting=Coalesce(Subquery(awaiting), Value(0)))
        .filter(awaiting__gt=0, steps_completed__gte=F("steps_total") - F("awaiting"))
    )


def _paths_completed(learner_ids, start: date, end: date) -> int:
    """Learner and path pairs whose last missing module was completed in the period."""
    enrolled = PathEnrollment.objects.filter(
        learner__pseudonym=OuterRef("pseudonym"),
        path_id=OuterRef("path_id"),
        learner_id__in=learner_ids,
    )
    return PathCompletion.objects.filter(Exists(enrolled), completed_on__range=(start, end)).count()


def area_labels() -> dict[str, str]:
    return {area.code: str(area) for area in CompetenceArea.objects.filter(framework__slug=DIGCOMP)}


def associations_by_id(ids) -> dict[int, Association]:
    return Association.objects.in_bulk(list(ids))


def frozen_reports_for(programme: Programme, association_id: int | None):
    return FrozenReport.objects.filter(
        programme=programme, association_id=association_id
    ).select_related("created_by")


def frozen_report_for_period(
    programme: Programme, association_id: int | None, start: date, end: date
) -> FrozenReport | None:
    """The report already closed for this scope and period, if there is one."""
    return FrozenReport.objects.filter(
        programme=programme,
        association_id=association_id,
        period_start_on=start,
        period_end_on=end,
    ).first()


GENERATION_KEY = "impact:generation:{}"


def _generation(scope) -> int:
    # Started from the clock, not 0: when the key is lost (evicted, or deleted after a
    # Redis outage, lms/redis_cache.py), figures cached under an old number stay unread.
    return cache.get_or_set(
        GENERATION_KEY.format(scope), lambda: int(time_module.time() * 1000), timeout=None
    )


def figures_invalidate(*, association_id: int | None = None) -> None:
    """Retire cached figures: of one association, or (no id) of every association."""
    key = GENERATION_KEY.format(association_id if association_id is not None else "all")
    try:
        cache.incr(key)
    except ValueError:  # not cached yet, or evicted: any new number retires the old keys
        cache.set(key, int(time_module.time() * 1000), timeout=None)


def _figures_key(programme, association_ids, start, end, today) -> str:
    ids = sorted(association_ids)
    stamp = [
        DEFINITIONS_VERSION,
        settings.IMPACT_MIN_COUNT,
        programme.pk,
        programme.target_learners,
        programme.target_hours,
        ids,
        start.isoformat(),
        end.isoformat(),
        today.isoformat(),
        _generation("all"),
        [_generation(pk) for pk in ids],
    ]
    digest = hashlib.sha256(json.dumps(stamp).encode()).hexdigest()
    return f"impact:figures:{digest}"


def figures_live(
    *, programme: Programme, association_ids: list[int], start: date, end: date
) -> dict:
    """The figures as anyone may see them: computed (or taken from the cache), suppressed.

    Repeated views of a period whose data has not changed do not recompute: the figures
    are cached under a key that changes with any write to their data (lms/impact/signals.py)
    and with the day (the "active in the last 30 days" figure moves with it).
    """
    today = timezone.localdate()
    key = _figures_key(programme, association_ids, start, end, today)
    figures = cache.get(key)
    if figures is None:
        figures = figures_compute(
            programme=programme, association_ids=association_ids, start=start, end=end
        )
        cache.set(key, figures, timeout=settings.IMPACT_CACHE_SECONDS)
    return figures


def figures_compute(
    *, programme: Programme, association_ids: list[int], start: date, end: date
) -> dict:
    """The figures computed now from the rollups (brought up to date first), then suppressed."""
    rollups_refresh()
    raw = indicators.compute_from_counts(
        rollup_rows(
            association_ids=association_ids, start=start, end=end, as_of=timezone.localdate()
        ),
        start=start,
        end=end,
        target_learners=programme.target_learners,
        target_hours=programme.target_hours,
        situation_codes=list(Situation.values),
        minimum_named=settings.IMPACT_MIN_COUNT,
    )
    return privacy.protect(raw)
