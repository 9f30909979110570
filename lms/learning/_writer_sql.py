"""The PostgreSQL statements of the one writer (`services.statements_store`), in plain SQL.

Only `services._statements_store` (and its `_learners_lock`) calls this module, and only on
PostgreSQL (SQLite keeps the ORM path). Measured with tests/benchmarks/bench_statements.py, the ORM version of the
writer needs 6 round trips a request (lock, insert, read of each summary table, upsert of
each) and lost more than a quarter of the statement endpoint's throughput, the limit
issue 19 set (1,000 learners, PostgreSQL + Redis, 3 rounds each, alternated, medians:
single statements 47.8/s against 87.4/s for the SQL writer of 58a496d, batches of 20
553.6/s against 830.6/s); here the same work is 3 round trips (lock, insert and read,
both upserts). Measured after (3 rounds, on a machine loaded by other work, so the
endpoint figures are noisy): single statements 55.5/s and batches 819.7/s at the median;
the writer alone, timed in-process on the same database with both paths alternated (350
calls each), takes 21.3 ms where the ORM takes 38.2 ms for one statement, and 24.9 ms
where it takes 44.6 ms for 20 (medians).

Each statement has one fixed text whatever the number of rows: the rows travel as one
JSON parameter, read back into typed columns by `json_to_recordset`. psycopg prepares a
text it has seen `prepare_threshold` times on a connection (DATABASES OPTIONS,
lms/settings/base.py), so a request then sends values only. The column lists are written
out by hand; tests/lms/learning/test_writer_sql.py checks that they name every column of
the models, and that this path writes the very rows the ORM path writes.
"""

import json
import operator
from datetime import datetime

from django.db import connection
from django.utils import timezone

from .models import ActivityProgress, ModuleProgress, Statement

# Every column of learning_statement, and its type in json_to_recordset.
STATEMENT_COLUMNS = {
    "id": "uuid",
    "learner_id": "bigint",
    "learner_pseudonym": "uuid",
    "verb": "text",
    "object_iri": "text",
    "object_kind": "text",
    "module_iri": "text",
    "module_id": "integer",
    "score_raw": "double precision",
    "score_min": "double precision",
    "score_max": "double precision",
    "score_scaled": "double precision",
    "success": "boolean",
    "completion": "boolean",
    "response": "jsonb",
    "duration_seconds": "integer",
    "is_self_reported": "boolean",
    "association_id": "bigint",
    "session_uuid": "uuid",
    "instructor_id": "bigint",
    "timestamp": "timestamp with time zone",
    "stored_at": "timestamp with time zone",
}

# Every column of the summary tables but `id` (a new row takes the sequence's, an existing
# one keeps its own: rows are matched on the learner and the IRI).
ACTIVITY_COLUMNS = {
    "learner_id": "bigint",
    "activity_iri": "text",
    "module_iri": "text",
    "status": "text",
    "attempts": "integer",
    "first_response": "jsonb",
    "first_success": "boolean",
    "best_score_scaled": "double precision",
    "is_validated_by_trainer": "boolean",
    "completed_at": "timestamp with time zone",
    "updated_at": "timestamp with time zone",
}
MODULE_COLUMNS = {
    "learner_id": "bigint",
    "module_iri": "text",
    "module_id": "integer",
    "steps_completed": "integer",
    "steps_total": "integer",
    "last_activity_iri": "text",
    "started_at": "timestamp with time zone",
    "completed_at": "timestamp with time zone",
    "updated_at": "timestamp with time zone",
}


def _names(columns: dict) -> str:
    return ", ".join(f'"{column}"' for column in columns)


def _typed(columns: dict) -> str:
    return ", ".join(f'"{column}" {kind}' for column, kind in columns.items())


def _updates(columns: dict, key: str) -> str:
    return ", ".join(
        f'"{column}" = EXCLUDED."{column}"'
        for column in columns
        if column not in ("learner_id", key)
    )


# The learner's lock (`services._learners_lock`) for one learner's few statements, and in
# the same query whether any of the ids is stored already and, when asked, the learner's
# association. The ORM builds this query anew at each request (an Exists and a Subquery),
# which cost the single-statement request more Python than the rest of the writer.
LOCK = """
SELECT
    EXISTS (SELECT 1 FROM learning_statement s WHERE s.id = ANY(%s::uuid[])),
    NULL::bigint
FROM accounts_user u WHERE u.id = %s
FOR NO KEY UPDATE OF u
"""
# The same with the learner's association, as `services.LearnerAssociation` picks it: the
# oldest active learner membership, in the association of the card signed in with if any.
LOCK_WITH_ASSOCIATION = """
SELECT
    EXISTS (SELECT 1 FROM learning_statement s WHERE s.id = ANY(%s::uuid[])),
    (SELECT m.association_id FROM accounts_membership m
     WHERE m.user_id = u.id AND m.role = %s AND m.is_active
       AND (%s::bigint IS NULL OR m.association_id = %s::bigint)
     ORDER BY m.joined_on LIMIT 1)
FROM accounts_user u WHERE u.id = %s
FOR NO KEY UPDATE OF u
"""


# The insert of the new statements, and in the same statement the read (locked, as
# `services._progress_rows` locks them) of the summary rows of the learners and IRIs they
# name. The learners come as an array parameter, not from the JSON rows: the planner then
# reaches the rows through the learner's index, where it would scan the whole table for
# a join on rows it cannot count. Both parts see the same snapshot: the insert adds no
# summary row.
INSERT_AND_READ = f"""
WITH new AS MATERIALIZED (
    SELECT * FROM json_to_recordset(%s::json) AS r({_typed(STATEMENT_COLUMNS)})
), inserted AS (
    INSERT INTO learning_statement ({_names(STATEMENT_COLUMNS)})
    SELECT {_names(STATEMENT_COLUMNS)} FROM new
)
SELECT
    (SELECT COALESCE(json_agg(a), '[]') FROM (
        SELECT * FROM learning_activityprogress t
        WHERE t.learner_id = ANY(%s::bigint[])
          AND t.activity_iri IN (SELECT object_iri FROM new)
        FOR UPDATE OF t
    ) a),
    (SELECT COALESCE(json_agg(m), '[]') FROM (
        SELECT * FROM learning_moduleprogress t
        WHERE t.learner_id = ANY(%s::bigint[])
          AND t.module_iri IN (SELECT module_iri FROM new WHERE module_iri <> '')
        FOR UPDATE OF t
    ) m)
"""  # noqa: S608 (fixed text: table and column names only, every value is a parameter)

# Both summary tables' upserts in one statement: new rows inserted, existing ones updated
# in place, as `bulk_create(update_conflicts=True)` does on the ORM path.
UPSERT = f"""
WITH activities AS (
    INSERT INTO learning_activityprogress ({_names(ACTIVITY_COLUMNS)})
    SELECT {_names(ACTIVITY_COLUMNS)}
    FROM json_to_recordset(%s::json) AS r({_typed(ACTIVITY_COLUMNS)})
    ON CONFLICT (learner_id, activity_iri) DO UPDATE SET {_updates(ACTIVITY_COLUMNS, "activity_iri")}
)
INSERT INTO learning_moduleprogress ({_names(MODULE_COLUMNS)})
SELECT {_names(MODULE_COLUMNS)}
FROM json_to_recordset(%s::json) AS r({_typed(MODULE_COLUMNS)})
ON CONFLICT (learner_id, module_iri) DO UPDATE SET {_updates(MODULE_COLUMNS, "module_iri")}
"""  # noqa: S608 (fixed text, as above)


def _json_plan(columns: dict) -> tuple:
    """How rows travel as JSON: the columns, one reader of all their attributes, and the
    columns whose value is converted (text for UUIDs, ISO 8601 for aware datetimes); the
    others (a statement's response too, the JSON itself, as the ORM stores it) go as they
    are. Made once per table: the batch endpoint converts hundreds of values a request."""
    converted = []
    for index, kind in enumerate(columns.values()):
        if kind == "uuid":
            converted.append((index, str))
        elif kind == "timestamp with time zone":
            converted.append((index, datetime.isoformat))
    return tuple(columns), operator.attrgetter(*columns), tuple(converted)


STATEMENT_JSON = _json_plan(STATEMENT_COLUMNS)
ACTIVITY_JSON = _json_plan(ACTIVITY_COLUMNS)
MODULE_JSON = _json_plan(MODULE_COLUMNS)


def _rows_json(rows, plan: tuple) -> str:
    names, read, converted = plan
    made = []
    for row in rows:
        values = list(read(row))
        for index, convert in converted:
            if values[index] is not None:
                values[index] = convert(values[index])
        made.append(dict(zip(names, values, strict=True)))
    return json.dumps(made, separators=(",", ":"))


def _rows_read(model, rows: list[dict], key: str) -> dict:
    """Model instances from rows read as JSON (`json_agg`), by (learner, IRI)."""
    fields = model._meta.concrete_fields
    names = [field.attname for field in fields]
    made = {}
    for data in rows:
        values = [
            datetime.fromisoformat(data[field.column])
            if field.get_internal_type() == "DateTimeField" and data[field.column] is not None
            else data[field.column]
            for field in fields
        ]
        row = model.from_db(connection.alias, names, values)
        made[(row.learner_id, getattr(row, key))] = row
    return made


def statements_insert(statements: list[Statement]) -> tuple[dict, dict]:
    """Insert these new statements; return the summary rows they touch, locked.

    Returns the ActivityProgress rows by (learner, activity IRI) and the ModuleProgress
    rows by (learner, module IRI), as `services._progress_rows` gives them. A statement id
    stored meanwhile by another request raises IntegrityError, as `bulk_create` does.
    """
    stored_at = timezone.now()
    for statement in statements:
        statement.stored_at = stored_at  # auto_now_add, as bulk_create sets it
    with connection.cursor() as cursor:
        learner_ids = sorted({statement.learner_id for statement in statements})
        cursor.execute(
            INSERT_AND_READ, [_rows_json(statements, STATEMENT_JSON), learner_ids, learner_ids]
        )
        activities, modules = cursor.fetchone()
    # psycopg decodes json values itself; a text is decoded here.
    activities = json.loads(activities) if isinstance(activities, str) else activities
    modules = json.loads(modules) if isinstance(modules, str) else modules
    return (
        _rows_read(ActivityProgress, activities, "activity_iri"),
        _rows_read(ModuleProgress, modules, "module_iri"),
    )


def progress_upsert(activities, modules) -> None:
    """Write the changed summary rows of both tables, in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            UPSERT,
            [_rows_json(activities, ACTIVITY_JSON), _rows_json(modules, MODULE_JSON)],
        )


def learner_lock(
    learner_id: int, ids: list, *, role: str, card_id: int | None, lookup: bool
) -> tuple[bool, int | None]:
    """Lock one learner's row; return whether any of `ids` is stored, and (with `lookup`)
    the learner's association: learner memberships of `role`, in `card_id`'s if given."""
    with connection.cursor() as cursor:
        if lookup:
            cursor.execute(LOCK_WITH_ASSOCIATION, [list(ids), role, card_id, card_id, learner_id])
        else:
            cursor.execute(LOCK, [list(ids), learner_id])
        row = cursor.fetchone()
    if row is None:  # no such learner: nothing locked, as the ORM's query finds no row
        return False, None
    return bool(row[0]), row[1]
