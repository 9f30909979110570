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
from datetime import date, timedelta

from django.db import connections, router, transaction

from lms.accounts.models import LearnerProfile, Membership, Role, User

from . import indicators
from .models import LearnerAreaMonth, LearnerMonth

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


def sqlite_functions_register(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("BIT_OR", 1, BitOr)


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


def _popcount(column: str) -> str:
    if _vendor() == "postgresql":
        return f"bit_count(CAST({column} AS bit(32)))"  # PostgreSQL 14 and later
    return " + ".join(f"(({column} >> {bit}) & 1)" for bit in range(31))


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


def _fetch(sql: Sql) -> list[tuple]:
    alias = _alias()
    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        if connections[alias].vendor == "postgresql":
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            # The planner cannot estimate how many learners a CTE keeps and picks nested
            # loops over 100,000 of them; hash joins are what these whole-table counts need.
            cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute(sql.text, sql.params)
        return cursor.fetchall()


def _month_key(value) -> str:
    return str(value)[:7]


def learner_counts(association_ids: list[int], start: date, end: date, recent_end: date) -> dict:
    """Learners reached, new, returning, recently active, with each fact, by month, and
    the profiles of those reached (for `indicators.who_is_reached_from_counts`).

    One pass over the rollup rows, grouped by learner: for each month of the period the
    learner's days there (a bitwise OR over their associations, so that a day spent in two
    counts once), then one row of sums over all learners.
    """
    table = LearnerMonth._meta.db_table
    first = start.replace(day=1)
    recent_from = max(start, recent_end - timedelta(days=indicators.RECENT_DAYS - 1))
    months = [date.fromisoformat(f"{m}-01") for m in indicators.months_between(start, end)]
    per_learner = Sql(
        "SELECT pseudonym, MIN(month) AS first_month, "
        "MAX(CASE WHEN month = %s AND (active_days & %s) <> 0 THEN 1 ELSE 0 END) AS seen_before",
        [first, (1 << (start.day - 1)) - 1],
    )
    for index, month in enumerate(months):
        per_learner += Sql(
            f", BIT_OR(CASE WHEN month = %s THEN active_days & %s ELSE 0 END) AS d{index}",
            [month, indicators.days_mask(month, start, end)],
        )
    for fact in DAY_FACTS:
        per_learner += (
            Sql(", MAX(CASE WHEN ")
            + _period_days(f"{fact}_days", start, end)
            + Sql(f" <> 0 THEN 1 ELSE 0 END) AS {fact}")
        )
    per_learner += (
        Sql(", MAX(CASE WHEN ")
        + _window_days("active_days", recent_from, recent_end)
        + Sql(f" <> 0 THEN 1 ELSE 0 END) AS recent FROM {table} WHERE association_id IN (")
        + _in(association_ids)
        + Sql(") AND month <= %s GROUP BY pseudonym", [end.replace(day=1)])
    )
    days = [f"d{index}" for index in range(len(months))]
    reached = (
        "(CASE WHEN " + " OR ".join(f"{d} <> 0" for d in days or ["0"]) + " THEN 1 ELSE 0 END)"
    )
    day_count = " + ".join(_popcount(d) for d in days) or "0"
    new = Sql(
        f"(CASE WHEN {reached} = 1 AND (first_month > %s OR (first_month = %s "
        "AND seen_before = 0)) THEN 1 ELSE 0 END)",
        [first, first],
    )
    columns = 4 + len(DAY_FACTS) + 2 * len(months)
    sql = (
        Sql("WITH learners AS (")
        + per_learner
        + Sql(
            f"), prof AS (SELECT p.year_of_birth, p.gender, p.postcode, p.first_language, "
            f"p.situations FROM learners l JOIN {User._meta.db_table} u "
            f"ON u.pseudonym = l.pseudonym JOIN {LearnerProfile._meta.db_table} p "
            f"ON p.user_id = u.id WHERE {reached} = 1 AND u.id IN (SELECT user_id FROM "
            f"{Membership._meta.db_table} WHERE association_id IN ("
        )
        + _in(association_ids)
        + Sql(") AND role = %s)) ", [Role.LEARNER])
        + Sql(f"SELECT 'total', CAST(NULL AS TEXT), SUM({reached}), SUM(")
        + new
        + Sql(
            f"), SUM(CASE WHEN {day_count} >= {indicators.RETURN_DAYS} THEN 1 ELSE 0 END), "
            "SUM(recent)"
            + "".join(f", SUM({fact})" for fact in DAY_FACTS)
            + "".join(f", SUM(CASE WHEN {d} <> 0 THEN 1 ELSE 0 END)" for d in days)
        )
    )
    for month in months:
        sql += Sql(", SUM(CASE WHEN first_month = %s THEN ", [month]) + new + Sql(" ELSE 0 END)")
    sql += Sql(" FROM learners")
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
