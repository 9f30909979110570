# ruff: noqa: S608 (only table names from the models and constants are formatted into the
# SQL; every value, date and id is passed as a parameter)
"""Counts of distinct learners, made by the database from the rollup tables.

A programme may reach 100,000 learners: counting distinct people, their distinct days and
their profiles is what a database does in a fraction of a second and what Python, row by
row, does in many seconds. So these few queries return counts, never one row per person.

The SQL is plain enough for PostgreSQL and SQLite alike; SQLite gets the BIT_OR aggregate
PostgreSQL has built in (registered in apps.py). Day bitmasks are described in models.py:
bit 0 is the 1st of the month.
"""

import contextvars
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, timedelta

from django.db import connections, router, transaction

from lms.accounts.models import LearnerProfile, Membership, Role, User

from . import indicators
from .models import LearnerAreaMonth, LearnerMonth, OutcomePair

DAY_FACTS = ["validated", "alone", "little_help", "lot_of_help", "h5p", "quiz", "online"]


class BitOr:
    """SQLite aggregate: the bitwise OR of integers (PostgreSQL's bit_or)."""

    def __init__(self):
        self.value = 0

    def step(self, value):
        if value is not None:
            self.value |= value

    def finalize(self):
        return self.value


def _bit_count(value):
    return None if value is None else int(value).bit_count()


def sqlite_functions_register(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("BIT_OR", 1, BitOr)
        connection.connection.create_function("BIT_COUNT", 1, _bit_count, deterministic=True)


def _alias() -> str:
    """The database the rollups are read from (a replica when replica_reads() is on)."""
    return router.db_for_read(LearnerMonth)


def _vendor() -> str:
    return connections[_alias()].vendor


def _param(value):
    # SQLite keeps dates as ISO text; PostgreSQL compares real dates.
    if isinstance(value, date) and _vendor() != "postgresql":
        return value.isoformat()
    return value


class Sql:
    """A piece of SQL and its parameters, in order."""

    def __init__(self, text: str = "", params=()):
        self.text, self.params = text, [_param(p) for p in params]

    def __add__(self, other: "Sql") -> "Sql":
        joined = Sql(self.text + other.text)
        joined.params = self.params + other.params
        return joined


def _in(values) -> Sql:
    values = list(values)
    return Sql(", ".join(["%s"] * len(values)), values)


def _period_days(column: str, start: date, end: date) -> Sql:
    """`column` (a day bitmask) keeping only the days from start to end."""
    first, last = start.replace(day=1), end.replace(day=1)
    return Sql(
        f"(CASE WHEN month < %s THEN 0 WHEN month = %s THEN {column} & %s "
        f"WHEN month = %s THEN {column} & %s ELSE {column} END)",
        [
            first,
            first,
            indicators.days_mask(first, start, end),
            last,
            indicators.days_mask(last, start, end),
        ],
    )


def _window_days(column: str, since: date, until: date) -> Sql:
    """`column` keeping only the days of a short window (a few months at most)."""
    months = [date.fromisoformat(f"{m}-01") for m in indicators.months_between(since, until)]
    if not months:
        return Sql("0")
    sql = Sql("(CASE")
    for month in months:
        sql += Sql(
            f" WHEN month = %s THEN {column} & %s",
            [month, indicators.days_mask(month, since, until)],
        )
    return sql + Sql(" ELSE 0 END)")


def _popcount(expression: str) -> str:
    """The number of bits set in `expression` (a day bitmask: 31 bits at most)."""
    if _vendor() == "postgresql":
        return f"bit_count(CAST({expression} AS bit(32)))"  # PostgreSQL 14 and later
    return f"BIT_COUNT({expression})"  # registered above


def side_by_side(first, second):
    """Run two independent read-only computations at once; both results.

    On PostgreSQL, outside a transaction, `first` runs in a thread of its own with its own
    connection, so the server works on both (a 2-core machine counts 100,000 learners in
    about half the time). Inside a transaction (tests, or a caller that has written) the
    other connection would not see what this one holds: both then run here, in turn.
    """
    alias = _alias()
    connection = connections[alias]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return first(), second()
    context = contextvars.copy_context()  # replica_reads() and the like follow the thread

    def run_first():
        try:
            return context.run(first)
        finally:
            connections.close_all()  # this thread's own connections

    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(run_first)
        other = second()
        return pending.result(), other


# Memory PostgreSQL may use to group 100,000 learners without spilling to disk.
WORK_MEM = "64MB"


@contextmanager
def counting():
    """A transaction set up for counts over whole tables (on PostgreSQL; nothing on SQLite).

    - work_mem: room to group 100,000 learners in memory rather than on disk;
    - no nested loops: the planner cannot estimate how many learners a CTE keeps and picks
      nested loops over 100,000 of them, where hash joins are what these counts need;
    - no JIT: past an estimated cost of 100,000 (the counts at 100,000 learners)
      PostgreSQL compiles the query to machine code first, which took longer (0.7 to 0.9 s for
      the learner counts) than running the query itself (0.35 s).
    """
    alias = _alias()
    with transaction.atomic(using=alias):
        if connections[alias].vendor == "postgresql":
            with connections[alias].cursor() as cursor:
                cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
                cursor.execute("SET LOCAL enable_nestloop = off")
                cursor.execute("SET LOCAL jit = off")
        yield


def _fetch(sql: Sql) -> list[tuple]:
    with counting(), connections[_alias()].cursor() as cursor:
        cursor.execute(sql.text, sql.params)
        return cursor.fetchall()


def _month_key(value) -> str:
    return str(value)[:7]


# Bits of a learner's "facts" column after DAY_FACTS (bits 0 to 6).
RECENT_BIT, SEEN_BEFORE_BIT = len(DAY_FACTS), len(DAY_FACTS) + 1
# Months per bitmask column of a learner's active months (an SQL BIGINT holds 63 bits).
MONTHS_PER_COLUMN = 60


def learner_counts(association_ids: list[int], start: date, end: date, recent_end: date) -> dict:
    """Learners reached, new, returning, recently active, with each fact, by month, and
    the profiles of those reached (for `indicators.who_is_reached_from_counts`).

    One pass over the rollup rows, grouped by learner, with a few aggregates: the months
    they were active in the period (a bit per month), their active days summed, the facts
    seen in the period (validated, H5P, quiz, ..., recently active, seen before the period:
    a bit each). Each aggregate costs a pass of work over some 400,000 rows at 100,000
    learners: one per month and per fact made the query several times longer.

    Days summed over a learner's rows count a day spent in two associations twice: for
    the few learners with rows in several associations, their days are counted again
    month by month, as a bitwise OR over their associations. Then, once per learner,
    whether they were reached, new, returning; then one row of sums over all learners.
    """
    table = LearnerMonth._meta.db_table
    first = start.replace(day=1)
    recent_from = max(start, recent_end - timedelta(days=indicators.RECENT_DAYS - 1))
    months = [date.fromisoformat(f"{m}-01") for m in indicators.months_between(start, end)]
    chunks = [months[i : i + MONTHS_PER_COLUMN] for i in range(0, len(months), MONTHS_PER_COLUMN)]
    scope = (
        Sql(f"FROM {table} WHERE association_id IN (")
        + _in(association_ids)
        + Sql(") AND month <= %s", [end.replace(day=1)])
    )
    active = _period_days("active_days", start, end)

    per_learner = Sql(
        "SELECT pseudonym, MIN(month) AS first_month, MIN(association_id) AS association_low, "
        "MAX(association_id) AS association_high, SUM("
    )
    per_learner += Sql(_popcount(active.text), active.params) + Sql(") AS day_sum")
    for column, chunk in enumerate(chunks):
        per_learner += Sql(", BIT_OR(CASE WHEN ") + active + Sql(" = 0 THEN 0 ELSE CASE month")
        for bit, month in enumerate(chunk):
            per_learner += Sql(" WHEN %s THEN CAST(%s AS BIGINT)", [month, 1 << bit])
        per_learner += Sql(f" ELSE 0 END END) AS m{column}")
    per_learner += Sql(", BIT_OR(0")
    for bit, fact in enumerate(DAY_FACTS):
        per_learner += (
            Sql(" + (CASE WHEN ")
            + _period_days(f"{fact}_days", start, end)
            + Sql(f" <> 0 THEN {1 << bit} ELSE 0 END)")
        )
    per_learner += (
        Sql(" + (CASE WHEN ")
        + _window_days("active_days", recent_from, recent_end)
        + Sql(f" <> 0 THEN {1 << RECENT_BIT} ELSE 0 END)")
        + Sql(
            f" + (CASE WHEN month = %s AND (active_days & %s) <> 0 THEN {1 << SEEN_BEFORE_BIT} "
            "ELSE 0 END)) AS facts ",
            [first, (1 << (start.day - 1)) - 1],
        )
        + scope
        + Sql(" GROUP BY pseudonym")
    )
    # Learners with rows in several associations: their distinct days, month by month.
    several_days = (
        Sql("SELECT pseudonym, SUM(" + _popcount("days") + ") AS day_count FROM (")
        + Sql("SELECT pseudonym, month, BIT_OR(")
        + active
        + Sql(") AS days ")
        + scope
        + Sql(
            " AND pseudonym IN (SELECT pseudonym FROM learners "
            "WHERE association_low <> association_high) GROUP BY pseudonym, month"
            ") AS learner_months GROUP BY pseudonym"
        )
    )
    month_columns = [f"m{column}" for column in range(len(chunks))]
    reached = " OR ".join(f"{m} <> 0" for m in month_columns) or "0 = 1"
    flagged = Sql(
        "SELECT l.pseudonym, first_month, facts"
        + "".join(f", {m}" for m in month_columns)
        + f", CASE WHEN {reached} THEN 1 ELSE 0 END AS reached, "
        f"CASE WHEN COALESCE(s.day_count, l.day_sum) >= {indicators.RETURN_DAYS} "
        "THEN 1 ELSE 0 END AS comes_back FROM learners l "
        "LEFT JOIN several_days s ON s.pseudonym = l.pseudonym"
    )
    new = Sql(
        "(CASE WHEN reached = 1 AND (first_month > %s OR (first_month = %s "
        f"AND (facts & {1 << SEEN_BEFORE_BIT}) = 0)) THEN 1 ELSE 0 END)",
        [first, first],
    )

    def active_in(index: int) -> str:
        return f"((m{index // MONTHS_PER_COLUMN} >> {index % MONTHS_PER_COLUMN}) & 1)"

    columns = 4 + len(DAY_FACTS) + 2 * len(months)
    sql = (
        Sql("WITH learners AS (")
        + per_learner
        + Sql("), several_days AS (")
        + several_days
        + Sql("), flagged AS (")
        + flagged
        + Sql(
            f"), prof AS (SELECT p.year_of_birth, p.gender, p.postcode, p.first_language, "
            f"p.situations FROM flagged l JOIN {User._meta.db_table} u "
            f"ON u.pseudonym = l.pseudonym JOIN {LearnerProfile._meta.db_table} p "
            f"ON p.user_id = u.id WHERE l.reached = 1 AND u.id IN (SELECT user_id FROM "
            f"{Membership._meta.db_table} WHERE association_id IN ("
        )
        + _in(association_ids)
        + Sql(") AND role = %s)) ", [Role.LEARNER])
        + Sql("SELECT 'total', CAST(NULL AS TEXT), SUM(reached), SUM(")
        + new
        + Sql(
            f"), SUM(comes_back), SUM((facts >> {RECENT_BIT}) & 1)"
            + "".join(f", SUM((facts >> {bit}) & 1)" for bit in range(len(DAY_FACTS)))
            + "".join(f", SUM({active_in(index)})" for index in range(len(months)))
        )
    )
    for month in months:
        sql += Sql(", SUM(CASE WHEN first_month = %s THEN ", [month]) + new + Sql(" ELSE 0 END)")
    sql += Sql(" FROM flagged")
    # The profiles of the learners reached, one column at a time, in the same statement.
    padding = ", 0" * (columns - 1)
    for name, expression in PROFILE_COLUMNS.items():
        sql += Sql(
            f" UNION ALL SELECT '{name}', {expression}, COUNT(*){padding} FROM prof "
            f"GROUP BY {expression}"
        )
    rows = _fetch(sql)
    values = next([int(v or 0) for v in row[2:]] for row in rows if row[0] == "total")
    names = ["learners", "new_learners", "returning_learners", "active_recently", *DAY_FACTS]
    counts = dict(zip(names, values, strict=False))
    by_month = values[len(names) : len(names) + len(months)]
    new_by_month = values[len(names) + len(months) :]
    keys = [month.strftime("%Y-%m") for month in months]
    counts["learners_by_month"] = dict(zip(keys, by_month, strict=True))
    counts["new_by_month"] = dict(zip(keys, new_by_month, strict=True))
    profiles: dict = {name: {} for name in PROFILE_COLUMNS}
    for kind, value, count, *_zeros in rows:
        if kind != "total":
            profiles[kind][value] = profiles[kind].get(value, 0) + int(count)
    profiles["reached"] = counts["learners"]
    counts["profiles"] = profiles
    return counts


PROFILE_COLUMNS = {
    "year_of_birth": "CAST(year_of_birth AS TEXT)",
    "gender": "gender",
    "postcode": "postcode",
    "first_language": "first_language",
    "situations": "CAST(situations AS TEXT)",
}


def area_counts(association_ids: list[int], start: date, end: date) -> dict[str, int]:
    """Learners with a trainer validation in each DigComp area during the period."""
    sql = (
        Sql(
            # GROUP BY rather than COUNT(DISTINCT): PostgreSQL hashes the former, sorts the latter.
            f"SELECT area, COUNT(*) FROM (SELECT area, pseudonym FROM "
            f"{LearnerAreaMonth._meta.db_table} WHERE association_id IN ("
        )
        + _in(association_ids)
        + Sql(") AND month >= %s AND month <= %s AND ", [start.replace(day=1), end.replace(day=1)])
        + _period_days("days", start, end)
        + Sql(" <> 0 GROUP BY area, pseudonym) AS validated GROUP BY area")
    )
    return {area: int(count) for area, count in _fetch(sql)}


def outcome_counts(association_ids: list[int], start: date, end: date) -> dict:
    """Shifts of the outcome answers, and the learners who gave both, in one pass."""
    sql = (
        Sql(
            "WITH pairs AS (SELECT pseudonym, before, after FROM "
            f"{OutcomePair._meta.db_table} WHERE association_id IN ("
        )
        + _in(association_ids)
        + Sql(") AND answered_on >= %s AND answered_on <= %s) ", [start, end])
        # Grouped, then counted: PostgreSQL hashes a GROUP BY, it sorts a COUNT(DISTINCT).
        + Sql(
            "SELECT before, after, COUNT(*) FROM pairs GROUP BY before, after "
            "UNION ALL SELECT NULL, NULL, COUNT(*) FROM "
            "(SELECT pseudonym FROM pairs GROUP BY pseudonym) AS learners"
        )
    )
    rows = _fetch(sql)
    return {
        "shifts": {f"{before}>{after}": int(n) for before, after, n in rows if before is not None},
        "learners": next(int(n) for before, _after, n in rows if before is None),
    }
