"""Reads that run on every learner page, compiled to SQL once per database connection.

Turning a queryset into SQL costs Django far more than running it on a small indexed table
(about a millisecond against a tenth of one). A `CompiledQuery` builds its queryset once with
stand-in values, keeps the SQL, the place of each stand-in among the parameters and the
converters of its columns, then runs the same SQL with each visit's values. On PostgreSQL
that SQL is also prepared on the server (`sql_cursor`), once per connection: the planning
of these small queries cost PostgreSQL more than running them.

Only for `values_list()` querysets whose SQL does not depend on the values (plain `=`
filters: no `__in` list, no `None`). The stand-ins are checked: each must appear among the
parameters, and nothing else may be given as a value.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import QuerySet


class CompiledQuery:
    """`build(**values)` returns a values_list() queryset; `rows(**values)` runs it."""

    def __init__(self, model, build: Callable[..., QuerySet], **examples: int | str):
        # One stand-in per name, of the type the database column expects, that no real
        # value uses: negative ids and private-use characters.
        self.model = model
        self.build = build
        self.stand_ins = {}
        for index, (name, example) in enumerate(examples.items()):
            if isinstance(example, int):
                self.stand_ins[name] = -(10**12) - index
            else:
                self.stand_ins[name] = f"\ue000{name}\ue000"
        self._compiled = WeakKeyDictionary()  # per connection object (one per thread)

    def _compile(self, alias: str, connection):
        queryset = self.build(**self.stand_ins).using(alias)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        by_value = {value: name for name, value in self.stand_ins.items()}
        template = [(True, by_value[p]) if p in by_value else (False, p) for p in params]
        missing = set(self.stand_ins) - {name for is_name, name in template if is_name}
        if missing:
            raise ValueError(f"not among the query's parameters: {sorted(missing)}")
        select = compiler.select or []
        converters = compiler.get_converters([column[0] for column in select])
        entry = (sql, template, compiler, converters)
        self._compiled[connection] = entry
        return entry

    def rows(self, **values) -> list[tuple]:
        if values.keys() != self.stand_ins.keys():
            raise TypeError(f"expected values for {sorted(self.stand_ins)}")
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        entry = self._compiled.get(connection)
        if entry is None:
            entry = self._compile(alias, connection)
        sql, template, compiler, converters = entry
        params = [values[item] if is_name else item for is_name, item in template]
        with sql_cursor(alias) as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:
            rows = [tuple(row) for row in compiler.apply_converters(rows, converters)]
        return rows


@functools.cache
def _prepared_cursor_class():
    """psycopg's cursor that binds values on the server, asked to prepare what it runs."""
    import psycopg  # PostgreSQL only

    class PreparedCursor(psycopg.Cursor):
        def execute(self, query, params=None, **options):
            super().execute(query, params, prepare=True)
            # What Django's query log reads (`last_executed_query`), which psycopg only
            # fills when it binds on the client: the text, without the values.
            self._query = _Executed(query.encode())
            return self

    return PreparedCursor


@dataclass(frozen=True)
class _Executed:
    query: bytes


# Django leaves psycopg's automatic preparation off (a threshold of None), which also
# turns off preparing on request. Only cursors that bind on the server consult the
# threshold, and Django's own bind on the client: with this one, they still never prepare.
_PREPARE_ONLY_ON_REQUEST = 2**31 - 1


def sql_cursor(using: str = DEFAULT_DB_ALIAS):
    """A cursor for SQL run on every request, wrapped as Django wraps its cursors.

    On PostgreSQL its statements are prepared once per connection (psycopg keeps the
    names), which saves the server the parse and plan of each; elsewhere it is Django's
    usual cursor. Errors are Django's, and the queries are logged and counted as others.
    Used by `CompiledQuery` and by the statement endpoint's writes (services.py).
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        raw.prepare_threshold = _PREPARE_ONLY_ON_REQUEST
    with connection.wrap_database_errors:
        cursor = _prepared_cursor_class()(raw)
    return connection._prepare_cursor(cursor)
