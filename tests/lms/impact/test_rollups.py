"""Rollups: the figures computed from them equal the figures computed from every record.

`reference_indicators.compute` over one row per learner and day is the reference; the dashboard
uses `indicators.compute_from_counts` over one row per learner, association and month. They must
agree for any period (whole months or not), any scope, and after any kind of write.
"""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from lms.accounts.models import Membership, Role, Situation, User
from lms.demo.builder import demo_build
from lms.impact import indicators, selectors
from lms.impact.models import LearnerMonth, OutcomePair, Programme, RollupStale
from lms.impact.rollups import rollups_refresh, rollups_reset
from lms.learning.models import ModuleProgress, Statement, Verb
from lms.logbook.models import Attendance, TrainingSession
from lms.logbook.services import learner_merge
from tests.lms.impact import reference_indicators
from tests.lms.impact.reference_rows import impact_rows

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 6, 15)
AVERAGES = {"h5p_average_score", "quiz_average_score", "outcome_alone_share"}


@pytest.fixture
def demo(catalogue):
    demo_build(learners=30, today=TODAY)
    programme = Programme.objects.get()
    return programme, sorted(programme.associations.values_list("pk", flat=True))


def both(association_ids, start, end):
    options = {
        "start": start,
        "end": end,
        "situation_codes": list(Situation.values),
        "as_of": TODAY,
        "minimum_named": 5,
    }
    rollups_refresh()
    as_of = options.pop("as_of")
    from_rollups = indicators.compute_from_counts(
        selectors.rollup_rows(association_ids=association_ids, start=start, end=end, as_of=as_of),
        **options,
    )
    options["as_of"] = as_of
    from_records = reference_indicators.compute(
        impact_rows(association_ids=association_ids, start=start, end=end), **options
    )
    return from_rollups, from_records


def assert_same(association_ids, start, end):
    from_rollups, from_records = both(association_ids, start, end)
    for name, value in from_records["key_figures"].items():
        if name in AVERAGES and value is not None:
            assert from_rollups["key_figures"][name] == pytest.approx(value, abs=0.051), name
        else:
            assert from_rollups["key_figures"][name] == value, name
    assert from_rollups["breakdowns"] == from_records["breakdowns"]
    assert from_rollups["trend"] == from_records["trend"]
    assert from_rollups["targets"] == from_records["targets"]
    return from_rollups


PERIODS = [
    (datetime.date(2025, 12, 1), datetime.date(2026, 6, 30)),  # whole months
    (datetime.date(2026, 1, 17), datetime.date(2026, 4, 9)),  # cut at both ends
    (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)),  # one month
    (datetime.date(2026, 2, 10), datetime.date(2026, 2, 10)),  # one day
    (datetime.date(2026, 5, 20), datetime.date(2026, 6, 14)),  # across a month's end
]


@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_figures_from_rollups_equal_figures_from_every_record(demo, start, end):
    _programme, ids = demo
    figures = assert_same(ids, start, end)
    if (start, end) == PERIODS[0]:
        # The comparison means something only if the demo fills the figures.
        key = figures["key_figures"]
        assert key["learners"] > 20
        assert key["returning_learners"] > 0
        assert key["learners_validated"] > 0
        assert key["outcome_answered"] > 0
        assert key["quiz_answers"] > 0
        assert key["modules_completed"] > 0
        assert key["modules_validated"] > 0
        assert key["modules_awaiting_trainer"] > 0


def test_one_association_alone_gives_the_same_figures_both_ways(demo):
    _programme, ids = demo
    for association_id in ids:
        assert_same([association_id], *PERIODS[1])


def learner_of(association_id):
    return User.objects.filter(
        memberships__association_id=association_id, memberships__role=Role.LEARNER
    ).first()


def test_a_new_statement_is_rolled_up_before_the_next_figures(demo):
    _programme, ids = demo
    before, _ = both(ids, *PERIODS[0])
    newcomer = User.objects.create(username="newcomer")
    Membership.objects.create(
        user=newcomer, association_id=ids[0], role=Role.LEARNER, joined_on=TODAY
    )
    Statement.objects.create(
        learner=newcomer,
        learner_pseudonym=newcomer.pseudonym,
        verb=Verb.ANSWERED,
        object_iri="https://example.org/quiz/1",
        object_kind="quiz",
        score_scaled=0.5,
        association_id=ids[0],
        timestamp=timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(10))),
    )
    after = assert_same(ids, *PERIODS[0])
    assert after["key_figures"]["learners"] == before["key_figures"]["learners"] + 1
    assert after["key_figures"]["quiz_answers"] == before["key_figures"]["quiz_answers"] + 1


def test_a_module_validated_after_the_period_counts_as_done_online_in_it(demo):
    """Completed online in March, its step validated by a trainer on 5 April: "online" for
    March, "validated" for March and April together, the same both ways."""
    _programme, ids = demo
    march = (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
    spring = (datetime.date(2026, 3, 1), datetime.date(2026, 4, 30))
    before = {period: both(ids, *period)[0]["key_figures"] for period in (march, spring)}
    learner = learner_of(ids[0])
    iri = "https://example.org/modules/done-before-checkpoints-waited"
    completed = timezone.make_aware(
        datetime.datetime.combine(datetime.date(2026, 3, 10), datetime.time(10))
    )
    ModuleProgress.objects.create(
        learner=learner,
        module_iri=iri,
        steps_completed=3,
        steps_total=3,
        started_at=completed,
        completed_at=completed,
        updated_at=completed,
    )
    Statement.objects.create(
        learner=learner,
        learner_pseudonym=learner.pseudonym,
        verb=Verb.VALIDATED,
        object_iri=f"{iri}/steps/montrer",
        object_kind="checkpoint",
        module_iri=iri,
        response={"help": "lot_of_help"},
        association_id=ids[0],
        timestamp=timezone.make_aware(
            datetime.datetime.combine(datetime.date(2026, 4, 5), datetime.time(11))
        ),
    )

    after = {period: assert_same(ids, *period) for period in (march, spring)}

    def moved(period, name):
        return after[period]["key_figures"][name] - before[period][name]

    assert moved(march, "modules_completed_online") == 1
    assert moved(march, "modules_validated") == 0
    assert moved(spring, "modules_completed_online") == 0
    assert moved(spring, "modules_validated") == 1
    how = dict(after[spring]["breakdowns"]["module_completion"]["rows"])
    assert how["lot_of_help"] > 0


def test_several_statements_of_one_day_are_summed_as_each_alone(demo):
    """The database sums a learner's statements of a day: a day with only zero durations is
    not a day online, and H5P and quiz answers of the same day add up separately."""
    _programme, ids = demo
    before, _ = both(ids, *PERIODS[0])
    learner = User.objects.create(username="busy-day")
    Membership.objects.create(
        user=learner, association_id=ids[0], role=Role.LEARNER, joined_on=TODAY
    )

    def record(day, hour, **fields):
        Statement.objects.create(
            learner=learner,
            learner_pseudonym=learner.pseudonym,
            object_iri=f"https://example.org/step/{day}/{hour}",
            association_id=ids[0],
            timestamp=timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour))),
            **fields,
        )

    busy, quiet = TODAY - datetime.timedelta(days=3), TODAY - datetime.timedelta(days=2)
    record(busy, 9, verb=Verb.ANSWERED, object_kind="quiz", score_scaled=0.5, duration_seconds=60)
    record(busy, 10, verb=Verb.ANSWERED, object_kind="quiz", score_scaled=1.0, duration_seconds=0)
    h5p = {"object_kind": "h5p", "is_self_reported": True, "duration_seconds": 120}
    record(busy, 11, verb=Verb.ANSWERED, score_scaled=0.25, **h5p)
    record(busy, 12, verb=Verb.COMPLETED, score_scaled=0.75, **h5p)
    record(quiet, 9, verb=Verb.COMPLETED, object_kind="page", duration_seconds=0)
    after = assert_same(ids, *PERIODS[0])
    key, old = after["key_figures"], before["key_figures"]
    assert key["quiz_answers"] == old["quiz_answers"] + 2
    assert key["online_hours"] == pytest.approx(old["online_hours"] + 0.1, abs=0.051)
    assert key["online_learners"] == old["online_learners"] + 1
    month = LearnerMonth.objects.get(pseudonym=learner.pseudonym)
    assert (month.quiz_answers, month.quiz_score_sum) == (2, 1.5)
    assert (month.h5p_answers, month.h5p_score_sum) == (2, 1.0)
    assert month.online_seconds == 300
    assert month.online_days == 1 << (busy.day - 1)  # the quiet day had zero seconds only
    assert month.active_days == (1 << (busy.day - 1)) | (1 << (quiet.day - 1))


def test_removed_attendances_and_moved_sessions_are_rolled_up(
    demo, django_capture_on_commit_callbacks
):
    _programme, ids = demo
    assert_same(ids, *PERIODS[0])
    session = TrainingSession.objects.filter(attendances__isnull=False).first()
    Attendance.objects.filter(session=session).delete()
    assert RollupStale.objects.exists()
    assert_same(ids, *PERIODS[0])
    other = TrainingSession.objects.filter(attendances__isnull=False).last()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        other.held_on = datetime.date(2026, 3, 3)
        other.save()
    assert_same(ids, *PERIODS[0])


def test_attendances_written_in_bulk_after_their_session_are_rolled_up(
    demo, django_capture_on_commit_callbacks
):
    _programme, ids = demo
    assert_same(ids, *PERIODS[0])
    session = TrainingSession.objects.filter(association_id=ids[0]).first()
    learners = User.objects.filter(
        memberships__association_id=ids[0], memberships__role=Role.LEARNER
    ).exclude(attendances__session=session)[:3]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        session.save()
        Attendance.objects.bulk_create(
            [Attendance(session=session, learner=learner) for learner in learners]
        )
    assert_same(ids, *PERIODS[0])


def test_a_merged_duplicate_is_rolled_up_as_one_person(demo):
    _programme, ids = demo
    coordinator = User.objects.create(username="coord")
    keep, duplicate = User.objects.filter(
        memberships__association_id=ids[0],
        memberships__role=Role.LEARNER,
        statements__isnull=False,
    ).distinct()[:2]
    learner_merge(
        keep=keep,
        duplicate=duplicate,
        by=coordinator,
        association=keep.memberships.first().association,
    )
    assert_same(ids, *PERIODS[0])
    assert not LearnerMonth.objects.filter(pseudonym=duplicate.pseudonym).exists()


def test_days_spent_in_two_associations_count_once(demo):
    """A learner seen on the same days in two associations: days counted once, not twice."""
    _programme, ids = demo
    start, end = PERIODS[0]
    before, _ = both(ids, start, end)
    learner = User.objects.create(username="two-places")
    for association_id in ids[:2]:
        Membership.objects.create(
            user=learner, association_id=association_id, role=Role.LEARNER, joined_on=TODAY
        )

    def seen(association_id, day):
        Statement.objects.create(
            learner=learner,
            learner_pseudonym=learner.pseudonym,
            verb=Verb.ANSWERED,
            object_iri="https://example.org/quiz/1",
            object_kind="quiz",
            score_scaled=1.0,
            association_id=association_id,
            timestamp=timezone.make_aware(datetime.datetime.combine(day, datetime.time(10))),
        )

    # Two days in both associations: two days (four if summed), fewer than three.
    for association_id in ids[:2]:
        for day in (datetime.date(2026, 3, 2), datetime.date(2026, 3, 3)):
            seen(association_id, day)
    twice = assert_same(ids, start, end)["key_figures"]
    assert twice["learners"] == before["key_figures"]["learners"] + 1
    assert twice["returning_learners"] == before["key_figures"]["returning_learners"]
    # A third day, in April: now they came back three times.
    seen(ids[0], datetime.date(2026, 4, 7))
    thrice = assert_same(ids, start, end)["key_figures"]
    assert thrice["returning_learners"] == before["key_figures"]["returning_learners"] + 1


def test_a_refresh_with_nothing_new_changes_no_row(demo):
    rollups_refresh()
    rows = sorted(LearnerMonth.objects.values_list("pseudonym", "association_id", "month"))
    pairs = OutcomePair.objects.count()
    assert rows and pairs
    rollups_refresh()
    assert sorted(LearnerMonth.objects.values_list("pseudonym", "association_id", "month")) == rows
    assert OutcomePair.objects.count() == pairs
    rollups_reset()
    assert sorted(LearnerMonth.objects.values_list("pseudonym", "association_id", "month")) == rows


def test_days_masks_cover_exactly_the_days_of_the_period():
    march = datetime.date(2026, 3, 1)
    assert indicators.days_mask(march, datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)) == (
        2**31 - 1
    )
    assert (
        indicators.days_mask(march, datetime.date(2026, 3, 2), datetime.date(2026, 3, 3)) == 0b110
    )
    assert indicators.days_mask(march, datetime.date(2026, 4, 1), datetime.date(2026, 4, 3)) == 0
    assert indicators.cut_months(datetime.date(2026, 1, 17), datetime.date(2026, 4, 9)) == [
        (datetime.date(2026, 1, 17), datetime.date(2026, 1, 31)),
        (datetime.date(2026, 4, 1), datetime.date(2026, 4, 9)),
    ]
    assert indicators.cut_months(datetime.date(2026, 1, 1), datetime.date(2026, 2, 28)) == []
