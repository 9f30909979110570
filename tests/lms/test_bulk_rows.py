"""lms/bulk_rows.py: rows written as plain tuples read back as the ORM would have stored them.

PostgreSQL gets COPY's text format, other databases one INSERT per batch: the same tests run
on whichever database the run uses (CI runs both), and compare with `bulk_create`.
"""

import datetime
import uuid
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from lms import bulk_rows
from lms.bulk_rows import instances_write, rows_write
from lms.learning.models import Statement, Verb
from lms.logbook.models import Attendance, TrainingSession
from tests.factories import TrainingSessionFactory, learner_in

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
STATEMENT_FIELDS = [
    "id",
    "learner_id",
    "learner_pseudonym",
    "verb",
    "object_iri",
    "object_kind",
    "module_iri",
    "score_raw",
    "score_scaled",
    "success",
    "completion",
    "response",
    "duration_seconds",
    "is_self_reported",
    "association_id",
    "session_uuid",
    "timestamp",
    "stored_at",
]
# Text that COPY's format must escape, and text that needs no escaping at all.
AWKWARD = ["tab\there", "two\nlines", "back\\slash", "carriage\rreturn", "«Réponse» ✓", ""]


def statement_rows(learner, association) -> list[tuple]:
    """One row per awkward value, with every kind of column: set, unset, or tricky."""
    rows = []
    for number, text in enumerate(AWKWARD):
        at = datetime.datetime(2026, 3, 29, 1, 30 + number, 15, 250_000, tzinfo=BRUSSELS)
        rows.append(
            (
                uuid.uuid4(),
                learner.pk,
                learner.pseudonym,
                Verb.ANSWERED,
                f"https://example.org/step/{number}",
                text,
                "",
                0.5 + number if number % 2 else None,
                1 / 3 if number % 2 else None,
                [True, False, None][number % 3],
                number % 2 == 0,
                {"answer": text, "list": [1, 2.5, None, "\\t"], "nested": {"ok": True}}
                if number % 3
                else None,
                number * 60 if number else None,
                bool(number % 2),
                association.pk if number % 2 else None,
                uuid.uuid4() if number % 2 else None,
                at,
                at + datetime.timedelta(seconds=1),
            )
        )
    return rows


def stored(model, ids) -> list[dict]:
    fields = [field.attname for field in model._meta.concrete_fields]
    return list(model.objects.filter(pk__in=ids).order_by("pk").values(*fields))


def test_rows_read_back_as_bulk_create_stores_them(association):
    learner = learner_in(association)
    rows = statement_rows(learner, association)
    rows_write(Statement, STATEMENT_FIELDS, rows)
    written = stored(Statement, [row[0] for row in rows])

    again = [(uuid.uuid4(), *row[1:]) for row in rows]
    Statement.objects.bulk_create(
        [Statement(**dict(zip(STATEMENT_FIELDS, row, strict=True))) for row in again]
    )
    # auto_now_add stamps bulk_create's rows with the time of writing: set them back.
    for row in again:
        Statement.objects.filter(pk=row[0]).update(stored_at=row[-1])
    by_orm = stored(Statement, [row[0] for row in again])

    assert len(written) == len(rows)
    order = {row[0]: row for row in rows}
    order_again = {row[0]: row for row in again}
    written.sort(key=lambda row: order[row["id"]][-1])
    by_orm.sort(key=lambda row: order_again[row["id"]][-1])
    for mine, theirs in zip(written, by_orm, strict=True):
        assert {**mine, "id": None} == {**theirs, "id": None}
    # And the values are the ones written, not merely the same mistakes on both paths.
    for row in written:
        original = dict(zip(STATEMENT_FIELDS, order[row["id"]], strict=True))
        assert row["object_kind"] == original["object_kind"]
        assert row["response"] == original["response"]
        assert row["timestamp"] == original["timestamp"]
        assert row["success"] is original["success"]
        assert row["score_scaled"] == original["score_scaled"]
        assert row["session_uuid"] == original["session_uuid"]


def test_dates_and_times_are_stored_as_given(association):
    fields = ["uuid", "association_id", "held_on", "starts_at", "ends_at", "place", "note"]
    values = (
        uuid.uuid4(),
        association.pk,
        datetime.date(2026, 2, 28),
        datetime.time(9, 5),
        datetime.time(23, 59, 30),
        "Salle\tB",
        "Première séance\n2e ligne",
    )
    now = datetime.datetime(2026, 2, 28, 8, 0, tzinfo=datetime.UTC)
    rows_write(TrainingSession, [*fields, "created_at", "updated_at"], [(*values, now, now)])
    written = TrainingSession.objects.get(uuid=values[0])
    assert [getattr(written, name) for name in fields[2:]] == list(values[2:])
    assert written.created_at == now


def test_rows_are_written_in_batches_and_all_of_them_arrive(association, monkeypatch):
    monkeypatch.setattr(bulk_rows, "BATCH_SIZE", 3)
    session = TrainingSessionFactory(association=association)
    learners = [learner_in(association) for _ in range(7)]
    rows_write(Attendance, ["session_id", "learner_id"], ((session.pk, p.pk) for p in learners))
    assert sorted(
        Attendance.objects.filter(session=session).values_list("learner_id", flat=True)
    ) == (sorted(p.pk for p in learners))


def test_no_rows_write_nothing(association):
    rows_write(Attendance, ["session_id", "learner_id"], iter(()))
    assert not Attendance.objects.exists()


def test_instances_leave_the_primary_key_to_the_database(association):
    session = TrainingSessionFactory(association=association)
    people = [learner_in(association) for _ in range(2)]
    fields = [field.attname for field in Attendance._meta.concrete_fields if field.attname != "id"]
    instances = [
        Attendance(session_id=session.pk, learner_id=people[0].pk),
        # Any object with the attributes will do: the rollups write plain namespaces.
        _namespace(Attendance, fields, session_id=session.pk, learner_id=people[1].pk),
    ]
    instances_write(Attendance, instances)
    ids = list(Attendance.objects.filter(session=session).values_list("pk", flat=True))
    assert len(ids) == len(set(ids)) == 2
    assert all(ids)


def _namespace(model, fields, **values) -> SimpleNamespace:
    defaults = model()
    return SimpleNamespace(**{name: getattr(defaults, name) for name in fields} | values)
