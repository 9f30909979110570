"""The one writer of learning records (`services.statements_store`): a batch through the
endpoint writes what statements sent one by one write, column by column; rows are stored
as the instances hold them; summary rows are updated in place; and on PostgreSQL its
queries are prepared on the server after a few requests (settings: prepare_threshold)."""

import datetime
import json
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from lms.learning import services
from lms.learning.models import ActivityProgress, ModuleProgress, Statement
from lms.learning.progress import progress_rebuild
from lms.learning.services import StoreStatus
from lms.learning.submissions import step_submission_parse, step_submit
from tests.factories import AssociationFactory, learner_in, trainer_in
from tests.lms.learning.step_answers import step_answers

pytestmark = pytest.mark.django_db

BATCH_URL = "/apprendre/releves/"


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
    [stored] = services.statements_store([statement], steps_by_module={})
    assert stored.status == StoreStatus.STORED
    stored = Statement.objects.get(pk=statement.pk)
    for field in Statement._meta.concrete_fields:
        mine, theirs = getattr(stored, field.attname), getattr(statement, field.attname)
        assert mine == theirs, field.name
        assert type(mine) is type(theirs), field.name


def test_progress_rows_are_updated_in_place_as_the_writer_folds_them(module):
    """The upsert of both summaries: an existing row keeps its id, new rows are added, and
    every column holds what a rebuild from the log gives."""
    learner = learner_in(AssociationFactory())
    at = timezone.now().replace(microsecond=5) - datetime.timedelta(hours=1)
    first, second = module.steps[0], module.steps[1]
    existing = ActivityProgress.objects.create(
        learner=learner,
        activity_iri=module.step_iri(first.id),
        module_iri=module.iri,
        status="started",
        updated_at=at,
    )
    for index, block in ((0, first), (1, second)):
        step_submit(
            learner=learner,
            module=module,
            step_index=index,
            submission=step_submission_parse(
                step_answers(block, right=True),
                statement_id=uuid.uuid4(),
                timestamp=at + datetime.timedelta(minutes=index + 1),
            ),
        )
    rows = {row.activity_iri: row for row in ActivityProgress.objects.filter(learner=learner)}
    assert rows[existing.activity_iri].pk == existing.pk
    assert rows[existing.activity_iri].status == "completed"
    assert set(rows) == {module.step_iri(first.id), module.step_iri(second.id)}
    written = {
        model: columns(model, learner, leave_out={"id"})
        for model in (ActivityProgress, ModuleProgress)
    }
    progress_rebuild(learner_ids=[learner.pk])
    for model, rows in written.items():
        assert rows == columns(model, learner, leave_out={"id"}), model.__name__


def test_the_writer_queries_are_prepared_on_the_server_after_a_few_requests(module):
    """PostgreSQL parses and plans the writer's queries once per connection, not per step."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    learner = learner_in(AssociationFactory())
    client = Client(HTTP_ACCEPT="application/json")
    client.force_login(learner)

    def prepared() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return sorted(row[0] for row in cursor.fetchall())

    def one_step(index: int):
        block = module.steps[index % len(module.steps)]
        entries = [
            {
                "module": module.pk,
                "step": index % len(module.steps) + 1,
                "statement_id": str(uuid.uuid4()),
                "fields": step_answers(block, right=True),
            }
        ]
        answer = client.post(BATCH_URL, json.dumps(entries), content_type="application/json")
        assert answer.json()["stored"] == 1

    for index in range(4):
        one_step(index)
    texts = prepared()
    for table in ("accounts_user", "learning_statement", "learning_activityprogress"):
        assert any(table in text for text in texts), table
    count = len(texts)
    for index in range(4, 8):
        one_step(index)
    assert len(prepared()) == count  # the same texts again: nothing new to prepare
