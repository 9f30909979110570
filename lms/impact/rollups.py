"""Rollups: per learner, association and month, what the impact figures are computed from.

A regional programme holds millions of statements; reading them all for every dashboard
would take tens of seconds and gigabytes. Instead each learner's records are summed up
once into `LearnerMonth` rows (day bitmasks and sums) and `OutcomePair` rows, and the
figures are computed from those (`rollup_queries.py` counts, `indicators.compute_from_counts`).

A learner's rows are always rebuilt whole from their records, so a rebuild can be repeated
safely. What to rebuild is found without the writers' help where possible:
- statements are append-only: those stored since the last refresh (with a margin for
  transactions still open then) name their learners;
- attendances and sessions can change or disappear: their writers mark the learners stale
  (`learners_mark_stale`, called by lms/impact/signals.py and by bulk writers).
`rollups_refresh()` runs before any figures are computed, so figures are never computed
from rows older than the records; in production it also runs as a background task after
writes (lms/impact/tasks.py), so that the dashboard finds little or nothing left to do.
"""

from collections import defaultdict
from datetime import date, timedelta
from types import SimpleNamespace

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from lms.accounts.models import User
from lms.bulk_rows import instances_write
from lms.learning.models import ModuleProgress, Statement, Verb
from lms.logbook.models import Attendance

from . import indicators
from .catalogue import module_area_rows, path_module_rows
from .models import (
    LearnerAreaMonth,
    LearnerMonth,
    ModuleValidation,
    OutcomePair,
    PathCompletion,
    RollupStale,
    RollupState,
)

# A statement stored by a transaction that was still open at the last refresh has a
# `stored_at` before it: looking this far back again finds it once it is committed.
MARGIN = timedelta(minutes=15)
CHUNK = 1000
HELP_FIELDS = {
    "alone": "alone_days",
    "little_help": "little_help_days",
    "lot_of_help": "lot_of_help_days",
}
DAY_FIELDS = [
    "active_days",
    "validated_days",
    "alone_days",
    "little_help_days",
    "lot_of_help_days",
    "h5p_days",
    "quiz_days",
    "online_days",
]
SUM_FIELDS = [
    "h5p_answers",
    "h5p_score_sum",
    "quiz_answers",
    "quiz_score_sum",
    "online_seconds",
    "attendances",
    "learner_hours",
]


# A rollup row in the making, named by its model's field attnames (`instances_write` reads
# them): building and signalling a model instance for each of millions of rows costs more.
Row = SimpleNamespace


def day_bit(day: date) -> int:
    return 1 << (day.day - 1)


def learners_mark_stale(pseudonyms) -> None:
    """Have these learners' rollups rebuilt before the next figures are computed."""
    rows = [RollupStale(pseudonym=p) for p in set(pseudonyms) if p is not None]
    if rows:
        RollupStale.objects.bulk_create(rows, ignore_conflicts=True)


def attendees_mark_stale(session_ids) -> None:
    learners_mark_stale(
        Attendance.objects.filter(session_id__in=list(session_ids)).values_list(
            "learner__pseudonym", flat=True
        )
    )


def _state() -> RollupState:
    state = RollupState.objects.select_for_update().order_by("pk").first()
    return state or RollupState.objects.create()


def rollups_refresh() -> int:
    """Rebuild every learner whose records changed since the last refresh; how many."""
    with transaction.atomic():
        state = _state()
        now = timezone.now()
        if state.statements_until is None:
            count = rollups_rebuild_all()
            state.statements_until = state.rebuilt_at = now
            state.save()
            return count
        stale = list(RollupStale.objects.values_list("pk", "pseudonym"))
        pseudonyms = {pseudonym for _pk, pseudonym in stale}
        pseudonyms |= set(
            Statement.objects.filter(stored_at__gte=state.statements_until - MARGIN)
            .values_list("learner_pseudonym", flat=True)
            .order_by()
            .distinct()
        )
        learners_rebuild(pseudonyms)
        RollupStale.objects.filter(pk__in=[pk for pk, _p in stale]).delete()
        state.statements_until = now
        state.save(update_fields=["statements_until"])
        return len(pseudonyms)


def rollups_reset() -> int:
    """Rebuild every learner's rows now and start watching for new statements from here."""
    with transaction.atomic():
        state = _state()
        now = timezone.now()
        count = rollups_rebuild_all()
        state.statements_until = state.rebuilt_at = now
        state.save()
        return count


def rollups_rebuild_all() -> int:
    """Rebuild every learner's rows (after a bulk load, or the first time)."""
    # In the order people were created: their statements lie close together on disk.
    pseudonyms = list(User.objects.order_by("pk").values_list("pseudonym", flat=True))
    known = set(pseudonyms)
    pseudonyms += [
        pseudonym
        for pseudonym in Statement.objects.values_list("learner_pseudonym", flat=True)
        .order_by()
        .distinct()
        if pseudonym not in known
    ]
    for model in ROLLUP_MODELS:
        model.objects.all().delete()
    RollupStale.objects.all().delete()
    learners_rebuild(pseudonyms, replace=False)
    return len(pseudonyms)


ROLLUP_MODELS = [LearnerMonth, LearnerAreaMonth, OutcomePair, ModuleValidation, PathCompletion]


def learners_rebuild(pseudonyms, *, replace: bool = True) -> None:
    """Recompute these learners' rows from their statements, attendances and progress."""
    if not pseudonyms:
        return
    areas = module_areas()
    paths = path_modules()
    ordered = pseudonyms if isinstance(pseudonyms, list) else sorted(pseudonyms, key=str)
    for index in range(0, len(ordered), CHUNK):
        chunk = ordered[index : index + CHUNK]
        rows = [*_rows_for(chunk, areas), _path_rows(chunk, paths)]
        with transaction.atomic():
            for model, new in zip(ROLLUP_MODELS, rows, strict=True):
                if replace:
                    model.objects.filter(pseudonym__in=chunk).delete()
                instances_write(model, new)


def path_modules() -> dict[int, set[str]]:
    """The modules each learning path lists, by the modules' stable IRIs."""
    modules: dict[int, set[str]] = defaultdict(set)
    for row in path_module_rows():
        modules[row["path_id"]].add(row["module_iri"])
    return modules


def _path_rows(chunk, paths) -> list[Row]:
    """Each path whose every module the learner has completed, with the day of the last."""
    completed: dict[object, dict[str, date]] = defaultdict(dict)
    for pseudonym, module_iri, day in (
        ModuleProgress.objects.filter(learner__pseudonym__in=chunk, completed_at__isnull=False)
        .annotate(day=TruncDate("completed_at"))
        .values_list("learner__pseudonym", "module_iri", "day")
    ):
        completed[pseudonym][module_iri] = day
    rows = []
    for pseudonym, done in completed.items():
        for path_id, iris in paths.items():
            if iris and iris <= done.keys():
                last = max(done[iri] for iri in iris)
                rows.append(Row(pseudonym=pseudonym, path_id=path_id, completed_on=last))
    return rows


def module_areas() -> dict[str, set[str]]:
    """DigComp areas taught by each module, by the module's stable IRI."""
    areas: dict[str, set[str]] = defaultdict(set)
    for row in module_area_rows():
        areas[row["module_iri"]].add(row["area"])
    return areas


def _rows_for(chunk, areas) -> list[list]:
    months: dict[tuple, Row] = {}
    area_months: dict[tuple, Row] = {}

    def month_row(association_id, pseudonym, day: date) -> Row:
        key = (association_id, pseudonym, day.year, day.month)
        row = months.get(key)
        if row is None:
            row = months[key] = Row(
                association_id=association_id,
                pseudonym=pseudonym,
                month=day.replace(day=1),
                **dict.fromkeys(DAY_FIELDS + SUM_FIELDS, 0),
            )
        return row

    # The database sums each learner's statements of a day (several statements a day for
    # one row here), and computes the local day: parsing millions of timestamps in Python
    # would cost more than everything else here.
    scored = Q(score_scaled__isnull=False)
    h5p = scored & Q(
        verb__in=[Verb.ANSWERED, Verb.COMPLETED], object_kind="h5p", is_self_reported=True
    )
    quiz = scored & Q(verb=Verb.ANSWERED, is_self_reported=False)
    days = (
        Statement.objects.filter(learner_pseudonym__in=chunk, association_id__isnull=False)
        .annotate(day=TruncDate("timestamp"))
        .values_list("learner_pseudonym", "association_id", "day")
        .annotate(
            h5p_answers=Count("pk", filter=h5p),
            h5p_score_sum=Sum("score_scaled", filter=h5p),
            quiz_answers=Count("pk", filter=quiz),
            quiz_score_sum=Sum("score_scaled", filter=quiz),
            online_seconds=Sum("duration_seconds"),
        )
        .order_by()  # no order: a cursor would otherwise walk the whole timestamp index
    )
    for (
        pseudonym,
        association_id,
        day,
        h5p_answers,
        h5p_score_sum,
        quiz_answers,
        quiz_score_sum,
        online_seconds,
    ) in days.iterator(chunk_size=5000):
        bit = day_bit(day)
        row = month_row(association_id, pseudonym, day)
        row.active_days |= bit
        if h5p_answers:
            row.h5p_days |= bit
            row.h5p_answers += h5p_answers
            row.h5p_score_sum += h5p_score_sum
        if quiz_answers:
            row.quiz_days |= bit
            row.quiz_answers += quiz_answers
            row.quiz_score_sum += quiz_score_sum
        if online_seconds:  # durations are never negative: a day with any is a day online
            row.online_days |= bit
            row.online_seconds += online_seconds

    # Validations and self-assessments carry their meaning in `response`: read apart, so
    # the JSON of the many other statements is never decoded.
    answers = (
        Statement.objects.filter(
            learner_pseudonym__in=chunk,
            association_id__isnull=False,
            verb__in=[Verb.VALIDATED, Verb.ASSESSED],
        )
        .order_by("timestamp", "stored_at", "id")
        .annotate(day=TruncDate("timestamp"))
        .values_list(
            "learner_pseudonym",
            "association_id",
            "timestamp",
            "day",
            "verb",
            "is_self_reported",
            "module_iri",
            "response",
        )
    )
    assessed = []
    # Per learner and module validated: the first validation's day, the latest one's help.
    validated: dict[tuple, Row] = {}
    for (
        pseudonym,
        association_id,
        timestamp,
        day,
        verb,
        self_reported,
        module_iri,
        response,
    ) in answers:
        if verb == Verb.ASSESSED:
            assessed.append((pseudonym, module_iri, response, timestamp, day, association_id))
            continue
        if self_reported:
            continue
        module_row = validated.get((pseudonym, module_iri))
        if module_row is None:
            module_row = validated[(pseudonym, module_iri)] = Row(
                pseudonym=pseudonym, module_iri=module_iri, first_on=day
            )
        module_row.help = indicators.help_of(response) or ""
        bit = day_bit(day)
        row = month_row(association_id, pseudonym, day)
        row.validated_days |= bit
        help_level = indicators.help_of(response)
        if help_level:
            field = HELP_FIELDS[help_level]
            setattr(row, field, getattr(row, field) | bit)
        for area in areas.get(module_iri, ()):
            key = (association_id, pseudonym, day.year, day.month, area)
            area_row = area_months.get(key)
            if area_row is None:
                area_row = area_months[key] = Row(
                    association_id=association_id,
                    pseudonym=pseudonym,
                    month=day.replace(day=1),
                    area=area,
                    days=0,
                )
            area_row.days |= bit

    attendances = Attendance.objects.filter(learner__pseudonym__in=chunk).values_list(
        "learner__pseudonym",
        "session__association_id",
        "session__held_on",
        "session__starts_at",
        "session__ends_at",
    )
    for pseudonym, association_id, held_on, starts_at, ends_at in attendances:
        row = month_row(association_id, pseudonym, held_on)
        row.active_days |= day_bit(held_on)
        row.attendances += 1
        row.learner_hours += indicators.hours_between(starts_at, ends_at)

    return [
        list(months.values()),
        list(area_months.values()),
        _pairs(assessed),
        list(validated.values()),
    ]


def _pairs(assessed: list[tuple]) -> list[Row]:
    """The outcome pairs of `indicators.outcome_pairs`, as rows (answers in time order)."""
    first_start: dict[tuple, tuple] = {}
    last_end: dict[tuple, tuple] = {}
    for pseudonym, module_iri, response, timestamp, day, association_id in assessed:
        phase, level = indicators.assessment_of(response)
        key = (pseudonym, module_iri)
        if phase == "start" and key not in first_start:
            first_start[key] = (level, timestamp)
        elif phase == "end" and key in first_start and timestamp > first_start[key][1]:
            last_end[key] = (level, day, association_id)
    return [
        Row(
            pseudonym=pseudonym,
            module_iri=module_iri,
            association_id=association_id,
            answered_on=day,
            before=first_start[(pseudonym, module_iri)][0],
            after=level,
        )
        for (pseudonym, module_iri), (level, day, association_id) in last_end.items()
    ]
