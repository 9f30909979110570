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

from datetime import date, timedelta

from django.db import connection

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


def _param(value):
    # SQLite keeps dates as ISO text; PostgreSQL compares real dates.
    if isinstance(value, date) and connection.vendor != "postgresql":
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
    if connection.vendor == "postgresql":
        return f"bit_count(CAST({column} AS bit(32)))"  # PostgreSQL 14 and later
    return " + ".join(f"(({column} >> {bit}) & 1)" for bit in range(31))


def _fetch(sql: Sql) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql.text, sql.params)
        return cursor.fetchall()


def _month_key(value) -> str:
    return str(value)[:7]


def learner_counts(association_ids: list[int], start: date, end: date, recent_end: date) -> dict:
    """Learners reached, new, returning, recently active and with each fact, and by month."""
    table = LearnerMonth._meta.db_table
    first = start.replace(day=1)
    recent_from = max(start, recent_end - timedelta(days=indicators.RECENT_DAYS - 1))
    facts = Sql("")
    for fact in DAY_FACTS:
        facts += (
            Sql(", MAX(CASE WHEN ")
            + _period_days(f"{fact}_days", start, end)
            + Sql(f" <> 0 THEN 1 ELSE 0 END) AS {fact}")
        )
    new = Sql(
        "(CASE WHEN reached = 1 AND (first_month > %s OR (first_month = %s AND seen_before = 0)) "
        "THEN 1 ELSE 0 END)",
        [first, first],
    )
    sql = (
        Sql("WITH lm AS (SELECT pseudonym, month, BIT_OR(")
        + _period_days("active_days", start, end)
        + Sql(
            ") AS days, MAX(CASE WHEN month = %s AND (active_days & %s) <> 0 THEN 1 ELSE 0 END) "
            "AS seen_before",
            [first, (1 << (start.day - 1)) - 1],
        )
        + facts
        + Sql(", MAX(CASE WHEN ")
        + _window_days("active_days", recent_from, recent_end)
        + Sql(f" <> 0 THEN 1 ELSE 0 END) AS recent FROM {table} WHERE association_id IN (")
        + _in(association_ids)
        + Sql(") AND month <= %s GROUP BY pseudonym, month), ", [end.replace(day=1)])
        + Sql(
            "learners AS (SELECT pseudonym, MIN(month) AS first_month, "
            "MAX(CASE WHEN days <> 0 THEN 1 ELSE 0 END) AS reached, "
            f"SUM({_popcount('days')}) AS day_count, MAX(seen_before) AS seen_before, "
            + ", ".join(f"MAX({fact}) AS {fact}" for fact in DAY_FACTS)
            + ", MAX(recent) AS recent FROM lm GROUP BY pseudonym) "
        )
        + Sql("SELECT 'total', CAST(NULL AS DATE), SUM(reached), SUM(")
        + new
        + Sql(
            f"), SUM(CASE WHEN day_count >= {indicators.RETURN_DAYS} THEN 1 ELSE 0 END), "
            "SUM(recent), "
            + ", ".join(f"SUM({fact})" for fact in DAY_FACTS)
            + " FROM learners UNION ALL SELECT 'active', month, COUNT(*), "
            + ", ".join(["0"] * (3 + len(DAY_FACTS)))
            + " FROM lm WHERE days <> 0 GROUP BY month UNION ALL SELECT 'new', first_month, "
            "COUNT(*), " + ", ".join(["0"] * (3 + len(DAY_FACTS))) + " FROM learners WHERE "
        )
        + new
        + Sql(" = 1 GROUP BY first_month")
    )
    counts = {"learners_by_month": {}, "new_by_month": {}}
    for kind, month, *values in _fetch(sql):
        if kind == "total":
            names = ["learners", "new_learners", "returning_learners", "active_recently"]
            counts.update(zip([*names, *DAY_FACTS], (int(v or 0) for v in values), strict=True))
        elif kind == "active":
            counts["learners_by_month"][_month_key(month)] = int(values[0])
        else:
            counts["new_by_month"][_month_key(month)] = int(values[0])
    return counts


def area_counts(association_ids: list[int], start: date, end: date) -> dict[str, int]:
    """Learners with a trainer validation in each DigComp area during the period."""
    sql = (
        Sql(
            f"SELECT area, COUNT(DISTINCT pseudonym) FROM {LearnerAreaMonth._meta.db_table} "
            "WHERE association_id IN ("
        )
        + _in(association_ids)
        + Sql(") AND month >= %s AND month <= %s AND ", [start.replace(day=1), end.replace(day=1)])
        + _period_days("days", start, end)
        + Sql(" <> 0 GROUP BY area")
    )
    return {area: int(count) for area, count in _fetch(sql)}


def profile_counts(association_ids: list[int], start: date, end: date) -> dict:
    """Learners reached, and the profiles of those who are learners here, one column at a time."""
    reached = (
        Sql(
            f"SELECT DISTINCT pseudonym FROM {LearnerMonth._meta.db_table} WHERE association_id IN ("
        )
        + _in(association_ids)
        + Sql(") AND month >= %s AND month <= %s AND ", [start.replace(day=1), end.replace(day=1)])
        + _period_days("active_days", start, end)
        + Sql(" <> 0")
    )
    profile, user, member = (
        LearnerProfile._meta.db_table,
        User._meta.db_table,
        Membership._meta.db_table,
    )
    columns = {
        "year_of_birth": "CAST(year_of_birth AS TEXT)",
        "gender": "gender",
        "postcode": "postcode",
        "first_language": "first_language",
        "situations": "CAST(situations AS TEXT)",
    }
    sql = (
        Sql("WITH reached AS (")
        + reached
        + Sql(
            "), prof AS (SELECT p.year_of_birth, p.gender, p.postcode, p.first_language, "
            f"p.situations FROM reached r JOIN {user} u ON u.pseudonym = r.pseudonym "
            f"JOIN {profile} p ON p.user_id = u.id WHERE u.id IN (SELECT user_id FROM {member} "
            "WHERE association_id IN ("
        )
        + _in(association_ids)
        + Sql(
            ") AND role = %s)) SELECT 'reached', CAST(NULL AS TEXT), COUNT(*) FROM reached",
            [Role.LEARNER],
        )
        + Sql(
            "".join(
                f" UNION ALL SELECT '{name}', {expression}, COUNT(*) FROM prof GROUP BY {expression}"
                for name, expression in columns.items()
            )
        )
    )
    counts: dict = {name: {} for name in columns}
    for kind, value, count in _fetch(sql):
        if kind == "reached":
            counts["reached"] = int(count)
        else:
            counts[kind][value] = counts[kind].get(value, 0) + int(count)
    return counts
