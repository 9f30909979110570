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
import threading
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


def _popcount(expression: str) -> str:
    """The number of bits set in `expression` (a day bitmask: 31 bits at most)."""
    if _vendor() == "postgresql":
        return f"bit_count(CAST({expression} AS bit(32)))"  # PostgreSQL 14 and later
    return f"BIT_COUNT({expression})"  # registered above


def in_parallel(*tasks):
    """Run independent read-only computations on two connections at once; their results.

    On PostgreSQL, outside a transaction, this thread and one other each take the next task
    not yet started, each with its own connection, so the server counts on both cores and
    neither connection waits while the other still has work (give the longest task first).
    Inside a transaction (tests, or a caller that has written) the other connection would
    not see what this one holds: the tasks then run here, in turn. Each connection counts
    in one `counting()` transaction.
    """
    connection = connections[_alias()]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        with counting():
            return [task() for task in tasks]
    results = [None] * len(tasks)
    queue = iter(enumerate(tasks))
    lock = threading.Lock()

    def work():
        with counting():
            while True:
                with lock:
                    index, task = next(queue, (None, None))
                if task is None:
                    return
                results[index] = task()

    context = contextvars.copy_context()  # replica_reads() and the like follow the thread

    def work_elsewhere():
        try:
            context.run(work)
        finally:
            connections.close_all()  # this thread's own connections

    with ThreadPoolExecutor(max_workers=1) as pool:
        other = pool.submit(work_elsewhere)
        work()
        other.result()
    return results


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
    - no parallel workers: `in_parallel()` already keeps two connections busy, one per core
      of a small server; workers of their own made each query slower (the learner counts
      0.95 s against 0.65 s at 100,000 learners, with other work on the machine).
    """
    alias = _alias()
    connection = connections[alias]
    if getattr(connection, "counting_set_up", False):  # nested: already set up
        yield
        return
    with transaction.atomic(using=alias):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SET LOCAL work_mem = '{WORK_MEM}'; SET LOCAL enable_nestloop = off; "
                    "SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0"
                )
        connection.counting_set_up = True
        try:
            yield
        finally:
            connection.counting_set_up = False


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
    whether they were reached, new, returning; then one row of sums over the few hundred
    kinds of learner these flags make.

    Backend CPU time at 100,000 learners (397,188 rollup rows): 0.69 s before the period's
    masks were joined as columns, the sums made over kinds and the profiles grouped in one
    pass; 0.54 s after.
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

    # Each month of the period, once: the bits of its days in the period, in the recent
    # window and before the period's first day, and its own bit among the months. Joined to
    # the rollup rows, these make every mask a column rather than an expression to evaluate
    # again for each of 400,000 rows; months outside the period find no row (NULL masks).
    period_months = Sql("")
    for index, month in enumerate(months):
        column, bit = divmod(index, MONTHS_PER_COLUMN)
        period_months += Sql(
            (" UNION ALL " if index else "")
            + "SELECT %s AS month, CAST(%s AS INTEGER) AS days, CAST(%s AS INTEGER) AS recent, "
            "CAST(%s AS INTEGER) AS before"
            + "".join(f", CAST(%s AS BIGINT) AS bit{c}" for c in range(len(chunks))),
            [
                month,
                indicators.days_mask(month, start, end),
                indicators.days_mask(month, recent_from, recent_end),
                (1 << (start.day - 1)) - 1 if month == first else 0,
                *[1 << bit if c == column else 0 for c in range(len(chunks))],
            ],
        )

    def nonzero(expression: str, value: int) -> str:
        return f"(CASE WHEN ({expression}) <> 0 THEN {value} ELSE 0 END)"

    facts = [nonzero(f"r.{fact}_days & p.days", 1 << bit) for bit, fact in enumerate(DAY_FACTS)]
    facts.append(nonzero("r.active_days & p.recent", 1 << RECENT_BIT))
    facts.append(nonzero("r.active_days & p.before", 1 << SEEN_BEFORE_BIT))
    per_learner = (
        Sql(
            "SELECT r.pseudonym, MIN(r.month) AS first_month, "
            "MIN(r.association_id) AS association_low, MAX(r.association_id) AS association_high, "
            f"COALESCE(SUM({_popcount('r.active_days & p.days')}), 0) AS day_sum"
            + "".join(
                f", COALESCE(BIT_OR(CASE WHEN (r.active_days & p.days) <> 0 THEN p.bit{c} "
                f"ELSE 0 END), 0) AS m{c}"
                for c in range(len(chunks))
            )
            + f", COALESCE(BIT_OR({' + '.join(facts)}), 0) AS facts "
            f"FROM {table} r LEFT JOIN ("
        )
        + period_months
        + Sql(") p ON p.month = r.month WHERE r.association_id IN (")
        + _in(association_ids)
        + Sql(") AND r.month <= %s GROUP BY r.pseudonym", [end.replace(day=1)])
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
    kind = ", ".join(["first_month", "facts", *month_columns, "reached", "comes_back"])
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
        + Sql(") AND role = %s)), ", [Role.LEARNER])
        # 100,000 learners fall into a few hundred kinds (first month, facts, months active,
        # reached, returning): the sums below are made over the kinds, each counted n times.
        + Sql(f"kinds AS (SELECT {kind}, COUNT(*) AS n FROM flagged GROUP BY {kind}) ")
        + Sql("SELECT 'total', CAST(NULL AS TEXT), SUM(n * reached), SUM(n * ")
        + new
        + Sql(
            f"), SUM(n * comes_back), SUM(n * ((facts >> {RECENT_BIT}) & 1))"
            + "".join(f", SUM(n * ((facts >> {bit}) & 1))" for bit in range(len(DAY_FACTS)))
            + "".join(f", SUM(n * {active_in(index)})" for index in range(len(months)))
        )
    )
    for month in months:
        sql += (
            Sql(", SUM(CASE WHEN first_month = %s THEN n * ", [month]) + new + Sql(" ELSE 0 END)")
        )
    sql += Sql(" FROM kinds")
    # The profiles of the learners reached, one column at a time, in the same statement.
    padding = ", 0" * (columns - 1)
    if _vendor() == "postgresql":
        # One pass over the profiles for every column (GROUPING SETS; SQLite has none).
        grouped = [f"GROUPING({expression}) = 0" for expression in PROFILE_COLUMNS.values()]
        kind = " ".join(
            f"WHEN {test} THEN '{name}'"
            for test, name in zip(grouped, PROFILE_COLUMNS, strict=True)
        )
        value = " ".join(
            f"WHEN {test} THEN {expression}"
            for test, expression in zip(grouped, PROFILE_COLUMNS.values(), strict=True)
        )
        sets = ", ".join(f"({expression})" for expression in PROFILE_COLUMNS.values())
        sql += Sql(
            f" UNION ALL SELECT CASE {kind} END, CASE {value} END, COUNT(*){padding} FROM prof "
            f"GROUP BY GROUPING SETS ({sets})"
        )
    else:
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
    """Shifts of the outcome answers, and the learners who gave both, in one statement."""
    # The table is read twice rather than through a common table expression: PostgreSQL
    # would first copy the 450,000 pairs of 100,000 learners, which took as long as both
    # readings (and plain readings can use parallel workers).
    pairs = (
        Sql(f"FROM {OutcomePair._meta.db_table} WHERE association_id IN (")
        + _in(association_ids)
        + Sql(") AND answered_on >= %s AND answered_on <= %s", [start, end])
    )
    sql = (
        Sql("SELECT before, after, COUNT(*) ")
        + pairs
        # Grouped, then counted: PostgreSQL hashes a GROUP BY, it sorts a COUNT(DISTINCT).
        + Sql(
            " GROUP BY before, after UNION ALL SELECT NULL, NULL, COUNT(*) FROM (SELECT pseudonym "
        )
        + pairs
        + Sql(" GROUP BY pseudonym) AS learners")
    )
    rows = _fetch(sql)
    return {
        "shifts": {f"{before}>{after}": int(n) for before, after, n in rows if before is not None},
        "learners": next(int(n) for before, _after, n in rows if before is None),
    }
