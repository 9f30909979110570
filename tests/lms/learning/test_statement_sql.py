"""The statement endpoint's own SQL: rows sent as JSON (PostgreSQL) or as VALUES (SQLite)
are the rows the ORM writes, column by column, and on PostgreSQL each statement is
prepared once per connection whatever the number of rows."""

import datetime
import json
import uuid

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from lms.learning import services
from lms.learning.models import ActivityProgress, ModuleProgress, Statement
from lms.learning.services import step_submission_parse, step_submit
from tests.factories import AssociationFactory, learner_in, trainer_in
from tests.lms.learning.step_answers import step_answers

pytestmark = pytest.mark.django_db

BATCH_URL = "/apprendre/releves/"


@pytest.fixture
def module(catalogue):
    return catalogue.get(slug="reconnaitre-une-arnaque-par-e-mail")


def columns(model, learner, *, leave_out: set[str]) -> list[dict]:
    names = [f.attname for f in model._meta.concrete_fields if f.attname not in leave_out]
    rows = list(model.objects.filter(learner=learner).values(*names))
    return sorted(rows, key=lambda row: json.dumps(row, sort_keys=True, default=str))


def test_a_batch_writes_every_column_the_orm_path_writes(module):
    """Statements and both summaries, with times: wrong then right, a repeat, a late one."""
    association = AssociationFactory()
    by_endpoint, by_orm = learner_in(association), learner_in(association)
    start = timezone.now().replace(microsecond=123456) - datetime.timedelta(hours=2)
    plan = []  # (step number, right, minutes after start)
    for number, _step in enumerate(module.steps, start=1):
        plan += [(number, False, 2 * number), (number, True, 2 * number + 1)]
    plan.append((1, True, 0))  # older than what the summaries hold: folded again from the log
    entries = []
    for number, right, minutes in plan:
        at = start + datetime.timedelta(minutes=minutes)
        fields = step_answers(module.steps[number - 1], right=right)
        entries.append(
            {
                "module": module.pk,
                "step": number,
                "statement_id": str(uuid.uuid4()),
                "timestamp": at.isoformat(),
                "fields": fields,
            }
        )
        submission = step_submission_parse(fields, statement_id=uuid.uuid4(), timestamp=at)
        step_submit(
            learner=by_orm,
            module=module,
            step_index=number - 1,
            submission=submission,
            association=association,
        )
    client = Client(HTTP_ACCEPT="application/json")
    client.force_login(by_endpoint)
    answer = client.post(BATCH_URL, json.dumps(entries), content_type="application/json")
    assert answer.status_code == 200
    assert answer.json()["stored"] == len(entries)

    leave_out = {"id", "learner_id", "learner_pseudonym", "stored_at"}
    mine = columns(Statement, by_endpoint, leave_out=leave_out)
    theirs = columns(Statement, by_orm, leave_out=leave_out)
    assert len(mine) == len(entries)
    assert mine == theirs
    for model in (ActivityProgress, ModuleProgress):
        mine = columns(model, by_endpoint, leave_out={"id", "learner_id"})
        assert mine and mine == columns(model, by_orm, leave_out={"id", "learner_id"})


def test_every_statement_column_is_stored_as_the_instance_holds_it():
    """Each kind of field (UUIDs, times in another zone, floats, nested JSON, null) as given."""
    association = AssociationFactory()
    learner, trainer = learner_in(association), trainer_in(association)
    brussels = datetime.timezone(datetime.timedelta(hours=1))
    statement = Statement(
        id=uuid.uuid4(),
        learner=learner,
        learner_pseudonym=learner.pseudonym,
        verb="answered",
        object_iri="https://example.org/activité/\"guillemets\"/'apostrophe'",
        object_kind="quiz",
        module_iri="https://example.org/module/1",
        module_id=None,
        score_raw=1 / 3,
        score_min=-0.0,
        score_max=1e7 + 1e-7,
        score_scaled=0.1 + 0.2 - 0.3,
        success=False,
        completion=True,
        response={"choices": ["scam", 'é\\"\n', None, 1.5, True, {"nested": []}]},
        duration_seconds=86_400,
        is_self_reported=True,
        association=association,
        session_uuid=uuid.uuid4(),
        instructor=trainer,
        timestamp=datetime.datetime(2026, 3, 29, 2, 30, 0, 999_999, tzinfo=brussels),
    )
    with transaction.atomic():
        inserted, _rows = services._statements_insert([statement], learner_id=learner.pk)
    assert inserted == {statement.pk}
    stored = Statement.objects.get(pk=statement.pk)
    for field in Statement._meta.concrete_fields:
        mine, theirs = getattr(stored, field.attname), getattr(statement, field.attname)
        assert mine == theirs, field.name
        assert type(mine) is type(theirs), field.name


def test_progress_rows_are_stored_as_the_instances_hold_them(module):
    """The upsert of both summaries: new rows inserted, existing ones updated in place."""
    learner = learner_in(AssociationFactory())
    at = timezone.now().replace(microsecond=5)
    existing = ActivityProgress.objects.create(
        learner=learner,
        activity_iri="https://example.org/step/a",
        module_iri=module.iri,
        status="started",
        updated_at=at,
    )
    activities = [
        ActivityProgress(
            pk=existing.pk,
            learner=learner,
            activity_iri=existing.activity_iri,
            module_iri=module.iri,
            status="completed",
            attempts=3,
            first_response={"fields": [True, None, False]},
            first_success=False,
            best_score_scaled=2 / 3,
            is_validated_by_trainer=True,
            completed_at=at,
            updated_at=at + datetime.timedelta(seconds=1),
        ),
        ActivityProgress(
            learner=learner,
            activity_iri="https://example.org/step/b",
            module_iri=module.iri,
            status="started",
            first_response=None,
            updated_at=at,
        ),
    ]
    modules = [
        ModuleProgress(
            learner=learner,
            module_iri=module.iri,
            module_id=module.pk,
            steps_completed=1,
            steps_total=9,
            last_activity_iri="https://example.org/step/b",
            started_at=at,
            updated_at=at,
        )
    ]
    with transaction.atomic():
        services._progress_upsert(activities, modules)
    assert ActivityProgress.objects.get(activity_iri=existing.activity_iri).pk == existing.pk
    for model, rows, key in (
        (ActivityProgress, activities, "activity_iri"),
        (ModuleProgress, modules, "module_iri"),
    ):
        stored = {getattr(row, key): row for row in model.objects.filter(learner=learner)}
        assert stored.keys() == {getattr(row, key) for row in rows}
        for row in rows:
            for field in model._meta.concrete_fields:
                if field.primary_key:
                    continue
                mine = getattr(stored[getattr(row, key)], field.attname)
                assert mine == getattr(row, field.attname), field.name
                assert type(mine) is type(getattr(row, field.attname)), field.name


def test_the_statements_are_prepared_once_whatever_the_batch_size(module):
    """One text per statement, whatever the number of rows: a few prepared, then reused."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    learner = learner_in(AssociationFactory())
    client = Client(HTTP_ACCEPT="application/json")
    client.force_login(learner)

    def prepared() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return sorted(row[0] for row in cursor.fetchall())

    def batch(size: int):
        entries = [
            {
                "module": module.pk,
                "step": index % len(module.steps) + 1,
                "statement_id": str(uuid.uuid4()),
                "fields": step_answers(module.steps[index % len(module.steps)], right=True),
            }
            for index in range(size)
        ]
        answer = client.post(BATCH_URL, json.dumps(entries), content_type="application/json")
        assert answer.json()["stored"] == size

    batch(1)
    after_one = prepared()
    assert any("json_to_recordset" in text and "learning_statement" in text for text in after_one)
    assert any("learning_activityprogress" in text for text in after_one)
    batch(3)
    batch(17)
    assert prepared() == after_one
