"""Reads that run on every learner page, compiled to SQL once per database connection.

Turning a queryset into SQL costs Django far more than running it on a small indexed table
(about a millisecond against a tenth of one). A `CompiledQuery` builds its queryset once with
stand-in values, keeps the SQL, the place of each stand-in among the parameters and the
converters of its columns, then runs the same SQL with each visit's values. On PostgreSQL
the same text is also what the server prepares once it has seen it a few times on a
connection (psycopg's `prepare_threshold`, set in lms/settings/base.py with server-side
binding): the planning of these small queries cost PostgreSQL more than running them.

Only for `values_list()` querysets whose SQL does not depend on the values (plain `=`
filters: no `__in` list, no `None`). The stand-ins are checked: each must appear among the
parameters, and nothing else may be given as a value.

These stand-ins are not the HTML frames' (courses/framing.py), though strings use the same
private-use character: they are whole parameter values, found by equality in the list of
parameters Django's compiler returns, never searched for in text, and they never reach a
page or the database. The character only makes a value no real argument is.
"""

from collections.abc import Callable
from weakref import WeakKeyDictionary

from django.db import connections, router
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
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:
            rows = [tuple(row) for row in compiler.apply_converters(rows, converters)]
        return rows
