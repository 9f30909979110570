"""The one writer's plain-SQL path (PostgreSQL, lms/learning/_writer_sql.py) writes the very
rows its ORM path writes: every column of the statements and of both summary tables, for
the same input, including updates in place, a late statement folded again from the log,
a checkpoint waiting for its trainer, a trainer's validation, and ids sent twice.

PostgreSQL only: skipped on SQLite, run by the PostgreSQL half of CI.
"""

import datetime
import json
import uuid

import pytest
from django.db import connection, transaction

from lms.accounts.models import Role
from lms.learning import _writer_sql, services
from lms.learning.models import ActivityProgress, ModuleProgress, Statement, Verb
from lms.learning.progress import CHECKPOINT_KIND
from lms.learning.services import Result, statement_build
from tests.factories import AssociationFactory, MembershipFactory, learner_in, trainer_in
from tests.lms.databases import on_postgres

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 11, 30, 9, 15, 0, 123456, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _postgres_only():
    # Not a missing service: the SQLite half of CI runs without PostgreSQL on purpose, and
    # the PostgreSQL half runs these (as tests/lms/learning/test_concurrency.py does).
    if not on_postgres():
        pytest.skip(
            "the plain-SQL writer runs on PostgreSQL only: set DATABASE_URL=postgres://… (CI does)"
        )


def minutes(n: float) -> datetime.datetime:
    return START + datetime.timedelta(minutes=n)


def plan(module, trainer) -> list[list[dict]]:
    """Two calls of the writer for one learner: what each statement says (not who)."""
    steps = [f"{module.iri}/step/{number}" for number in range(1, 5)]
    first = [
        {"verb": Verb.EXPERIENCED, "object_iri": module.iri, "at": minutes(0)},
        {
            "verb": Verb.ANSWERED,
            "object_iri": steps[0],
            "object_kind": "quiz",
            "result": Result(
                score_raw=0,
                score_min=0,
                score_max=2,
                score_scaled=0.0,
                success=False,
                response={"choices": ["scam", 'é\\"\n', None, 1.5, {"nested": []}]},
                duration_seconds=41,
            ),
            "at": minutes(1),
        },
        {
            "verb": Verb.ANSWERED,
            "object_iri": steps[0],
            "object_kind": "quiz",
            "result": Result(
                score_raw=2,
                score_max=2,
                score_scaled=1.0,
                success=True,
                response="une réponse",
                duration_seconds=12,
            ),
            "at": minutes(2),
        },
        {
            "verb": Verb.COMPLETED,
            "object_iri": steps[1],
            "object_kind": CHECKPOINT_KIND,
            "at": minutes(3),
        },
        {
            "verb": Verb.COMPLETED,
            "object_iri": steps[2],
            "object_kind": "h5p",
            "result": Result(completion=True, score_scaled=0.5, response=None),
            "at": minutes(4),
        },
        # An activity outside any module.
        {
            "verb": Verb.ANSWERED,
            "object_iri": "https://example.org/hors-module",
            "module": None,
            "result": Result(success=True, response=[1, 2]),
            "at": minutes(5),
        },
    ]
    second = [
        # Updates in place: a trainer validates the checkpoint, a new step is answered.
        {
            "verb": Verb.VALIDATED,
            "object_iri": steps[1],
            "object_kind": CHECKPOINT_KIND,
            "instructor": trainer,
            "is_self_reported": False,
            "at": minutes(10),
            "trusted": True,
        },
        {
            "verb": Verb.ANSWERED,
            "object_iri": steps[3],
            "object_kind": "quiz",
            "result": Result(success=True, score_scaled=-0.25, response={"a": True}),
            "is_self_reported": True,
            "at": minutes(11),
        },
        # Older than what the summaries hold: the module is folded again from the log.
        {
            "verb": Verb.ANSWERED,
            "object_iri": steps[2],
            "object_kind": "h5p",
            "result": Result(success=False, score_scaled=0.1),
            "at": minutes(2.5),
        },
        # The same id twice in one call.
        {"verb": Verb.EXPERIENCED, "object_iri": module.iri, "at": minutes(12), "twice": True},
    ]
    return [first, second]


def build(entry: dict, *, learner, association, module, ids: dict) -> list[Statement]:
    key = (entry["verb"], entry["object_iri"], entry["at"])
    statement = statement_build(
        statement_id=ids.setdefault(key, uuid.uuid4()),
        learner=learner,
        verb=entry["verb"],
        object_iri=entry["object_iri"],
        object_kind=entry.get("object_kind", ""),
        module=entry.get("module", module),
        result=entry.get("result"),
        is_self_reported=entry.get("is_self_reported", False),
        association=association,
        session_uuid=uuid.UUID(int=7) if entry.get("trusted") else None,
        instructor=entry.get("instructor"),
        timestamp=entry["at"],
        timestamp_is_trusted=entry.get("trusted", False),
        now=START + datetime.timedelta(days=1),
    )
    if not entry.get("twice"):
        return [statement]
    again = statement_build(
        statement_id=statement.pk,
        learner=learner,
        verb=entry["verb"],
        object_iri=entry["object_iri"],
        module=module,
        association=association,
        timestamp=entry["at"],
        now=START + datetime.timedelta(days=1),
    )
    return [statement, again]


def write(learner, *, sql: bool, module, association, trainer) -> list[list[tuple]]:
    """Both calls for this learner through one path; what each call answered."""
    steps_by_module = {module.iri: 4}
    ids: dict = {}
    answers = []
    calls = plan(module, trainer)
    # The first call's first statement is sent again in the second call: a duplicate.
    calls[1].insert(0, calls[0][1])
    for call in calls:
        statements = [
            statement
            for entry in call
            for statement in build(
                entry, learner=learner, association=association, module=module, ids=ids
            )
        ]
        with transaction.atomic():
            stored = services._statements_store(statements, steps_by_module, None, sql=sql)
        answers.append([(result.status, result.statement is not None) for result in stored])
    return answers


def rows(model, learner, *, leave_out: set[str]) -> list[dict]:
    names = [f.attname for f in model._meta.concrete_fields if f.attname not in leave_out]
    found = list(model.objects.filter(learner=learner).values(*names))
    return sorted(found, key=lambda row: json.dumps(row, sort_keys=True, default=str))


def test_the_sql_path_writes_every_column_the_orm_path_writes(catalogue):
    module = catalogue.first()
    association = AssociationFactory()
    trainer = trainer_in(association)
    by_orm, by_sql = learner_in(association), learner_in(association)
    context = {"module": module, "association": association, "trainer": trainer}

    answers_orm = write(by_orm, sql=False, **context)
    activity_ids = dict(
        ActivityProgress.objects.filter(learner=by_orm).values_list("activity_iri", "pk")
    )
    answers_sql = write(by_sql, sql=True, **context)

    assert answers_sql == answers_orm
    statuses = [status for call in answers_sql for status, _ in call]
    assert statuses.count(services.StoreStatus.DUPLICATE) == 2  # the resent and the twice
    # Statements: every column but who (two learners) and when the rows were stored.
    leave_out = {"id", "learner_id", "learner_pseudonym", "stored_at"}
    orm_statements = rows(Statement, by_orm, leave_out=leave_out)
    assert len(orm_statements) == 10
    assert rows(Statement, by_sql, leave_out=leave_out) == orm_statements
    # Each path gave its own learner's ids and pseudonym, and a time of storing.
    for learner in (by_orm, by_sql):
        stored = Statement.objects.filter(learner=learner)
        assert set(stored.values_list("learner_pseudonym", flat=True)) == {learner.pseudonym}
        assert not stored.filter(stored_at__isnull=True).exists()
    # Summaries: every column but the row's id and the learner's.
    for model in (ActivityProgress, ModuleProgress):
        orm_rows = rows(model, by_orm, leave_out={"id", "learner_id"})
        assert orm_rows
        assert rows(model, by_sql, leave_out={"id", "learner_id"}) == orm_rows
    # The case the comparison is for: validated, folded again, waiting then done.
    checkpoint = ActivityProgress.objects.get(learner=by_sql, activity_iri=f"{module.iri}/step/2")
    assert checkpoint.status == "completed" and checkpoint.is_validated_by_trainer
    # Rows updated in place keep their ids on the ORM path, and so on the SQL path.
    assert activity_ids == dict(
        ActivityProgress.objects.filter(learner=by_orm).values_list("activity_iri", "pk")
    )


def test_the_sql_path_keeps_a_summary_row_id_when_it_updates_it(catalogue):
    module = catalogue.first()
    association = AssociationFactory()
    learner = learner_in(association)
    first, second = plan(module, trainer_in(association))
    ids: dict = {}
    make = {"learner": learner, "association": association, "module": module, "ids": ids}
    with transaction.atomic():
        services._statements_store(
            [s for entry in first for s in build(entry, **make)], {module.iri: 4}, None, sql=True
        )
    before = dict(
        ActivityProgress.objects.filter(learner=learner).values_list("activity_iri", "pk")
    )
    module_row = ModuleProgress.objects.get(learner=learner)
    with transaction.atomic():
        services._statements_store(
            [s for entry in second for s in build(entry, **make)], {module.iri: 4}, None, sql=True
        )
    after = dict(ActivityProgress.objects.filter(learner=learner).values_list("activity_iri", "pk"))
    assert {iri: after[iri] for iri in before} == before
    assert len(after) == len(before) + 1
    assert ModuleProgress.objects.get(learner=learner).pk == module_row.pk


@pytest.mark.parametrize(
    ("model", "columns", "leave_out"),
    [
        (Statement, _writer_sql.STATEMENT_COLUMNS, set()),
        (ActivityProgress, _writer_sql.ACTIVITY_COLUMNS, {"id"}),
        (ModuleProgress, _writer_sql.MODULE_COLUMNS, {"id"}),
    ],
)
def test_the_sql_names_every_column_of_the_models_with_its_type(model, columns, leave_out):
    """A field added to a model and not to the SQL would be lost on PostgreSQL only; a
    column read as a narrower type than the table's would fail on large values."""
    expected = {field.column for field in model._meta.concrete_fields} - leave_out
    assert set(columns) == expected
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s",
            [model._meta.db_table],
        )
        table = dict(cursor.fetchall())
    for column, kind in columns.items():
        # Text is read as text and checked against the column's length on insert.
        assert kind == ("text" if table[column] == "character varying" else table[column])


@pytest.mark.parametrize("card", ["oldest", "newest", "inactive", "trained", "none", "no lookup"])
@pytest.mark.parametrize("stored", [False, True])
def test_the_sql_lock_reads_what_the_orm_lock_reads(card, stored):
    """One learner's lock: whether an id is stored, and the association the statements
    count in (the oldest active learner membership, in the card's association if one)."""
    newest, oldest, former, trained = (AssociationFactory() for _ in range(4))
    learner = learner_in(newest)
    today = datetime.date(2026, 12, 7)
    for association, joined, role, active in (
        (oldest, today - datetime.timedelta(days=300), Role.LEARNER, True),
        (former, today - datetime.timedelta(days=900), Role.LEARNER, False),
        (trained, today - datetime.timedelta(days=800), Role.TRAINER, True),
    ):
        MembershipFactory(
            user=learner, association=association, joined_on=joined, role=role, is_active=active
        )
    chosen = {"oldest": oldest, "newest": newest, "inactive": former, "trained": trained}
    lookup = None
    if card != "no lookup":
        lookup = services.LearnerAssociation(chosen[card].pk if card in chosen else None)
    ids = [uuid.uuid4(), uuid.uuid4()]
    if stored:
        Statement.objects.create(
            id=ids[1],
            learner=learner,
            learner_pseudonym=learner.pseudonym,
            verb=Verb.EXPERIENCED,
            object_iri="https://example.org/a",
            timestamp=START,
        )
    with transaction.atomic():
        by_sql = services._learners_lock([learner.pk], ids, lookup, sql=True)
    with transaction.atomic():
        by_orm = services._learners_lock([learner.pk], ids, lookup, sql=False)
    assert by_sql == by_orm
    expected = {"oldest": oldest, "newest": newest, "none": oldest}.get(card)
    assert by_sql == (stored, expected.pk if expected and lookup else None)
