"""Loading millions of demo rows on PostgreSQL without their secondary indexes and foreign
keys, which are built again afterwards."""

from contextlib import contextmanager

from django.db import connection


@contextmanager
def secondary_indexes_deferred(models, enabled: bool):
    """Load first, index after, as pg_restore does: the same definitions, read from the catalog.

    Building an index once over millions of rows is much cheaper than keeping it up to date
    row by row, and a foreign key added afterwards is checked with one join instead of one
    lookup per row. It all happens inside the build's transaction: nobody else sees the
    tables without their indexes, and a failure leaves them as they were.
    """
    if not enabled or connection.vendor != "postgresql":
        yield
        return
    quote = connection.ops.quote_name
    restore = []
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY contype DESC",
                [table],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes i "
                "WHERE schemaname = current_schema() AND tablename = %s AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname "
                "AND c.conrelid = %s::regclass)",
                [table, table],
            )
            indexes = cursor.fetchall()
            for name, _definition in reversed(constraints):
                cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {quote(name)}")
            restore.append((table, constraints, indexes))
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for table, constraints, indexes in restore:
            for _name, definition in indexes:
                cursor.execute(definition)
            # Unique constraints first, then foreign keys (the query sorted them so).
            for name, definition in constraints:
                cursor.execute(
                    f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
                )
